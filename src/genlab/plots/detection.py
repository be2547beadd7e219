"""Anomaly-detection figures: ROC curve, precision-recall curve, score histograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.plots.figures import save_figure


def save_detection_plots(folder: str | Path, labels: np.ndarray, scores: np.ndarray, threshold: float,
                         title: str = "detector") -> dict[str, Path]:
    """``roc_curve.png``, ``pr_curve.png`` and ``score_histogram.png`` in ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    folder = Path(folder)
    labels, scores = np.asarray(labels).astype(bool), np.asarray(scores, np.float64)
    paths = {}

    false_positive, true_positive, _ = roc_curve(labels, scores)
    figure, axis = plt.subplots(figsize=(4.5, 4.2))
    axis.plot(false_positive, true_positive, label=f"AUC {auc(false_positive, true_positive):.3f}")
    axis.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
    axis.scatter([np.mean(scores[~labels] > threshold)], [np.mean(scores[labels] > threshold)], c="red", zorder=3,
                 label="threshold")
    axis.set(xlabel="false-positive rate", ylabel="recall (true-positive rate)", title=f"ROC: {title}")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    paths["roc"] = save_figure(figure, folder / "roc_curve.png")

    precision, recall, _ = precision_recall_curve(labels, scores)
    figure, axis = plt.subplots(figsize=(4.5, 4.2))
    axis.step(recall, precision, where="post", label=f"anomaly share {labels.mean():.3f}")
    flagged = scores > threshold
    if flagged.any():
        axis.scatter([np.mean(flagged[labels])], [np.mean(labels[flagged])], c="red", zorder=3, label="threshold")
    axis.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02), title=f"precision-recall: {title}")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    paths["pr"] = save_figure(figure, folder / "pr_curve.png")

    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    positive = scores[scores > 0]
    logarithmic = len(positive) == len(scores) and positive.max() / positive.min() > 100
    edges = (np.geomspace(positive.min(), positive.max(), 60) if logarithmic
             else np.linspace(scores.min(), scores.max(), 60))
    axis.hist(scores[~labels], bins=edges, alpha=0.6, density=True, label=f"normal ({int((~labels).sum())})")
    axis.hist(scores[labels], bins=edges, alpha=0.6, density=True, label=f"anomalous ({int(labels.sum())})")
    axis.axvline(threshold, c="red", lw=1, label="threshold")
    if logarithmic:
        axis.set_xscale("log")
    axis.set(xlabel="anomaly score (reconstruction error)", ylabel="density", title=f"scores: {title}")
    axis.legend(fontsize=8)
    paths["histogram"] = save_figure(figure, folder / "score_histogram.png")
    return paths
