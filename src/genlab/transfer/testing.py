"""Tiny models for the transfer tests (kept here so several test files share them)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig

IMAGES = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
LABELS = np.zeros(4, "int32")


def tiny_autoencoder(**overrides) -> Autoencoder:
    values = {"input_shape": (8, 8, 1), "latent_dim": 3, "filters": (4, 8), "loss": "mse", **overrides}
    return Autoencoder(AutoencoderConfig(**values))


def batchnorm_backbone(path: Path) -> str:
    """Save a small conv + BatchNorm network taking (32, 32, 3) as a .keras file; return its path."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", name="conv_a")(inputs)
    x = keras.layers.BatchNormalization(name="bn_a")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(8, 3, strides=4, padding="same", name="conv_b")(x)
    x = keras.layers.BatchNormalization(name="bn_b")(x)
    keras.Model(inputs, x, name="tiny_backbone").save(path)
    return str(path)


def compiled(model, learning_rate: float = 1e-2, optimizer=None):
    """Compile ``model`` (its own Adam, or ``optimizer``) and build its optimizers."""
    if optimizer is None:
        model.compile_for_training(TrainConfig(learning_rate=learning_rate))
    else:
        model.compile(optimizer=optimizer)
    model.build_optimizers()
    return model


def fit(model, steps: int = 3):
    dataset = tf.data.Dataset.from_tensors((IMAGES, LABELS)).repeat(steps)
    model.fit(dataset, epochs=1, verbose=0)
    return model


def snapshot(layers) -> list[np.ndarray]:
    return [np.array(w.numpy()) for item in layers for w in (item[1] if isinstance(item, tuple) else item).weights]
