"""StyleGAN2: style-based generator with weight demodulation, residual discriminator.

References: Karras et al. (2019), "A Style-Based Generator Architecture for Generative
Adversarial Networks" (mapping network, per-layer noise, style mixing, truncation trick);
Karras et al. (2020), "Analyzing and Improving the Image Quality of StyleGAN" (modulated and
demodulated convolutions, skip generator, residual discriminator, lazy regularization).

Generator G = synthesis(mapping(z)). Objective (non-saturating logistic loss with R1):

* L_D = E_z[softplus(D(G(z)))] + E_x[softplus(-D(x))] + (gamma / 2) E_x[||grad_x D(x)||^2]
* L_G = E_z[softplus(-D(G(z)))]                       (= -log sigmoid(D(G(z))))

Training regularizers and sampling tools:

* lazy R1: the penalty is computed every ``r1_interval`` discriminator steps only, weighted
  by ``r1_interval`` so its average strength is unchanged (its gradients are added to that
  step's loss gradients; the paper takes a separate optimizer step and also rescales Adam's
  learning rate and betas, which we do not);
* style mixing: with probability ``style_mixing`` an image gets w1 = f(z1) for layers below a
  random crossover in [1, L) and w2 = f(z2) above it (drawn per image; the paper draws one
  crossover per batch);
* truncation: w' = w_avg + psi (w - w_avg), w_avg the moving average of w during training;
* an EMA copy of mapping and synthesis (theta_ema <- beta theta_ema + (1 - beta) theta, with
  the ramp-up beta_t = min(beta, (1 + t) / (10 + t))) generates every sample;
* DiffAugment (Zhao et al. 2020) on both real and fake images before D, when ``augment`` is set.

Data: images are resized (bilinear, antialiased) to ``resolution`` x ``resolution`` on the
way in and generated images resized back to the data's size on the way out, so MNIST's
28x28 trains at 32x32. The output is linear, as in the paper; generated images are clipped
to the value range [-1, 1] (other GAN families here use tanh instead).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.core.distribute import replica_random_normal
from genlab.core.errors import GenlabError
from genlab.layers.augment import diff_augment, parse_policy
from genlab.models.capabilities import MixesStyles
from genlab.models.stylegan.config import StyleGANConfig
from genlab.models.stylegan.networks import build_discriminator, build_mapping, build_synthesis, num_styles
from genlab.models.two_player import TwoPlayerModel
from genlab.core.registry import register_model


def mix_styles(w_first, w_second, crossover, num_layers: int):
    """Per-layer styles (B, L, w_dim): w_first for layers i < crossover, w_second for i >= crossover.

    ``crossover`` is an int or a (B,) tensor (one crossover per image).
    """
    crossover = ops.reshape(ops.convert_to_tensor(crossover, "int32"), (-1, 1, 1))
    first_layers = ops.arange(num_layers, dtype="int32")[None, :, None] < crossover
    return ops.where(first_layers, w_first[:, None, :], w_second[:, None, :])


def broadcast_styles(w, num_layers: int):
    """(B, w_dim) -> (B, L, w_dim): the same w for every layer (no mixing)."""
    return ops.repeat(w[:, None, :], num_layers, axis=1)


@keras.saving.register_keras_serializable(package="genlab")
@register_model("stylegan")
class StyleGAN(TwoPlayerModel, MixesStyles):
    """Mapping + synthesis generator (with EMA copies) and a residual discriminator."""

    is_generator = True
    divergence_hint = "lower --learning-rate, raise --r1-gamma, or add --augment for small data sets"
    metric_names = ("d_loss", "g_loss", "r1", "real_score", "fake_score")

    def __init__(self, config: StyleGANConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        self.resolution = config.image_resolution
        self.num_layers = num_styles(self.resolution)
        self.augment_policy = parse_policy(config.augment)
        channels = config.input_shape[-1]

        def generator(suffix: str = ""):
            mapping = build_mapping(config.latent_dim, config.w_dim, config.mapping_layers,
                                    config.mapping_lr_multiplier, config.w_average_decay, name=f"mapping{suffix}")
            synthesis = build_synthesis(self.resolution, channels, config.w_dim, config.channel_base,
                                        config.channel_max, seed=config.seed, name=f"synthesis{suffix}")
            return mapping, synthesis

        self.mapping, self.synthesis = generator()
        self.mapping_ema, self.synthesis_ema = generator("_ema")
        self.discriminator = build_discriminator(self.resolution, channels, config.channel_base, config.channel_max,
                                                 config.minibatch_group)
        for ema in (self.mapping_ema, self.synthesis_ema):
            ema.trainable = False
        self.reset_moving_average()
        self.built = True

    # transfer learning: ``genlab finetune --freeze mapping,g:2,d:2`` ---------------------------
    #: feature extraction keeps the mapping, the 4x4 and 8x8 generator blocks and the first two
    #: discriminator blocks (FreezeD, Mo et al. 2020, "Freeze the Discriminator")
    transfer_feature_extraction = "mapping,g:2,d:2"

    def transfer_blocks(self):
        """Groups ``mapping`` (one block per dense layer), ``generator`` (one block per
        resolution, from 4x4 up: ``g:2`` is the 4x4 and 8x8 blocks) and ``discriminator``
        (one block per resolution from the input down, the 4x4 epilogue last: ``d:2`` freezes
        the two highest-resolution blocks). The EMA copies follow the trained networks."""
        def by_prefix(network, prefixes):
            return [[layer for layer in network.layers if layer.weights and layer.name.split("_")[0] == prefix]
                    for prefix in prefixes]

        generator_blocks = int(np.log2(self.resolution)) - 1
        discriminator_blocks = generator_blocks - 1
        mapping = [[self.mapping.get_layer(f"mapping_{i}")] for i in range(self.config.mapping_layers)]
        mapping[-1].append(self.mapping.get_layer("w_average"))
        return {
            "mapping": mapping,
            "generator": by_prefix(self.synthesis, [f"g{b}" for b in range(generator_blocks)]),
            "discriminator": by_prefix(self.discriminator, [f"d{k}" for k in range(discriminator_blocks)] + ["d"]),
        }

    def networks(self):
        return {"mapping": self.mapping, "synthesis": self.synthesis, "discriminator": self.discriminator,
                "mapping_ema": self.mapping_ema, "synthesis_ema": self.synthesis_ema}

    # the two players' optimizers and the moving average (see TwoPlayerModel) -------------------
    def make_optimizer(self, learning_rate: float, name: str) -> keras.optimizers.Optimizer:
        """Adam with beta_1 = 0, beta_2 = 0.99 for G and D (the paper's settings)."""
        return keras.optimizers.Adam(learning_rate, beta_1=0.0, beta_2=0.99, epsilon=1e-8, name=name)

    def generator_variables(self) -> list:
        return self.mapping.trainable_variables + self.synthesis.trainable_variables

    def discriminator_variables(self) -> list:
        return self.discriminator.trainable_variables

    def ema_pairs(self) -> list[tuple]:
        """(variable, its EMA copy) for every weight of mapping and synthesis (same architecture, same order)."""
        return [pair for network, ema in ((self.mapping, self.mapping_ema), (self.synthesis, self.synthesis_ema))
                for pair in zip(network.weights, ema.weights)]

    def ema_copies(self, variable) -> bool:
        """Buffers (w_avg, constant noise) and frozen weights are copied into the EMA networks, not averaged."""
        return not variable.trainable

    # data <-> network resolution -------------------------------------------------------------
    def to_resolution(self, images):
        """Data-sized images -> resolution x resolution (bilinear, antialiased), as the networks see them."""
        if tuple(images.shape[1:3]) == (self.resolution, self.resolution):
            return images
        return ops.image.resize(images, (self.resolution, self.resolution), antialias=True)

    def to_data_shape(self, images):
        height, width = self.config.input_shape[:2]
        if tuple(images.shape[1:3]) == (height, width):
            return images
        return ops.image.resize(images, (height, width), antialias=True)

    # training ---------------------------------------------------------------------------------
    def _random_styles(self, batch, training: bool):
        """Per-layer styles for a batch, with style mixing regularization when training."""
        z = replica_random_normal((batch, self.config.latent_dim), self.seed_generator)
        w = self.mapping(z, training=training)
        if not training or self.config.style_mixing <= 0:
            return broadcast_styles(w, self.num_layers)
        w_second = self.mapping(replica_random_normal((batch, self.config.latent_dim), self.seed_generator),
                                training=training)
        crossover = keras.random.randint((batch,), 1, self.num_layers, seed=self.seed_generator)
        mixed = keras.random.uniform((batch,), seed=self.seed_generator) < self.config.style_mixing
        crossover = ops.where(mixed, crossover, self.num_layers)  # L: no mixing for this image
        return mix_styles(w, w_second, crossover, self.num_layers)

    def _augment(self, images):
        return diff_augment(images, self.augment_policy, self.seed_generator) if self.augment_policy else images

    def _r1_penalty_gradients(self, real):
        """(gamma / 2) * r1_interval * E||grad_x D(x)||^2: the penalty and its gradients on D."""
        variables = self.discriminator.trainable_variables
        real = tf.identity(real)  # a tensor of this branch's graph, so the tape can watch it
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(real)
                logits = self.discriminator(real, training=True)
            input_gradients = inner.gradient(logits, real)  # d(sum_b D(x_b)) / dx: per-image gradients
            input_gradients = ops.cast(input_gradients, "float32")
            penalty = ops.mean(ops.sum(ops.square(input_gradients), axis=(1, 2, 3)))  # E||grad_x D(x)||^2
            loss = penalty * (self.config.r1_gamma / 2.0) * self.config.r1_interval
            loss = self.gradient_loss(self.discriminator_optimizer, loss)  # / replicas (* loss scale)
        gradients = outer.gradient(loss, variables)  # None for weights the penalty ignores (last bias)
        return [penalty] + [ops.zeros_like(v) if g is None else g for g, v in zip(gradients, variables)]

    def train_step(self, data):
        images, _ = data
        real = self.to_resolution(ops.cast(images, self.compute_dtype))
        batch = ops.shape(real)[0]

        # discriminator step: L_D = softplus(D(G(z))) + softplus(-D(x)) (+ lazy R1)
        styles = self._random_styles(batch, training=True)
        real_augmented = self._augment(real)
        d_variables = self.discriminator_variables()
        with tf.GradientTape() as tape:
            fake = self.synthesis(styles, training=True)
            fake_logits = ops.cast(self.discriminator(self._augment(fake), training=True), "float32")
            real_logits = ops.cast(self.discriminator(real_augmented, training=True), "float32")
            d_loss = ops.mean(ops.softplus(fake_logits)) + ops.mean(ops.softplus(-real_logits))
        r1_gradients = None
        if self.config.r1_gamma > 0:
            due = ops.equal(self.discriminator_optimizer.iterations % self.config.r1_interval, 0)
            penalty, *r1_gradients = tf.cond(
                due, lambda: self._r1_penalty_gradients(real_augmented),
                lambda: [ops.zeros(())] + [ops.zeros_like(v) for v in d_variables])
            self.trackers["r1"].update_state(penalty, sample_weight=ops.cast(due, "float32"))
        self.apply_gradients(self.discriminator_optimizer, tape, d_loss, d_variables, extra_gradients=r1_gradients)

        # generator step: L_G = softplus(-D(G(z)))
        with tf.GradientTape() as tape:
            fake = self.synthesis(self._random_styles(batch, training=True), training=True)
            g_logits = ops.cast(self.discriminator(self._augment(fake), training=True), "float32")
            g_loss = ops.mean(ops.softplus(-g_logits))
        self.apply_gradients(self.generator_optimizer, tape, g_loss, self.generator_variables())
        self.update_generator_average()  # G_ema: the EMA networks generate every sample
        return self.record(d_loss=d_loss, g_loss=g_loss, real_score=ops.mean(real_logits),
                           fake_score=ops.mean(fake_logits))

    def test_step(self, data):
        images, _ = data
        real = self.to_resolution(ops.cast(images, self.compute_dtype))
        fake = self.synthesis(self._random_styles(ops.shape(real)[0], training=False), training=False)
        fake_logits = ops.cast(self.discriminator(fake, training=False), "float32")
        real_logits = ops.cast(self.discriminator(real, training=False), "float32")
        d_loss = ops.mean(ops.softplus(fake_logits)) + ops.mean(ops.softplus(-real_logits))
        logs = self.record(d_loss=d_loss, g_loss=ops.mean(ops.softplus(-fake_logits)), real_score=ops.mean(real_logits),
                           fake_score=ops.mean(fake_logits))
        return {name: value for name, value in logs.items() if name != "r1"}  # R1 is a training-only term

    # generator verbs (EMA networks, constant noise) -----------------------------------------
    @property
    def w_average(self) -> np.ndarray:
        return np.asarray(self.mapping_ema.get_layer("w_average").average)

    def map_latents(self, latents, truncation: float = 1.0, batch_size: int = 256) -> np.ndarray:
        """z (N, latent_dim) -> w (N, w_dim) with the EMA mapping, truncated: w_avg + psi (w - w_avg)."""
        latents = np.asarray(latents, np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.config.latent_dim:
            raise GenlabError(f"latents must be shaped (N, {self.config.latent_dim}), got {latents.shape}")
        w = np.concatenate([np.asarray(self.mapping_ema(latents[i : i + batch_size], training=False))
                            for i in range(0, len(latents), batch_size)])
        return self.truncate(w, truncation)

    def truncate(self, w, truncation: float) -> np.ndarray:
        truncation = float(truncation)
        if not 0.0 <= truncation <= 1.0:
            raise GenlabError(f"truncation psi must lie in [0, 1], got {truncation}")
        w_average = self.w_average
        w = np.asarray(w, np.float32)
        return (w_average + truncation * (w - w_average)).astype(np.float32)  # w' = w_avg + psi (w - w_avg)

    def check_styles(self, w) -> np.ndarray:
        """(N, w_dim) or (N, L, w_dim) -> (N, L, w_dim), with a clear error for anything else."""
        w = np.asarray(w, np.float32)
        if w.ndim == 2 and w.shape[1] == self.config.w_dim:
            return np.repeat(w[:, None, :], self.num_layers, axis=1)
        if w.ndim == 3 and w.shape[1:] == (self.num_layers, self.config.w_dim):
            return w
        raise GenlabError(f"latents in W must be shaped (N, {self.config.w_dim}) or "
                          f"(N, {self.num_layers}, {self.config.w_dim}), got {w.shape}")

    def synthesize(self, w, batch_size: int = 256) -> np.ndarray:
        """Images (data-sized, clipped to the value range) from w or per-layer styles, with the EMA synthesis."""
        styles = self.check_styles(w)
        low, high = self.config.value_range
        images = [np.asarray(self.to_data_shape(self.synthesis_ema(styles[i : i + batch_size], training=False)))
                  for i in range(0, len(styles), batch_size)]
        return np.clip(np.concatenate(images), low, high)

    def decode_latents(self, latents, labels=None, truncation: float = 1.0) -> np.ndarray:
        if labels is not None:
            raise GenlabError("stylegan is not conditional; it takes no label")
        return self.synthesize(self.map_latents(latents, truncation))

    def generate(self, n: int, labels=None, seed: int = 0, truncation: float = 1.0) -> np.ndarray:
        if n <= 0:
            raise GenlabError(f"number of samples must be > 0, got {n}")
        return self.decode_latents(self.sample_latents(n, seed), labels, truncation)

    def style_mix(self, row_latents, column_latents, crossover: int, truncation: float = 1.0) -> np.ndarray:
        """Images (rows, columns, H, W, C): layers < crossover take the row's w, the others the column's."""
        if not 0 <= crossover <= self.num_layers:
            raise GenlabError(f"crossover must lie in [0, {self.num_layers}] (this model has {self.num_layers} "
                              f"style layers), got {crossover}")
        w_rows, w_columns = self.map_latents(row_latents, truncation), self.map_latents(column_latents, truncation)
        rows, columns = len(w_rows), len(w_columns)
        first = np.repeat(w_rows, columns, axis=0)
        second = np.tile(w_columns, (rows, 1))
        styles = np.asarray(mix_styles(first, second, crossover, self.num_layers))
        return self.synthesize(styles).reshape(rows, columns, *self.config.input_shape)

    def preview_titles(self, rows: int) -> list[str]:
        return ["real", "samples", "truncation 0.7"]

    def preview(self, images, labels):
        n = len(images)
        return [images, self.generate(n, seed=self.config.seed), self.generate(n, seed=self.config.seed, truncation=0.7)]
