"""Classical baselines that genlab's neural models are measured against.

:class:`PCABaseline` is the linear autoencoder: project onto the first k principal
components and back, x^ = mu + W W^T (x - mu), with W the top-k eigenvectors of the data
covariance. An autoencoder with linear layers and MSE loss learns the same subspace; the
non-linear encoder/decoder is why an autoencoder can beat it at equal code size.
"""

from __future__ import annotations

import numpy as np

from genlab.core.errors import GenlabError


class PCABaseline:
    """PCA reconstruction with ``n_components`` components (scikit-learn PCA underneath)."""

    def __init__(self, n_components: int, seed: int = 0):
        if n_components <= 0:
            raise GenlabError(f"n_components must be > 0, got {n_components}")
        self.n_components = n_components
        self.seed = seed
        self.pca = None
        self.shape: tuple[int, ...] | None = None

    def fit(self, x: np.ndarray) -> "PCABaseline":
        from sklearn.decomposition import PCA

        flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
        if self.n_components > min(flat.shape):
            raise GenlabError(f"PCA needs n_components <= {min(flat.shape)}, got {self.n_components}")
        self.shape = tuple(x.shape[1:])
        self.pca = PCA(n_components=self.n_components, svd_solver="randomized", random_state=self.seed).fit(flat)
        return self

    def encode(self, x: np.ndarray) -> np.ndarray:
        return self.pca.transform(np.asarray(x, dtype=np.float32).reshape(len(x), -1))

    def decode(self, codes: np.ndarray, clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
        out = self.pca.inverse_transform(codes).reshape((len(codes),) + self.shape)
        return np.clip(out, *clip) if clip is not None else out

    def reconstruct(self, x: np.ndarray, clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
        return self.decode(self.encode(x), clip)
