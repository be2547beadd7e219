"""SRGAN: super-resolution with an SRResNet generator and an adversarial loss (Ledig et al., 2017)."""

from genlab.models.srgan.config import SRGANConfig
from genlab.models.srgan.model import SRGAN
from genlab.models.srgan.tiling import tiled_upscale

__all__ = ["SRGAN", "SRGANConfig", "tiled_upscale"]
