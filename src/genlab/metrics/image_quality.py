"""PSNR and SSIM, in plain RGB and with the super-resolution protocol.

* PSNR = 10 log10(MAX^2 / MSE).
* SSIM, Wang et al. (2004), "Image Quality Assessment: From Error Visibility to Structural
  Similarity": with local means mu, variances sigma^2 and covariance sigma_xy under an
  11x11 Gaussian window (sigma 1.5),
  SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),
  C1 = (0.01 L)^2, C2 = (0.03 L)^2, L the data range; averaged over the positions where
  the window fits inside the image (and over channels). Same definition as the paper's
  reference code and as ``skimage.metrics.structural_similarity(gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False)``.

The super-resolution protocol (SRCNN, EDSR, SRGAN papers) compares the luma channel Y of
ITU-R BT.601 (Y = 16 + 65.481 R + 128.553 G + 24.966 B for RGB in [0, 1], so Y in [16, 235])
after cropping ``border`` pixels (usually the upscaling factor) from every side, with L = 255.
Single-channel images are their own luma (scaled to [0, 255]).
"""

from __future__ import annotations

import numpy as np

from genlab.core.errors import GenlabError

WINDOW_RADIUS = 5  # 11 x 11 window
WINDOW_SIGMA = 1.5


def _pair(reference, output) -> tuple[np.ndarray, np.ndarray]:
    reference, output = np.asarray(reference, np.float64), np.asarray(output, np.float64)
    if reference.shape != output.shape:
        raise GenlabError(f"images to compare have different shapes: {reference.shape} and {output.shape}")
    return reference, output


def psnr(reference, output, data_range: float = 1.0) -> float:
    """PSNR (dB) over all values of two arrays of one shape; ``inf`` for identical arrays."""
    reference, output = _pair(reference, output)
    mse = np.mean((reference - output) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def _gaussian_window() -> np.ndarray:
    offsets = np.arange(-WINDOW_RADIUS, WINDOW_RADIUS + 1, dtype=np.float64)
    weights = np.exp(-(offsets**2) / (2.0 * WINDOW_SIGMA**2))
    return weights / weights.sum()


def _local_mean(image: np.ndarray) -> np.ndarray:
    """Gaussian-weighted mean over every position where the 11x11 window fits (a 'valid' filter)."""
    weights = _gaussian_window()
    size = len(weights)
    rows = sum(w * image[i : image.shape[0] - size + 1 + i] for i, w in enumerate(weights))
    return sum(w * rows[:, i : rows.shape[1] - size + 1 + i] for i, w in enumerate(weights))


def _ssim_channel(x: np.ndarray, y: np.ndarray, data_range: float) -> float:
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = _local_mean(x), _local_mean(y)
    var_x = _local_mean(x * x) - mu_x**2  # sigma_x^2 (population, as in the paper's code)
    var_y = _local_mean(y * y) - mu_y**2
    cov_xy = _local_mean(x * y) - mu_x * mu_y  # sigma_xy
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(ssim_map.mean())


def ssim(reference, output, data_range: float = 1.0) -> float:
    """Mean SSIM of two images shaped (H, W) or (H, W, C) (channels averaged)."""
    reference, output = _pair(reference, output)
    if reference.ndim == 2:
        reference, output = reference[..., None], output[..., None]
    if reference.ndim != 3:
        raise GenlabError(f"ssim expects one image shaped (H, W) or (H, W, C), got {reference.shape}")
    if min(reference.shape[:2]) < 2 * WINDOW_RADIUS + 1:
        raise GenlabError(f"ssim needs images of at least {2 * WINDOW_RADIUS + 1}x{2 * WINDOW_RADIUS + 1}, got {reference.shape[:2]}")
    return float(np.mean([_ssim_channel(reference[..., c], output[..., c], data_range) for c in range(reference.shape[-1])]))


def rgb_to_luma(images, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """ITU-R BT.601 luma Y in [16, 235] of RGB images (..., 3); one channel (..., 1) -> [0, 255]."""
    images = np.asarray(images, np.float64)
    low, high = value_range
    unit = (images - low) / (high - low)
    if images.shape[-1] == 1:
        return unit[..., 0] * 255.0
    if images.shape[-1] != 3:
        raise GenlabError(f"expected RGB or grayscale images (last axis 3 or 1), got {images.shape}")
    return 16.0 + unit @ np.array([65.481, 128.553, 24.966])  # Y = 16 + 65.481 R + 128.553 G + 24.966 B


def image_quality(reference, output, value_range: tuple[float, float] = (0.0, 1.0), protocol: str = "rgb",
                  border: int = 0) -> dict[str, float]:
    """Mean PSNR and SSIM over a batch of images (N, H, W, C) in ``value_range``.

    ``protocol="rgb"``: all channels mapped to [0, 1], L = 1. ``protocol="y"``: the
    super-resolution protocol (luma only, L = 255). Either crops ``border`` pixels per side.
    """
    reference, output = _pair(reference, output)
    if reference.ndim != 4:
        raise GenlabError(f"image_quality expects batches shaped (N, H, W, C), got {reference.shape}")
    if border < 0 or 2 * border >= min(reference.shape[1:3]):
        raise GenlabError(f"border {border} is too large for images of {reference.shape[1]}x{reference.shape[2]}")
    if protocol == "y":
        reference, output = rgb_to_luma(reference, value_range)[..., None], rgb_to_luma(output, value_range)[..., None]
        data_range = 255.0
    elif protocol == "rgb":
        low, high = value_range
        reference, output = (reference - low) / (high - low), (output - low) / (high - low)
        data_range = 1.0  # SSIM depends on absolute means: compare in [0, 1] whatever the model's range
    else:
        raise GenlabError(f"protocol must be 'rgb' or 'y', got {protocol!r}")
    if border:
        reference, output = reference[:, border:-border, border:-border], output[:, border:-border, border:-border]
    return {
        "psnr": float(np.mean([psnr(r, o, data_range) for r, o in zip(reference, output)])),
        "ssim": float(np.mean([ssim(r, o, data_range) for r, o in zip(reference, output)])),
    }
