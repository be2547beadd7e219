"""Anomaly-detection metrics and threshold rules, as pure functions over score arrays.

Convention (PyOD's): a higher score is more abnormal, label 1 is the anomaly, and a row is
flagged when ``score > threshold``.

* ROC-AUC: probability that a random anomaly scores above a random normal row.
* Average precision (PR-AUC): AP = sum_k (R_k - R_{k-1}) P_k over the ranked scores
  (scikit-learn's step-wise definition, no interpolation).
* Recall at a false-positive rate: the recall of the threshold that flags at most that
  fraction of the normal rows (exactly, on these rows; no interpolation between ROC points).
"""

from __future__ import annotations

import math

import numpy as np

from genlab.core.errors import GenlabError


def contamination_threshold(training_scores: np.ndarray, contamination: float) -> float:
    """PyOD's rule: the (1 - contamination) percentile of the training scores."""
    return float(np.percentile(np.asarray(training_scores, np.float64), 100.0 * (1.0 - contamination)))


def threshold_for_max_fpr(normal_scores: np.ndarray, max_fpr: float) -> float:
    """Lowest threshold that flags at most ``floor(max_fpr * n)`` of the ``n`` normal rows."""
    scores = np.sort(np.asarray(normal_scores, np.float64))[::-1]
    if len(scores) == 0:
        raise GenlabError("choosing a threshold for --max-fpr needs normal rows in the validation split")
    allowed = int(math.floor(max_fpr * len(scores) + 1e-9))  # false positives allowed
    if allowed >= len(scores):
        return float(np.nextafter(scores[-1], -np.inf))  # every row may be flagged
    return float(scores[allowed])  # rows strictly above the (allowed+1)-th highest are flagged


def threshold_for_recall(anomaly_scores: np.ndarray, target_recall: float) -> float:
    """Highest threshold that still flags ``ceil(target_recall * m)`` of the ``m`` anomalies."""
    scores = np.sort(np.asarray(anomaly_scores, np.float64))[::-1]
    if len(scores) == 0:
        raise GenlabError("choosing a threshold for --target-recall needs anomalies in the validation split")
    needed = max(1, int(math.ceil(target_recall * len(scores) - 1e-9)))
    return float(np.nextafter(scores[needed - 1], -np.inf))  # just below the needed-th highest anomaly


def _check(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = np.asarray(labels).astype(np.int64).reshape(-1), np.asarray(scores, np.float64).reshape(-1)
    if len(labels) != len(scores):
        raise GenlabError(f"{len(labels)} labels but {len(scores)} scores")
    if not np.isin(labels, (0, 1)).all():
        raise GenlabError("labels must be 0 (normal) or 1 (anomaly)")
    if labels.min(initial=1) == 1 or labels.max(initial=0) == 0:
        raise GenlabError("evaluation needs both normal (0) and anomalous (1) rows")
    return labels, scores


def recall_at_fpr(labels: np.ndarray, scores: np.ndarray, fpr: float = 0.01) -> float:
    labels, scores = _check(labels, scores)
    threshold = threshold_for_max_fpr(scores[labels == 0], fpr)
    return float(np.mean(scores[labels == 1] > threshold))


def recall_at_fpr_name(fpr: float) -> str:
    return f"recall_at_{100 * fpr:g}pct_fpr"  # 0.01 -> recall_at_1pct_fpr


def confusion(labels: np.ndarray, flags: np.ndarray) -> dict[str, int]:
    labels, flags = np.asarray(labels).astype(bool), np.asarray(flags).astype(bool)
    return {"tp": int(np.sum(labels & flags)), "fp": int(np.sum(~labels & flags)),
            "tn": int(np.sum(~labels & ~flags)), "fn": int(np.sum(labels & ~flags))}


def detection_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float | None = None,
                      fpr: float = 0.01) -> dict[str, float]:
    """ROC-AUC, average precision, recall at ``fpr``; with a threshold also precision, recall,
    F1, the false-positive rate and the confusion matrix at it."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels, scores = _check(labels, scores)
    result = {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        recall_at_fpr_name(fpr): recall_at_fpr(labels, scores, fpr),
    }
    if threshold is not None:
        counts = confusion(labels, scores > threshold)
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn)
        result.update({
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "fpr": fp / (fp + counts["tn"]),
            **counts,
        })
    return result
