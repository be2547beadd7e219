import numpy as np
import pytest
import scipy.linalg

from genlab.core.errors import GenlabError
from genlab.metrics.distribution import (
    density_coverage,
    feature_statistics,
    fid,
    frechet_distance,
    inception_score,
    kid,
    knn_radii,
    precision_recall,
    trace_sqrt_product,
)

RNG = np.random.default_rng(0)


def reference_fid(x, y):
    """Independent FID: textbook formula with scipy's general matrix square root."""
    mu_x, mu_y = x.mean(0), y.mean(0)
    s_x, s_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    root = scipy.linalg.sqrtm(s_x @ s_y)
    root = np.real(root)
    return float(np.sum((mu_x - mu_y) ** 2) + np.trace(s_x + s_y - 2 * root))


def reference_mmd(x, y):
    """Independent unbiased MMD^2, cubic kernel (x.y/d + 1)^3, with explicit loops over pairs."""
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_fid_of_a_set_with_itself_is_zero():
    x = RNG.normal(size=(200, 16))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_a_singular_set_with_itself_is_zero():
    x = RNG.normal(size=(10, 64))  # fewer samples than dimensions: singular covariance
    assert fid(x, x) == pytest.approx(0.0, abs=1e-7)


def test_frechet_distance_closed_form_for_known_gaussians():
    mu_1, mu_2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var_1, var_2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    # diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt(a) - sqrt(b))^2 = 5 + (1 + 1 + 4)
    expected = 5.0 + np.sum((np.sqrt(var_1) - np.sqrt(var_2)) ** 2)
    assert frechet_distance(mu_1, np.diag(var_1), mu_2, np.diag(var_2)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(11.0)


def test_frechet_distance_closed_form_rotated():
    """A shared rotation of both covariances leaves the distance unchanged."""
    rotation, _ = np.linalg.qr(RNG.normal(size=(4, 4)))
    s_1, s_2 = rotation @ np.diag([1.0, 2.0, 3.0, 4.0]) @ rotation.T, rotation @ np.diag([4.0, 3.0, 2.0, 1.0]) @ rotation.T
    expected = np.sum((np.sqrt([1, 2, 3, 4]) - np.sqrt([4, 3, 2, 1])) ** 2)
    assert frechet_distance(np.zeros(4), s_1, np.zeros(4), s_2) == pytest.approx(expected, rel=1e-10)


def test_fid_of_samples_approaches_the_closed_form():
    mu_1, mu_2 = np.zeros(3), np.array([1.0, -1.0, 0.5])
    s_1, s_2 = np.diag([1.0, 2.0, 0.5]), np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
    x = RNG.multivariate_normal(mu_1, s_1, size=200_000)
    y = RNG.multivariate_normal(mu_2, s_2, size=200_000)
    expected = frechet_distance(mu_1, s_1, mu_2, s_2)
    assert fid(x, y) == pytest.approx(expected, rel=0.02)


def test_fid_matches_scipy_reference():
    x = RNG.normal(size=(300, 24))
    y = RNG.normal(size=(250, 24)) @ RNG.normal(size=(24, 24)) * 0.3 + 0.5
    assert fid(x, y) == pytest.approx(reference_fid(x, y), rel=1e-4)
    mu_x, s_x = feature_statistics(x)
    mu_y, s_y = feature_statistics(y)
    assert trace_sqrt_product(s_x, s_y) == pytest.approx(np.trace(np.real(scipy.linalg.sqrtm(s_x @ s_y))), rel=1e-6)


def test_kid_matches_loop_reference_on_one_subset():
    x, y = RNG.normal(size=(12, 5)), RNG.normal(size=(12, 5)) + 0.3
    result = kid(x, y, subsets=1, subset_size=12)  # the subset is the whole (permuted) set
    assert result["kid"] == pytest.approx(reference_mmd(x, y), rel=1e-4)
    assert result["kid_std"] == 0.0


def test_kid_is_about_zero_for_one_distribution_and_grows_with_a_mean_shift():
    x, y = RNG.normal(size=(600, 8)), RNG.normal(size=(600, 8))
    same = kid(x, y, subsets=20, subset_size=200)
    assert abs(same["kid"]) < 3 * same["kid_std"] + 1e-3
    values = [kid(x, y + shift, subsets=20, subset_size=200)["kid"] for shift in (0.25, 0.5, 1.0)]
    assert same["kid"] < values[0] < values[1] < values[2]
    assert values[0] > 5 * same["kid_std"]


def test_inception_score_known_answers():
    classes = 10
    confident_uniform = np.eye(classes)[np.arange(1000) % classes]
    assert inception_score(confident_uniform, splits=10)["is"] == pytest.approx(classes, rel=1e-6)
    collapsed = np.eye(classes)[np.zeros(1000, int)]
    assert inception_score(collapsed, splits=10)["is"] == pytest.approx(1.0, abs=1e-6)
    unsure = np.full((1000, classes), 1.0 / classes)  # uniform p(y|x): no confidence at all
    assert inception_score(unsure)["is"] == pytest.approx(1.0, abs=1e-6)
    half = np.eye(classes)[np.arange(1000) % 5]  # confident, but only 5 classes
    assert inception_score(half, splits=4)["is"] == pytest.approx(5.0, rel=1e-6)


def test_precision_recall_of_a_set_with_itself_is_one():
    x = RNG.normal(size=(300, 6))
    assert precision_recall(x, x, k=3) == {"precision": 1.0, "recall": 1.0}
    coverage = density_coverage(x, x, k=5)
    assert coverage["coverage"] == 1.0
    assert 0.8 < coverage["density"] < 1.5


def test_precision_recall_separate_fidelity_from_diversity():
    real = RNG.normal(size=(500, 2))
    collapsed = RNG.normal(size=(500, 2)) * 0.1  # inside the real support, but covers little of it
    result = precision_recall(real, collapsed, k=3)
    assert result["precision"] > 0.95 and result["recall"] < 0.3
    far = RNG.normal(size=(500, 2)) + 10.0  # nowhere near the real data
    assert precision_recall(real, far, k=3) == {"precision": 0.0, "recall": 0.0}
    coverage = density_coverage(real, collapsed, k=5)
    assert coverage["coverage"] < 0.3 and coverage["density"] > 0.5


def test_blocked_distances_give_exact_radii(monkeypatch):
    import genlab.metrics.distribution as distribution

    x = RNG.normal(size=(50, 3))
    full = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    expected = np.sort(full, axis=1)[:, 2]
    monkeypatch.setattr(distribution, "BLOCK_ROWS", 7)
    np.testing.assert_allclose(knn_radii(x, 2), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fid(np.zeros((5, 3)), np.zeros((5, 4))), "feature sizes differ"),
        (lambda: fid(np.zeros((1, 3)), np.zeros((5, 3))), "at least 2 rows"),
        (lambda: fid(np.full((5, 3), np.nan), np.zeros((5, 3))), "NaN"),
        (lambda: inception_score(np.ones((3, 2)), splits=4), "splits"),
        (lambda: knn_radii(np.zeros((3, 2)), 3), "k must be"),
        (lambda: kid(np.zeros((5, 3)), np.zeros((5, 3)), subsets=0), "subsets"),
    ],
)
def test_bad_input_raises_genlab_error(call, message):
    with pytest.raises(GenlabError, match=message):
        call()


def test_manifold_metrics_equal_the_separate_functions(monkeypatch):
    import genlab.metrics.distribution as distribution
    from genlab.metrics.distribution import manifold_metrics

    monkeypatch.setattr(distribution, "BLOCK_ROWS", 37)
    real, fake = RNG.normal(size=(120, 4)), RNG.normal(size=(90, 4)) * 1.3 + 0.2
    combined = manifold_metrics(real, fake, 3, 5)
    assert combined == {**precision_recall(real, fake, 3), **density_coverage(real, fake, 5)}
    assert 0 < combined["precision"] < 1 and 0 < combined["recall"] < 1
