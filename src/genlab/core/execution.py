"""Execution settings applied before a model is built: seeds, op determinism, precision policy;
and the memory a model may take."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import tensorflow as tf

from genlab.core.config import TrainConfig


def configure_execution(train: TrainConfig, seed: int) -> None:
    """Seed every generator, and switch op determinism and the precision policy as configured."""
    keras.utils.set_random_seed(seed)
    if train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(train.precision)


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process, in bytes: ``MemAvailable`` of
    ``/proc/meminfo`` (Linux), else the free physical pages (``os.sysconf``); None where
    neither is known."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None
