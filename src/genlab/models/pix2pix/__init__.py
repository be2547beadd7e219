"""pix2pix: paired image-to-image translation with a conditional GAN (Isola et al., 2017)."""

from genlab.core.lazy import lazy_exports
from genlab.models.pix2pix.config import Pix2PixConfig

__all__ = ["Pix2Pix", "Pix2PixConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"Pix2Pix": "model"})
