"""Generator and discriminator of the GAN family, as Functional models.

G: z -> image in [-1, 1] (tanh); D: image -> one logit l, D(x) = sigmoid(l) (the sigmoid sits
in the loss, see :mod:`genlab.models.adversarial.losses`). The layers come from
:mod:`genlab.models.adversarial.blocks`: multilayer perceptrons (``arch`` dense) or the DCGAN
convolutional layout (``arch`` conv).
"""

from __future__ import annotations

import keras

from genlab.models.adversarial.blocks import (
    discriminator_head, discriminator_stem, discriminator_trunk, generator_projection, generator_upsampling,
)


def build_generator(config, name: str = "generator") -> keras.Model:
    z = keras.Input(shape=(config.latent_dim,), name="z")
    hidden = generator_projection(z, config)
    image = generator_upsampling(hidden, config)
    return keras.Model(z, image, name=name)


def build_discriminator(config, name: str = "discriminator") -> keras.Model:
    images = keras.Input(shape=tuple(config.input_shape), name="image")
    features = discriminator_trunk(discriminator_stem(images, config), config)
    logit = discriminator_head(features, config)
    return keras.Model(images, logit, name=name)
