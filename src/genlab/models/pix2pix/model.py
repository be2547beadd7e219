"""pix2pix: paired image-to-image translation with a conditional GAN.

Reference: Isola, Zhu, Zhou & Efros (2017), "Image-to-Image Translation with Conditional
Adversarial Networks".

Generator G: A -> B, discriminator D(a, b) scoring every patch of a pair as real or fake:

* L_cGAN(G, D) = E_{a,b}[log D(a, b)] + E_a[log(1 - D(a, G(a)))]
* L_L1(G)      = E_{a,b}[||b - G(a)||_1]
* G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G), lambda = 100

As in the paper, G maximizes log D(a, G(a)) (the non-saturating form), the discriminator's
objective is halved, and Adam uses beta_1 = 0.5. The L1 term is a per-pixel mean.
Deviation: dropout is active in training only (the paper also keeps it at test time).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.core.errors import GenlabError
from genlab.layers.image import pad_to_multiple
from genlab.models.image_to_image import ImageToImageModel
from genlab.models.capabilities import Translates
from genlab.models.pix2pix.config import Pix2PixConfig
from genlab.models.pix2pix.networks import discriminator, unet_generator
from genlab.core.registry import register_model


def binary_cross_entropy(logits, target: float):
    logits = ops.cast(logits, "float32")
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))  # -[y log D + (1-y) log(1-D)]


@keras.saving.register_keras_serializable(package="genlab")
@register_model("pix2pix")
class Pix2Pix(ImageToImageModel, Translates):
    """U-Net generator A -> B trained against a PatchGAN conditioned on the input image."""

    data_sources = 2
    needs_paired_data = True
    metric_names = ("generator_loss", "discriminator_loss", "adversarial_loss", "l1_loss")
    #: genlab finetune --strategy feature-extraction keeps the U-Net's encoder
    transfer_feature_extraction = "re:^generator/encoder_"
    divergence_hint = "lower --learning-rate (the paper uses 2e-4), check that image i of A matches image i of B"

    def __init__(self, config: Pix2PixConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        channels_a, channels_b = config.input_shape[-1], config.target_shape[-1]
        self.generator = unet_generator(channels_a, channels_b, config.filters, config.levels, config.dropout)
        self.discriminator = discriminator(channels_a, channels_b, config.discriminator_filters,
                                           config.discriminator_downsamplings)
        self.built = True

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generator_variables(self):
        return self.generator.trainable_variables

    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    def _score(self, a, b, training: bool):
        return self.discriminator(ops.concatenate([a, ops.cast(b, a.dtype)], axis=-1), training=training)  # D(a, b)

    def _objectives(self, real_a, real_b, training: bool):
        fake_b = self.generator(real_a, training=training)  # G(a)
        adversarial = binary_cross_entropy(self._score(real_a, fake_b, training), 1.0)  # -log D(a, G(a))
        l1 = ops.mean(ops.abs(ops.cast(real_b, "float32") - fake_b))  # ||b - G(a)||_1
        generator_loss = adversarial + self.config.l1_weight * l1
        discriminator_loss = 0.5 * (binary_cross_entropy(self._score(real_a, real_b, training), 1.0)  # -log D(a, b)
                                    + binary_cross_entropy(self._score(real_a, ops.stop_gradient(fake_b), training), 0.0))
        return generator_loss, discriminator_loss, adversarial, l1

    def train_step(self, data):
        real_a, real_b = data
        with tf.GradientTape(persistent=True) as tape:
            generator_loss, discriminator_loss, adversarial, l1 = self._objectives(real_a, real_b, True)
        self.apply_gradients(self.discriminator_optimizer, tape, discriminator_loss, self.discriminator_variables())
        self.apply_gradients(self.generator_optimizer, tape, generator_loss, self.generator_variables())
        del tape
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss,
                            adversarial_loss=adversarial, l1_loss=l1)

    def test_step(self, data):
        real_a, real_b = data
        generator_loss, discriminator_loss, adversarial, l1 = self._objectives(real_a, real_b, False)
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss,
                            adversarial_loss=adversarial, l1_loss=l1)

    def translate(self, images, direction: str = "a2b", batch_size: int = 16) -> np.ndarray:
        """Domain A images (value range [-1, 1], any size) translated to domain B."""
        if direction != "a2b":
            raise GenlabError(f"pix2pix translates from A to B only (direction a2b), got {direction!r}")
        channels = self.config.input_shape[-1]
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] != channels:
            raise GenlabError(f"a2b translates images with {channels} channel(s) shaped (N, H, W, {channels}), got {images.shape}")
        padded, (height, width) = pad_to_multiple(images, 2**self.config.levels)
        outputs = [np.asarray(self.generator(padded[i : i + batch_size], training=False))
                   for i in range(0, len(padded), batch_size)]
        return np.concatenate(outputs)[:, :height, :width]

    def preview_titles(self, rows: int) -> list[str]:
        return ["input A", "G(A)", "true B"]

    def preview(self, images, labels):
        """Rows: A, G(A), the true B."""
        real_a, real_b = images
        return [real_a, self.translate(real_a), real_b]
