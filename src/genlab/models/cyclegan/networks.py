"""CycleGAN's networks (Zhu et al., 2017, appendix 7.2), as Functional models.

Generator (Johnson et al., 2016): c7s1-64, d128, d256, R256 x n, u128, u64, c7s1-C, where
c7s1-k is a reflection-padded 7x7 convolution, dk a stride-2 3x3 convolution, Rk a residual
block of two reflection-padded 3x3 convolutions, uk a stride-2 3x3 transposed convolution;
instance normalization and ReLU after each, tanh at the end. Fully convolutional: any image
whose sides are divisible by 4 goes through. Discriminator: the 70x70 PatchGAN of
:func:`genlab.layers.image.patch_discriminator`.
"""

from __future__ import annotations

import keras
from keras import layers

from genlab.layers.image import InstanceNormalization, ReflectionPadding2D, patch_discriminator
from genlab.models.cyclegan.config import DOWNSAMPLINGS


def _conv_norm_relu(x, filters: int, kernel: int, name: str, strides: int = 1, transpose: bool = False):
    if kernel == 7:
        x = ReflectionPadding2D(3, name=f"{name}_pad")(x)
    convolution = layers.Conv2DTranspose if transpose else layers.Conv2D
    padding = "valid" if kernel == 7 else "same"
    x = convolution(filters, kernel, strides=strides, padding=padding, name=f"{name}_conv")(x)
    x = InstanceNormalization(name=f"{name}_norm")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters: int, name: str):
    """x + F(x), F = pad-conv3x3-norm-ReLU-pad-conv3x3-norm."""
    y = ReflectionPadding2D(1, name=f"{name}_pad_1")(x)
    y = layers.Conv2D(filters, 3, name=f"{name}_conv_1")(y)
    y = InstanceNormalization(name=f"{name}_norm_1")(y)
    y = layers.ReLU(name=f"{name}_relu")(y)
    y = ReflectionPadding2D(1, name=f"{name}_pad_2")(y)
    y = layers.Conv2D(filters, 3, name=f"{name}_conv_2")(y)
    y = InstanceNormalization(name=f"{name}_norm_2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def resnet_generator(channels_in: int, channels_out: int, filters: int, residual_blocks: int, name: str) -> keras.Model:
    inputs = keras.Input(shape=(None, None, channels_in), name="image")
    x = _conv_norm_relu(inputs, filters, 7, "stem")  # c7s1-64
    for i in range(1, DOWNSAMPLINGS + 1):
        x = _conv_norm_relu(x, filters * 2**i, 3, f"down_{i}", strides=2)  # d128, d256
    for i in range(residual_blocks):
        x = _residual_block(x, filters * 2**DOWNSAMPLINGS, f"residual_{i}")  # R256
    for i in reversed(range(DOWNSAMPLINGS)):
        x = _conv_norm_relu(x, filters * 2**i, 3, f"up_{i}", strides=2, transpose=True)  # u128, u64
    x = ReflectionPadding2D(3, name="head_pad")(x)
    x = layers.Conv2D(channels_out, 7, name="head_conv")(x)  # c7s1-C
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(inputs, outputs, name=name)


def discriminator(channels: int, filters: int, downsamplings: int, name: str) -> keras.Model:
    return patch_discriminator((None, None, channels), filters, downsamplings, name=name)
