"""Variational autoencoder (VAE), beta-VAE and conditional VAE.

References:
* Kingma & Welling (2014), "Auto-Encoding Variational Bayes" (the VAE, the reparametrization trick);
* Higgins et al. (2017), "beta-VAE: Learning Basic Visual Concepts with a Constrained
  Variational Framework" (the KL term weighted by beta);
* Sohn, Lee & Yan (2015), "Learning Structured Output Representation using Deep Conditional
  Generative Models" (the conditional VAE: q(z|x, y), p(x|z, y));
* Burda, Grosse & Salakhutdinov (2016), "Importance Weighted Autoencoders" (the k-sample NLL estimate).

Per example x (with label y for the conditional VAE), the loss is

    L = E_q(z|x)[-log p(x|z)] + beta_t * KL(N(mu, sigma^2) || N(0, I))

with one z = mu + sigma * eps per example (:class:`genlab.layers.Sampling`), the KL in
closed form, and beta_t = beta * min(1, t / T) during a KL warm-up of T optimizer steps.
beta = 1 is the ELBO of Kingma & Welling; beta > 1 is the beta-VAE. The loss is averaged over
the batch; reconstruction and KL are summed over pixels and latent dimensions (nats per
example), as in the papers (many tutorials average over pixels instead, which silently
multiplies beta by the number of pixels). Deviations from the papers: the decoder is
Bernoulli (BCE) or a Gaussian with fixed variance 1/2 (MSE), never a learned variance; free
bits, when set, clamp the batch-mean KL of each dimension from below (Kingma et al., 2016).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.data.pipeline import scale_images
from genlab.core.errors import GenlabError
from genlab.core.progress import Progress
from genlab.layers.sampling import Sampling
from genlab.metrics.reconstruction import reconstruction_metrics
from genlab.models.base import GenerativeModel
from genlab.models.capabilities import DescribesEvaluation, EncodesLatents, Reconstructs
from genlab.models.vae.config import CVAEConfig, VAEConfig  # noqa: F401  (declares the families)
from genlab.models.vae.networks import BUILDERS
from genlab.models.vae.objective import (
    annealed_beta,
    bernoulli_nll,
    gaussian_nll,
    kl_objective,
    kl_per_dimension,
    log_normal,
    squared_error,
)
from genlab.core.registry import register_model


@keras.saving.register_keras_serializable(package="genlab")
@register_model("vae")
class VAE(GenerativeModel, Reconstructs, EncodesLatents, DescribesEvaluation):
    """Encoder q(z|x) = N(mu, sigma^2), decoder p(x|z), trained on the (beta-weighted) ELBO."""

    is_generator = True
    divergence_hint = "lower --learning-rate, use --kl-warmup-steps; with --loss bce the data must lie in [0, 1]"

    def __init__(self, config: VAEConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        build_encoder, build_decoder, units_field = BUILDERS[config.arch]
        units = getattr(config, units_field)
        classes = config.num_classes if self.is_conditional else 0
        self.encoder = build_encoder(config.input_shape, config.latent_dim, units, classes)
        self.decoder = build_decoder(config.input_shape, config.latent_dim, units, classes)
        self.sampling = Sampling(seed=config.seed + 1, name="sampling")
        # training objective term per example; bce is an exact likelihood, mse one up to a constant
        self.reconstruction_fn = bernoulli_nll if config.loss == "bce" else squared_error
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True

    def networks(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    # tensors ---------------------------------------------------------------------------
    def _with_label(self, main, labels):
        if not self.is_conditional:
            return main
        return [main, ops.one_hot(ops.cast(labels, "int32"), self.config.num_classes)]  # y as one-hot

    def encode_tensors(self, images, labels=None, training=False):
        """(mu, log sigma^2) of q(z|x[, y])."""
        return self.encoder(self._with_label(images, labels), training=training)

    def decode_logits(self, latents, labels=None, training=False):
        """Per-pixel logits l of p(x|z[, y]); the image is sigmoid(l)."""
        return self.decoder(self._with_label(latents, labels), training=training)

    def call(self, inputs, training=False):
        """Reconstruction from the posterior mean; ``inputs`` is images, or (images, labels) if conditional."""
        images, labels = inputs if self.is_conditional else (inputs, None)
        mean, _ = self.encode_tensors(images, labels, training=training)
        return ops.sigmoid(self.decode_logits(mean, labels, training=training))

    def current_beta(self):
        """beta_t, from the optimizer's iteration count (the full beta when not compiled)."""
        optimizer = getattr(self, "optimizer", None)
        if optimizer is None:
            return annealed_beta(self.config.beta, 0, 0)
        return annealed_beta(self.config.beta, optimizer.iterations, self.config.kl_warmup_steps)

    def _binarize(self, images):
        if self.config.binarize == "dynamic":  # x ~ Bernoulli(pixel), new every step (Burda et al., 2016)
            uniform = keras.random.uniform(ops.shape(images), seed=self.seed_generator, dtype=images.dtype)
            return ops.cast(uniform < images, images.dtype)
        if self.config.binarize == "threshold":
            return ops.cast(images > 0.5, images.dtype)
        return images

    def _objective(self, images, labels, training):
        mean, log_variance = self.encode_tensors(images, labels, training=training)
        z = self.sampling([mean, log_variance])  # z = mu + sigma * eps
        logits = self.decode_logits(z, labels, training=training)
        reconstruction = self.reconstruction_fn(images, logits)  # -log p(x|z), per example (one sample)
        kl_dimensions = kl_per_dimension(mean, log_variance)  # KL(q(z|x) || p(z)), per dimension
        loss = ops.mean(reconstruction) + self.current_beta() * kl_objective(kl_dimensions, self.config.free_bits)
        return loss, reconstruction, ops.sum(kl_dimensions, axis=1)

    def _update_metrics(self, loss, reconstruction, kl):
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(ops.mean(reconstruction))
        self.kl_tracker.update_state(ops.mean(kl))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, labels = data
        images = self._binarize(images)
        with tf.GradientTape() as tape:
            loss, reconstruction, kl = self._objective(images, labels, training=True)
            scaled_loss = self.gradient_loss(self.optimizer, loss)
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._update_metrics(loss, reconstruction, kl)

    def test_step(self, data):
        images, labels = data
        loss, reconstruction, kl = self._objective(self._binarize(images), labels, training=False)
        return self._update_metrics(loss, reconstruction, kl)

    # verbs (numpy in, numpy out) ---------------------------------------------------------
    def _one_hot(self, labels, n: int) -> np.ndarray | None:
        if not self.is_conditional:
            if labels is not None:
                raise GenlabError(f"family {self.family!r} is not conditional; it takes no label")
            return None
        return np.eye(self.config.num_classes, dtype=np.float32)[self.check_labels(labels, n)]

    def _run(self, network, main: np.ndarray, one_hot: np.ndarray | None, batch_size: int):
        outputs = []
        for start in range(0, len(main), batch_size):
            stop = start + batch_size
            inputs = main[start:stop] if one_hot is None else [main[start:stop], one_hot[start:stop]]
            result = network(inputs, training=False)
            outputs.append([np.asarray(r) for r in result] if isinstance(result, (list, tuple)) else [np.asarray(result)])
        if not outputs:
            raise GenlabError("no inputs given")
        merged = [np.concatenate(parts) for parts in zip(*outputs)]
        return merged if len(merged) > 1 else merged[0]

    def encode(self, images, labels=None, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Posterior parameters (mu, log sigma^2) of q(z|x[, y]) for images in [0, 1]."""
        images = np.asarray(images, np.float32)
        self.check_input_shape(images.shape[1:], "images")
        mean, log_variance = self._run(self.encoder, images, self._one_hot(labels, len(images)), batch_size)
        return mean, log_variance

    def encode_latents(self, images, labels=None) -> np.ndarray:
        """One latent point per image: the posterior mean mu (used by interpolation and latent maps)."""
        return self.encode(images, labels)[0]

    def decode_latents(self, latents, labels=None, batch_size: int = 256) -> np.ndarray:
        """Images sigmoid(decoder(z[, y])) in [0, 1]."""
        latents = np.asarray(latents, np.float32)
        if latents.ndim != 2 or latents.shape[1] != self.config.latent_dim:
            raise GenlabError(f"latents must be shaped (n, {self.config.latent_dim}), got {latents.shape}")
        logits = self._run(self.decoder, latents, self._one_hot(labels, len(latents)), batch_size)
        return np.asarray(ops.sigmoid(logits))

    def reconstruct(self, images, labels=None, batch_size: int = 256) -> np.ndarray:
        """Decode the posterior mean (deterministic)."""
        return self.decode_latents(self.encode_latents(images, labels), labels, batch_size)

    def preview(self, images, labels):
        """Per-epoch grid: test images, their reconstructions, samples from fixed latents."""
        labels = np.asarray(labels) if self.is_conditional else None
        latents = self.sample_latents(len(images), seed=self.config.seed)
        return [images, self.reconstruct(images, labels), self.decode_latents(latents, labels)]

    def preview_titles(self, rows: int) -> list[str]:
        return ["input", "reconstruction", "samples"]

    # likelihood ----------------------------------------------------------------------------
    def importance_weighted_bound(self, images, labels=None, samples: int | None = None, seed: int = 0,
                                  rows_per_batch: int = 4096) -> dict[str, np.ndarray]:
        """Per-example ELBO terms and the k-sample importance-weighted NLL estimate, in nats.

        With z_1..z_k ~ q(z|x) and w_i = p(x|z_i) p(z_i) / q(z_i|x) (Burda et al., 2016, eq. 8):

            NLL_k(x) = -log (1/k sum_i w_i)    >= -log p(x), decreasing towards it as k grows

        ``reconstruction`` is the k-sample mean of -log p(x|z_i) (the decoder's normalized
        density: Bernoulli, or N(x^, I/2) for mse) and ``kl`` the closed form, so
        ``negative_elbo = reconstruction + kl``; NLL_k <= negative ELBO up to Monte-Carlo noise.
        """
        k = int(samples or self.config.iw_samples)
        if k < 1:
            raise GenlabError(f"number of importance samples must be >= 1, got {k}")
        images = np.asarray(images, np.float32)
        mean, log_variance = self.encode(images, labels)
        one_hot = self._one_hot(labels, len(images))
        density = bernoulli_nll if self.config.loss == "bce" else gaussian_nll
        rng = np.random.default_rng(seed)
        chunk = max(1, rows_per_batch // k)
        reconstruction, nll = [], []
        progress = Progress(len(images), f"importance-weighted NLL (k={k})")
        for start in range(0, len(images), chunk):
            progress.update(start)
            mu, log_var = mean[start : start + chunk], log_variance[start : start + chunk]
            b, d = mu.shape
            z = (mu[:, None] + np.exp(0.5 * log_var)[:, None] * rng.standard_normal((b, k, d))).astype(np.float32)
            flat_z = z.reshape(b * k, d)
            decoder_inputs = flat_z if one_hot is None else [flat_z, np.repeat(one_hot[start : start + chunk], k, axis=0)]
            logits = self.decoder(decoder_inputs, training=False)
            targets = np.repeat(images[start : start + chunk], k, axis=0)
            log_px = -np.asarray(density(ops.convert_to_tensor(targets), logits), np.float64).reshape(b, k)
            log_pz = np.asarray(log_normal(flat_z, np.zeros_like(flat_z), np.zeros_like(flat_z)), np.float64)
            repeated = np.repeat(mu, k, axis=0), np.repeat(log_var, k, axis=0)
            log_qz = np.asarray(log_normal(flat_z, *repeated), np.float64)
            log_w = log_px + (log_pz - log_qz).reshape(b, k)  # log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x)
            peak = log_w.max(axis=1, keepdims=True)
            log_mean_w = peak[:, 0] + np.log(np.mean(np.exp(log_w - peak), axis=1))  # log (1/k sum_i w_i)
            nll.append(-log_mean_w)
            reconstruction.append(-log_px.mean(axis=1))
        progress.close()
        kl = np.asarray(ops.sum(kl_per_dimension(mean, log_variance), axis=1), np.float64)
        reconstruction = np.concatenate(reconstruction)
        return {"reconstruction": reconstruction, "kl": kl, "negative_elbo": reconstruction + kl,
                "nll": np.concatenate(nll)}

    def binarize_for_evaluation(self, images: np.ndarray) -> np.ndarray:
        """Test images as the decoder's likelihood needs them (see :meth:`evaluation_protocol`).

        A Bernoulli decoder is a likelihood on binary images: test images are binarized once,
        by a threshold if the model trained that way, else stochastically (x ~ Bernoulli(pixel),
        the protocol of the IWAE paper's figures) with a fixed numpy seed. A Gaussian (mse)
        decoder is evaluated on the grey levels.
        """
        if self.config.loss != "bce":
            return images
        if self.config.binarize == "threshold":
            return (images > 0.5).astype(np.float32)
        return (np.random.default_rng(self.config.seed).uniform(size=images.shape) < images).astype(np.float32)

    def evaluation_protocol(self) -> dict[str, object]:
        """How :meth:`evaluation_table` computes its figures (saved beside them in metrics.json)."""
        if self.config.loss != "bce":
            likelihood = "grey levels in [0, 1], Gaussian decoder N(x^, I/2)"
        elif self.config.binarize == "threshold":
            likelihood = "test images binarized by threshold at 0.5, Bernoulli decoder"
        else:
            likelihood = (f"test images stochastically binarized once (x ~ Bernoulli(pixel), numpy seed "
                          f"{self.config.seed}), Bernoulli decoder")
        return {
            "likelihood": likelihood,
            "training_input": {"none": "grey levels", "dynamic": "dynamically binarized every step",
                               "threshold": "binarized by threshold at 0.5"}[self.config.binarize],
            "importance_samples": self.config.iw_samples,
            "nats": "per example, summed over pixels and latent dimensions; nll_iw = -log mean_k w (Burda et al., 2016)",
            "reconstruction_metrics": "posterior-mean reconstruction of grey-level test images, per-pixel mean",
        }

    def evaluation_table(self, data, limit: int | None = None):
        """Reconstruction figures, ELBO terms and the importance-weighted NLL on the test split."""
        self.check_input_shape(data.image_shape, f"data {data.name!r}")
        test = scale_images(data.x_test[:limit], self.config.value_range)
        labels = None
        if self.is_conditional:
            if data.y_test is None:
                raise GenlabError(f"{self.family} needs test labels; data {data.name!r} has none")
            labels = data.y_test[:limit]
        targets = self.binarize_for_evaluation(test)
        k = self.config.iw_samples
        bound = self.importance_weighted_bound(targets, labels, samples=k, seed=self.config.seed)
        name = f"{self.family} ({self.config.arch}, {self.config.loss}, beta={self.config.beta:g})"
        return {
            f"{name} reconstruction": reconstruction_metrics(test, self.reconstruct(test, labels)),
            f"{name} nats (k={k})": {
                "reconstruct": float(bound["reconstruction"].mean()),
                "kl": float(bound["kl"].mean()),
                "neg_elbo": float(bound["negative_elbo"].mean()),
                "nll_iw": float(bound["nll"].mean()),
            },
        }


@keras.saving.register_keras_serializable(package="genlab")
@register_model("cvae")
class ConditionalVAE(VAE):
    """VAE with q(z|x, y) and p(x|z, y): sample a chosen class by fixing y (Sohn et al., 2015)."""

    is_conditional = True
