"""Autoencoder (dense or convolutional) with an optional denoising objective.

References: Hinton & Salakhutdinov (2006), "Reducing the Dimensionality of Data with Neural
Networks"; Vincent et al. (2008) for the denoising autoencoder.

Objective, with encoder f_theta and decoder g_phi and X^ = g_phi(f_theta(X~)):

* MSE: L = 1/N sum_i ||X_i - X^_i||^2                                  (per-pixel mean here)
* BCE: L = -1/N sum_i [X_i log X^_i + (1 - X_i) log(1 - X^_i)]          (per-pixel mean here)

X~ = X for a plain autoencoder; for a denoising one X~ is a corrupted copy of X
(:class:`genlab.layers.ImageCorruption`) while the target stays the clean X.
Both losses are tracked every step whichever one is optimized, since the choice changes
what the model learns (BCE pushes towards sharper, saturated pixels).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.models.baselines import PCABaseline
from genlab.data.pipeline import scale_images
from genlab.layers.noise import ImageCorruption
from genlab.metrics.reconstruction import reconstruction_metrics
from genlab.models.autoencoder.config import AutoencoderConfig
from genlab.layers.backbones import backbone_blocks
from genlab.models.autoencoder.networks import BUILDERS, pretrained_encoder
from genlab.models.base import GenerativeModel, layer_blocks, predict_in_batches
from genlab.models.capabilities import Denoises, EvaluatesItself
from genlab.core.registry import register_model

EPSILON = 1e-7


def mse_loss(target, reconstruction):
    reconstruction = ops.cast(reconstruction, "float32")  # losses in float32 under mixed precision
    return ops.mean(ops.square(target - reconstruction))  # 1/N sum ||X - X^||^2, per pixel


def bce_loss(target, reconstruction):
    p = ops.clip(ops.cast(reconstruction, "float32"), EPSILON, 1.0 - EPSILON)  # float32 under mixed precision
    return -ops.mean(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p))  # -[x log x^ + (1-x) log(1-x^)]


@keras.saving.register_keras_serializable(package="genlab")
@register_model("autoencoder")
class Autoencoder(GenerativeModel, Denoises, EvaluatesItself):
    """Encoder + decoder trained to reconstruct (or denoise) their input."""

    divergence_hint = "lower --learning-rate; with --loss bce make sure the data lies in [0, 1]"

    def __init__(self, config: AutoencoderConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        build_encoder, build_decoder, units_field = BUILDERS[config.arch]
        units = getattr(config, units_field)
        if config.encoder == "scratch":
            self.encoder = build_encoder(config.input_shape, config.latent_dim, units)
        else:  # pretrained:NAME -> an ImageNet backbone (feature extraction), see transfer_blocks
            self.encoder = pretrained_encoder(config.input_shape, config.latent_dim, config.encoder.split(":", 1)[1],
                                              config.backbone_size, config.value_range)
        self.decoder = build_decoder(config.input_shape, config.latent_dim, units, config.output_activation)
        self.corruption = ImageCorruption(config.noise, config.value_range, seed=config.seed + 1, name="corruption")
        self.loss_fn = mse_loss if config.loss == "mse" else bce_loss
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.bce_tracker = keras.metrics.Mean(name="bce")
        self.built = True

    def networks(self):
        return {"encoder": self.encoder, "decoder": self.decoder}

    #: genlab finetune --strategy feature-extraction keeps the encoder and trains the rest
    transfer_feature_extraction = "encoder"

    def transfer_blocks(self):
        """With a pretrained encoder, group ``encoder`` is the backbone alone and ``head`` its new
        code layer, so ``--freeze encoder`` keeps the ImageNet features and trains the head."""
        if self.config.encoder == "scratch":
            return super().transfer_blocks()
        backbone = next(layer for layer in self.encoder.layers if isinstance(layer, keras.Model))
        return {"encoder": backbone_blocks(backbone), "head": [[self.encoder.get_layer("code")]],
                "decoder": layer_blocks(self.decoder)}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mse_tracker, self.bce_tracker]

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def _update_metrics(self, images, reconstruction, loss):
        self.loss_tracker.update_state(loss)
        self.mse_tracker.update_state(mse_loss(images, reconstruction))
        self.bce_tracker.update_state(bce_loss(images, reconstruction))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, _ = data
        inputs = self.corruption(images) if self.config.denoising else images  # X~ (or X)
        with tf.GradientTape() as tape:
            reconstruction = self(inputs, training=True)  # X^ = g_phi(f_theta(X~))
            loss = self.loss_fn(images, reconstruction)  # L(X, X^): target is the clean X
            scaled_loss = self.gradient_loss(self.optimizer, loss)
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._update_metrics(images, reconstruction, loss)

    def test_step(self, data):
        images, _ = data
        inputs = self.corruption(images) if self.config.denoising else images
        reconstruction = self(inputs, training=False)
        return self._update_metrics(images, reconstruction, self.loss_fn(images, reconstruction))

    # verbs ----------------------------------------------------------------------------
    def encode(self, images, batch_size: int = 256) -> np.ndarray:
        return predict_in_batches(self.encoder, images, batch_size)

    def decode(self, codes, batch_size: int = 256) -> np.ndarray:
        return predict_in_batches(self.decoder, codes, batch_size)

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        return self.decode(self.encode(images, batch_size), batch_size)

    def corrupt(self, images, noise: str | None = None, seed: int = 0) -> np.ndarray:
        """Corrupted copy of ``images`` with a fixed seed (for reproducible denoising figures)."""
        layer = ImageCorruption(noise or self.config.noise, self.config.value_range, seed=seed)
        return np.asarray(layer(ops.convert_to_tensor(np.asarray(images, np.float32))))

    def preview(self, images, labels):
        if self.config.denoising:
            noisy = self.corrupt(images, seed=self.config.seed)
            return [images, noisy, self.reconstruct(noisy)]
        return [images, self.reconstruct(images)]

    def preview_titles(self, rows: int) -> list[str]:
        return ["input", "corrupted", "denoised"] if self.config.denoising else ["input", "reconstruction"]

    def evaluation_table(self, data, limit: int | None = None):
        """Reconstruction MSE, BCE and PSNR on the test split, beside PCA with latent_dim components."""
        self.check_input_shape(data.image_shape, f"data {data.name!r}")
        test = scale_images(data.x_test[:limit], self.config.value_range)
        train = scale_images(data.x_train, self.config.value_range)
        table = {}
        if self.config.denoising:
            noisy = self.corrupt(test, seed=self.config.seed)
            table["noisy input"] = reconstruction_metrics(test, noisy)
            table[f"autoencoder ({self.config.arch}, denoising)"] = reconstruction_metrics(test, self.reconstruct(noisy))
        else:
            table[f"autoencoder ({self.config.arch}, {self.config.loss})"] = reconstruction_metrics(test, self.reconstruct(test))
        n_components = min(self.config.latent_dim, len(train), int(np.prod(train.shape[1:])))
        pca = PCABaseline(n_components, seed=self.config.seed).fit(train)
        source = noisy if self.config.denoising else test
        table[f"PCA ({n_components} components)"] = reconstruction_metrics(test, pca.reconstruct(source))
        return table
