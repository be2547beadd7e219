"""Scatter plot of 2-D latent points coloured by class (the latent map of ``genlab latent-map``)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from genlab.plots.figures import save_figure


def save_latent_scatter(
    path: str | Path,
    points: np.ndarray,
    labels: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    title: str = "latent map",
    axis_labels: tuple[str, str] = ("z1", "z2"),
) -> Path:
    """One dot per row of ``points`` (N, 2), one colour per class in ``labels``; PNG written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.asarray(points, np.float64)
    figure, axis = plt.subplots(figsize=(6.4, 5.6))
    if labels is None:
        axis.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
    else:
        labels = np.asarray(labels)
        colours = plt.get_cmap("tab10" if labels.max() < 10 else "tab20")
        for value in np.unique(labels):
            chosen = labels == value
            name = class_names[value] if class_names is not None and value < len(class_names) else str(value)
            axis.scatter(points[chosen, 0], points[chosen, 1], s=4, alpha=0.6, color=colours(int(value) % colours.N),
                         label=name)
        axis.legend(markerscale=3, fontsize=8, loc="best", frameon=True)
    axis.set_xlabel(axis_labels[0])
    axis.set_ylabel(axis_labels[1])
    axis.set_title(title, fontsize=10)
    axis.grid(alpha=0.3)
    return save_figure(figure, path)
