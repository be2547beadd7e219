"""Autoencoders: dense and convolutional, MSE or BCE loss, optional denoising."""

from genlab.core.lazy import lazy_exports
from genlab.models.autoencoder.config import AutoencoderConfig

__all__ = ["Autoencoder", "AutoencoderConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"Autoencoder": "model"})
