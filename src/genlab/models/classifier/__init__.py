"""A small CNN classifier: a domain feature network for distribution metrics on MNIST-like data."""

from genlab.core.lazy import lazy_exports
from genlab.models.classifier.config import ClassifierConfig

__all__ = ["Classifier", "ClassifierConfig"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"Classifier": "model"})
