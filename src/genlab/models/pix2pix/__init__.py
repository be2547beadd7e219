"""pix2pix: paired image-to-image translation with a conditional GAN (Isola et al., 2017)."""

from genlab.models.pix2pix.config import Pix2PixConfig
from genlab.models.pix2pix.model import Pix2Pix

__all__ = ["Pix2Pix", "Pix2PixConfig"]
