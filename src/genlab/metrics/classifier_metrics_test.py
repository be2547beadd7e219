import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.metrics.classifier_metrics import conditional_accuracy, mode_coverage


def one_hot(classes, k=10):
    return np.eye(k)[np.asarray(classes)]


def test_balanced_samples_cover_every_class_with_zero_kl():
    result = mode_coverage(one_hot(np.arange(100) % 10))
    assert result["classes_covered"] == 10
    assert result["kl_to_uniform"] == pytest.approx(0.0, abs=1e-12)
    assert result["histogram"] == pytest.approx([0.1] * 10)


def test_collapsed_samples_cover_one_class_with_kl_log_k():
    result = mode_coverage(one_hot(np.full(50, 3)))
    assert result["classes_covered"] == 1
    assert result["kl_to_uniform"] == pytest.approx(np.log(10))
    assert result["histogram"][3] == 1.0


def test_half_the_classes():
    result = mode_coverage(one_hot(np.arange(100) % 5))
    assert result["classes_covered"] == 5
    assert result["kl_to_uniform"] == pytest.approx(np.log(2))
    assert mode_coverage(one_hot(np.arange(100) % 5), min_count=21)["classes_covered"] == 0


def test_conditional_accuracy():
    labels = np.arange(20) % 4
    predicted = labels.copy()
    predicted[:5] = (predicted[:5] + 1) % 4
    assert conditional_accuracy(one_hot(predicted, 4), labels) == pytest.approx(0.75)
    assert conditional_accuracy(one_hot(labels, 4), labels) == 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mode_coverage(np.ones(5)), "shaped"),
        (lambda: conditional_accuracy(one_hot([0, 1], 3), [0]), "labels"),
        (lambda: conditional_accuracy(one_hot([0, 1], 3), [0, 3]), "0..2"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(GenlabError, match=message):
        call()
