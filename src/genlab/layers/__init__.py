"""Reusable serializable layers shared by model families."""

from genlab.layers.noise import ImageCorruption, parse_noise

__all__ = ["ImageCorruption", "parse_noise"]
