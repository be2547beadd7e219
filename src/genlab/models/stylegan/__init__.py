"""StyleGAN2: mapping network, modulated convolutions, noise, style mixing, truncation, EMA generator."""

from genlab.core.lazy import lazy_exports
from genlab.models.stylegan.config import StyleGANConfig

__all__ = ["StyleGAN", "StyleGANConfig", "broadcast_styles", "mix_styles"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"StyleGAN": "model", "broadcast_styles": "model", "mix_styles": "model"})
