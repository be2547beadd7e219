"""The base class of adversarial families: a generator G, a discriminator D, two optimizers.

Reference: Goodfellow et al. (2014), "Generative Adversarial Nets":

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

:meth:`AdversarialModel.train_step` writes out Algorithm 1 with k = 1: one discriminator
update, then one generator update. Deviation from the paper (as in PyTorch's DCGAN example):
the generator update reuses the minibatch of noise z, and so the forward pass G(z), of the
discriminator update instead of drawing a new one; the discriminator is evaluated again after
its update. Wasserstein families override ``train_step``.

What the families fill in: ``build_generator(name)`` and ``build_discriminator()`` (Functional
models), ``make_optimizer(learning_rate, name)``, ``default_learning_rate`` in their config, and
for conditional families ``generate_images`` / ``discriminate`` with labels. Optimizers, trackers,
the gradient step and the moving average come from :class:`genlab.models.two_player.TwoPlayerModel`.

Diagnostics logged every step (history.csv, TensorBoard): ``d_loss``, ``g_loss``, ``d_real``
= D(x) and ``d_fake`` = D(G(z)) (probabilities, or critic scores for WGANs), and the global
norms of both networks' gradients ``d_grad_norm`` and ``g_grad_norm``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.callbacks.coverage import ModeCoverage
from genlab.core.config import TrainConfig
from genlab.core.distribute import replica_random_normal
from genlab.core.errors import GenlabError
from genlab.models.adversarial.losses import discriminator_loss, generator_loss
from genlab.models.two_player import TwoPlayerModel

PREVIEW_ROWS = 3


class AdversarialModel(TwoPlayerModel):
    """Generator + discriminator trained by alternating gradient steps (see the module docstring)."""

    is_generator = True
    divergence_hint = (
        "the discriminator overpowered the generator or the steps are too large: lower "
        "--discriminator-learning-rate / --generator-learning-rate, or add --label-smoothing 0.1, "
        "--spectral-norm or --dropout 0.3; the wgan-gp family trains more stably"
    )
    divergence_limit = 1e6
    metric_names = ("d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = self.build_generator("generator")
        self.discriminator = self.build_discriminator()
        self.generator_ema = None
        if self.config.ema_decay > 0:
            self.generator_ema = self.build_generator("generator_ema")
            self.generator_ema.trainable = False
            self.reset_moving_average()
        self.built = True

    # networks --------------------------------------------------------------------------------
    def build_generator(self, name: str) -> keras.Model:
        raise TypeError(f"{type(self).__name__} must define build_generator()")

    def build_discriminator(self) -> keras.Model:
        raise TypeError(f"{type(self).__name__} must define build_discriminator()")

    def networks(self):
        networks = {"generator": self.generator, "discriminator": self.discriminator}
        if self.generator_ema is not None:
            networks["generator_ema"] = self.generator_ema
        return networks

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator that draws samples: the moving average when ``ema_decay`` > 0."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def generate_images(self, z, labels, training: bool = False, generator: keras.Model | None = None):
        """G(z) (conditional families: G(z, y))."""
        return (generator or self.generator)(z, training=training)

    def discriminate(self, images, labels, training: bool = False):
        """D's logit or critic score for each image (conditional families: D(x, y))."""
        return self.discriminator(images, training=training)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # the two players' optimizers and the moving average (see TwoPlayerModel) -------------------
    def make_optimizer(self, learning_rate: float, name: str) -> keras.optimizers.Optimizer:
        """Radford et al. (2016): Adam with learning rate 2e-4 and beta_1 = 0.5."""
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.5, name=name)

    def generator_variables(self) -> list:
        return self.generator.trainable_variables

    def discriminator_variables(self) -> list:
        return self.discriminator.trainable_variables

    def ema_pairs(self) -> list[tuple]:
        """Every weight of G (BatchNorm statistics too) with its copy in ``generator_ema``, averaged."""
        if self.generator_ema is None:
            return []
        return list(zip(self.generator.weights, self.generator_ema.weights))

    def noise(self, batch_size):
        """z ~ N(0, I), drawn from the model's seed generator (reproducible, resumable); under
        tf.distribute, this replica's rows of the global batch's draw (see genlab.core.distribute)."""
        return replica_random_normal((batch_size, self.config.latent_dim), self.seed_generator)

    # the training step: Goodfellow et al. (2014), Algorithm 1 with k = 1 ---------------------
    def train_step(self, data):
        real, labels = data
        z = self.noise(ops.shape(real)[0])  # z ~ p_z = N(0, I)
        smoothing, kind = self.config.label_smoothing, self.config.loss
        with tf.GradientTape() as generator_tape:
            fake = self.generate_images(z, labels, training=True)  # G(z)
            # 1. discriminator: ascend E[log D(x)] + E[log(1 - D(G(z)))] (G fixed: no gradient into G)
            with generator_tape.stop_recording():
                with tf.GradientTape() as discriminator_tape:
                    real_logits = self.discriminate(real, labels, training=True)
                    fake_logits = self.discriminate(ops.stop_gradient(fake), labels, training=True)
                    d_loss = discriminator_loss(real_logits, fake_logits, smoothing)  # -[log D(x) + log(1 - D(G(z)))]
                d_norm = self.apply_gradients(self.discriminator_optimizer, discriminator_tape, d_loss,
                                              self.discriminator.trainable_variables)
            # 2. generator: descend log(1 - D(G(z))) (minimax) or -log D(G(z)) (non-saturating), D fixed
            g_loss = generator_loss(self.discriminate(fake, labels, training=True), kind)
        g_norm = self.apply_gradients(self.generator_optimizer, generator_tape, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        return self.record(d_loss=d_loss, g_loss=g_loss, d_real=ops.mean(ops.sigmoid(real_logits)),
                           d_fake=ops.mean(ops.sigmoid(fake_logits)), d_grad_norm=d_norm, g_grad_norm=g_norm)

    def test_step(self, data):
        """Both losses and D(x), D(G(z)) on held-out real images and fresh samples (no update)."""
        real, labels = data
        fake = self.generate_images(self.noise(ops.shape(real)[0]), labels, training=False)
        real_logits = self.discriminate(real, labels, training=False)
        fake_logits = self.discriminate(fake, labels, training=False)
        values = {
            "d_loss": discriminator_loss(real_logits, fake_logits, self.config.label_smoothing),
            "g_loss": generator_loss(fake_logits, self.config.loss),
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
        }
        logs = self.record(**values)
        return {name: logs[name] for name in values}

    # generator contract ----------------------------------------------------------------------
    def decode_latents(self, latents, labels=None, batch_size: int = 256) -> np.ndarray:
        """Images in [-1, 1] for latent vectors ``z`` (and class ``labels`` for conditional families)."""
        latents = np.asarray(latents, np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.config.latent_dim:
            raise GenlabError(f"latents must be shaped (n, {self.config.latent_dim}), got {latents.shape}")
        if self.is_conditional:
            labels = self.check_labels(labels, len(latents)).astype(np.int32)
        elif labels is not None:
            raise GenlabError(f"family {self.family!r} is not conditional; it takes no label")
        outputs = []
        for start in range(0, len(latents), batch_size):
            z = ops.convert_to_tensor(latents[start : start + batch_size])
            y = None if labels is None else ops.convert_to_tensor(labels[start : start + batch_size])
            outputs.append(np.asarray(self.generate_images(z, y, training=False, generator=self.sampling_generator)))
        if not outputs:
            raise GenlabError("no latents given")
        return np.concatenate(outputs).astype(np.float32)

    def preview_latents(self, n: int) -> np.ndarray:
        """The FIXED noise of the per-epoch grid: the same ``n`` vectors every epoch."""
        return self.sample_latents(n, seed=self.config.seed)

    def preview_titles(self, rows: int) -> list[str]:
        return ["real"] + ["samples"] * (rows - 1)

    def preview(self, images, labels):
        """Real test images on top, then PREVIEW_ROWS rows of samples from fixed noise."""
        n = len(images)
        fakes = self.decode_latents(self.preview_latents(PREVIEW_ROWS * n))
        return [images] + [fakes[i * n : (i + 1) * n] for i in range(PREVIEW_ROWS)]

    def training_callbacks(self, train: TrainConfig):
        if not self.config.coverage_classifier:
            return []

        return [ModeCoverage(self.config.coverage_classifier, self.config.coverage_samples, seed=self.config.seed)]
