"""Conditional generator G(z, y) and discriminator D(x, y), as Functional models with two inputs.

Where the class label y enters (``condition``), as the course describes both ways:

* input: the one-hot y is concatenated to z, and to the image as K extra constant channels
  (or to the flattened image, for the dense arch) -- Mirza & Osindero (2014);
* hidden: y is embedded (``label_dim``) and merged at the first hidden layer: concatenated to
  the hidden vector (dense), or projected to one extra channel of the feature map (conv).

With ``projection`` the discriminator instead adds the inner product of a class embedding
with its features to its output (Miyato & Koyama, 2018, "cGANs with Projection
Discriminator"): D(x, y) = psi(phi(x)) + embed(y) . phi(x). Deviation: phi(x) is the
flattened last feature map, not a global sum pooling.
"""

from __future__ import annotations

import keras
from keras import layers

from genlab.models.adversarial.blocks import (
    spectrally_normalized, discriminator_head, discriminator_stem, discriminator_trunk, generator_projection,
    generator_upsampling,
)


def _label_input():
    return keras.Input(shape=(1,), dtype="int32", name="label")


def _one_hot(labels, config, name: str):
    return layers.CategoryEncoding(num_tokens=config.num_classes, output_mode="one_hot", name=name)(labels)


def _embedding(labels, config, name: str):
    x = layers.Embedding(config.num_classes, config.label_dim, name=name)(labels)
    return layers.Flatten(name=f"{name}_flat")(x)


def _as_channels(vector, height: int, width: int, name: str):
    """(batch, k) -> (batch, height, width, k): the same k values at every position."""
    x = layers.Reshape((1, 1, vector.shape[-1]), name=f"{name}_reshape")(vector)
    return layers.UpSampling2D((height, width), name=f"{name}_broadcast")(x)


def _merge_hidden(hidden, labels, config, prefix: str):
    """Merge the embedded label with a hidden layer: concatenated, or as one extra channel."""
    embedded = _embedding(labels, config, f"{prefix}_label_embedding")
    if len(hidden.shape) == 2:
        return layers.Concatenate(name=f"{prefix}_label_merge")([hidden, embedded])
    height, width = hidden.shape[1], hidden.shape[2]
    channel = layers.Dense(height * width, name=f"{prefix}_label_dense")(embedded)
    channel = layers.Reshape((height, width, 1), name=f"{prefix}_label_map")(channel)
    return layers.Concatenate(name=f"{prefix}_label_merge")([hidden, channel])


def build_generator(config, name: str = "generator") -> keras.Model:
    z, labels = keras.Input(shape=(config.latent_dim,), name="z"), _label_input()
    if config.condition == "input":
        hidden = generator_projection(layers.Concatenate(name="g_z_label")([z, _one_hot(labels, config, "g_one_hot")]), config)
    else:
        hidden = _merge_hidden(generator_projection(z, config), labels, config, "g")
    image = generator_upsampling(hidden, config)
    return keras.Model([z, labels], image, name=name)


def build_discriminator(config, name: str = "discriminator") -> keras.Model:
    images, labels = keras.Input(shape=tuple(config.input_shape), name="image"), _label_input()
    if config.projection:
        features = discriminator_trunk(discriminator_stem(images, config), config)  # phi(x)
        # embed(y) as one_hot(y) W: the same matrix as an Embedding, but spectral normalization
        # can wrap it (Keras' wrapper casts an Embedding's output to the integer label dtype)
        class_embedding = layers.Dense(features.shape[-1], use_bias=False, name="d_class_embedding")
        embedded = spectrally_normalized(class_embedding, config.spectral_norm, "d_class_embedding")(
            _one_hot(labels, config, "d_one_hot"))
        projection = layers.Dot(axes=1, name="d_projection")([embedded, features])  # embed(y) . phi(x)
        score = layers.Add(name="d_projection_add")([discriminator_head(features, config), projection])
        return keras.Model([images, labels], layers.Activation("linear", dtype="float32", name="d_logit")(score), name=name)
    if config.condition == "input":
        one_hot = _one_hot(labels, config, "d_one_hot")
        if config.arch == "dense":
            x = layers.Concatenate(name="d_image_label")([layers.Flatten(name="d_image_flat")(images), one_hot])
        else:
            height, width = config.input_shape[:2]
            x = layers.Concatenate(name="d_image_label")([images, _as_channels(one_hot, height, width, "d_label")])
        features = discriminator_trunk(discriminator_stem(x, config), config)
    else:
        features = discriminator_trunk(_merge_hidden(discriminator_stem(images, config), labels, config, "d"), config)
    return keras.Model([images, labels], discriminator_head(features, config), name=name)
