"""CycleGAN: unpaired image-to-image translation.

Reference: Zhu, Park, Isola & Efros (2017), "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks".

Two generators G: A -> B and F: B -> A, two discriminators D_B (real B vs G(a)) and D_A
(real A vs F(b)). With the least-squares GAN loss (Mao et al., 2017), as the paper uses:

* L_GAN(G, D_B) = E_b[(D_B(b) - 1)^2] + E_a[D_B(G(a))^2]; the generator minimizes E_a[(D_B(G(a)) - 1)^2]
* L_cyc(G, F)   = E_a[||F(G(a)) - a||_1] + E_b[||G(F(b)) - b||_1]
* L_identity    = E_b[||G(b) - b||_1] + E_a[||F(a) - a||_1]     (section 5.2, for colour preservation)
* L = L_GAN(G, D_B) + L_GAN(F, D_A) + lambda L_cyc + lambda_id lambda L_identity, lambda = 10, lambda_id = 0.5

The discriminators' objective is halved (as in the paper) and they see generated images
through a 50-image history buffer (:mod:`genlab.models.cyclegan.history`). Adam with
beta_1 = 0.5; the learning rate is constant for the first half of the epochs, then decays
linearly to 0 (:class:`genlab.callbacks.learning_rate.LinearDecay`). L1 terms are per-pixel
means here (the paper's norms up to a constant factor absorbed by lambda as in its code).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.callbacks.learning_rate import LinearDecay
from genlab.core.config import TrainConfig
from genlab.core.errors import GenlabError
from genlab.layers.image import pad_to_multiple
from genlab.models.cyclegan.config import DOWNSAMPLINGS, CycleGANConfig
from genlab.models.cyclegan.history import ImageHistory
from genlab.models.cyclegan.networks import discriminator, resnet_generator
from genlab.models.image_to_image import ImageToImageModel
from genlab.models.capabilities import Translates
from genlab.core.registry import register_model

DIRECTIONS = ("a2b", "b2a")


def least_squares(scores, target: float):
    return ops.mean(ops.square(ops.cast(scores, "float32") - target))  # E[(D(x) - target)^2]


def mean_absolute(x, y):
    return ops.mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))  # E||x - y||_1 per pixel


@keras.saving.register_keras_serializable(package="genlab")
@register_model("cyclegan")
class CycleGAN(ImageToImageModel, Translates):
    """Generators A->B and B->A with PatchGAN discriminators, trained on unpaired domains."""

    data_sources = 2
    metric_names = ("generator_loss", "discriminator_loss", "adversarial_loss", "cycle_loss", "identity_loss")
    #: genlab finetune --strategy feature-extraction keeps the generators' encoders (stem and downsampling)
    transfer_feature_extraction = "re:^generator_(ab|ba)/(stem|down_)"
    divergence_hint = "lower --learning-rate (the paper uses 2e-4), check both image folders"

    def __init__(self, config: CycleGANConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        channels_a, channels_b = config.input_shape[-1], config.target_shape[-1]
        self.generator_ab = resnet_generator(channels_a, channels_b, config.filters, config.residual_blocks, "generator_ab")
        self.generator_ba = resnet_generator(channels_b, channels_a, config.filters, config.residual_blocks, "generator_ba")
        self.discriminator_a = discriminator(channels_a, config.discriminator_filters, config.discriminator_downsamplings,
                                             "discriminator_a")
        self.discriminator_b = discriminator(channels_b, config.discriminator_filters, config.discriminator_downsamplings,
                                             "discriminator_b")
        self.history_a = self.history_b = None
        if config.history_size:
            self.history_a = ImageHistory(config.history_size, config.input_shape, name="history_a")
            self.history_b = ImageHistory(config.history_size, config.target_shape, name="history_b")
        self.built = True

    def networks(self):
        return {"generator_ab": self.generator_ab, "generator_ba": self.generator_ba,
                "discriminator_a": self.discriminator_a, "discriminator_b": self.discriminator_b}

    def call(self, inputs, training=False):
        return self.generator_ab(inputs, training=training)

    # optimizers and schedule ----------------------------------------------------------------
    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    def discriminator_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def training_callbacks(self, train: TrainConfig):
        """The linear decay of each optimizer's rate (one callback per distinct starting rate)."""
        decay_start = int(round(self.config.decay_start * train.epochs))
        by_rate: dict[float, list] = {}
        for rate, optimizer in zip(self.learning_rates(train), (self.generator_optimizer, self.discriminator_optimizer)):
            by_rate.setdefault(rate, []).append(optimizer)
        return [LinearDecay(optimizers, rate, train.epochs, decay_start) for rate, optimizers in by_rate.items()]

    # losses -------------------------------------------------------------------------------
    def _generator_losses(self, real_a, real_b, training: bool):
        config = self.config
        fake_b = self.generator_ab(real_a, training=training)  # G(a)
        fake_a = self.generator_ba(real_b, training=training)  # F(b)
        adversarial = (least_squares(self.discriminator_b(fake_b, training=training), 1.0)  # (D_B(G(a)) - 1)^2
                       + least_squares(self.discriminator_a(fake_a, training=training), 1.0))  # (D_A(F(b)) - 1)^2
        cycle = (mean_absolute(self.generator_ba(fake_b, training=training), real_a)  # ||F(G(a)) - a||_1
                 + mean_absolute(self.generator_ab(fake_a, training=training), real_b))  # ||G(F(b)) - b||_1
        identity = ops.zeros((), "float32")
        if config.identity_weight > 0:
            identity = (mean_absolute(self.generator_ab(real_b, training=training), real_b)  # ||G(b) - b||_1
                        + mean_absolute(self.generator_ba(real_a, training=training), real_a))  # ||F(a) - a||_1
        total = adversarial + config.cycle_weight * cycle + config.identity_weight * config.cycle_weight * identity
        return total, adversarial, cycle, identity, fake_a, fake_b

    def _discriminator_loss(self, real_a, real_b, fake_a, fake_b, training: bool):
        loss_b = 0.5 * (least_squares(self.discriminator_b(real_b, training=training), 1.0)  # (D_B(b) - 1)^2
                        + least_squares(self.discriminator_b(fake_b, training=training), 0.0))  # D_B(G(a))^2
        loss_a = 0.5 * (least_squares(self.discriminator_a(real_a, training=training), 1.0)
                        + least_squares(self.discriminator_a(fake_a, training=training), 0.0))
        return loss_a + loss_b

    def train_step(self, data):
        real_a, real_b = data
        with tf.GradientTape() as tape:
            generator_loss, adversarial, cycle, identity, fake_a, fake_b = self._generator_losses(real_a, real_b, True)
        self.apply_gradients(self.generator_optimizer, tape, generator_loss, self.generator_variables())

        fake_a, fake_b = ops.stop_gradient(fake_a), ops.stop_gradient(fake_b)
        if self.history_a is not None:  # the discriminators also see older generated images
            fake_a = self.history_a.exchange(fake_a, self.seed_generator)
            fake_b = self.history_b.exchange(fake_b, self.seed_generator)
        with tf.GradientTape() as tape:
            discriminator_loss = self._discriminator_loss(real_a, real_b, fake_a, fake_b, True)
        self.apply_gradients(self.discriminator_optimizer, tape, discriminator_loss, self.discriminator_variables())
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss,
                            adversarial_loss=adversarial, cycle_loss=cycle, identity_loss=identity)

    def test_step(self, data):
        real_a, real_b = data
        generator_loss, adversarial, cycle, identity, fake_a, fake_b = self._generator_losses(real_a, real_b, False)
        discriminator_loss = self._discriminator_loss(real_a, real_b, fake_a, fake_b, False)
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss,
                            adversarial_loss=adversarial, cycle_loss=cycle, identity_loss=identity)

    # verbs ----------------------------------------------------------------------------------
    def translate(self, images, direction: str = "a2b", batch_size: int = 16) -> np.ndarray:
        """Images of one domain (value range [-1, 1], any size) translated into the other."""
        if direction not in DIRECTIONS:
            raise GenlabError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        expected = (self.config.input_shape if direction == "a2b" else self.config.target_shape)[-1]
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] != expected:
            raise GenlabError(f"{direction} translates images with {expected} channel(s) shaped (N, H, W, {expected}), "
                              f"got {images.shape}")
        padded, (height, width) = pad_to_multiple(images, 2**DOWNSAMPLINGS)
        outputs = [np.asarray(generator(padded[i : i + batch_size], training=False))
                   for i in range(0, len(padded), batch_size)]
        return np.concatenate(outputs)[:, :height, :width]

    def preview_titles(self, rows: int) -> list[str]:
        return ["A", "G(A)", "F(G(A))", "B", "F(B)", "G(F(B))"]

    def preview(self, images, labels):
        """Rows: A, G(A), F(G(A)), then B, F(B), G(F(B))."""
        real_a, real_b = images
        fake_b, fake_a = self.translate(real_a, "a2b"), self.translate(real_b, "b2a")
        return [real_a, fake_b, self.translate(fake_b, "b2a"), real_b, fake_a, self.translate(fake_a, "a2b")]
