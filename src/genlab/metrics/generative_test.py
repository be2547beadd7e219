"""generator_metrics on toy generators that follow the generator contract of models/base.py."""

import numpy as np
import pytest

from genlab.core.config import DataConfig, ModelConfig, TrainConfig
from genlab.data.pipeline import scale_images
from genlab.data.sources import load_image_data
from genlab.core.errors import GenlabError
from genlab.metrics.generative import generator_metrics, parse_metrics
from genlab.models.base import GenerativeModel

DIGITS = load_image_data("digits")


class ReplayGenerator(GenerativeModel):
    """A 'perfect' generator: it returns real training images (of the requested class), in [-1, 1].

    ``shift`` labels it off by that many classes; ``noise`` returns uniform noise instead.
    """

    is_generator = True
    family = "replay"

    def __init__(self, conditional=False, shift=0, noise=False):
        super().__init__(ModelConfig(input_shape=(8, 8, 1), latent_dim=2, value_range=(-1.0, 1.0), num_classes=10))
        self.is_conditional, self.shift, self.noise = conditional, shift, noise

    def generate(self, n, labels=None, seed=0):
        rng = np.random.default_rng(seed)
        if self.noise:
            return rng.uniform(-1, 1, size=(n, 8, 8, 1)).astype("float32")
        if self.is_conditional:
            labels = (self.check_labels(labels, n) + self.shift) % 10
            picks = [rng.choice(np.flatnonzero(DIGITS.y_train == label)) for label in labels]
        else:
            picks = rng.choice(len(DIGITS.x_train), n)
        return scale_images(DIGITS.x_train[picks], self.config.value_range)


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))


def test_a_perfect_generator_scores_like_real_data_and_noise_scores_far_worse():
    options = dict(n=150, extractor="random", kid_subsets=10, kid_subset_size=100)
    good = generator_metrics(ReplayGenerator(), DIGITS, **options)
    bad = generator_metrics(ReplayGenerator(noise=True), DIGITS, **options)
    good_row, real_row = good["table"]["replay (150 generated)"], good["table"]["real train images (150)"]
    bad_row = bad["table"]["replay (150 generated)"]
    assert set(good_row) == {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall", "density", "coverage"}
    assert good_row["fid"] < 2 * real_row["fid"] + 1e-3
    assert bad_row["fid"] > 10 * good_row["fid"]
    assert bad_row["kid"] > 10 * max(good_row["kid"], 1e-4)
    assert bad_row["precision"] < 0.5 < 0.8 < good_row["precision"]
    assert bad_row["coverage"] < good_row["coverage"]


def test_protocol_is_recorded_and_reference_features_are_cached(tmp_path):
    options = dict(metrics="fid,kid", n=40, extractor="random", kid_subsets=5, kid_subset_size=20, seed=3)
    first = generator_metrics(ReplayGenerator(), DIGITS, **options)
    protocol = first["protocol"]
    assert protocol["metrics"] == ["fid", "kid"]
    assert protocol["extractor"]["extractor"] == "random" and len(protocol["extractor"]["weights_sha256"]) == 64
    assert protocol["extractor"]["resolution"] == [32, 32] and "antialias" in protocol["extractor"]["resize"]
    assert protocol["generated"] == {"n": 40, "seed": 3, "value_range": [-1.0, 1.0], "labels": None}
    reference = protocol["reference"]
    assert (reference["data"], reference["split"], reference["size"], reference["of"]) == ("digits", "test", 40, len(DIGITS.x_test))
    assert reference["fingerprint"] == DIGITS.fingerprint() and "cached" not in reference
    assert protocol["baseline"]["split"] == "train"
    assert set(first["table"]["replay (40 generated)"]) == {"fid", "kid", "kid_std"}
    second = generator_metrics(ReplayGenerator(), DIGITS, **options)
    assert second["protocol"]["reference"]["cached"].startswith(str(tmp_path / "cache"))
    assert second["table"] == first["table"]  # same seed, same cached features: same figures
    other_seed = generator_metrics(ReplayGenerator(), DIGITS, **{**options, "seed": 4})
    assert other_seed["table"] != first["table"]


def test_is_is_skipped_and_said_so_without_a_class_layer(monkeypatch):
    from genlab.metrics import features

    extractor = features.get_extractor("random")
    extractor.has_probabilities = False
    monkeypatch.setattr(extractor, "_call", lambda x: extractor.network(x, training=False)[0])
    result = generator_metrics(ReplayGenerator(), DIGITS, metrics="fid,is", n=30, extractor=extractor, baseline=False)
    assert "is" not in result["table"]["replay (30 generated)"]
    assert "no class layer" in result["protocol"]["skipped"]["is"]


def test_domain_classifier_adds_mode_coverage_and_conditional_accuracy(tmp_path):
    from genlab.workflows.train import train

    run = train("classifier", tmp_path / "clf", model={"filters": [8], "latent_dim": 16, "dropout": 0.0},
                data=DataConfig(source="digits"), train=TrainConfig(epochs=3, batch_size=32, learning_rate=3e-3),
                verbose=0)
    options = dict(metrics="fid", n=100, extractor=str(run.path))
    right = generator_metrics(ReplayGenerator(conditional=True), DIGITS, **options)
    wrong = generator_metrics(ReplayGenerator(conditional=True, shift=1), DIGITS, **options)
    real_row = right["table"]["real train images (100)"]
    right_row, wrong_row = right["table"]["replay (100 generated)"], wrong["table"]["replay (100 generated)"]
    assert real_row["conditional_accuracy"] > 0.7  # = the classifier's accuracy on real digits
    assert right_row["conditional_accuracy"] > 0.7 > 0.3 > wrong_row["conditional_accuracy"]
    assert right_row["classes_covered"] == 10 and right_row["kl_to_uniform"] < 0.2
    assert len(right["details"]["generated"]["class_histogram"]) == 10
    assert right["protocol"]["generated"]["labels"].startswith("balanced over 10 classes")


def test_bad_requests_raise_genlab_error():
    with pytest.raises(GenlabError, match="unknown metric"):
        parse_metrics("fid,lpips")
    assert parse_metrics("FID, kid,fid") == ("fid", "kid")
    autoencoder_like = GenerativeModel(ModelConfig(input_shape=(8, 8, 1)))
    with pytest.raises(GenlabError, match="need a generator"):
        generator_metrics(autoencoder_like, DIGITS, extractor="random")
    mnist_shaped = ReplayGenerator()
    mnist_shaped.config = ModelConfig(input_shape=(28, 28, 1), value_range=(-1.0, 1.0))
    with pytest.raises(GenlabError, match="shape"):
        generator_metrics(mnist_shaped, DIGITS, extractor="random")
    with pytest.raises(GenlabError, match="reference split"):
        generator_metrics(ReplayGenerator(), DIGITS, extractor="random", reference_split="validation")
