import keras
import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.transfer import freeze, freeze_summary, parse_spec, select_layers, unfreeze_all
from genlab.transfer.freezing import SpecItem
from genlab.transfer.testing import IMAGES, batchnorm_backbone, compiled, fit, snapshot, tiny_autoencoder


def test_parse_spec():
    assert parse_spec("mapping,g:2,d:-1") == [SpecItem("mapping"), SpecItem("g", 2), SpecItem("d", -1)]
    assert parse_spec("encoder,re:conv_(0|1),x") == [SpecItem("encoder"), SpecItem(pattern="conv_(0|1),x")]
    assert parse_spec("") == [] and parse_spec("none") == []


@pytest.mark.parametrize("spec, message", [("g:x", "integer"), ("g:0", "not be 0"), ("a,,b", "empty"),
                                           ("re:(", "regular expression"), (":2", "no group")])
def test_bad_specs_name_the_part(spec, message):
    with pytest.raises(GenlabError, match=message):
        parse_spec(spec)


def test_default_groups_come_from_networks():
    model = tiny_autoencoder()
    groups = model.transfer_blocks()
    assert list(groups) == ["encoder", "decoder"]
    assert [[layer.name for layer in block] for block in groups["encoder"]] == [["conv_0"], ["conv_1"], ["code"]]
    names = [name for name, _ in select_layers(model, "d:2")]  # unique prefix: d = decoder
    assert names == ["decoder/project", "decoder/deconv_0"]
    assert [name for name, _ in select_layers(model, "encoder:-1")] == ["encoder/conv_0", "encoder/conv_1"]
    assert [name for name, _ in select_layers(model, "re:/conv_1$")] == ["encoder/conv_1"]


@pytest.mark.parametrize("spec, message", [("generator", "no group 'generator'"), ("encoder:4", "more blocks"),
                                           ("re:nothing_like_this", "matches no layer")])
def test_unknown_groups_are_refused(spec, message):
    with pytest.raises(GenlabError, match=message):
        select_layers(tiny_autoencoder(), spec)


def test_frozen_weights_stay_bit_identical_while_the_rest_trains():
    model = compiled(tiny_autoencoder())
    frozen = freeze(model, "encoder,decoder:1")
    assert frozen == ["encoder/conv_0", "encoder/conv_1", "encoder/code", "decoder/project"]
    frozen_layers = select_layers(model, "encoder,decoder:1")
    others = [item for item in select_layers(model, "decoder") if item[0] != "decoder/project"]
    before_frozen, before_others = snapshot(frozen_layers), snapshot(others)
    fit(model, steps=3)
    for before, after in zip(before_frozen, snapshot(frozen_layers)):
        np.testing.assert_array_equal(before, after)
    assert all(not np.array_equal(b, a) for b, a in zip(before_others, snapshot(others)))
    summary = freeze_summary(model)
    assert "encoder: 3/3 blocks frozen" in summary and "decoder: 1/4 blocks frozen" in summary
    unfreeze_all(model)
    assert all(layer.trainable for _, layer in select_layers(model, "encoder,decoder"))


def test_frozen_batchnorm_keeps_its_statistics_and_runs_in_inference_mode(tmp_path):
    path = batchnorm_backbone(tmp_path / "backbone.keras")
    make = lambda: tiny_autoencoder(encoder=f"pretrained:{path}", backbone_size=32)  # noqa: E731

    def batchnorms(model):
        return [layer for _, layer in select_layers(model, "encoder") if isinstance(layer, keras.layers.BatchNormalization)]

    frozen = compiled(make())
    freeze(frozen, "encoder")
    assert len(batchnorms(frozen)) == 2
    before = snapshot(batchnorms(frozen))
    fit(frozen, steps=3)
    for b, a in zip(before, snapshot(batchnorms(frozen))):
        np.testing.assert_array_equal(b, a)  # gamma, beta, moving mean and variance
    np.testing.assert_array_equal(frozen.encoder(IMAGES, training=True), frozen.encoder(IMAGES, training=False))

    trained = compiled(make())  # control: a trainable BatchNorm moves its moving mean
    before = [np.array(layer.moving_mean) for layer in batchnorms(trained)]
    fit(trained, steps=3)
    assert any(not np.array_equal(b, np.array(layer.moving_mean)) for b, layer in zip(before, batchnorms(trained)))
