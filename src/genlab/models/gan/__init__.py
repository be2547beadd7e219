"""GAN (dense, minimax or non-saturating) and DCGAN (convolutional)."""

from genlab.models.gan.config import DCGANConfig, GANConfig
from genlab.models.gan.model import DCGAN, GAN

__all__ = ["DCGAN", "DCGANConfig", "GAN", "GANConfig"]
