"""A small CNN classifier: a domain feature network for distribution metrics on MNIST-like data."""

from genlab.models.classifier.config import ClassifierConfig
from genlab.models.classifier.model import Classifier

__all__ = ["Classifier", "ClassifierConfig"]
