import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.metrics.detection import (
    confusion,
    contamination_threshold,
    detection_metrics,
    recall_at_fpr,
    threshold_for_max_fpr,
    threshold_for_recall,
)


def test_contamination_threshold_is_pyod_percentile():
    scores = np.random.default_rng(0).exponential(size=1000)
    threshold = contamination_threshold(scores, 0.05)
    assert threshold == np.percentile(scores, 95.0)
    assert np.mean(scores > threshold) == pytest.approx(0.05, abs=0.002)


def test_max_fpr_threshold_flags_at_most_that_share_of_normals():
    normals = np.arange(200, dtype=float)  # 200 distinct scores
    for max_fpr in (0.01, 0.05, 0.123):
        threshold = threshold_for_max_fpr(normals, max_fpr)
        assert np.sum(normals > threshold) == int(np.floor(max_fpr * 200))
    ties = np.array([1.0, 1.0, 1.0, 0.5])
    assert np.mean(ties > threshold_for_max_fpr(ties, 0.5)) <= 0.5


def test_recall_threshold_is_the_highest_meeting_the_target():
    anomalies = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    threshold = threshold_for_recall(anomalies, 0.6)
    assert np.sum(anomalies > threshold) == 3 and threshold > 2.0
    assert np.sum(anomalies > threshold_for_recall(anomalies, 1.0)) == 5
    with pytest.raises(GenlabError, match="needs anomalies"):
        threshold_for_recall(np.zeros(0), 0.5)


def test_metrics_on_a_known_ranking():
    labels = np.array([0, 0, 0, 0, 1, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    result = detection_metrics(labels, scores, threshold=0.45)
    assert result["roc_auc"] == pytest.approx(14 / 15)  # 14 of the 15 (anomaly, normal) pairs ordered
    assert result["average_precision"] == pytest.approx((1 + 1 + 3 / 4) / 3)
    assert (result["tp"], result["fp"], result["tn"], result["fn"]) == (3, 1, 4, 0)
    assert result["precision"] == pytest.approx(0.75) and result["recall"] == 1.0
    assert result["f1"] == pytest.approx(2 * 0.75 / 1.75)
    assert result["recall_at_1pct_fpr"] == pytest.approx(2 / 3)  # no false positive allowed: 0.7, 0.8 above 0.6
    assert recall_at_fpr(labels, scores, 0.2) == 1.0
    assert confusion([1, 0], [0, 0]) == {"tp": 0, "fp": 0, "tn": 1, "fn": 1}


def test_metrics_need_both_classes():
    with pytest.raises(GenlabError, match="both normal"):
        detection_metrics(np.zeros(4), np.arange(4.0))
