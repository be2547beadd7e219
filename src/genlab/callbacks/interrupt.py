"""Ctrl-C during training: finish the current step, save a mid-epoch checkpoint, stop cleanly.

Two parts:

* :func:`sigint_requests_stop`, a context manager held around ``model.fit``: in the main
  thread it replaces the SIGINT handler by one that only *asks* training to stop (a flag), so
  ``fit`` is never interrupted half-way through a step or a file write. A second Ctrl-C
  restores the previous handler and raises ``KeyboardInterrupt`` at once (the run keeps its
  latest complete checkpoint).
* :class:`StopOnInterrupt`, a callback that, after the step during which the flag was set,
  saves a checkpoint of ``e`` finished epochs plus ``s`` steps of epoch ``e + 1`` (model,
  optimizer and RNG state, :meth:`genlab.runs.RunDir.save_checkpoint` with ``step=s``) and sets
  ``model.stop_training`` (Keras 3 checks it after every batch).

Keras still ends the cut epoch as if it were whole: it computes the epoch's logs, runs
validation and calls ``on_epoch_end``. :class:`~genlab.callbacks.RunCheckpoint` and
:class:`~genlab.callbacks.SampleGrid` ask :attr:`StopOnInterrupt.partial_epoch` and skip it (no
history row, no epoch checkpoint, no grid); the mid-epoch checkpoint was saved before any of
that ran, so validation or callbacks that draw random numbers cannot change it.

Resuming is exact because the data order is a stateless function of (seed, epoch) (see
:mod:`genlab.data.pipeline`): :func:`genlab.workflows.train.resume` trains the remaining
``steps - s`` batches of epoch ``e + 1`` in one ``fit``, then the later epochs in another.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import keras
import numpy as np

from genlab.runs import RunDir

NOTICE = (b"\ngenlab: Ctrl-C: stopping after this step and saving a checkpoint "
          b"(press Ctrl-C again to stop at once)\n")


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C; ``checkpoint`` (or None) is where it can resume from.

    A ``KeyboardInterrupt``, so code that already stops on Ctrl-C still does; ``str()`` is
    one line with the checkpoint and the command that continues the run.
    """

    def __init__(self, run_path: str | Path, family: str, epochs_done: int, steps_done: int = 0,
                 checkpoint: Path | None = None, steps_per_epoch: int | None = None):
        self.run_path, self.family = Path(run_path), family
        self.epochs_done, self.steps_done, self.checkpoint = epochs_done, steps_done, checkpoint
        self.steps_per_epoch = steps_per_epoch
        super().__init__(self.describe())

    def describe(self) -> str:
        if self.checkpoint is None:
            return (f"training interrupted before its first checkpoint; nothing to resume in "
                    f"{str(self.run_path)!r} (start it again)")
        if self.steps_done:
            of = f" of {self.steps_per_epoch}" if self.steps_per_epoch else ""
            where = f"during epoch {self.epochs_done + 1}, after step {self.steps_done}{of}"
        else:
            where = f"after epoch {self.epochs_done}"
        return (f"training interrupted {where}; checkpoint saved in {self.checkpoint}; "
                f"continue with: genlab train {self.family} --resume {self.run_path}")

    def __str__(self) -> str:
        return self.describe()


@contextlib.contextmanager
def sigint_requests_stop(request_stop: Callable[[], None]) -> Iterator[bool]:
    """While held, the first SIGINT calls ``request_stop()`` instead of raising; the second
    restores the previous handler and raises ``KeyboardInterrupt``.

    Yields whether the handler was installed: not outside the main thread (Python delivers
    signals to the main thread only, and ``signal.signal`` refuses other threads) and not when
    SIGINT is ignored or handled outside Python (a background job keeps ignoring it).
    """
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is None or previous == signal.SIG_IGN:
        yield False
        return
    requested = False

    def handle(signum: int, frame: Any) -> None:
        nonlocal requested
        if requested:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        requested = True
        os.write(2, NOTICE)  # not print(): a signal handler may run in the middle of a write to sys.stderr
        request_stop()

    signal.signal(signal.SIGINT, handle)
    try:
        yield True
    finally:
        if signal.getsignal(signal.SIGINT) is handle:
            signal.signal(signal.SIGINT, previous)


class StopOnInterrupt(keras.callbacks.Callback):
    """Stops ``fit`` after the step during which :meth:`request_stop` was called, saving a
    mid-epoch checkpoint first. Put it *last* in the callback list: the other callbacks'
    ``on_train_batch_end`` have then run, so the checkpoint is the state an uninterrupted run
    has before its next step; and its ``on_epoch_end`` runs after the epoch checkpoint.

    After ``fit``: :attr:`stopped_at` is ``(epochs finished, steps into the next epoch)`` or
    None, :attr:`checkpoint` the folder to resume from (None if nothing could be saved).
    ``skip_epoch``/``skip_steps`` (:meth:`resuming_at`): the first ``skip_steps`` steps of
    ``skip_epoch`` were trained before, so its batch indices start ``skip_steps`` late.
    """

    def __init__(self, run: RunDir, keep: int = 2, guard=None):
        super().__init__()
        self.run = run
        self.keep = keep
        self.guard = guard
        self.requested = False
        self.stopped_at: tuple[int, int] | None = None
        self.checkpoint: Path | None = None
        self.steps_per_epoch: int | None = None
        self.skip_epoch, self.skip_steps = -1, 0
        self.epoch, self.offset = 0, 0

    def request_stop(self) -> None:
        """Ask training to stop after the current step (what the SIGINT handler calls)."""
        self.requested = True

    def resuming_at(self, epoch: int, steps: int) -> None:
        """The next ``fit`` trains epoch ``epoch`` (0-based) from step ``steps`` on."""
        self.skip_epoch, self.skip_steps = epoch, steps

    @property
    def partial_epoch(self) -> bool:
        """True once training was cut inside an epoch: its ``on_epoch_end`` is not a finished epoch."""
        return self.stopped_at is not None and self.stopped_at[1] > 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch = epoch
        self.offset = self.skip_steps if epoch == self.skip_epoch else 0
        self.steps_per_epoch = self.offset + int((self.params or {}).get("steps") or 0) or None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.requested or self.stopped_at is not None:
            return
        if self.guard is not None and self.guard.message:
            return  # diverged: the guard stops training and the last good checkpoint stays
        # with steps_per_execution > 1 Keras reports once per execution, batch = its last step
        steps_done = self.offset + batch + 1
        if self.steps_per_epoch is not None and steps_done >= self.steps_per_epoch:
            return  # the epoch's last step: let it end whole (on_epoch_end stops after its checkpoint)
        self.stopped_at = (self.epoch, steps_done)
        self.model.stop_training = True
        if all(np.isfinite(v.numpy()).all() for v in self.model.trainable_variables):
            self.checkpoint = self.run.save_checkpoint(self.model, self.epoch, keep=self.keep, step=steps_done)
        # else: NaN weights are not worth keeping; the guard reports them at the epoch's end

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.requested and self.stopped_at is None:  # asked during the last step or validation
            self.model.stop_training = True
            self.stopped_at = (epoch + 1, 0)
            found = self.run.latest_checkpoint_position()
            if found is not None and found[:2] == (epoch + 1, 0):
                self.checkpoint = found[2]
