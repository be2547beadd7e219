"""What a family can do beyond training, declared in its type: ``class VAE(GenerativeModel,
Reconstructs, EncodesLatents, EvaluatesItself)``. Commands ask ``isinstance(model, Translates)``
instead of probing for a method, so a family says what it offers in one line and a missing
method is an error at once (each capability's method here raises until the family defines it).
"""

from __future__ import annotations

import numpy as np


class Capability:
    """Base of the capability interfaces below (a family lists several)."""

    def _missing(self, method: str):
        raise TypeError(f"{type(self).__name__} declares a capability that needs {method}() but does not define it")


class Reconstructs(Capability):
    """x -> x^: ``genlab reconstruct`` and the tabular detector's reconstruction score."""

    def reconstruct(self, images, *args, **kwargs) -> np.ndarray:
        self._missing("reconstruct")


class Denoises(Reconstructs):
    """Corrupts clean images (``corrupt``) and reconstructs them: ``genlab denoise``."""

    def corrupt(self, images, noise: str | None = None, seed: int = 0) -> np.ndarray:
        self._missing("corrupt")


class EncodesLatents(Capability):
    """Images -> latent vectors: interpolation between test images, latent maps."""

    def encode_latents(self, images, labels=None) -> np.ndarray:
        self._missing("encode_latents")


class ClassifiesImages(Capability):
    """Class probabilities and penultimate features: a feature extractor for FID/KID, mode coverage."""

    def class_probabilities(self, images, value_range=None, batch_size: int = 256) -> np.ndarray:
        self._missing("class_probabilities")

    def features(self, images, value_range=None, batch_size: int = 256) -> np.ndarray:
        self._missing("features")


class Translates(Capability):
    """Image -> image in another domain: ``genlab translate``."""

    def translate(self, images, direction: str = "a2b", batch_size: int = 16) -> np.ndarray:
        self._missing("translate")


class Upscales(Capability):
    """Low resolution -> high resolution: ``genlab upscale``."""

    def upscale(self, images, *args, **kwargs) -> np.ndarray:
        self._missing("upscale")


class MixesStyles(Capability):
    """Coarse styles from one latent, fine from another: ``genlab style-mix``, project, edit."""

    def style_mix(self, row_latents, column_latents, crossover: int, truncation: float = 1.0) -> np.ndarray:
        self._missing("style_mix")


class EvaluatesItself(Capability):
    """A family's own ``genlab evaluate`` table (reconstruction error, NLL, accuracy, PSNR)."""

    def evaluation_table(self, data, limit: int | None = None) -> dict[str, dict[str, float]]:
        self._missing("evaluation_table")


class DescribesEvaluation(EvaluatesItself):
    """Also says how its figures were computed (``evaluation_protocol``: binarization, samples)."""

    def evaluation_protocol(self) -> dict:
        self._missing("evaluation_protocol")


class ScoresContributions(Capability):
    """Per-feature contributions to a row's anomaly score, for the tabular detector's top features."""

    def score_contributions(self, z, metric: str) -> np.ndarray:
        self._missing("score_contributions")
