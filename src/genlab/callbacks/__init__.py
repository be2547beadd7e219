"""Training side effects, kept out of the models: checkpoints, sample grids, NaN guard, Ctrl-C."""

from genlab.callbacks.checkpoint import RunCheckpoint
from genlab.callbacks.interrupt import StopOnInterrupt, TrainingInterrupted, sigint_requests_stop
from genlab.callbacks.nan_guard import NanGuard, TrainingDiverged
from genlab.callbacks.sample_grid import SampleGrid

__all__ = ["NanGuard", "RunCheckpoint", "SampleGrid", "StopOnInterrupt", "TrainingDiverged", "TrainingInterrupted",
           "sigint_requests_stop"]
