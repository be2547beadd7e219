"""SRGAN: single-image super-resolution with a generative adversarial network.

Reference: Ledig et al. (2017), "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network".

The low-resolution image I_LR is the high-resolution training image I_HR downscaled
``scale`` times (bicubic, antialiased). Training has two phases:

1. SRResNet pretraining (the first ``pretrain_epochs`` epochs), pixel-wise MSE:
   l_MSE = 1/(r^2 W H) sum (I_HR - G(I_LR))^2
2. adversarial training with the perceptual loss
   l_SR = l_X + 10^-3 l_Gen,   l_X = 1/(W_ij H_ij) sum (phi(I_HR) - phi(G(I_LR)))^2   (content loss)
                               l_Gen = -log D(G(I_LR))                                  (adversarial loss)
   while D minimizes -log D(I_HR) - log(1 - D(G(I_LR))).

phi is a feature map of a pretrained network. Deviations: the paper uses VGG19's phi_5,4;
offline, genlab uses MobileNet (alpha 0.25) or EfficientNet-Lite0 at a layer of the same
stride (16), or the pixels themselves (``content_network=pixel``, the paper's SRGAN-MSE).
Both LR and HR images lie in [-1, 1] (the paper feeds LR in [0, 1]). The current phase is
a non-trainable variable set at the start of every epoch, so --resume continues in the right
phase; the losses of the phase not running are reported as 0.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.core.config import TrainConfig
from genlab.core.distribute import replicas_in_sync
from genlab.core.errors import GenlabError
from genlab.core.registry import register_model
from genlab.data.pipeline import scale_images
from genlab.layers.backbones import pretrained_backbone
from genlab.metrics.image_quality import image_quality
from genlab.models.capabilities import DescribesEvaluation, Upscales
from genlab.models.image_to_image import ImageToImageModel
from genlab.models.srgan.config import CONTENT_LAYERS, PIXEL, SRGANConfig
from genlab.models.srgan.networks import discriminator, srresnet_generator
from genlab.models.srgan.tiling import tiled_upscale


def binary_cross_entropy(logits, target: float):
    logits = ops.cast(logits, "float32")
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


class _Untracked:
    """Holds the frozen content network outside Keras tracking: it is loaded from the data folder
    for training only, and is neither saved with the model nor part of its training state."""

    def __init__(self, network=None):
        self.network = network


class AdversarialPhase(keras.callbacks.Callback):
    """Switches the model from MSE pretraining to adversarial training at ``start_epoch``."""

    def __init__(self, start_epoch: int):
        super().__init__()
        self.start_epoch = int(start_epoch)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        phase = int(epoch >= self.start_epoch)
        changed = int(self.model.adversarial_phase.numpy()) != phase
        self.model.adversarial_phase.assign(phase)
        if self.model.distribute_strategy.num_replicas_in_sync > 1 and (changed or self.model.traced_phase != phase):
            # under tf.distribute the phase is chosen when the step is traced (no optimizer inside
            # tf.cond there), so a new phase needs a new train function
            self.model.traced_phase = phase
            self.model.make_train_function(force=True)


@keras.saving.register_keras_serializable(package="genlab")
@register_model("srgan")
class SRGAN(ImageToImageModel, Upscales, DescribesEvaluation):
    """SRResNet generator x``scale`` with a discriminator on high-resolution images."""

    metric_names = ("generator_loss", "discriminator_loss", "mse", "psnr", "content_loss", "adversarial_loss")
    #: genlab finetune --strategy feature-extraction keeps the generator's feature trunk; upsampling, output and discriminator learn
    transfer_feature_extraction = "re:^generator/(stem|residual_|trunk)"
    divergence_hint = "lower --learning-rate (the paper uses 1e-4), or train longer with --pretrain-epochs first"

    def __init__(self, config: SRGANConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        channels = config.input_shape[-1]
        self.generator = srresnet_generator(channels, config.scale, config.filters, config.residual_blocks, config.batch_norm,
                                            config.bicubic_skip)
        self.discriminator = discriminator(channels, config.discriminator_filters)
        self.adversarial_phase = keras.Variable(0, dtype="int32", trainable=False, name="adversarial_phase")
        self.traced_phase = 0  # the phase a distributed train function was traced for
        self.content = _Untracked()
        self.built = True

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    # optimizers, phases, content network ----------------------------------------------------
    def compile_for_training(self, train: TrainConfig) -> None:
        if self.content.network is None and self.config.content_network != PIXEL:
            self.content.network = self._content_network()
        super().compile_for_training(train)

    def generator_variables(self):
        return self.generator.trainable_variables

    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    def training_callbacks(self, train: TrainConfig):
        return [AdversarialPhase(self.config.pretrain_epochs)]

    def _content_network(self) -> keras.Model:
        """phi: pretrained features of an image in the model's value range (frozen)."""
        size = max(self.config.input_shape[:2])
        preprocess, backbone = pretrained_backbone(self.config.content_network, size, self.config.value_range)
        layer_name = self.config.content_layer or CONTENT_LAYERS.get(self.config.content_network, "")
        try:
            features = backbone.get_layer(layer_name).output if layer_name else backbone.output
        except ValueError:
            raise GenlabError(f"content network {self.config.content_network!r} has no layer {layer_name!r}") from None
        inputs = keras.Input(shape=tuple(self.config.input_shape), name="image")
        network = keras.Model(inputs, keras.Model(backbone.input, features)(preprocess(inputs)), name="content")
        network.trainable = False
        return network

    # losses ---------------------------------------------------------------------------------
    def degrade(self, high_resolution):
        """I_LR: bicubic (antialiased) downscaling by ``scale``, clipped to the value range."""
        shape = ops.shape(high_resolution)
        size = (shape[1] // self.config.scale, shape[2] // self.config.scale)
        low = ops.image.resize(high_resolution, size, interpolation="bicubic", antialias=True)
        return ops.clip(low, *self.config.value_range)

    def _content_loss(self, real, fake):
        if self.content.network is None:
            return ops.mean(ops.square(real - fake))  # pixel content: l_MSE
        phi_real = ops.cast(self.content.network(real, training=False), "float32")
        phi_fake = ops.cast(self.content.network(fake, training=False), "float32")
        return ops.mean(ops.square(phi_real - phi_fake))  # l_X = mean (phi(I_HR) - phi(G(I_LR)))^2

    @staticmethod
    def _psnr(mse):
        return 10.0 * ops.log(4.0 / ops.maximum(mse, 1e-10)) / ops.log(10.0)  # range [-1, 1]: MAX^2 = 4

    def train_step(self, data):
        high, _ = data
        high = ops.cast(high, "float32")
        low = self.degrade(high)
        zero = ops.zeros((), "float32")

        def pretrain():
            with tf.GradientTape() as tape:
                fake = self.generator(low, training=True)
                mse = ops.mean(ops.square(high - fake))  # l_MSE
            self.apply_gradients(self.generator_optimizer, tape, mse, self.generator_variables())
            return mse, zero, mse, zero, zero

        def adversarial():
            with tf.GradientTape() as generator_tape, tf.GradientTape() as discriminator_tape:
                fake = self.generator(low, training=True)  # G(I_LR)
                discriminator_loss = (binary_cross_entropy(self.discriminator(high, training=True), 1.0)  # -log D(I_HR)
                                      + binary_cross_entropy(self.discriminator(ops.stop_gradient(fake), training=True),
                                                             0.0))  # -log(1 - D(G(I_LR)))
                content = self._content_loss(high, fake)  # l_X
                adversarial_loss = binary_cross_entropy(self.discriminator(fake, training=True), 1.0)  # -log D(G(I_LR))
                generator_loss = content + self.config.adversarial_weight * adversarial_loss  # l_SR = l_X + 1e-3 l_Gen
            self.apply_gradients(self.discriminator_optimizer, discriminator_tape, discriminator_loss,
                                 self.discriminator_variables())
            self.apply_gradients(self.generator_optimizer, generator_tape, generator_loss, self.generator_variables())
            mse = ops.mean(ops.square(high - fake))
            return generator_loss, discriminator_loss, mse, content, adversarial_loss

        if replicas_in_sync() > 1:  # tf.distribute: no optimizer step inside tf.cond (see AdversarialPhase)
            phase = adversarial if self.traced_phase else pretrain
            generator_loss, discriminator_loss, mse, content, adversarial_loss = phase()
        else:
            generator_loss, discriminator_loss, mse, content, adversarial_loss = ops.cond(
                self.adversarial_phase > 0, adversarial, pretrain)
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss, mse=mse,
                            psnr=self._psnr(mse), content_loss=content, adversarial_loss=adversarial_loss)

    def test_step(self, data):
        high, _ = data
        high = ops.cast(high, "float32")
        fake = self.generator(self.degrade(high), training=False)
        mse = ops.mean(ops.square(high - fake))
        content = self._content_loss(high, fake)
        adversarial_loss = binary_cross_entropy(self.discriminator(fake, training=False), 1.0)
        discriminator_loss = (binary_cross_entropy(self.discriminator(high, training=False), 1.0)
                              + binary_cross_entropy(self.discriminator(fake, training=False), 0.0))
        pretraining = ops.cast(self.adversarial_phase == 0, "float32")
        generator_loss = pretraining * mse + (1.0 - pretraining) * (content + self.config.adversarial_weight * adversarial_loss)
        return self.record(generator_loss=generator_loss, discriminator_loss=discriminator_loss, mse=mse,
                            psnr=self._psnr(mse), content_loss=content, adversarial_loss=adversarial_loss)

    # verbs ----------------------------------------------------------------------------------
    def _check_images(self, images) -> np.ndarray:
        images = np.asarray(images, np.float32)
        channels = self.config.input_shape[-1]
        if images.ndim != 4 or images.shape[-1] != channels:
            raise GenlabError(f"this run upscales images with {channels} channel(s) shaped (N, H, W, {channels}), "
                              f"got {images.shape}")
        return images

    def upscale(self, images, tile: int | None = None, overlap: int = 32, batch_size: int = 4) -> np.ndarray:
        """Low-resolution images (N, h, w, C) in the value range -> (N, scale h, scale w, C).

        With ``tile`` the image is processed in overlapping tiles of that many input pixels
        (see :mod:`genlab.models.srgan.tiling`), so any size fits in memory.
        """
        images = self._check_images(images)

        def run(batch):
            return np.asarray(self.generator(batch, training=False))

        if tile is None:
            return np.concatenate([run(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
        return np.stack([tiled_upscale(run, image, self.config.scale, tile, overlap, batch_size=batch_size)
                         for image in images])

    def downscale(self, images) -> np.ndarray:
        """The training degradation: bicubic downscaling by ``scale`` (sides cut to multiples of it)."""
        images = self._check_images(images)
        scale = self.config.scale
        height, width = (images.shape[1] // scale) * scale, (images.shape[2] // scale) * scale
        return np.asarray(self.degrade(ops.convert_to_tensor(images[:, :height, :width])))

    def bicubic(self, images) -> np.ndarray:
        """The bicubic-interpolation baseline: low-resolution images resized ``scale`` times."""
        images = self._check_images(images)
        size = (images.shape[1] * self.config.scale, images.shape[2] * self.config.scale)
        return np.clip(np.asarray(ops.image.resize(images, size, interpolation="bicubic")), *self.config.value_range)

    def preview(self, images, labels):
        """Rows: high-resolution image, bicubic upscaling of its low-resolution copy, SRResNet/SRGAN output."""
        low = self.downscale(images)
        return [images, self.bicubic(low), self.upscale(low)]

    def preview_titles(self, rows: int) -> list[str]:
        return ["high resolution", "bicubic", "upscaled"]

    def evaluation_protocol(self) -> dict:
        return {"super_resolution": f"x{self.config.scale}: test images cut to multiples of the scale, low resolution by "
                                    f"bicubic antialiased downscaling, PSNR/SSIM on luma Y (BT.601), border "
                                    f"{self.config.scale} cropped, whole images (no tiling)"}

    def evaluation_table(self, data, limit: int | None = None):
        """PSNR and SSIM (Y channel, border crop = scale, the SR papers' protocol) of bicubic and the model."""
        if data.image_shape[-1] != self.config.input_shape[-1]:
            raise GenlabError(f"data {data.name!r} has {data.image_shape[-1]} channel(s), this run {self.config.input_shape[-1]}")
        scale = self.config.scale
        high = scale_images(data.x_test[:limit], self.config.value_range)
        high = high[:, : (high.shape[1] // scale) * scale, : (high.shape[2] // scale) * scale]
        low = self.downscale(high)
        table = {}
        for name, output in ((f"bicubic x{scale}", self.bicubic(low)), (f"srgan x{scale}", self.upscale(low))):
            table[name] = image_quality(high, output, self.config.value_range, protocol="y", border=scale)
        return table
