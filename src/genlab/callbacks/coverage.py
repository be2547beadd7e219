"""Mode coverage of a generator after every epoch, under a domain classifier.

``n`` samples from fixed noise are classified by a classifier run (``genlab train
classifier`` on the same data); the epoch's logs (and so history.csv) get
``classes_covered`` (classes predicted at least once), ``kl_to_uniform`` (KL of the predicted
class histogram to uniform: 0 when balanced, log K at total mode collapse) and, for
conditional generators asked for balanced labels, ``conditional_accuracy``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

from genlab.errors import GenlabError
from genlab.metrics.classifier_metrics import conditional_accuracy, mode_coverage


class ModeCoverage(keras.callbacks.Callback):
    def __init__(self, classifier, samples: int = 1000, seed: int = 0):
        """``classifier``: a classifier run directory, or a model with ``class_probabilities``."""
        super().__init__()
        self.classifier = classifier
        self.samples = samples
        self.seed = seed

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if isinstance(self.classifier, (str, Path)):
            from genlab.runs import load_run_model

            path = self.classifier
            _, _, self.classifier = load_run_model(path)
            if not hasattr(self.classifier, "class_probabilities"):
                raise GenlabError(f"coverage classifier {str(path)!r} is not a classifier run (genlab train classifier)")
        shape = getattr(getattr(self.classifier, "config", None), "input_shape", None)
        if shape is not None and tuple(shape) != tuple(self.model.config.input_shape):
            raise GenlabError(
                f"coverage classifier takes images {tuple(shape)}, but this generator makes {tuple(self.model.config.input_shape)}"
            )

    def measure(self) -> dict[str, float]:
        generator = self.model
        labels = np.arange(self.samples) % generator.config.num_classes if generator.is_conditional else None
        images = generator.decode_latents(generator.sample_latents(self.samples, seed=self.seed), labels)
        probabilities = self.classifier.class_probabilities(images, generator.config.value_range)
        coverage = mode_coverage(probabilities)
        figures = {"classes_covered": float(coverage["classes_covered"]), "kl_to_uniform": coverage["kl_to_uniform"]}
        if labels is not None:
            figures["conditional_accuracy"] = conditional_accuracy(probabilities, labels)
        return figures

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs.update(self.measure())
