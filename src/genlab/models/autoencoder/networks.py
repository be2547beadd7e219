"""Encoder and decoder networks of the autoencoder family, as Functional models.

Encoder f_theta: X -> Z (Z = f_theta(X)); decoder g_phi: Z -> X^ (X^ = g_phi(Z)). The decoder
ends in a sigmoid so reconstructions lie in [0, 1], the data range of this family (or, with
``output_activation="linear"``, in no fixed range: standardized tabular features).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from genlab.layers.backbones import pretrained_backbone


def dense_encoder(input_shape, latent_dim: int, hidden_units) -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Flatten()(inputs)
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    code = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(inputs, code, name="encoder")


def dense_decoder(output_shape, latent_dim: int, hidden_units, output_activation: str = "sigmoid") -> keras.Model:
    inputs = keras.Input(shape=(latent_dim,), name="code")
    x = inputs
    for i, units in enumerate(reversed(tuple(hidden_units))):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    x = layers.Dense(math.prod(output_shape), name="pixels")(x)
    x = layers.Activation(output_activation, dtype="float32", name=output_activation)(x)
    outputs = layers.Reshape(tuple(output_shape), name="image")(x)
    return keras.Model(inputs, outputs, name="decoder")


def conv_encoder(input_shape, latent_dim: int, filters) -> keras.Model:
    """Stride-2 3x3 convolutions halve the resolution len(filters) times, then a dense code."""
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i, count in enumerate(filters):
        x = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu", name=f"conv_{i}")(x)
    x = layers.Flatten()(x)
    code = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(inputs, code, name="encoder")


def conv_decoder(output_shape, latent_dim: int, filters, output_activation: str = "sigmoid") -> keras.Model:
    """Mirror of :func:`conv_encoder`: dense to a small feature map, stride-2 transposed convs up."""
    height, width, channels = output_shape
    factor = 2 ** len(filters)
    inputs = keras.Input(shape=(latent_dim,), name="code")
    x = layers.Dense((height // factor) * (width // factor) * filters[-1], activation="relu", name="project")(inputs)
    x = layers.Reshape((height // factor, width // factor, filters[-1]))(x)
    for i, count in enumerate(reversed(tuple(filters))):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu", name=f"deconv_{i}")(x)
    x = layers.Conv2D(channels, 3, padding="same", name="pixels")(x)
    outputs = layers.Activation(output_activation, dtype="float32", name="image")(x)
    return keras.Model(inputs, outputs, name="decoder")


def pretrained_encoder(input_shape, latent_dim: int, spec: str, size: int, value_range=(0.0, 1.0)) -> keras.Model:
    """A pretrained ImageNet backbone (``genlab.layers.backbones``) as the feature extractor,
    then a new dense code layer: Z = W . flatten(backbone(resize(X))) + b."""
    preprocess, backbone = pretrained_backbone(spec, size, value_range)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    features = backbone(preprocess(inputs))
    x = layers.Flatten(name="flatten")(features)
    code = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(inputs, code, name="encoder")


BUILDERS = {
    "dense": (dense_encoder, dense_decoder, "hidden_units"),
    "conv": (conv_encoder, conv_decoder, "filters"),
}
