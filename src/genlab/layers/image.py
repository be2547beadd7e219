"""Image-to-image building blocks as serializable Keras 3 layers (no Lambda layers).

* :class:`InstanceNormalization` (Ulyanov et al., 2016, "Instance Normalization: The Missing
  Ingredient for Fast Stylization"): every image and channel normalized over its own pixels,
  y = gamma * (x - mu_{n,c}) / sqrt(sigma^2_{n,c} + eps) + beta. CycleGAN and pix2pix use it.
* :class:`ReflectionPadding2D`: pads by mirroring the border (no zeros), so convolutions near
  the edge see image-like values; CycleGAN's generators pad this way.
* :class:`PixelShuffle` (Shi et al., 2016, "Real-Time Single Image and Video Super-Resolution
  Using an Efficient Sub-Pixel Convolutional Neural Network"): rearranges (H, W, r^2 C) into
  (rH, rW, C), the same order as ``tf.nn.depth_to_space``; SRGAN upsamples with it.
* :func:`patch_discriminator`: the PatchGAN of pix2pix and CycleGAN (Isola et al., 2017), shared
  by both families, which never import each other; :func:`pad_to_multiple` lets their
  generators translate images of any size.

All layers accept images of any height and width (inputs shaped (None, None, C)).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from genlab.core.errors import GenlabError


@keras.saving.register_keras_serializable(package="genlab")
class InstanceNormalization(layers.Layer):
    """Normalizes each image's channels over height and width, then scales and shifts per channel."""

    def __init__(self, epsilon: float = 1e-5, center: bool = True, scale: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise GenlabError("InstanceNormalization needs a known number of channels")
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta") if self.center else None

    def call(self, inputs):
        mean, variance = ops.moments(inputs, axes=[1, 2], keepdims=True)  # mu_{n,c}, sigma^2_{n,c}
        outputs = (inputs - mean) * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            outputs = outputs * ops.cast(self.gamma, outputs.dtype)
        if self.beta is not None:
            outputs = outputs + ops.cast(self.beta, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon, "center": self.center, "scale": self.scale})
        return config


@keras.saving.register_keras_serializable(package="genlab")
class ReflectionPadding2D(layers.Layer):
    """Pads height by ``padding[0]`` and width by ``padding[1]`` pixels on each side, mirroring the border."""

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (padding, padding)
        self.padding = tuple(int(p) for p in padding)
        if len(self.padding) != 2 or min(self.padding) < 0:
            raise GenlabError(f"padding must be two non-negative integers, got {padding!r}")

    def call(self, inputs):
        rows, columns = self.padding
        return ops.pad(inputs, [[0, 0], [rows, rows], [columns, columns], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        rows, columns = self.padding
        return (batch, None if height is None else height + 2 * rows, None if width is None else width + 2 * columns, channels)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": list(self.padding)})
        return config


@keras.saving.register_keras_serializable(package="genlab")
class PixelShuffle(layers.Layer):
    """Sub-pixel rearrangement (depth to space): (N, H, W, r*r*C) -> (N, r*H, r*W, C).

    output[n, r*h + i, r*w + j, c] = input[n, h, w, (r*i + j)*C + c], the order of
    ``tf.nn.depth_to_space`` for NHWC, written with reshape/transpose so any backend runs it.
    """

    def __init__(self, block_size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.block_size = int(block_size)
        if self.block_size < 2:
            raise GenlabError(f"block_size must be >= 2, got {block_size!r}")

    def call(self, inputs):
        r = self.block_size
        shape = ops.shape(inputs)
        height, width, channels = shape[1], shape[2], inputs.shape[-1] // (r * r)
        x = ops.reshape(inputs, (-1, height, width, r, r, channels))  # split depth into (i, j, c)
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # (n, h, i, w, j, c)
        return ops.reshape(x, (-1, height * r, width * r, channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        r = self.block_size
        if channels % (r * r):
            raise GenlabError(f"PixelShuffle({r}) needs channels divisible by {r * r}, got {channels}")
        scaled = lambda size: None if size is None else size * r  # noqa: E731
        return (batch, scaled(height), scaled(width), channels // (r * r))

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config


def patch_discriminator(input_shape, filters: int = 64, downsamplings: int = 3, name: str = "discriminator") -> keras.Model:
    """PatchGAN (Isola et al., 2017): a grid of real/fake scores, one per overlapping image patch.

    C64 (no normalization) - C128 - C256 (``downsamplings`` stride-2 4x4 convolutions in all) -
    C512 (stride 1) - a 1-channel 4x4 convolution, LeakyReLU(0.2) and instance normalization;
    filters double per layer up to 8x ``filters``. With 3 downsamplings each score sees a
    70x70 patch. Deviation: 'same' padding, so the grid is (H / 2^downsamplings) squared
    (32x32 for 256x256 input) instead of the paper's 30x30. Outputs are unbounded scores
    (least-squares loss in CycleGAN, logits in pix2pix).
    """
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i in range(downsamplings + 1):
        count = filters * min(2**i, 8)
        stride = 2 if i < downsamplings else 1
        x = layers.Conv2D(count, 4, strides=stride, padding="same", name=f"block_{i}_conv")(x)
        if i > 0:
            x = InstanceNormalization(name=f"block_{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"block_{i}_leaky_relu")(x)
    scores = layers.Conv2D(1, 4, padding="same", dtype="float32", name="patch_scores")(x)
    return keras.Model(inputs, scores, name=name)


def pad_to_multiple(images: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad a batch (N, H, W, C) at the bottom and right to sizes divisible by ``multiple``.

    Returns the padded batch and the original (H, W), to crop the network's output back.
    """
    images = np.asarray(images, np.float32)
    height, width = images.shape[1:3]
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    if pad_h or pad_w:
        images = np.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    return images, (height, width)
