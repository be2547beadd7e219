"""Stops training cleanly at the first non-finite loss or weight, naming where and why.

Losses are checked after every step. Weights are checked at the end of every epoch too,
because a NaN weight does not always show in the loss: ReLU and clipping can map NaN to a
number in compiled graphs, so a model can go on "training" with broken weights.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from genlab.core.errors import GenlabError


class TrainingDiverged(GenlabError):
    """Training produced a NaN or infinite loss or weight; the message says what was kept."""


class NanGuard(keras.callbacks.Callback):
    def __init__(self, hint: str = "", limit: float | None = None):
        super().__init__()
        self.hint = hint
        self.limit = limit  # |loss| above this also stops training (an exploding loss)
        self.epoch = 0
        self.message: str | None = None
        self.where = self.what = ""

    def _stop(self, where: str, what: str) -> None:
        if self.message is None:
            self.where, self.what = where, what
            self.message = self.describe()
            self.model.stop_training = True

    def describe(self, kept: str = "") -> str:
        """One line: where training diverged and on what, then ``kept`` (what the caller kept,
        e.g. a checkpoint, as a sentence), then the likely causes."""
        kept = f" {kept.rstrip('.')}." if kept else ""
        return f"training diverged at {self.where}: {self.what}.{kept} Likely causes: {self.hint}"

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        bad = {k: v for k, v in (logs or {}).items() if not math.isfinite(float(v))}
        if bad:
            self._stop(f"epoch {self.epoch + 1}, step {batch + 1}", ", ".join(f"{k}={float(v)}" for k, v in bad.items()))
        elif self.limit is not None:
            exploded = {k: float(v) for k, v in (logs or {}).items() if "loss" in k and abs(float(v)) > self.limit}
            if exploded:
                names = ", ".join(f"{k}={v:.4g}" for k, v in exploded.items())
                self._stop(f"epoch {self.epoch + 1}, step {batch + 1}", f"{names} (exploding: |loss| > {self.limit:g})")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.message is not None:
            return
        broken = [v.path for v in self.model.trainable_variables if not np.isfinite(v.numpy()).all()]
        if broken:
            self._stop(f"epoch {epoch + 1}", f"non-finite weights in {', '.join(broken[:3])}")
