"""Conditional GAN: G(z, y) generates an image of the requested class y; D(x, y) judges pairs.

Reference: Mirza & Osindero (2014), "Conditional Generative Adversarial Nets":

    min_G max_D  E_{x,y}[log D(x, y)] + E_{z,y}[log(1 - D(G(z, y), y))]

trained with the alternating steps of :class:`genlab.models.adversarial.AdversarialModel`
(non-saturating or minimax generator loss). The fakes of each step are generated for the
labels of the real batch, so they follow the data's class frequencies. Optional projection
discriminator: Miyato & Koyama (2018). See :mod:`genlab.models.cgan.networks` for where y
enters (``condition`` input or hidden).
"""

from __future__ import annotations

import keras
from keras import ops

from genlab.models.adversarial.base import AdversarialModel
from genlab.models.cgan.config import CGANConfig  # noqa: F401  (declares the families)
from genlab.models.cgan.networks import build_discriminator, build_generator
from genlab.core.registry import register_model

PREVIEW_CLASSES = 10


@keras.saving.register_keras_serializable(package="genlab")
@register_model("cgan")
class CGAN(AdversarialModel):
    """Generator and discriminator that both see the class label."""

    is_conditional = True

    def build_generator(self, name):
        return build_generator(self.config, name)

    def build_discriminator(self):
        return build_discriminator(self.config)

    def generate_images(self, z, labels, training=False, generator=None):
        z = ops.convert_to_tensor(z)
        return (generator or self.generator)([z, ops.reshape(labels, (-1, 1))], training=training)  # G(z, y)

    def discriminate(self, images, labels, training=False):
        images = ops.convert_to_tensor(images)
        return self.discriminator([images, ops.reshape(labels, (-1, 1))], training=training)  # D(x, y)

    def call(self, inputs, training=False):
        z, labels = inputs
        return self.generate_images(z, labels, training=training)

    def preview_titles(self, rows: int) -> list[str]:
        return [f"class {k}" for k in range(rows)]

    def preview(self, images, labels):
        """One row per class (the first 10), each from the same fixed noise: what y controls."""
        latents = self.preview_latents(len(images))
        return [self.decode_latents(latents, [k] * len(images)) for k in range(min(self.config.num_classes, PREVIEW_CLASSES))]
