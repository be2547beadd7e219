"""Training curves from a run's history rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from genlab.plots.figures import save_figure


def save_curves(path: str | Path, history: Sequence[dict[str, Any]], title: str = "training curves") -> Path | None:
    """One panel per metric (training and ``val_`` counterpart together); PNG written atomically.

    Returns None when the history is empty.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return None
    keys = [k for k in history[0] if k != "epoch" and not k.startswith("val_")]
    keys = [k for k in keys if all(isinstance(row.get(k), (int, float)) for row in history)]
    if not keys:
        return None
    epochs = [row.get("epoch", i + 1) for i, row in enumerate(history)]
    n = len(keys)
    columns = min(3, n)
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    for axis, key in zip(axes.flat, keys):
        axis.plot(epochs, [row[key] for row in history], marker="o", ms=3, label="train")
        if all(isinstance(row.get(f"val_{key}"), (int, float)) for row in history):
            axis.plot(epochs, [row[f"val_{key}"] for row in history], marker="o", ms=3, label="validation")
            axis.legend(fontsize=8)
        axis.set_title(key, fontsize=10)
        axis.set_xlabel("epoch", fontsize=8)
        axis.grid(alpha=0.3)
    for axis in list(axes.flat)[n:]:
        axis.axis("off")
    figure.suptitle(title, fontsize=11)
    return save_figure(figure, path)
