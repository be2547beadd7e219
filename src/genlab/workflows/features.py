"""A classifier run as a feature extractor (``--features runs/classifier``): registered with
:mod:`genlab.metrics.features`, which never loads a run itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.models.capabilities import ClassifiesImages
from genlab.core.errors import GenlabError
from genlab.metrics.features import FeatureExtractor, register_directory_extractor, sha256_of_arrays, sha256_of_files
from genlab.workflows.loading import load_run_model


class RunExtractor(FeatureExtractor):
    """A classifier trained by genlab: ``model.features`` and ``model.class_probabilities`` on [0, 1]."""

    is_domain_classifier = True

    def __init__(self, run_path: str | Path, batch_size: int = 256):
        run, config, model = load_run_model(run_path)
        if not isinstance(model, ClassifiesImages):
            raise GenlabError(
                f"run {str(run.path)!r} (family {config.family!r}) cannot serve as a feature extractor: "
                f"train one with 'genlab train classifier'"
            )
        self.model = model
        height, width, channels = config.model.input_shape
        weights = sorted(run.weights_dir.glob("*.weights.h5"))
        feature_dim = int(model.features(np.zeros((1, height, width, channels), np.float32), (0.0, 1.0)).shape[-1])
        super().__init__(f"classifier:{run.path.name}", (height, width), channels, str(run.path),
                         sha256_of_files(weights) if weights else sha256_of_arrays(w.numpy() for w in model.weights),
                         feature_dim, True, batch_size)
        self.num_classes = int(config.model.num_classes)

    def _outputs(self, batch, batch_size):
        images = np.asarray(batch)
        return self.model.features(images, (0.0, 1.0)), self.model.class_probabilities(images, (0.0, 1.0))


register_directory_extractor(RunExtractor)
