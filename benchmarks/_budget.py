"""A wall-clock training budget for the benchmark scripts (not part of the library)."""

from __future__ import annotations

import time

import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops ``fit`` once ``seconds`` have passed (checked after every step); records what ran."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds
        self.start = None
        self.steps = 0
        self.epochs = 0
        self.stopped_by_budget = False

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.stopped_by_budget = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1

    def on_train_end(self, logs=None):
        self.steps = int(self.model.optimizer.iterations)  # optimizer steps (callbacks may batch several)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start if self.start is not None else 0.0
