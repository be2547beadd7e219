import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from genlab.tabular import AnomalyDetector
from genlab.tabular import detector as detector_module
from genlab.tabular.detector import stratified_split
from genlab.data.tabular import synthetic_table
from genlab.core.errors import GenlabError
from genlab.models.autoencoder import Autoencoder
from genlab.models.harness import check_family

TINY = {"hidden_units": (16,), "latent_dim": 2, "epochs": 25, "batch_size": 32, "learning_rate": 3e-3}


@pytest.fixture(scope="module")
def train_table():
    return synthetic_table(300, 30, seed=0)


@pytest.fixture(scope="module")
def test_table():
    return synthetic_table(200, 20, seed=1)


@pytest.fixture(scope="module")
def detector(train_table):
    return AnomalyDetector(label="label", contamination=0.05, **TINY).fit(train_table)


def test_roc_auc_floor_on_planted_anomalies(detector, test_table):
    scores = detector.decision_function(test_table)
    assert roc_auc_score(test_table["label"], scores) > 0.95
    assert detector.validation_["roc_auc"] > 0.9


def test_threshold_is_the_contamination_percentile(detector):
    scores = detector.decision_scores_
    assert detector.threshold_ == np.percentile(scores, 95.0)
    np.testing.assert_array_equal(detector.labels_, (scores > detector.threshold_).astype(int))
    assert detector.labels_.mean() == pytest.approx(0.05, abs=0.01)
    assert detector.threshold_info_["method"] == "contamination"


def test_trains_and_scales_on_training_normals_only(detector, train_table):
    labels = train_table["label"].to_numpy()
    train_rows, validation_rows = stratified_split(labels, 0.2, seed=0)
    normal_rows = train_rows[labels[train_rows] == 0]
    np.testing.assert_array_equal(detector.train_rows_, normal_rows)
    assert len(validation_rows) == 66 and labels[validation_rows].sum() == 6  # stratified: 20% of each class
    features = detector.feature_names_
    assert features == ["f0", "f1", "f2", "f3", "f4", "amount"] and detector.preprocessor_.log1p == ["amount"]
    normals = train_table.loc[normal_rows, "f3"]
    assert detector.preprocessor_.mean[3] == pytest.approx(normals.mean())
    assert detector.preprocessor_.std[3] == pytest.approx(normals.std(ddof=0))
    with_anomalies = train_table.loc[train_rows, "f3"]
    assert abs(with_anomalies.std(ddof=0) - normals.std(ddof=0)) > 0.1  # the anomalies would have changed it


def test_predict_and_predict_proba(detector, test_table):
    scores = detector.decision_function(test_table)
    np.testing.assert_array_equal(detector.predict(test_table), (scores > detector.threshold_).astype(int))
    probability = detector.predict_proba(test_table)
    assert probability.shape == (len(test_table), 2)
    np.testing.assert_allclose(probability.sum(axis=1), 1.0)
    assert probability.min() >= 0.0 and probability.max() <= 1.0
    order = np.argsort(scores)
    assert np.all(np.diff(probability[order, 1]) >= 0)  # monotone in the score
    low, high = detector.score_range_
    np.testing.assert_allclose(detector.probability_from_scores(np.array([low, high]))[:, 1], [0.0, 1.0])


def test_top_features_name_the_planted_feature(detector, test_table):
    anomalies = test_table[test_table["label"] == 1]
    contributions = detector.feature_contributions(anomalies)
    np.testing.assert_allclose(contributions.mean(axis=1), detector.decision_function(anomalies))
    top = detector.top_features(anomalies, k=2)
    assert all(len(names) == 2 for names in top)
    assert np.mean([names[0] == "f3" for names in top]) >= 0.8


def test_save_and_load_give_identical_scores(detector, test_table, tmp_path):
    run = detector.save(tmp_path / "run")
    assert {"config.json", "detector.json", "preprocessing.json", "history.csv"} <= {p.name for p in run.path.iterdir()}
    assert not list(run.path.rglob("*.pkl")) and (run.path / "weights" / "decoder.weights.h5").is_file()
    loaded = AnomalyDetector.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.decision_function(test_table), detector.decision_function(test_table))
    assert loaded.threshold_ == detector.threshold_ and loaded.feature_names_ == detector.feature_names_
    np.testing.assert_array_equal(loaded.predict_proba(test_table), detector.predict_proba(test_table))
    with pytest.raises(GenlabError, match="already exists"):
        detector.save(tmp_path / "run")


def test_max_fpr_threshold_is_chosen_on_validation(train_table):
    detector = AnomalyDetector(label="label", max_fpr=0.02, **{**TINY, "epochs": 3}).fit(train_table)
    info = detector.threshold_info_
    assert info["method"] == "max_fpr" and info["validation_rows"] == 66
    assert info["validation_fpr"] <= 0.02
    assert detector.validation_["fpr"] == info["validation_fpr"]


def test_unlabelled_arrays_train_on_every_row(train_table):
    values = train_table.drop(columns="label").to_numpy()
    detector = AnomalyDetector(**{**TINY, "epochs": 1}).fit(values)
    assert detector.feature_names_ == [f"x{j}" for j in range(6)] and len(detector.train_rows_) == 330
    assert detector.decision_function(values[:5]).shape == (5,)
    with pytest.raises(GenlabError, match="expected 6 feature columns, got 5"):
        detector.decision_function(values[:5, :5])


@pytest.mark.parametrize(
    "options, y, message",
    [
        ({"target_recall": 0.9}, None, "give labels"),
        ({}, np.r_[np.zeros(329), 2], "labels must be 0 .* row_id 329"),
        ({"max_fpr": 0.1, "target_recall": 0.9}, None, "not both"),
        ({"score": "huber"}, None, "score must be one of mse, mae"),
        ({"widht": 3}, None, "unknown detector option"),
    ],
    ids=["recall-needs-labels", "bad-labels", "two-targets", "bad-score", "typo"],
)
def test_bad_options_and_labels(options, y, message, train_table):
    with pytest.raises(GenlabError, match=message):
        AnomalyDetector(**options, epochs=1).fit(train_table.drop(columns="label"), y)


def test_unfitted_detector_says_so():
    with pytest.raises(GenlabError, match="not fitted"):
        AnomalyDetector().decision_function(np.zeros((2, 3)))


def test_reconstruction_model_is_the_autoencoder_on_rows(detector, train_table, tmp_path):
    model = detector.model_
    assert isinstance(model, Autoencoder) and model.config.input_shape == (6,)
    assert model.config.arch == "dense" and model.config.output_activation == "sigmoid"
    z = detector.transform(train_table.loc[detector.train_rows_])
    assert z.min() == pytest.approx(0.0, abs=1e-6) and z.max() == pytest.approx(1.0, abs=1e-6)  # minmax scaling
    rows = np.random.default_rng(0).uniform(size=(4, 6)).astype("float32")
    check_family(lambda: Autoencoder(model.config), (rows, np.zeros(4, "int32")), lambda m: m.reconstruct(rows), tmp_path)


def test_standard_scaling_uses_a_linear_autoencoder(train_table, tmp_path):
    detector = AnomalyDetector(label="label", scaling="standard", **{**TINY, "epochs": 1}).fit(train_table)
    assert detector.model_.config.output_activation == "linear"
    z = detector.transform(train_table.loc[detector.train_rows_])
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    rows = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    check_family(lambda: Autoencoder(detector.model_.config), (rows, np.zeros(4, "int32")),
                 lambda m: m.reconstruct(rows), tmp_path)


def test_scores_do_not_depend_on_the_batch_or_the_input_type(detector, test_table, monkeypatch):
    scores = detector.decision_function(test_table)
    features = test_table[detector.feature_names_]
    one_by_one = np.concatenate([detector.decision_function(features.iloc[i : i + 1]) for i in range(7)])
    np.testing.assert_array_equal(one_by_one, scores[:7])  # one traced graph whatever the batch size
    monkeypatch.setattr(detector_module, "SCORING_BATCH", 13)  # many blocks, a short last one
    np.testing.assert_array_equal(detector.decision_function(features.to_numpy()), scores)
    np.testing.assert_array_equal(detector.decision_function(features.to_numpy(np.float32)),
                                  detector.decision_function(features.astype(np.float32)))
    contributions = detector.feature_contributions(features)
    np.testing.assert_array_equal(contributions.mean(axis=1), scores)
    values = features.to_numpy()
    kept = values.copy()
    detector.decision_function(values)
    np.testing.assert_array_equal(values, kept)  # the caller's array is not used as work space
    with pytest.raises(GenlabError, match=r"infinite values in the data: 'f2' at row_id 4"):
        bad = values.copy()
        bad[4, 2] = np.inf
        detector.decision_function(bad)


def test_top_feature_order_is_a_stable_descending_argsort(detector):
    rng = np.random.default_rng(0)
    contributions = rng.integers(0, 4, size=(500, 6)).astype(np.float64)  # many ties
    for k in (0, 1, 3, 6, 9):
        expected = np.argsort(-contributions, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(detector.top_feature_order(contributions, k), expected)
    contributions[3, 2] = np.nan  # not finite: the argsort path, NaN last
    np.testing.assert_array_equal(detector.top_feature_order(contributions, 3),
                                  np.argsort(-contributions, axis=1, kind="stable")[:, :3])
    assert detector.top_feature_names(contributions[:2], 0) == [[], []]
    names = detector.top_feature_names(np.array([[0.0, 5, 1, 5, 0, 0]]), 3)
    assert names == [["f1", "f3", "f2"]]  # equal contributions keep column order
