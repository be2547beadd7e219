"""SRGAN networks (Ledig et al., 2017, figure 4), as Functional models.

Generator (SRResNet): conv 9x9 + PReLU; B residual blocks (conv 3x3 - BN - PReLU - conv 3x3 -
BN, plus the input); conv 3x3 - BN plus the output of the first layer; log2(scale) stages of
conv 3x3 (4 x filters) - PixelShuffle x2 - PReLU; conv 9x9 to the image channels, tanh.
Fully convolutional: any input size, output ``scale`` times larger. Option (not in the paper):
``bicubic_skip`` adds a bicubic upscaling of the input to a linear output, so the network
learns only the missing detail (global residual learning, Kim et al., 2016, VDSR); short
trainings converge much faster with it.

Discriminator: conv 3x3 (64) - LeakyReLU, then seven conv 3x3 - BN - LeakyReLU layers with
64, 128, 128, 256, 256, 512, 512 filters and strides 2, 1, 2, 1, 2, 1, 2, then Dense 1024 -
LeakyReLU - Dense 1 (a logit). Deviation: global average pooling before the dense layers,
so the discriminator takes any image size (the paper flattens a 96x96 crop's feature map).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from genlab.layers.image import PixelShuffle


def _prelu(name: str):
    return layers.PReLU(shared_axes=[1, 2], name=name)  # one slope per channel, any image size


def srresnet_generator(channels: int, scale: int, filters: int, residual_blocks: int, batch_norm: bool,
                       bicubic_skip: bool = False) -> keras.Model:
    inputs = keras.Input(shape=(None, None, channels), name="low_resolution")
    x = layers.Conv2D(filters, 9, padding="same", name="stem_conv")(inputs)
    stem = x = _prelu("stem_prelu")(x)
    for i in range(residual_blocks):
        y = layers.Conv2D(filters, 3, padding="same", name=f"residual_{i}_conv_1")(x)
        if batch_norm:
            y = layers.BatchNormalization(synchronized=True, name=f"residual_{i}_norm_1")(y)
        y = _prelu(f"residual_{i}_prelu")(y)
        y = layers.Conv2D(filters, 3, padding="same", name=f"residual_{i}_conv_2")(y)
        if batch_norm:
            y = layers.BatchNormalization(synchronized=True, name=f"residual_{i}_norm_2")(y)
        x = layers.Add(name=f"residual_{i}_add")([x, y])
    x = layers.Conv2D(filters, 3, padding="same", name="trunk_conv")(x)
    if batch_norm:
        x = layers.BatchNormalization(synchronized=True, name="trunk_norm")(x)
    x = layers.Add(name="trunk_add")([stem, x])  # long skip connection
    for i in range(int(math.log2(scale))):
        x = layers.Conv2D(filters * 4, 3, padding="same", name=f"upsample_{i}_conv")(x)
        x = PixelShuffle(2, name=f"upsample_{i}_shuffle")(x)  # (H, W, 4F) -> (2H, 2W, F)
        x = _prelu(f"upsample_{i}_prelu")(x)
    # with the bicubic skip the output layer starts at zero: training starts from bicubic upscaling
    initializer = "zeros" if bicubic_skip else "glorot_uniform"
    x = layers.Conv2D(channels, 9, padding="same", kernel_initializer=initializer, name="output_conv")(x)
    if bicubic_skip:  # the network learns the correction to a bicubic upscaling (linear output)
        upscaled = layers.UpSampling2D(scale, interpolation="bicubic", name="bicubic_skip")(inputs)
        outputs = layers.Add(dtype="float32", name="high_resolution")([upscaled, x])
    else:
        outputs = layers.Activation("tanh", dtype="float32", name="high_resolution")(x)
    return keras.Model(inputs, outputs, name="generator")


def discriminator(channels: int, filters: int) -> keras.Model:
    inputs = keras.Input(shape=(None, None, channels), name="high_resolution")
    x = layers.Conv2D(filters, 3, padding="same", name="block_0_conv")(inputs)
    x = layers.LeakyReLU(0.2, name="block_0_leaky_relu")(x)
    for i, (factor, stride) in enumerate([(1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)], start=1):
        x = layers.Conv2D(filters * factor, 3, strides=stride, padding="same", name=f"block_{i}_conv")(x)
        x = layers.BatchNormalization(synchronized=True, name=f"block_{i}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"block_{i}_leaky_relu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(filters * 16, name="dense")(x)
    x = layers.LeakyReLU(0.2, name="leaky_relu_dense")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(inputs, logit, name="discriminator")
