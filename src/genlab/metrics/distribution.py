"""Distribution metrics of generative models, as pure float64 functions of feature arrays.

Every function takes features shaped (N, D) (one row per image, from any extractor in
:mod:`genlab.metrics.features`) or class probabilities shaped (N, K), and computes in float64.

* FID, Heusel et al. (2017), "GANs Trained by a Two Time-Scale Update Rule Converge to a
  Local Nash Equilibrium": the Fréchet distance between Gaussians fitted to both sets,
  FID = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)).
* KID, Bińkowski et al. (2018), "Demystifying MMD GANs": the unbiased estimate of the squared
  MMD with the cubic polynomial kernel k(x, y) = (x.y / D + 1)^3, averaged over subsets.
* Inception Score, Salimans et al. (2016), "Improved Techniques for Training GANs":
  IS = exp(E_x KL(p(y|x) || p(y))), mean and standard deviation over splits.
* Precision and recall, Kynkäänniemi et al. (2019), "Improved Precision and Recall Metric for
  Assessing Generative Models": the fraction of one set inside the k-NN balls of the other.
* Density and coverage, Naeem et al. (2020), "Reliable Fidelity and Diversity Metrics for
  Generative Models".

Pairwise distances are computed in row blocks, so 10,000 x 10,000 comparisons need tens of
MB, not a dense matrix of 800 MB.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from genlab.core.errors import GenlabError

BLOCK_ROWS = 1024


def _features(array, name: str, min_rows: int = 1) -> np.ndarray:
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2:
        raise GenlabError(f"{name} must be shaped (N, D), got {array.shape}")
    if len(array) < min_rows:
        raise GenlabError(f"{name} needs at least {min_rows} rows, got {len(array)}")
    if not np.all(np.isfinite(array)):
        raise GenlabError(f"{name} contains NaN or infinite values")
    return array


def _same_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise GenlabError(f"feature sizes differ: {a.shape[1]} (real) and {b.shape[1]} (generated)")


# --------------------------------------------------------------------------------------
# FID
# --------------------------------------------------------------------------------------


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, N - 1) of ``features`` (N, D), in float64."""
    features = _features(features, "features", min_rows=2)
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], features.shape[1])


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (eigenvalues clipped at 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def trace_sqrt_product(sigma_1: np.ndarray, sigma_2: np.ndarray) -> float:
    """Tr((S1 S2)^(1/2)) for covariance matrices S1, S2, computed stably.

    S1 S2 is not symmetric, and a general matrix square root of it (``scipy.linalg.sqrtm``)
    can return complex values when the covariances are singular (fewer samples than
    dimensions). S1 S2 = S1^(1/2) (S1^(1/2) S2) has the eigenvalues of the symmetric PSD
    matrix M = S1^(1/2) S2 S1^(1/2), so Tr((S1 S2)^(1/2)) = sum_i sqrt(lambda_i(M)).
    """
    root_1 = _symmetric_sqrt(sigma_1)
    middle = root_1 @ sigma_2 @ root_1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    return float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def frechet_distance(mu_1, sigma_1, mu_2, sigma_2) -> float:
    """Fréchet distance between N(mu_1, sigma_1) and N(mu_2, sigma_2)."""
    mu_1, mu_2 = np.asarray(mu_1, np.float64).reshape(-1), np.asarray(mu_2, np.float64).reshape(-1)
    sigma_1, sigma_2 = np.atleast_2d(np.asarray(sigma_1, np.float64)), np.atleast_2d(np.asarray(sigma_2, np.float64))
    if mu_1.shape != mu_2.shape or sigma_1.shape != sigma_2.shape or sigma_1.shape != (len(mu_1), len(mu_1)):
        raise GenlabError(
            f"Gaussian statistics do not match: means {mu_1.shape}, {mu_2.shape}, covariances {sigma_1.shape}, {sigma_2.shape}"
        )
    mean_term = float(np.sum((mu_1 - mu_2) ** 2))  # ||mu_1 - mu_2||^2
    trace_term = float(np.trace(sigma_1) + np.trace(sigma_2)) - 2.0 * trace_sqrt_product(sigma_1, sigma_2)
    return max(mean_term + trace_term, 0.0)  # + Tr(S1 + S2 - 2 (S1 S2)^(1/2)); clip round-off below 0


def fid(real_features, fake_features) -> float:
    """Fréchet Inception Distance between two feature sets (any feature extractor)."""
    real, fake = _features(real_features, "real features", 2), _features(fake_features, "generated features", 2)
    _same_width(real, fake)
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


# --------------------------------------------------------------------------------------
# KID
# --------------------------------------------------------------------------------------


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None, coef0: float = 1.0):
    """k(x, y) = (gamma x.y + coef0)^degree, gamma = 1 / D by default."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def mmd_squared_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                         coef0: float = 1.0) -> float:
    """Unbiased MMD^2 between samples x (m, D) and y (n, D).

    MMD^2_u = 1/(m(m-1)) sum_{i!=j} k(x_i, x_j) + 1/(n(n-1)) sum_{i!=j} k(y_i, y_j)
              - 2/(mn) sum_{i,j} k(x_i, y_j)
    """
    m, n = len(x), len(y)
    k_xx = polynomial_kernel(x, x, degree, gamma, coef0)
    k_yy = polynomial_kernel(y, y, degree, gamma, coef0)
    k_xy = polynomial_kernel(x, y, degree, gamma, coef0)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kid(real_features, fake_features, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
        gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> dict[str, float]:
    """Kernel Inception Distance: MMD^2_u averaged over ``subsets`` random subsets of each set.

    Each subset draws ``min(subset_size, N_real, N_fake)`` rows without replacement from each
    set (when that is both whole sets, MMD^2_u is computed once). Returns
    ``{"kid": mean, "kid_std": standard deviation over subsets}``.
    """
    real, fake = _features(real_features, "real features", 2), _features(fake_features, "generated features", 2)
    _same_width(real, fake)
    if subsets <= 0 or subset_size < 2:
        raise GenlabError(f"KID needs subsets > 0 and subset_size >= 2, got {subsets} and {subset_size}")
    size = min(subset_size, len(real), len(fake))
    if size == len(real) == len(fake):  # every "subset" is the whole of both sets: one value, no spread
        return {"kid": mmd_squared_unbiased(real, fake, degree, gamma, coef0), "kid_std": 0.0}
    rng = np.random.default_rng(seed)
    values = [
        mmd_squared_unbiased(real[rng.choice(len(real), size, replace=False)],
                             fake[rng.choice(len(fake), size, replace=False)], degree, gamma, coef0)
        for _ in range(subsets)
    ]
    return {"kid": float(np.mean(values)), "kid_std": float(np.std(values))}


# --------------------------------------------------------------------------------------
# Inception Score
# --------------------------------------------------------------------------------------


def inception_score(probabilities, splits: int = 10, eps: float = 1e-12) -> dict[str, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))) per split; ``{"is": mean, "is_std": std}`` over splits.

    ``probabilities`` (N, K) are any classifier's class probabilities for generated images
    (rows are renormalized to sum to 1). The marginal p(y) is estimated within each split.
    """
    p = _features(probabilities, "probabilities", 1)
    if np.any(p < 0):
        raise GenlabError("probabilities must be >= 0")
    if splits <= 0 or splits > len(p):
        raise GenlabError(f"splits must be in 1..{len(p)} (the number of samples), got {splits}")
    p = p / np.maximum(p.sum(axis=1, keepdims=True), eps)
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)  # p(y) = E_x p(y|x)
        kl = np.sum(part * (np.log(part + eps) - np.log(marginal + eps)), axis=1)  # KL(p(y|x) || p(y))
        scores.append(np.exp(kl.mean()))  # exp(E_x KL)
    return {"is": float(np.mean(scores)), "is_std": float(np.std(scores))}


# --------------------------------------------------------------------------------------
# k-NN manifold metrics: precision/recall, density/coverage
# --------------------------------------------------------------------------------------


def _distance_blocks(a: np.ndarray, b: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """Euclidean distances between rows of ``a`` and all rows of ``b``, one block of rows at a time."""
    b_norms = np.sum(b**2, axis=1)
    for start in range(0, len(a), BLOCK_ROWS):
        block = a[start : start + BLOCK_ROWS]
        squared = np.sum(block**2, axis=1)[:, None] + b_norms[None, :] - 2.0 * (block @ b.T)
        yield slice(start, start + len(block)), np.sqrt(np.clip(squared, 0.0, None))


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest neighbour in the same set (itself excluded)."""
    if not 0 < k < len(features):
        raise GenlabError(f"k must be in 1..{len(features) - 1} (the set size minus one), got {k}")
    radii = np.empty(len(features))
    for rows, distances in _distance_blocks(features, features):
        radii[rows] = np.partition(distances, k, axis=1)[:, k]  # index 0 is the point itself
    return radii


def _fraction_inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Fraction of ``points`` inside at least one ball B(centre_i, radius_i)."""
    inside = np.zeros(len(points), bool)
    for rows, distances in _distance_blocks(points, centres):
        inside[rows] = np.any(distances <= radii[None, :], axis=1)
    return float(inside.mean())


def manifold_metrics(real_features, fake_features, k_precision_recall: int = 3, k_density_coverage: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage together, sharing the distance computations.

    Three blocked passes over the data (real-real, fake-fake, fake-real) instead of five.
    """
    real, fake = _features(real_features, "real features", 2), _features(fake_features, "generated features", 2)
    _same_width(real, fake)
    k_pr, k_dc = k_precision_recall, k_density_coverage
    for k in (k_pr, k_dc):
        if not 0 < k < min(len(real), len(fake)):
            raise GenlabError(f"k must be in 1..{min(len(real), len(fake)) - 1} (the smaller set size minus one), got {k}")
    real_radii = {k: np.empty(len(real)) for k in (k_pr, k_dc)}
    for rows, distances in _distance_blocks(real, real):
        ordered = np.partition(distances, sorted({k_pr, k_dc}), axis=1)  # index 0 is the point itself
        for k in real_radii:
            real_radii[k][rows] = ordered[:, k]
    fake_radii = knn_radii(fake, k_pr)
    in_real_manifold = np.zeros(len(fake), bool)  # fake_j inside some real k-NN ball (precision)
    in_fake_manifold = np.zeros(len(real), bool)  # real_i inside some fake k-NN ball (recall)
    covered = np.zeros(len(real), bool)  # some fake_j inside B(real_i, NND_k(real_i)) (coverage)
    count_inside = 0.0  # sum_j sum_i 1[fake_j in B(real_i, NND_k(real_i))] (density)
    for rows, distances in _distance_blocks(fake, real):
        in_real_manifold[rows] = np.any(distances <= real_radii[k_pr][None, :], axis=1)
        in_fake_manifold |= np.any(distances <= fake_radii[rows][:, None], axis=0)
        inside = distances <= real_radii[k_dc][None, :]
        count_inside += float(inside.sum())
        covered |= inside.any(axis=0)
    return {
        "precision": float(in_real_manifold.mean()),  # (1/M) sum_j 1[fake_j in real manifold]
        "recall": float(in_fake_manifold.mean()),  # (1/N) sum_i 1[real_i in fake manifold]
        "density": count_inside / (k_dc * len(fake)),  # 1/(kM) sum_j sum_i 1[fake_j in B(real_i, NND_k)]
        "coverage": float(covered.mean()),  # 1/N sum_i 1[exists j: fake_j in B(real_i, NND_k)]
    }


def precision_recall(real_features, fake_features, k: int = 3) -> dict[str, float]:
    """k-NN precision and recall (Kynkäänniemi et al. 2019).

    precision = (1/M) sum_j 1[fake_j is inside some real k-NN ball]   (fidelity)
    recall    = (1/N) sum_i 1[real_i is inside some fake k-NN ball]   (diversity)
    """
    real, fake = _features(real_features, "real features", k + 1), _features(fake_features, "generated features", k + 1)
    _same_width(real, fake)
    precision = _fraction_inside(fake, real, knn_radii(real, k))
    recall = _fraction_inside(real, fake, knn_radii(fake, k))
    return {"precision": precision, "recall": recall}


def density_coverage(real_features, fake_features, k: int = 5) -> dict[str, float]:
    """Density and coverage (Naeem et al. 2020), from the real set's k-NN balls only.

    density  = 1/(kM) sum_j sum_i 1[fake_j in B(real_i, NND_k(real_i))]   (can exceed 1)
    coverage = 1/N sum_i 1[some fake_j in B(real_i, NND_k(real_i))]
    """
    real, fake = _features(real_features, "real features", k + 1), _features(fake_features, "generated features", 1)
    _same_width(real, fake)
    radii = knn_radii(real, k)
    count_inside = 0.0
    covered = np.zeros(len(real), bool)
    for rows, distances in _distance_blocks(fake, real):
        inside = distances <= radii[None, :]
        count_inside += float(inside.sum())
        covered |= inside.any(axis=0)
    return {"density": count_inside / (k * len(fake)), "coverage": float(covered.mean())}
