"""A small CNN image classifier, trained on the real data to judge generated images.

It is the "domain classifier" of distribution metrics on data far from ImageNet (MNIST-like
digits): its penultimate layer gives the features FID and KID compare, and its softmax the
class probabilities for the Inception Score (Salimans et al. 2016), mode coverage and the
conditional accuracy of conditional generators. The architecture is a plain VGG-style CNN
(Simonyan & Zisserman 2015: stacks of 3x3 convolutions and max pooling), far smaller.

Objective: cross-entropy L = -1/N sum_i log softmax(f(x_i))_{y_i}.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.data.pipeline import scale_images
from genlab.core.errors import GenlabError
from genlab.models.base import GenerativeModel, predict_in_batches
from genlab.models.capabilities import ClassifiesImages, EvaluatesItself
from genlab.models.classifier import networks
from genlab.models.classifier.config import ClassifierConfig
from genlab.core.registry import register_model


@keras.saving.register_keras_serializable(package="genlab")
@register_model("classifier")
class Classifier(GenerativeModel, ClassifiesImages, EvaluatesItself):
    """CNN classifier with a feature network (penultimate layer) and a class head."""

    divergence_hint = "lower --learning-rate"

    def __init__(self, config: ClassifierConfig | dict | None = None, **kwargs):
        super().__init__(config, **kwargs)
        config = self.config
        self.feature_network = networks.feature_network(config.input_shape, config.filters, config.latent_dim)
        self.head = networks.head(config.latent_dim, config.num_classes, config.dropout)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")
        self.built = True

    def networks(self):
        return {"feature_network": self.feature_network, "head": self.head}

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def call(self, images, training=False):
        return self.head(self.feature_network(images, training=training), training=training)

    def _step_metrics(self, labels, logits, loss):
        correct = ops.cast(ops.equal(ops.argmax(logits, axis=-1), ops.cast(labels, "int64")), "float32")
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(correct)  # mean over examples
        return {m.name: m.result() for m in self.metrics}

    def _loss(self, labels, logits):
        # L = -1/N sum_i log softmax(f(x_i))_{y_i}
        return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            loss = self._loss(labels, logits)
            scaled_loss = self.gradient_loss(self.optimizer, loss)
        gradients = tape.gradient(scaled_loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        return self._step_metrics(labels, logits, loss)

    def test_step(self, data):
        images, labels = data
        logits = self(images, training=False)
        return self._step_metrics(labels, logits, self._loss(labels, logits))

    # verbs ----------------------------------------------------------------------------
    def _from_range(self, images, value_range) -> np.ndarray:
        """Images in the caller's ``value_range`` (a GAN's [-1, 1], say) -> this model's [0, 1]."""
        images = np.asarray(images, np.float32)
        self.check_input_shape(images.shape[1:], "images")
        if value_range is None:
            return images
        low, high = (float(v) for v in value_range)
        if not low < high:
            raise GenlabError(f"value_range must be (low, high) with low < high, got {value_range!r}")
        model_low, model_high = self.config.value_range
        return ((images - low) / (high - low)) * (model_high - model_low) + model_low

    def logits(self, images, value_range=None, batch_size: int = 256) -> np.ndarray:
        return predict_in_batches(self, self._from_range(images, value_range), batch_size)

    def class_probabilities(self, images, value_range=None, batch_size: int = 256) -> np.ndarray:
        """p(y|x), shaped (N, num_classes), for images in ``value_range`` (default: [0, 1])."""
        logits = self.logits(images, value_range, batch_size).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        return exponentials / exponentials.sum(axis=1, keepdims=True)  # softmax

    def features(self, images, value_range=None, batch_size: int = 256) -> np.ndarray:
        """Penultimate-layer features, shaped (N, latent_dim), for images in ``value_range``."""
        return predict_in_batches(self.feature_network, self._from_range(images, value_range), batch_size)

    def evaluation_table(self, data, limit: int | None = None):
        """Test accuracy and cross-entropy, beside a nearest-class-mean classifier on raw pixels."""
        from sklearn.neighbors import NearestCentroid

        self.check_input_shape(data.image_shape, f"data {data.name!r}")
        if data.y_test is None:
            raise GenlabError(f"data {data.name!r} has no test labels to measure accuracy on")
        test, labels = scale_images(data.x_test[:limit], self.config.value_range), data.y_test[:limit]
        probabilities = self.class_probabilities(test)
        picked = probabilities[np.arange(len(labels)), labels]
        table = {
            "classifier (CNN)": {
                "accuracy": float(np.mean(np.argmax(probabilities, axis=1) == labels)),
                "cross_entropy": float(-np.mean(np.log(np.maximum(picked, 1e-12)))),
            }
        }
        pixels = lambda x: scale_images(x, (0.0, 1.0)).reshape(len(x), -1)  # noqa: E731
        with warnings.catch_warnings():  # constant border pixels (zero variance) are expected in digit images
            warnings.simplefilter("ignore", UserWarning)
            centroid = NearestCentroid().fit(pixels(data.x_train), data.y_train)
        table["nearest class mean (pixels)"] = {"accuracy": float(np.mean(centroid.predict(pixels(data.x_test[:limit])) == labels))}
        return table
