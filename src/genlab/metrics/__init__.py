"""Metrics as pure functions over arrays."""

from genlab.metrics.classifier_metrics import conditional_accuracy, mode_coverage
from genlab.metrics.distribution import (
    density_coverage,
    fid,
    frechet_distance,
    inception_score,
    kid,
    manifold_metrics,
    precision_recall,
)
from genlab.metrics.image_quality import image_quality, psnr, ssim
from genlab.metrics.reconstruction import bce_per_image, mse_per_image, psnr_per_image, reconstruction_metrics

# Feature extractors (genlab.metrics.features) and generator_metrics (genlab.metrics.generative)
# import TensorFlow; import them from their modules.
__all__ = [
    "bce_per_image", "conditional_accuracy", "density_coverage", "fid", "frechet_distance", "image_quality",
    "inception_score", "kid", "manifold_metrics", "mode_coverage", "mse_per_image", "precision_recall", "psnr",
    "psnr_per_image", "reconstruction_metrics", "ssim",
]
