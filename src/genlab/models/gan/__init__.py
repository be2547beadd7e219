"""GAN (dense, minimax or non-saturating) and DCGAN (convolutional)."""

from genlab.core.lazy import lazy_exports
from genlab.models.gan.config import DCGANConfig, GANConfig

__all__ = ["DCGAN", "DCGANConfig", "GAN", "GANConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"DCGAN": "model", "GAN": "model"})
