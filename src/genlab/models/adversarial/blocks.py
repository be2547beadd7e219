"""Building blocks of generators and discriminators, as functions on Keras tensors.

Each network is split in two so that a conditional family can merge the class label at the
hidden layer between the parts:

* generator: ``generator_projection`` (z -> first hidden layer, or the smallest feature
  map for conv) then ``generator_upsampling`` (-> image in [-1, 1] through tanh);
* discriminator: ``discriminator_stem`` (image -> first hidden layer) then
  ``discriminator_trunk`` (-> flat feature vector), then ``discriminator_head`` (-> one
  logit or critic score, no sigmoid).

Conv layout after Radford et al. (2016), "Unsupervised Representation Learning with Deep
Convolutional GANs": no pooling (stride-2 convolutions), BatchNorm in both networks except
the generator output and the discriminator input layer, ReLU in the generator and tanh at
its output, LeakyReLU(0.2) in the discriminator, weights from N(0, 0.02).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from genlab.core.errors import GenlabError

LEAK = 0.2


def _conv_init():
    return keras.initializers.RandomNormal(stddev=0.02)


def spectrally_normalized(layer: layers.Layer, spectral_norm: bool, name: str) -> layers.Layer:
    """Miyato et al. (2018): W / sigma(W), sigma estimated by one power iteration per step."""
    return layers.SpectralNormalization(layer, name=f"{name}_sn") if spectral_norm else layer


def _normalize(x, kind: str, name: str):
    if kind == "batch":
        return layers.BatchNormalization(synchronized=True, name=f"{name}_bn")(x)  # moments all-reduced across replicas
    if kind == "layer":
        axes = list(range(1, len(x.shape)))  # over the whole example (C, H, W), as in WGAN-GP
        return layers.LayerNormalization(axis=axes, name=f"{name}_ln")(x)
    if kind == "none":
        return x
    raise GenlabError(f"unknown normalization {kind!r}")


def _dropout(x, rate: float, name: str):
    return layers.Dropout(rate, name=f"{name}_dropout")(x) if rate > 0 else x


def base_shape(config) -> tuple[int, int]:
    """The generator's smallest feature map: the image size divided by 2 ** len(filters)."""
    factor = 2 ** len(config.filters)
    return config.input_shape[0] // factor, config.input_shape[1] // factor


# --------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------


def generator_projection(z, config):
    """z -> first hidden layer (dense) or the smallest feature map (conv)."""
    norm = "batch" if config.generator_batch_norm else "none"
    if config.arch == "dense":
        x = layers.Dense(config.hidden_units[0], name="g_dense_0")(z)
        x = _normalize(x, norm, "g_dense_0")
        return layers.LeakyReLU(LEAK, name="g_dense_0_act")(x)
    height, width = base_shape(config)
    channels = config.filters[-1]
    x = layers.Dense(height * width * channels, use_bias=norm == "none", kernel_initializer=_conv_init(),
                     name="g_project")(z)
    x = _normalize(x, norm, "g_project")
    x = layers.ReLU(name="g_project_act")(x)
    return layers.Reshape((height, width, channels), name="g_project_map")(x)


def _upsample(x, filters: int, config, name: str):
    if config.upsample == "transpose":
        return layers.Conv2DTranspose(filters, config.kernel_size, strides=2, padding="same",
                                      kernel_initializer=_conv_init(), name=name)(x)
    x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(x)
    return layers.Conv2D(filters, config.kernel_size, padding="same", kernel_initializer=_conv_init(), name=name)(x)


def generator_upsampling(x, config):
    """First hidden layer -> image in [-1, 1] (tanh output, computed in float32)."""
    norm = "batch" if config.generator_batch_norm else "none"
    if config.arch == "dense":
        for i, units in enumerate(config.hidden_units[1:], start=1):
            x = layers.Dense(units, name=f"g_dense_{i}")(x)
            x = _normalize(x, norm, f"g_dense_{i}")
            x = layers.LeakyReLU(LEAK, name=f"g_dense_{i}_act")(x)
        x = layers.Dense(math.prod(config.input_shape), name="g_pixels")(x)
        x = layers.Activation("tanh", dtype="float32", name="g_tanh")(x)
        return layers.Reshape(tuple(config.input_shape), name="g_image")(x)
    for i, filters in enumerate(reversed(config.filters[:-1])):
        x = _upsample(x, filters, config, f"g_up_{i}")
        x = _normalize(x, norm, f"g_up_{i}")
        x = layers.ReLU(name=f"g_up_{i}_act")(x)
    x = _upsample(x, config.input_shape[-1], config, "g_pixels")
    return layers.Activation("tanh", dtype="float32", name="g_image")(x)


# --------------------------------------------------------------------------------------
# Discriminator / critic
# --------------------------------------------------------------------------------------


def discriminator_units(config) -> tuple[int, ...]:
    """Layer widths of the discriminator, from the image inwards (the generator's, mirrored)."""
    return tuple(reversed(config.hidden_units)) if config.arch == "dense" else tuple(config.filters)


def discriminator_stem(images, config):
    """Image -> first hidden layer. No normalization on this layer (Radford et al.)."""
    units = discriminator_units(config)
    if config.arch == "dense":
        x = layers.Flatten(name="d_flatten")(images) if len(images.shape) > 2 else images
        x = spectrally_normalized(layers.Dense(units[0], name="d_dense_0"), config.spectral_norm, "d_dense_0")(x)
    else:
        conv = layers.Conv2D(units[0], config.kernel_size, strides=2, padding="same", kernel_initializer=_conv_init(),
                             name="d_conv_0")
        x = spectrally_normalized(conv, config.spectral_norm, "d_conv_0")(images)
    x = layers.LeakyReLU(LEAK, name="d_0_act")(x)
    return _dropout(x, config.dropout, "d_0")


def discriminator_trunk(x, config):
    """First hidden layer -> flat feature vector."""
    units = discriminator_units(config)
    for i, count in enumerate(units[1:], start=1):
        if config.arch == "dense":
            layer = layers.Dense(count, name=f"d_dense_{i}")
        else:
            layer = layers.Conv2D(count, config.kernel_size, strides=2, padding="same", kernel_initializer=_conv_init(),
                                  use_bias=config.discriminator_norm == "none", name=f"d_conv_{i}")
        x = spectrally_normalized(layer, config.spectral_norm, f"d_{i}")(x)
        x = _normalize(x, config.discriminator_norm, f"d_{i}")
        x = layers.LeakyReLU(LEAK, name=f"d_{i}_act")(x)
        x = _dropout(x, config.dropout, f"d_{i}")
    return layers.Flatten(name="d_features")(x) if len(x.shape) > 2 else x


def discriminator_head(features, config):
    """Features -> one unbounded output (a logit, or a critic score), in float32."""
    score = spectrally_normalized(layers.Dense(1, name="d_output"), config.spectral_norm, "d_output")(features)
    return layers.Activation("linear", dtype="float32", name="d_score")(score)
