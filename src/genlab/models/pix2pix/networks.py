"""pix2pix networks (Isola et al., 2017, appendix 6.1.1), as Functional models.

U-Net generator: encoder C64-C128-C256-C512-C512-... (4x4 stride-2 convolutions, instance
normalization except on the first and innermost levels, LeakyReLU 0.2), decoder of 4x4
stride-2 transposed convolutions (normalization, dropout 0.5 on the three innermost levels,
ReLU), each decoder level concatenated with the encoder level of the same resolution; tanh
output. Deviation: instance normalization replaces the paper's batch normalization, which
at its batch size of 1 computes the same statistics (and has no moving averages that differ
between training and use). Discriminator: the PatchGAN of
:func:`genlab.layers.image.patch_discriminator` on A and B stacked along the channels.
"""

from __future__ import annotations

import keras
from keras import layers

from genlab.layers.image import InstanceNormalization, patch_discriminator

MAX_FILTERS_FACTOR = 8
DROPOUT_LEVELS = 3


def unet_generator(channels_in: int, channels_out: int, filters: int, depth: int, dropout: float) -> keras.Model:
    inputs = keras.Input(shape=(None, None, channels_in), name="image")
    x, skips = inputs, []
    for level in range(depth):  # encoder: halve the resolution each level
        count = filters * min(2**level, MAX_FILTERS_FACTOR)
        x = layers.Conv2D(count, 4, strides=2, padding="same", name=f"encoder_{level}_conv")(x)
        if 0 < level < depth - 1:
            x = InstanceNormalization(name=f"encoder_{level}_norm")(x)
        x = layers.LeakyReLU(0.2, name=f"encoder_{level}_leaky_relu")(x)
        skips.append(x)
    for level in reversed(range(depth - 1)):  # decoder: double it again, joining the encoder's features
        count = filters * min(2**level, MAX_FILTERS_FACTOR)
        x = layers.Conv2DTranspose(count, 4, strides=2, padding="same", name=f"decoder_{level}_conv")(x)
        x = InstanceNormalization(name=f"decoder_{level}_norm")(x)
        if depth - 2 - level < DROPOUT_LEVELS and dropout > 0:
            x = layers.Dropout(dropout, name=f"decoder_{level}_dropout")(x)
        x = layers.ReLU(name=f"decoder_{level}_relu")(x)
        x = layers.Concatenate(name=f"decoder_{level}_skip")([x, skips[level]])
    x = layers.Conv2DTranspose(channels_out, 4, strides=2, padding="same", name="output_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(inputs, outputs, name="generator")


def discriminator(channels_a: int, channels_b: int, filters: int, downsamplings: int) -> keras.Model:
    return patch_discriminator((None, None, channels_a + channels_b), filters, downsamplings, name="discriminator")
