import keras
import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.layers.backbones import BackboneInput, backbone_blocks, pretrained_backbone


def test_backbone_input_repeats_gray_resizes_and_rescales(tmp_path):
    layer = BackboneInput(32, input_range=(0.0, 1.0), output_range=(-1.0, 1.0))
    images = np.full((2, 8, 8, 1), 0.75, np.float32)
    output = np.asarray(layer(images))
    assert output.shape == (2, 32, 32, 3)
    np.testing.assert_allclose(output, 0.5, atol=1e-6)  # 0.75 in [0, 1] -> 0.5 in [-1, 1]
    rebuilt = BackboneInput.from_config(layer.get_config())
    assert (rebuilt.size, rebuilt.input_range, rebuilt.output_range) == (32, (0.0, 1.0), (-1.0, 1.0))
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, BackboneInput(16, (-1.0, 1.0), (0.0, 255.0))(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    rgb = np.random.default_rng(0).uniform(-1, 1, (1, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(loaded(rgb), model(rgb), rtol=1e-6)


def test_lite0_feature_map_and_blocks(lite0_weights):
    preprocess, backbone = pretrained_backbone("lite0", 32)
    features = backbone(preprocess(np.zeros((1, 8, 8, 1), np.float32)))
    assert tuple(features.shape) == (1, 1, 1, 1280)
    blocks = backbone_blocks(backbone)
    assert len(blocks) == 18  # stem, 16 MBConv blocks, head
    assert [layer.name for layer in blocks[0]] == ["stem", "stem_bn"]
    assert blocks[-1][0].name == "head"


def test_mobilenet_feature_map(mobilenet_weights):
    preprocess, backbone = pretrained_backbone("mobilenet", 32)
    assert preprocess.output_range == (-1.0, 1.0)
    assert tuple(backbone(preprocess(np.zeros((1, 8, 8, 3), np.float32))).shape) == (1, 1, 1, 256)


@pytest.mark.parametrize("spec, size, message", [
    ("vgg99", 32, "unknown pretrained backbone"),
    ("/nowhere/weights.npz", 32, "does not exist"),
    ("lite0", 16, "at least 32"),
])
def test_bad_backbones_are_refused(spec, size, message):
    with pytest.raises(GenlabError, match=message):
        pretrained_backbone(spec, size)
