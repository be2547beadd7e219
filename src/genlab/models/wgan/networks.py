"""Generator and critic of the Wasserstein GAN family, as Functional models.

G: z -> image in [-1, 1] (tanh); critic f: image -> one unbounded score (no sigmoid: f
estimates the Wasserstein distance, it does not classify). Layers from
:mod:`genlab.models.adversarial.blocks` (DCGAN layout by default).
"""

from __future__ import annotations

import keras

from genlab.models.adversarial.blocks import (
    discriminator_head, discriminator_stem, discriminator_trunk, generator_projection, generator_upsampling,
)


def build_generator(config, name: str = "generator") -> keras.Model:
    z = keras.Input(shape=(config.latent_dim,), name="z")
    image = generator_upsampling(generator_projection(z, config), config)
    return keras.Model(z, image, name=name)


def build_critic(config, name: str = "critic") -> keras.Model:
    images = keras.Input(shape=tuple(config.input_shape), name="image")
    features = discriminator_trunk(discriminator_stem(images, config), config)
    score = discriminator_head(features, config)
    return keras.Model(images, score, name=name)
