"""Conditional GAN: the class label enters the generator and the discriminator."""

from genlab.models.cgan.config import CGANConfig
from genlab.models.cgan.model import CGAN

__all__ = ["CGAN", "CGANConfig"]
