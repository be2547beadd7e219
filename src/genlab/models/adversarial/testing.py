"""Tiny shared inputs for the adversarial families' tests (8x8 grayscale, 4-dimensional latents)."""

from __future__ import annotations

import numpy as np

IMAGES = np.random.default_rng(0).uniform(-1, 1, size=(4, 8, 8, 1)).astype("float32")
LATENTS = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
#: the smallest networks of the shared adversarial config (dense and conv)
TINY = {"input_shape": (8, 8, 1), "latent_dim": 4, "filters": (4, 8), "hidden_units": (8, 16)}


def model_factory(model_class, config_class, **overrides):
    """A zero-argument builder of a tiny ``model_class`` (what the family harness takes)."""
    values = {**TINY, **overrides}
    return lambda: model_class(config_class(**values))
