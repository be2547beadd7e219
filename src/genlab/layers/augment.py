"""Differentiable augmentation for GANs trained on few images (DiffAugment).

Reference: Zhao et al. (2020), "Differentiable Augmentation for Data-Efficient GAN Training".
The same random augmentation T is applied to real and generated images before the
discriminator, in both the discriminator and the generator steps:

    L_D = f(-D(T(x))) + f(D(T(G(z))))        L_G = f(-D(T(G(z))))

Every transform is built from differentiable tensor operations, so gradients reach the
generator through T. A policy is a comma-separated list of:

* ``color``: brightness x + U(-0.5, 0.5); saturation (x - mean_c) * U(0, 2) + mean_c;
  contrast (x - mean_hwc) * U(0.5, 1.5) + mean_hwc (means per image);
* ``translation``: shift by up to 1/8 of the image size in each direction, zero fill;
* ``cutout``: a zero square of half the image size at a random position.
"""

from __future__ import annotations

import keras
from keras import ops

from genlab.layers.specs import parse_policy



def _uniform(batch, low, high, seed, dtype):
    return keras.random.uniform((batch, 1, 1, 1), low, high, seed=seed, dtype=dtype)


def _color(x, seed):
    batch = ops.shape(x)[0]
    x = x + _uniform(batch, -0.5, 0.5, seed, x.dtype)  # brightness
    mean = ops.mean(x, axis=-1, keepdims=True)
    x = (x - mean) * _uniform(batch, 0.0, 2.0, seed, x.dtype) + mean  # saturation
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * _uniform(batch, 0.5, 1.5, seed, x.dtype) + mean  # contrast


def _shift_matrices(batch, size, max_shift, seed, dtype):
    """One (size x size) 0/1 matrix per image: row i picks source row i - shift (zero outside)."""
    shift = keras.random.randint((batch, 1, 1), -max_shift, max_shift + 1, seed=seed)
    rows = ops.arange(size)[None, :, None]
    columns = ops.arange(size)[None, None, :]
    return ops.cast(ops.equal(columns, rows - shift), dtype)


def _translation(x, seed, ratio: float = 0.125):
    batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
    shift_y = _shift_matrices(batch, height, max(1, int(height * ratio + 0.5)), seed, x.dtype)
    shift_x = _shift_matrices(batch, width, max(1, int(width * ratio + 0.5)), seed, x.dtype)
    return ops.einsum("bip,bpqc,bjq->bijc", shift_y, x, shift_x)  # out[i, j] = x[i - dy, j - dx]


def _cutout(x, seed, ratio: float = 0.5):
    batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
    half_h, half_w = int(height * ratio + 0.5) // 2, int(width * ratio + 0.5) // 2
    center_y = keras.random.randint((batch, 1, 1), 0, height, seed=seed)
    center_x = keras.random.randint((batch, 1, 1), 0, width, seed=seed)
    inside_y = ops.abs(ops.arange(height)[None, :, None] - center_y) < max(1, half_h)
    inside_x = ops.abs(ops.arange(width)[None, None, :] - center_x) < max(1, half_w)
    keep = ops.logical_not(ops.logical_and(inside_y, inside_x))
    return x * ops.cast(keep, x.dtype)[..., None]


_FUNCTIONS = {"color": _color, "translation": _translation, "cutout": _cutout}


def diff_augment(images, policy: str | tuple[str, ...], seed):
    """Apply the transforms of ``policy`` in order; ``seed`` is a ``keras.random.SeedGenerator``."""
    names = parse_policy(policy) if isinstance(policy, str) else policy
    for name in names:
        images = _FUNCTIONS[name](images, seed)
    return images


@keras.saving.register_keras_serializable(package="genlab")
class DiffAugment(keras.layers.Layer):
    """:func:`diff_augment` as a layer with its own seeded generator (applied when training only)."""

    def __init__(self, policy: str = "color,translation,cutout", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy
        self.transforms = parse_policy(policy)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        return diff_augment(images, self.transforms, self.seed_generator) if training else images

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "policy": self.policy, "seed": self.seed}
