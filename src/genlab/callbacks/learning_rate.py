"""Linear learning-rate decay to zero, the schedule of CycleGAN (Zhu et al., 2017): the rate
stays at its initial value for the first ``decay_start`` epochs, then falls linearly, epoch by
epoch, towards 0 at the end of training (the original code's ``lambda_rule``)."""

from __future__ import annotations

from typing import Any

import keras


def linear_decay_factor(epoch: int, epochs: int, decay_start: int) -> float:
    """Multiplier of the initial rate in (0-based) ``epoch``: 1 before ``decay_start``, then
    1 - (epoch + 1 - decay_start) / (epochs - decay_start + 1), so the last epoch keeps a small rate."""
    return 1.0 - max(0, epoch + 1 - decay_start) / float(epochs - decay_start + 1)


class LinearDecay(keras.callbacks.Callback):
    """Sets every optimizer's learning rate at the start of each epoch (so --resume restores it too)."""

    def __init__(self, optimizers: list, initial_rate: float, epochs: int, decay_start: int):
        super().__init__()
        self.optimizers = list(optimizers)
        self.initial_rate = float(initial_rate)
        self.epochs = int(epochs)
        self.decay_start = int(decay_start)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        rate = self.initial_rate * linear_decay_factor(epoch, self.epochs, self.decay_start)
        for optimizer in self.optimizers:
            optimizer.learning_rate = rate
