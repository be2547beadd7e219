"""Metrics as pure functions over arrays."""

from genlab.metrics.reconstruction import bce_per_image, mse_per_image, psnr_per_image, reconstruction_metrics

__all__ = ["bce_per_image", "mse_per_image", "psnr_per_image", "reconstruction_metrics"]
