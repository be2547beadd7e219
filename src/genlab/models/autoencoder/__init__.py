"""Autoencoders: dense and convolutional, MSE or BCE loss, optional denoising."""

from genlab.models.autoencoder.config import AutoencoderConfig
from genlab.models.autoencoder.model import Autoencoder

__all__ = ["Autoencoder", "AutoencoderConfig"]
