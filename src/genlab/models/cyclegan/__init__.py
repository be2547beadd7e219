"""CycleGAN: unpaired image-to-image translation with cycle consistency (Zhu et al., 2017)."""

from genlab.models.cyclegan.config import CycleGANConfig
from genlab.models.cyclegan.history import ImageHistory
from genlab.models.cyclegan.model import CycleGAN

__all__ = ["CycleGAN", "CycleGANConfig", "ImageHistory"]
