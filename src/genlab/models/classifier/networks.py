"""The classifier's two sub-networks, as Functional models.

feature network phi: image -> feature vector (the penultimate layer, what FID/KID compare);
head: features -> class logits (softmax gives p(y|x) for the Inception Score and mode coverage).
"""

from __future__ import annotations

import keras
from keras import layers


def feature_network(input_shape, filters, feature_dim: int) -> keras.Model:
    """Stages of two 3x3 ReLU convolutions and 2x2 max pooling, then a dense ReLU feature layer."""
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for stage, count in enumerate(filters):
        x = layers.Conv2D(count, 3, padding="same", activation="relu", name=f"conv_{stage}a")(x)
        x = layers.Conv2D(count, 3, padding="same", activation="relu", name=f"conv_{stage}b")(x)
        x = layers.MaxPooling2D(2, padding="same", name=f"pool_{stage}")(x)
    x = layers.Flatten()(x)
    features = layers.Dense(feature_dim, activation="relu", name="features")(x)
    return keras.Model(inputs, features, name="feature_network")


def head(feature_dim: int, num_classes: int, dropout: float) -> keras.Model:
    inputs = keras.Input(shape=(feature_dim,), name="features")
    x = layers.Dropout(dropout, name="dropout")(inputs)
    logits = layers.Dense(num_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, logits, name="head")
