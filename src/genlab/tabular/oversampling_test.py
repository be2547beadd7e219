"""VAEOversampler: counts of fit_resample, minority-like rows, reproducibility, bad input."""

import numpy as np
import pandas as pd
import pytest

from genlab.tabular import VAEOversampler
from genlab.tabular.oversampling import OversamplerConfig, inverse_transform, training_steps
from genlab.data.tabular import TabularPreprocessor
from genlab.core.errors import GenlabError

SMALL = {"epochs": 40, "batch_size": 32, "hidden_units": (16,), "latent_dim": 2}


def two_gaussians(seed: int = 0, majority: int = 300, minority: int = 30) -> tuple[pd.DataFrame, np.ndarray]:
    """Majority N(0, 1), minority N(3, 1) in 4 features, plus a skewed non-negative amount."""
    rng = np.random.default_rng(seed)
    features = np.r_[rng.normal(0.0, 1.0, (majority, 4)), rng.normal(3.0, 1.0, (minority, 4))]
    frame = pd.DataFrame(features, columns=["a", "b", "c", "d"])
    frame["amount"] = np.exp(rng.normal(1.0, 0.8, majority + minority))
    return frame, np.r_[np.zeros(majority, np.int64), np.ones(minority, np.int64)]


@pytest.fixture(scope="module")
def fitted():
    frame, labels = two_gaussians()
    return frame, labels, VAEOversampler(seed=0, **SMALL).fit(frame, labels)


def test_fit_resample_reaches_the_ratio_and_keeps_the_original_rows_first():
    frame, labels = two_gaussians()
    resampled, new_labels = VAEOversampler(sampling_strategy=0.5, seed=0, **SMALL).fit_resample(
        frame, pd.Series(labels, name="Class"))
    assert isinstance(resampled, pd.DataFrame) and list(resampled.columns) == list(frame.columns)
    assert isinstance(new_labels, pd.Series) and new_labels.name == "Class"
    new_labels = new_labels.to_numpy()
    assert np.bincount(new_labels).tolist() == [300, 150]  # 0.5 * 300 minority rows after resampling
    assert len(resampled) == len(new_labels) == 450
    pd.testing.assert_frame_equal(resampled.iloc[:330], frame)
    assert np.array_equal(new_labels[:330], labels) and np.all(new_labels[330:] == 1)
    assert np.isfinite(resampled.to_numpy()).all() and (resampled["amount"] >= 0).all()


def test_arrays_in_arrays_out():
    frame, labels = two_gaussians()
    x, y = VAEOversampler(sampling_strategy=1.0, seed=0, epochs=2).fit_resample(frame.to_numpy(), labels)
    assert isinstance(x, np.ndarray) and x.shape == (600, 5) and np.bincount(y).tolist() == [300, 300]


def test_sampled_minority_rows_look_like_the_minority(fitted):
    frame, labels, oversampler = fitted
    rows = oversampler.sample(400, 1, seed=3)[["a", "b", "c", "d"]].mean().to_numpy()
    minority = frame[labels == 1][["a", "b", "c", "d"]].mean().to_numpy()
    majority = frame[labels == 0][["a", "b", "c", "d"]].mean().to_numpy()
    assert np.all(np.abs(rows - minority) < np.abs(rows - majority)), (rows, minority, majority)
    assert np.all(np.abs(rows - minority) < 0.75)


def test_sampling_is_reproducible_and_refitting_with_the_seed_repeats_it(fitted):
    frame, labels, oversampler = fitted
    pd.testing.assert_frame_equal(oversampler.sample(20, 1, seed=7), oversampler.sample(20, 1, seed=7))
    assert not oversampler.sample(20, 1).equals(oversampler.sample(20, 1))  # the stream moves on
    again = VAEOversampler(seed=0, **SMALL).fit(frame, labels)
    np.testing.assert_allclose(again.sample(20, 1, seed=7).to_numpy(), oversampler.sample(20, 1, seed=7).to_numpy(),
                               rtol=1e-5, atol=1e-5)


def test_prior_latents_and_integer_columns():
    frame, labels = two_gaussians(majority=60, minority=20)
    frame["count"] = np.arange(len(frame)) % 7
    oversampler = VAEOversampler(seed=0, latent="prior", epochs=3).fit(frame, labels)
    rows = oversampler.sample(10, 1)
    assert rows["count"].dtype == frame["count"].dtype and rows.shape == (10, 6)


def test_inverse_transform_undoes_the_preprocessing():
    frame, _ = two_gaussians()
    values = frame.to_numpy()
    processor = TabularPreprocessor.fit(values, list(frame.columns), scaling="minmax")
    assert processor.log1p == ["amount"]
    np.testing.assert_allclose(inverse_transform(processor, processor.transform_values(values)), values,
                               rtol=1e-5, atol=1e-5)


def test_training_budget_in_steps(fitted):
    assert training_steps(OversamplerConfig(), 400, 128) == 3000  # default: a fixed number of steps
    assert training_steps(OversamplerConfig(epochs=5), 400, 128) == 20  # 4 steps per epoch
    _, _, oversampler = fitted  # 40 epochs of 11 batches of 32 rows (330 rows), logged every 100 steps
    assert [entry["step"] for entry in oversampler.history_] == [100, 200, 300, 400, 500]
    assert oversampler.history_[-1]["reconstruction"] < oversampler.history_[0]["reconstruction"]


@pytest.mark.parametrize("x, y, message", [
    (np.zeros((5, 2)), np.zeros(5, int), "single class"),
    (np.zeros((5, 2)), np.array([0, 1, 0]), "5 rows but y has 3"),
    (np.array([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]]), np.array([0, 1, 0]), "missing value"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0], "city": ["x", "y", "z"]}), np.array([0, 1, 0]), "non-numeric column"),
    (np.zeros((3, 2)), np.array([0.0, 0.5, 1.0]), "integer class labels"),
    (np.zeros(4), np.array([0, 1, 0, 1]), "2-D table"),
])
def test_bad_input_is_refused_before_training(x, y, message):
    with pytest.raises(GenlabError, match=message):
        VAEOversampler(epochs=1).fit_resample(x, y)


def test_bad_options_and_ratios():
    with pytest.raises(GenlabError, match="sampling_strategy"):
        VAEOversampler(sampling_strategy=0)
    with pytest.raises(GenlabError, match="latent must be one of"):
        OversamplerConfig(latent="mean")
    with pytest.raises(GenlabError, match="unknown OversamplerConfig field"):
        VAEOversampler(ratio=0.5)
    frame, labels = two_gaussians(majority=40, minority=30)
    with pytest.raises(GenlabError, match="asks for no new rows.*class 1 already has 30"):
        VAEOversampler(sampling_strategy=0.5, epochs=1).fit_resample(frame, labels)
    with pytest.raises(GenlabError, match="not fitted"):
        VAEOversampler().sample(3, 1)


def test_sample_checks_its_arguments(fitted):
    _, _, oversampler = fitted
    with pytest.raises(GenlabError, match="label 2 is not one of the fitted classes"):
        oversampler.sample(3, 2)
    with pytest.raises(GenlabError, match="integer >= 0"):
        oversampler.sample(-1, 1)
    assert len(oversampler.sample(0, 1)) == 0
