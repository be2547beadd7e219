"""CycleGAN: unpaired image-to-image translation with cycle consistency (Zhu et al., 2017)."""

from genlab.core.lazy import lazy_exports
from genlab.models.cyclegan.config import CycleGANConfig

__all__ = ["CycleGAN", "CycleGANConfig", "ImageHistory"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"ImageHistory": "history", "CycleGAN": "model"})
