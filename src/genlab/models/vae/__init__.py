"""Variational autoencoders: VAE, beta-VAE (``beta`` != 1) and the conditional VAE (``cvae``)."""

from genlab.models.vae.config import CVAEConfig, VAEConfig
from genlab.models.vae.model import VAE, ConditionalVAE

__all__ = ["CVAEConfig", "ConditionalVAE", "VAE", "VAEConfig"]
