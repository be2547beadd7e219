"""Helpers of the image-to-image benchmarks (not part of the library)."""

from __future__ import annotations

import time

import keras


class StepBudget(keras.callbacks.Callback):
    """Stops ``fit`` once ``seconds`` have passed (checked after every step) and counts the steps.

    (``_budget.TimeBudget`` reads ``model.optimizer``; these families keep two optimizers of their own.)
    """

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.start, self.steps = seconds, None, 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start if self.start is not None else 0.0
