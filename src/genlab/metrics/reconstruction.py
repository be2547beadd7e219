"""Reconstruction metrics, shared by every model that reconstructs (autoencoders, the PCA
baseline, VAEs), so that the figures they print are comparable by construction.

All functions take arrays in [0, 1] shaped (N, ...) and return one value per example,
computed in float64:

* MSE  = mean_j (x_j - x^_j)^2
* BCE  = -mean_j [x_j log x^_j + (1 - x_j) log(1 - x^_j)]   (x^ clipped to [eps, 1 - eps])
* PSNR = 10 log10(MAX^2 / MSE), MAX = 1
"""

from __future__ import annotations

import numpy as np

EPSILON = 1e-7


def _flat(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(len(x), -1)


def mse_per_image(target: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    return np.mean((_flat(target) - _flat(reconstruction)) ** 2, axis=1)


def bce_per_image(target: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    x, p = _flat(target), np.clip(_flat(reconstruction), EPSILON, 1.0 - EPSILON)
    return -np.mean(x * np.log(p) + (1.0 - x) * np.log(1.0 - p), axis=1)


def psnr_per_image(target: np.ndarray, reconstruction: np.ndarray, max_value: float = 1.0) -> np.ndarray:
    mse = np.maximum(mse_per_image(target, reconstruction), 1e-12)
    return 10.0 * np.log10(max_value**2 / mse)


def reconstruction_metrics(target: np.ndarray, reconstruction: np.ndarray) -> dict[str, float]:
    """Mean MSE, BCE and PSNR (dB) over the examples."""
    return {
        "mse": float(np.mean(mse_per_image(target, reconstruction))),
        "bce": float(np.mean(bce_per_image(target, reconstruction))),
        "psnr": float(np.mean(psnr_per_image(target, reconstruction))),
    }
