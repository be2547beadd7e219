"""Stops training cleanly at the first non-finite loss, naming the step and likely causes."""

from __future__ import annotations

import math
from typing import Any

import keras

from genlab.errors import GenlabError


class TrainingDiverged(GenlabError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""


class NanGuard(keras.callbacks.Callback):
    def __init__(self, hint: str = ""):
        super().__init__()
        self.hint = hint
        self.epoch = 0
        self.message: str | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        bad = {k: v for k, v in (logs or {}).items() if not math.isfinite(float(v))}
        if bad and self.message is None:
            names = ", ".join(f"{k}={float(v)}" for k, v in bad.items())
            self.message = (
                f"training diverged at epoch {self.epoch + 1}, step {batch + 1}: {names}. "
                f"The last good checkpoint is kept. Likely causes: {self.hint}"
            )
            self.model.stop_training = True
