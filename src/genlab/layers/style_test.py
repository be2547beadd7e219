import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.layers.style import (
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    ModulatedConv2D,
    NoiseInjection,
    PixelNorm,
    TrackedAverage,
)

RNG = np.random.default_rng(0)


def interior_std(layer, x, w):
    y = np.asarray(layer([x, w]))
    return y[:, 1:-1, 1:-1].std()  # borders see zero padding


def test_demodulation_keeps_unit_output_variance_for_unit_input():
    x = RNG.standard_normal((4, 32, 32, 16)).astype("float32")
    w = 3.0 * RNG.standard_normal((4, 8)).astype("float32")  # large styles: modulation alone would blow up
    assert interior_std(ModulatedConv2D(16, 3, use_bias=False), x, w) == pytest.approx(1.0, abs=0.05)
    assert interior_std(ModulatedConv2D(16, 3, use_bias=False, upsample=True), x, w) < 1.0  # bilinear smooths
    plain = interior_std(ModulatedConv2D(16, 3, use_bias=False, demodulate=False), x, w)
    assert abs(plain - 1.0) > 0.5  # without eq. 3 the scale follows the styles


def test_modulated_conv_equals_convolution_with_per_image_weights():
    layer = ModulatedConv2D(3, 3, use_bias=False)
    x = RNG.standard_normal((2, 6, 6, 4)).astype("float32")
    w = RNG.standard_normal((2, 5)).astype("float32")
    y = np.asarray(layer([x, w]))
    styles = np.asarray(layer.styles(w))
    for b in range(2):
        weight = np.asarray(layer.kernel) * layer.weight_gain * styles[b][None, None, :, None]  # w'_ijk = s_i w_ijk
        weight = weight / np.sqrt((weight**2).sum(axis=(0, 1, 2), keepdims=True) + 1e-8)  # eq. 3
        expected = tf.nn.conv2d(x[b : b + 1], weight, 1, "SAME").numpy()
        np.testing.assert_allclose(y[b : b + 1], expected, rtol=1e-4, atol=1e-5)


def test_equalized_layers_scale_weights_by_he_constant():
    dense = EqualizedDense(3, lr_multiplier=0.01)
    x = RNG.standard_normal((2, 16)).astype("float32")
    y = np.asarray(dense(x))
    np.testing.assert_allclose(y, x @ (np.asarray(dense.kernel) * 0.01 / 4.0) + np.asarray(dense.bias) * 0.01, rtol=1e-5)
    assert np.asarray(dense.kernel).std() == pytest.approx(100.0, rel=0.3)  # stored as N(0, 1 / lr_mul)
    conv = EqualizedConv2D(4, 3, activation="lrelu")
    out = np.asarray(conv(RNG.standard_normal((8, 16, 16, 32)).astype("float32")))
    assert out[:, 1:-1, 1:-1].std() == pytest.approx(1.0, abs=0.15)  # unit variance through conv + lrelu * sqrt(2)


def test_pixel_norm_gives_unit_mean_square():
    z = 5.0 * RNG.standard_normal((4, 7)).astype("float32")
    np.testing.assert_allclose((np.asarray(PixelNorm()(z)) ** 2).mean(axis=1), 1.0, rtol=1e-5)


def test_minibatch_stddev_per_group_with_a_smaller_last_group():
    x = RNG.standard_normal((6, 2, 2, 3)).astype("float32")
    out = np.asarray(MinibatchStdDev(group_size=4)(x))
    assert out.shape == (6, 2, 2, 4)
    np.testing.assert_allclose(out[:4, ..., -1], np.sqrt(x[:4].var(axis=0) + 1e-8).mean(), rtol=1e-5)
    np.testing.assert_allclose(out[4:, ..., -1], np.sqrt(x[4:].var(axis=0) + 1e-8).mean(), rtol=1e-5)
    np.testing.assert_array_equal(out[..., :3], x)


def test_noise_is_fresh_when_training_and_constant_in_inference():
    layer = NoiseInjection(seed=3)
    x = np.zeros((2, 4, 4, 1), "float32")
    layer.build(x.shape)
    layer.strength.assign(1.0)
    inference = [np.asarray(layer(x, training=False)) for _ in range(2)]
    np.testing.assert_array_equal(inference[0], inference[1])
    np.testing.assert_array_equal(inference[0][0], inference[0][1])  # the same buffer for every image
    training = [np.asarray(layer(x, training=True)) for _ in range(2)]
    assert not np.array_equal(training[0], training[1]) and not np.array_equal(training[0][0], training[0][1])


def test_tracked_average_moves_only_when_training():
    layer = TrackedAverage(momentum=0.5)
    x = np.ones((3, 2), "float32")
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layer.average), [0, 0])
    layer(x, training=True)
    np.testing.assert_allclose(np.asarray(layer.average), [0.5, 0.5])


@pytest.mark.parametrize("layer", [ModulatedConv2D(2, 1, demodulate=False, upsample=True), NoiseInjection(seed=1),
                                   MinibatchStdDev(2), EqualizedDense(3, "lrelu", 0.1, 1.0), TrackedAverage(0.9)])
def test_layers_round_trip_their_config(layer):
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()
    assert keras.saving.get_registered_name(type(layer)).startswith("genlab>")
