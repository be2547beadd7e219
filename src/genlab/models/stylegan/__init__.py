"""StyleGAN2: mapping network, modulated convolutions, noise, style mixing, truncation, EMA generator."""

from genlab.models.stylegan.config import StyleGANConfig
from genlab.models.stylegan.model import StyleGAN, broadcast_styles, mix_styles

__all__ = ["StyleGAN", "StyleGANConfig", "broadcast_styles", "mix_styles"]
