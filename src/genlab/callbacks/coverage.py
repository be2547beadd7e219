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

from genlab.core.errors import GenlabError
from genlab.metrics.classifier_metrics import conditional_accuracy, mode_coverage


class ModeCoverage(keras.callbacks.Callback):
    def __init__(self, classifier, samples: int = 1000, seed: int = 0, load_run=None):
        """``classifier``: a classifier run directory, or a model with ``class_probabilities``.
        ``load_run(path) -> (run, config, model)`` loads a run directory; the training workflow
        sets it (this package never loads a run by itself)."""
        super().__init__()
        self.classifier = classifier
        self.samples = samples
        self.seed = seed
        self.load_run = load_run

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if isinstance(self.classifier, (str, Path)):
            path = self.classifier
            if self.load_run is None:
                raise GenlabError(f"coverage classifier {str(path)!r} is a run directory but no run loader was given: "
                                  f"train through genlab.workflows.train, or pass the loaded classifier model")
            _, _, self.classifier = self.load_run(path)
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
