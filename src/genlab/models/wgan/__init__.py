"""Wasserstein GANs: WGAN (weight clipping) and WGAN-GP (gradient penalty)."""

from genlab.core.lazy import lazy_exports
from genlab.models.wgan.config import WGANConfig, WGANGPConfig

__all__ = ["WGAN", "WGANConfig", "WGANGP", "WGANGPConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"WGAN": "model", "WGANGP": "model"})
