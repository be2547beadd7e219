"""Execution settings applied before a model is built: seeds, op determinism, precision policy."""

from __future__ import annotations

import keras
import tensorflow as tf

from genlab.core.config import TrainConfig


def configure_execution(train: TrainConfig, seed: int) -> None:
    """Seed every generator, and switch op determinism and the precision policy as configured."""
    keras.utils.set_random_seed(seed)
    if train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(train.precision)
