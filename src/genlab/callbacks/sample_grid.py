"""Saves the model's preview grid for a fixed batch after every epoch (samples/epoch_NNNNN.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

from genlab.plots.animation import save_animation
from genlab.plots.grids import save_image_grid


class SampleGrid(keras.callbacks.Callback):
    """``interrupt``: a :class:`~genlab.callbacks.interrupt.StopOnInterrupt`; an epoch cut short
    by Ctrl-C gets no grid (its resumed run draws it when the epoch really ends)."""

    def __init__(self, folder: Path, images: np.ndarray, labels: np.ndarray, value_range, every: int = 1,
                 interrupt=None):
        super().__init__()
        self.interrupt = interrupt
        self.folder = Path(folder)
        self.images, self.labels = images, labels
        self.value_range = value_range
        self.every = max(1, every)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every or (self.interrupt is not None and self.interrupt.partial_epoch):
            return
        rows = self.model.preview(self.images, self.labels)
        titles = self.model.preview_titles(len(rows))  # which row is input, reconstruction, class, ...
        save_image_grid(self.folder / f"epoch_{epoch + 1:05d}.png", rows, self.value_range,
                        titles=titles if titles and len(titles) == len(rows) else None)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Generator families: every epoch's grid (fixed noise) as one animation, samples/progress.gif."""
        frames = sorted(self.folder.glob("epoch_*.png"))
        if getattr(self.model, "is_generator", False) and len(frames) > 1:
            save_animation(frames, self.folder / "progress.gif")
