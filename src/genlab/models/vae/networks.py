"""Encoder q_phi(z | x) and decoder p_theta(x | z) of the VAE family, as Functional models.

* The encoder outputs the parameters of a diagonal Gaussian posterior: ``mean`` (mu) and
  ``log_variance`` (log sigma^2; a log keeps sigma positive without a constraint).
* The decoder outputs per-pixel *logits* l; the image is sigmoid(l), in [0, 1]. Keeping the
  logits lets the Bernoulli log-likelihood be computed stably, x * l - softplus(l).
* A conditional network (``num_classes > 0``) takes a second input, the one-hot label y:
  the dense networks concatenate it to the flattened image (encoder) or to z (decoder);
  the conv encoder tiles it into ``num_classes`` constant feature maps concatenated to the
  image channels (Sohn et al., 2015 concatenate y to the input of both networks).

The heads and the logits are float32 even under a mixed-precision policy, since the loss
exponentiates log sigma^2 and sums hundreds of per-pixel terms.
"""

from __future__ import annotations

import math

import keras
from keras import layers


def _inputs(shape, num_classes: int, name: str):
    main = keras.Input(shape=tuple(shape), name=name)
    label = keras.Input(shape=(num_classes,), name="label_one_hot") if num_classes else None
    return main, label


def _heads(x, latent_dim: int, inputs) -> keras.Model:
    mean = layers.Dense(latent_dim, dtype="float32", name="mean")(x)
    log_variance = layers.Dense(latent_dim, dtype="float32", name="log_variance")(x)
    return keras.Model(inputs, [mean, log_variance], name="encoder")


def dense_encoder(input_shape, latent_dim: int, hidden_units, num_classes: int = 0) -> keras.Model:
    image, label = _inputs(input_shape, num_classes, "image")
    x = layers.Flatten()(image)
    if label is not None:
        x = layers.Concatenate(name="with_label")([x, label])  # [x, y]
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    return _heads(x, latent_dim, [image, label] if label is not None else image)


def dense_decoder(output_shape, latent_dim: int, hidden_units, num_classes: int = 0) -> keras.Model:
    code, label = _inputs((latent_dim,), num_classes, "z")
    x = layers.Concatenate(name="with_label")([code, label]) if label is not None else code  # [z, y]
    for i, units in enumerate(reversed(tuple(hidden_units))):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    x = layers.Dense(math.prod(output_shape), dtype="float32", name="pixels")(x)
    logits = layers.Reshape(tuple(output_shape), dtype="float32", name="logits")(x)
    return keras.Model([code, label] if label is not None else code, logits, name="decoder")


def conv_encoder(input_shape, latent_dim: int, filters, num_classes: int = 0) -> keras.Model:
    """Stride-2 3x3 convolutions halve the resolution len(filters) times, then the two heads."""
    image, label = _inputs(input_shape, num_classes, "image")
    x = image
    if label is not None:
        height, width = input_shape[:2]
        maps = layers.Reshape((1, 1, num_classes), name="label_map")(label)
        maps = layers.UpSampling2D((height, width), name="label_maps")(maps)  # y tiled over H x W
        x = layers.Concatenate(name="with_label")([image, maps])
    for i, count in enumerate(filters):
        x = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu", name=f"conv_{i}")(x)
    x = layers.Flatten()(x)
    return _heads(x, latent_dim, [image, label] if label is not None else image)


def conv_decoder(output_shape, latent_dim: int, filters, num_classes: int = 0) -> keras.Model:
    """Mirror of :func:`conv_encoder`: dense to a small feature map, stride-2 transposed convs up."""
    height, width, channels = output_shape
    factor = 2 ** len(filters)
    code, label = _inputs((latent_dim,), num_classes, "z")
    x = layers.Concatenate(name="with_label")([code, label]) if label is not None else code  # [z, y]
    x = layers.Dense((height // factor) * (width // factor) * filters[-1], activation="relu", name="project")(x)
    x = layers.Reshape((height // factor, width // factor, filters[-1]))(x)
    for i, count in enumerate(reversed(tuple(filters))):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu", name=f"deconv_{i}")(x)
    logits = layers.Conv2D(channels, 3, padding="same", dtype="float32", name="logits")(x)
    return keras.Model([code, label] if label is not None else code, logits, name="decoder")


BUILDERS = {
    "dense": (dense_encoder, dense_decoder, "hidden_units"),
    "conv": (conv_encoder, conv_decoder, "filters"),
}
