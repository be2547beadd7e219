"""What a domain classifier says about generated images: conditional accuracy and mode coverage.

Given class probabilities p(y|x) of generated images from a classifier trained on the real
data (``genlab train classifier``):

* conditional accuracy: the fraction of samples of a conditional generator that the
  classifier assigns to the class they were generated for (does the label control the image?);
* mode coverage: how many classes the generated images fall into, and how far their class
  histogram h is from uniform, KL(h || U) = sum_c h_c log(h_c K) (0 for perfectly balanced,
  log K when every sample falls into one class: total mode collapse).
"""

from __future__ import annotations

import numpy as np

from genlab.core.errors import GenlabError


def _probabilities(probabilities) -> np.ndarray:
    p = np.asarray(probabilities, np.float64)
    if p.ndim != 2 or len(p) == 0 or p.shape[1] < 2:
        raise GenlabError(f"class probabilities must be shaped (N, K) with N >= 1 and K >= 2, got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise GenlabError("class probabilities contain NaN or infinite values")
    return p


def mode_coverage(probabilities, min_count: int = 1) -> dict:
    """Class histogram of the predicted classes (argmax) of generated images.

    Returns ``{"classes_covered": number of classes predicted at least ``min_count`` times,
    "kl_to_uniform": KL(histogram || uniform) in nats, "histogram": fraction per class}``.
    """
    p = _probabilities(probabilities)
    classes = p.shape[1]
    counts = np.bincount(np.argmax(p, axis=1), minlength=classes)
    histogram = counts / counts.sum()
    nonzero = histogram > 0
    kl = float(np.sum(histogram[nonzero] * np.log(histogram[nonzero] * classes)))  # sum_c h_c log(h_c / (1/K))
    return {
        "classes_covered": int(np.sum(counts >= min_count)),
        "kl_to_uniform": max(kl, 0.0),
        "histogram": [float(h) for h in histogram],
    }


def conditional_accuracy(probabilities, labels) -> float:
    """Fraction of samples whose predicted class (argmax) equals the class they were generated for."""
    p = _probabilities(probabilities)
    labels = np.asarray(labels)
    if labels.shape != (len(p),):
        raise GenlabError(f"expected {len(p)} labels shaped ({len(p)},), got shape {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= p.shape[1]):
        raise GenlabError(f"labels must lie in 0..{p.shape[1] - 1}, got {labels.min()}..{labels.max()}")
    return float(np.mean(np.argmax(p, axis=1) == labels))
