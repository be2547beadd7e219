import keras
import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.transfer import UpdateRule, install_update_rules, parse_group_scales, variable_scales
from genlab.transfer.testing import compiled, fit, tiny_autoencoder


def twins(optimizer_class, learning_rate):
    """Two tiny autoencoders with the same weights, each with its own fresh optimizer."""
    plain, scaled = tiny_autoencoder(), tiny_autoencoder()
    scaled.set_weights(plain.get_weights())
    compiled(plain, optimizer=optimizer_class(learning_rate))
    compiled(scaled, optimizer=optimizer_class(learning_rate))
    return plain, scaled


def one_step_updates(model):
    before = [np.array(v) for v in model.trainable_variables]
    fit(model, steps=1)
    return {v.path: np.array(v) - b for v, b in zip(model.trainable_variables, before)}


def test_group_scale_multiplies_an_sgd_update():
    plain, scaled = twins(keras.optimizers.SGD, 100.0)  # one large step: updates well above float32 rounding
    install_update_rules(scaled, group_scales={"encoder": 0.1})
    reference, updates = one_step_updates(plain), one_step_updates(scaled)
    encoder = {v.path for v in scaled.encoder.trainable_variables}
    for name, update in updates.items():
        factor = 0.1 if name in encoder else 1.0
        assert np.abs(reference[name]).max() > 0
        np.testing.assert_allclose(update, factor * reference[name], rtol=1e-3, atol=1e-7, err_msg=name)


def test_block_decay_scales_adam_updates_per_block():
    # Adam's first step is lr * g / (|g| + eps): invariant to gradient scale, proportional to the rate
    plain, scaled = twins(keras.optimizers.Adam, 0.1)
    install_update_rules(scaled, lr_scale=0.5, block_decay=0.1)
    reference, updates = one_step_updates(plain), one_step_updates(scaled)
    expected = {"conv_0": 0.5 * 0.01, "conv_1": 0.5 * 0.1, "code": 0.5,
                "project": 0.5 * 0.001, "deconv_0": 0.5 * 0.01, "deconv_1": 0.5 * 0.1, "pixels": 0.5}
    for name, update in updates.items():
        layer = name.split("/")[-2]
        np.testing.assert_allclose(update, expected[layer] * reference[name], rtol=2e-3, atol=1e-7, err_msg=name)


def test_warmup_ramps_the_rate_linearly():
    plain, scaled = twins(keras.optimizers.SGD, 100.0)
    install_update_rules(scaled, warmup_steps=4)
    reference, updates = one_step_updates(plain), one_step_updates(scaled)
    for name in updates:
        np.testing.assert_allclose(updates[name], 0.25 * reference[name], rtol=1e-3, atol=1e-7)  # (0 + 1) / 4


def test_l2sp_adds_alpha_times_the_distance_to_the_anchor():
    variable = keras.Variable(np.array([1.0, -2.0, 3.0], "float32"))
    anchor = np.array([0.0, 0.0, 1.0], "float32")
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build([variable])
    rule = UpdateRule(optimizer, {id(variable): 0.5}, l2sp=0.2, anchors={id(variable): anchor}).install()
    gradient = np.array([0.5, 0.5, 0.5], "float32")
    start = np.array(variable)
    optimizer.apply([gradient], [variable])
    expected = start - 0.1 * 0.5 * (gradient + 0.2 * (start - anchor))  # w - lr s (g + alpha (w - w0))
    np.testing.assert_allclose(np.array(variable), expected, rtol=1e-6)
    rule.uninstall()
    start = np.array(variable)
    optimizer.apply([gradient], [variable])
    np.testing.assert_allclose(np.array(variable), start - 0.1 * gradient, rtol=1e-6)


def test_scales_and_errors():
    model = tiny_autoencoder()
    scales = variable_scales(model, lr_scale=2.0, group_scales="dec:0.5", block_decay=0.5)
    assert scales[id(model.decoder.get_layer("pixels").kernel)] == pytest.approx(1.0)
    assert scales[id(model.encoder.get_layer("conv_0").kernel)] == pytest.approx(0.5)
    assert parse_group_scales("encoder:0.1, decoder:1") == {"encoder": 0.1, "decoder": 1.0}
    with pytest.raises(GenlabError, match="GROUP:SCALE"):
        parse_group_scales("encoder=0.1")
    with pytest.raises(GenlabError, match="build the optimizer"):
        UpdateRule(keras.optimizers.SGD(0.1))
