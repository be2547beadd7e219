"""GAN and DCGAN: the original adversarial game, with multilayer perceptrons or convolutions.

* GAN: Goodfellow et al. (2014), "Generative Adversarial Nets". The value function
  min_G max_D E_x[log D(x)] + E_z[log(1 - D(G(z)))]; ``--loss minimax`` trains G on
  log(1 - D(G(z))) as written, ``--loss non-saturating`` (default) on -log D(G(z)), the
  paper's own recommendation for stronger early gradients. Deviation: LeakyReLU and
  BatchNorm in the generator instead of the paper's maxout units.
* DCGAN: Radford, Metz & Chintala (2016), "Unsupervised Representation Learning with Deep
  Convolutional Generative Adversarial Networks": the same game with strided (transposed)
  convolutions, BatchNorm, ReLU/LeakyReLU, tanh output and Adam(2e-4, beta_1 = 0.5).

The alternating updates are written out in
:meth:`genlab.models.adversarial.AdversarialModel.train_step`.
"""

from __future__ import annotations

import keras

from genlab.models.adversarial.base import AdversarialModel
from genlab.models.gan.config import DCGANConfig, GANConfig  # noqa: F401  (declares the families)
from genlab.models.gan.networks import build_discriminator, build_generator
from genlab.core.registry import register_model


@keras.saving.register_keras_serializable(package="genlab")
@register_model("gan")
class GAN(AdversarialModel):
    """Generator and discriminator playing the original GAN game."""

    def build_generator(self, name):
        return build_generator(self.config, name)

    def build_discriminator(self):
        return build_discriminator(self.config)


@keras.saving.register_keras_serializable(package="genlab")
@register_model("dcgan")
class DCGAN(GAN):
    """The GAN game with the DCGAN convolutional networks (``arch`` conv by default)."""
