"""Conditional GAN: the class label enters the generator and the discriminator."""

from genlab.core.lazy import lazy_exports
from genlab.models.cgan.config import CGANConfig

__all__ = ["CGAN", "CGANConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"CGAN": "model"})
