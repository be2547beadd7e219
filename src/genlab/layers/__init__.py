"""Reusable serializable layers shared by model families."""

from genlab.layers.noise import ImageCorruption, parse_noise
from genlab.layers.sampling import Sampling

__all__ = ["ImageCorruption", "Sampling", "parse_noise"]
