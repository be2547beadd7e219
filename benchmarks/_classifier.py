"""A small Keras CNN classifier for the benchmarks (not part of the library).

Two 3x3 convolution blocks with max pooling, dropout, one dense layer: about 99% test
accuracy on MNIST after two epochs on the full training set.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers


def build_classifier(input_shape, classes: int, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=tuple(input_shape))
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="classifier")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_classifier(x: np.ndarray, y: np.ndarray, classes: int, epochs: int, seed: int = 0,
                     batch_size: int = 128) -> keras.Model:
    """Train on images in [0, 1] (N, H, W, C) and integer labels; returns the trained model."""
    model = build_classifier(x.shape[1:], classes, seed)
    order = np.random.default_rng(seed).permutation(len(x))
    model.fit(x[order], y[order], epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    predicted = np.argmax(model.predict(x, batch_size=512, verbose=0), axis=1)
    return float(np.mean(predicted == y))
