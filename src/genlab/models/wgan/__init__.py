"""Wasserstein GANs: WGAN (weight clipping) and WGAN-GP (gradient penalty)."""

from genlab.models.wgan.config import WGANConfig, WGANGPConfig
from genlab.models.wgan.model import WGAN, WGANGP

__all__ = ["WGAN", "WGANConfig", "WGANGP", "WGANGPConfig"]
