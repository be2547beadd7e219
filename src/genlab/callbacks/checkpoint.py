"""End-of-epoch checkpoint of a run: history row, model + optimizer + RNG state, curves."""

from __future__ import annotations

import math
from typing import Any

import keras

from genlab.plots.curves import save_curves
from genlab.runs import RunDir


class RunCheckpoint(keras.callbacks.Callback):
    """After every epoch whose logs are finite: append the history row and save a checkpoint.

    ``history`` holds the rows of epochs already finished (those kept from a resumed run);
    the row and the checkpoint of one epoch are written together, history first, so a crash
    between the two is repaired on resume by truncating history to the checkpoint's epoch.

    ``interrupt`` (a :class:`~genlab.callbacks.interrupt.StopOnInterrupt`): an epoch cut short by
    Ctrl-C still reaches ``on_epoch_end`` (Keras ends it as if whole); it gets no row and no
    epoch checkpoint, since its mid-epoch checkpoint is already saved. A run resumed mid-epoch
    trains that epoch's remaining steps in a ``fit`` of its own, so the epoch's row then holds
    the mean metrics of those remaining steps only (validation metrics are whole).
    """

    def __init__(self, run: RunDir, history: list[dict[str, Any]], keep: int = 2, guard=None, interrupt=None):
        super().__init__()
        self.run = run
        self.guard = guard
        self.interrupt = interrupt
        self.history = list(history)
        self.keep = keep

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = {k: float(v) for k, v in (logs or {}).items()}
        if not all(math.isfinite(v) for v in logs.values()) or (self.guard is not None and self.guard.message):
            return  # the NaN guard stops training; the last good checkpoint stays
        if self.interrupt is not None and self.interrupt.partial_epoch:
            return  # cut by Ctrl-C: not a finished epoch
        self.history.append({"epoch": epoch + 1, **logs})
        self.run.write_history(self.history)
        self.run.save_checkpoint(self.model, epoch + 1, keep=self.keep)
        save_curves(self.run.plots_dir / "loss_curves.png", self.history, title=f"{self.model.family} training")
