"""Encoder and decoder networks of the autoencoder family, as Functional models.

Encoder f_theta: X -> Z (Z = f_theta(X)); decoder g_phi: Z -> X^ (X^ = g_phi(Z)). The decoder
ends in a sigmoid so reconstructions lie in [0, 1], the data range of this family.
"""

from __future__ import annotations

import math

import keras
from keras import layers


def dense_encoder(input_shape, latent_dim: int, hidden_units) -> keras.Model:
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Flatten()(inputs)
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    code = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(inputs, code, name="encoder")


def dense_decoder(output_shape, latent_dim: int, hidden_units) -> keras.Model:
    inputs = keras.Input(shape=(latent_dim,), name="code")
    x = inputs
    for i, units in enumerate(reversed(tuple(hidden_units))):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    x = layers.Dense(math.prod(output_shape), name="pixels")(x)
    x = layers.Activation("sigmoid", dtype="float32", name="sigmoid")(x)
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


def conv_decoder(output_shape, latent_dim: int, filters) -> keras.Model:
    """Mirror of :func:`conv_encoder`: dense to a small feature map, stride-2 transposed convs up."""
    height, width, channels = output_shape
    factor = 2 ** len(filters)
    inputs = keras.Input(shape=(latent_dim,), name="code")
    x = layers.Dense((height // factor) * (width // factor) * filters[-1], activation="relu", name="project")(inputs)
    x = layers.Reshape((height // factor, width // factor, filters[-1]))(x)
    for i, count in enumerate(reversed(tuple(filters))):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu", name=f"deconv_{i}")(x)
    x = layers.Conv2D(channels, 3, padding="same", name="pixels")(x)
    outputs = layers.Activation("sigmoid", dtype="float32", name="image")(x)
    return keras.Model(inputs, outputs, name="decoder")


BUILDERS = {
    "dense": (dense_encoder, dense_decoder, "hidden_units"),
    "conv": (conv_encoder, conv_decoder, "filters"),
}
