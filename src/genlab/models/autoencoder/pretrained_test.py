"""The autoencoder with a pretrained encoder (``encoder="pretrained:..."``)."""

import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.models.harness import check_family
from genlab.transfer import freeze, select_layers
from genlab.transfer.testing import IMAGES, LABELS, batchnorm_backbone


def test_harness_with_a_pretrained_keras_backbone(tmp_path):
    path = batchnorm_backbone(tmp_path / "backbone.keras")
    config = AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=3, filters=(4, 8), encoder=f"pretrained:{path}",
                               backbone_size=32)
    check_family(lambda: Autoencoder(config), (IMAGES, LABELS), lambda m: m.reconstruct(IMAGES), tmp_path)


def test_lite0_encoder_groups_keep_the_new_code_layer_trainable(lite0_weights):
    model = Autoencoder(AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=3, filters=(4, 8),
                                          encoder="pretrained:lite0", backbone_size=32))
    assert model.encode(IMAGES).shape == (4, 3)
    groups = model.transfer_blocks()
    assert list(groups) == ["encoder", "head", "decoder"] and len(groups["encoder"]) == 18
    freeze(model, "encoder")
    assert not any(layer.trainable for _, layer in select_layers(model, "encoder"))
    assert model.encoder.get_layer("code").trainable
    trainable = sum(int(np.prod(v.shape)) for v in model.encoder.trainable_variables)
    assert trainable == 1280 * 3 + 3  # only the code layer: flatten(1x1x1280) -> 3


@pytest.mark.parametrize("values, message", [
    ({"encoder": "imagenet"}, "scratch or pretrained:NAME"),
    ({"encoder": "pretrained:lite0", "input_shape": (8, 8, 2)}, "1 or 3 channels"),
    ({"encoder": "pretrained:lite0", "backbone_size": 16}, "backbone_size"),
])
def test_bad_encoder_settings(values, message):
    with pytest.raises(GenlabError, match=message):
        AutoencoderConfig(**{"input_shape": (8, 8, 1), **values})


def test_old_configs_without_the_field_stay_scratch():
    values = AutoencoderConfig(input_shape=(8, 8, 1)).to_dict()
    del values["encoder"], values["backbone_size"]
    assert AutoencoderConfig.from_dict(values).encoder == "scratch"
