"""Reusable serializable layers shared by model families."""

from genlab.layers.image import InstanceNormalization, PixelShuffle, ReflectionPadding2D
from genlab.layers.noise import ImageCorruption, parse_noise
from genlab.layers.sampling import Sampling

__all__ = ["ImageCorruption", "InstanceNormalization", "PixelShuffle", "ReflectionPadding2D", "Sampling", "parse_noise"]
