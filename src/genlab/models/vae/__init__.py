"""Variational autoencoders: VAE, beta-VAE (``beta`` != 1) and the conditional VAE (``cvae``)."""

from genlab.core.lazy import lazy_exports
from genlab.models.vae.config import CVAEConfig, VAEConfig

__all__ = ["CVAEConfig", "ConditionalVAE", "VAE", "VAEConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"VAE": "model", "ConditionalVAE": "model"})
