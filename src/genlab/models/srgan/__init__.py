"""SRGAN: super-resolution with an SRResNet generator and an adversarial loss (Ledig et al., 2017)."""

from genlab.core.lazy import lazy_exports
from genlab.models.srgan.config import SRGANConfig

__all__ = ["SRGAN", "SRGANConfig", "tiled_upscale"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"SRGAN": "model", "tiled_upscale": "tiling"})
