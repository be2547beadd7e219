import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.errors import GenlabError
from genlab.layers.augment import DiffAugment, diff_augment, parse_policy

RNG = np.random.default_rng(0)


def test_policy_parsing():
    assert parse_policy("color, cutout") == ("color", "cutout")
    assert parse_policy("") == ()
    with pytest.raises(GenlabError, match="flip"):
        parse_policy("color,flip")


def shifted(image, dy, dx):
    """out[i, j] = image[i - dy, j - dx], zero outside."""
    out = np.zeros_like(image)
    h, w = image.shape
    rows, columns = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    out[rows, columns] = image[max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)]
    return out


def test_translation_shifts_whole_images_with_zero_fill():
    image = np.arange(64, dtype="float32").reshape(8, 8) + 1
    out = np.asarray(diff_augment(np.repeat(image[None, ..., None], 16, 0), "translation", keras.random.SeedGenerator(1)))
    candidates = {(dy, dx): shifted(image, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # at most 1/8 of 8
    found = set()
    for result in out[..., 0]:
        matches = [shift for shift, expected in candidates.items() if np.array_equal(result, expected)]
        assert len(matches) == 1
        found.add(matches[0])
    assert len(found) > 1  # images get different shifts


def test_cutout_zeroes_a_square_of_half_the_side():
    out = np.asarray(diff_augment(np.ones((8, 16, 16, 1), "float32"), "cutout", keras.random.SeedGenerator(2)))
    zero_fraction = (out == 0).mean(axis=(1, 2, 3))
    assert np.all(zero_fraction > 0) and np.all(zero_fraction <= 0.25 + 1e-6)


def test_augmentation_is_differentiable():
    x = tf.constant(RNG.uniform(-1, 1, (2, 8, 8, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = diff_augment(x, "color,translation,cutout", keras.random.SeedGenerator(3))
        loss = tf.reduce_sum(y * y)
    gradient = tape.gradient(loss, x)
    assert gradient is not None and np.abs(gradient.numpy()).sum() > 0


def test_layer_applies_only_when_training_and_round_trips():
    layer = DiffAugment("color", seed=4)
    x = RNG.uniform(-1, 1, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    assert not np.allclose(np.asarray(layer(x, training=True)), x)
    assert DiffAugment.from_config(layer.get_config()).policy == "color"
