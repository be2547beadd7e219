import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.errors import GenlabError
from genlab.layers.image import InstanceNormalization, PixelShuffle, ReflectionPadding2D, patch_discriminator


@pytest.mark.parametrize("block_size, channels", [(2, 3), (2, 8), (3, 2)])
def test_pixel_shuffle_equals_depth_to_space(block_size, channels):
    images = np.random.default_rng(0).normal(size=(2, 5, 7, block_size * block_size * channels)).astype("float32")
    expected = tf.nn.depth_to_space(images, block_size).numpy()
    output = np.asarray(PixelShuffle(block_size)(images))
    assert output.shape == (2, 5 * block_size, 7 * block_size, channels)
    np.testing.assert_array_equal(output, expected)


def test_pixel_shuffle_in_a_model_with_unknown_size():
    inputs = keras.Input((None, None, 12))
    model = keras.Model(inputs, PixelShuffle(2)(inputs))
    assert model.output_shape == (None, None, None, 3)
    images = np.random.default_rng(1).normal(size=(1, 3, 4, 12)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model(images)), tf.nn.depth_to_space(images, 2).numpy())
    with pytest.raises(GenlabError, match="divisible by 4"):
        PixelShuffle(2)(keras.Input((4, 4, 6)))


def test_instance_normalization_normalizes_each_image_and_channel():
    images = np.random.default_rng(2).normal(3.0, 5.0, size=(2, 6, 6, 3)).astype("float32")
    images[1] *= 10.0
    output = np.asarray(InstanceNormalization()(images))
    np.testing.assert_allclose(output.mean(axis=(1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(output.std(axis=(1, 2)), 1.0, atol=1e-3)


def test_reflection_padding_mirrors_the_border():
    image = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    padded = np.asarray(ReflectionPadding2D((1, 2))(image))[0, :, :, 0]
    np.testing.assert_array_equal(padded, np.pad(image[0, :, :, 0], ((1, 1), (2, 2)), mode="reflect"))


def test_layers_serialize_and_reload(tmp_path):
    inputs = keras.Input((None, None, 3))
    x = ReflectionPadding2D(1)(inputs)
    x = keras.layers.Conv2D(12, 3)(x)
    x = InstanceNormalization()(x)
    outputs = PixelShuffle(2)(x)
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(3).normal(size=(1, 4, 6, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(images)), np.asarray(model(images)), atol=1e-6)


@pytest.mark.parametrize("size, downsamplings, grid", [(32, 3, 4), (16, 2, 4), (24, 3, 3)])
def test_patch_discriminator_output_shape(size, downsamplings, grid):
    network = patch_discriminator((size, size, 4), filters=4, downsamplings=downsamplings)
    scores = network(np.zeros((2, size, size, 4), "float32"))
    assert scores.shape == (2, grid, grid, 1)
