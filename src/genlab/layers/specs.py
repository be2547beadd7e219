"""Parsers of the small string specs that configs validate (noise kinds, augmentation
policies). Free of Keras, so that a config module (and ``genlab --help``) never imports it."""

from __future__ import annotations

from genlab.core.errors import GenlabError

NOISE_KINDS = ("gaussian", "masking", "salt_pepper")
TRANSFORMS = ("color", "translation", "cutout")


def parse_noise(spec: str) -> tuple[str, float]:
    """``'gaussian:0.5'`` -> ``('gaussian', 0.5)``, with a clear error for anything else."""
    kind, _, level_text = str(spec).partition(":")
    if kind not in NOISE_KINDS:
        raise GenlabError(f"noise must be KIND:LEVEL with KIND in {', '.join(NOISE_KINDS)}, got {spec!r}")
    try:
        level = float(level_text)
    except ValueError:
        raise GenlabError(f"noise level in {spec!r} must be a number") from None
    if level < 0 or (kind != "gaussian" and level > 1):
        raise GenlabError(f"noise level in {spec!r} must be >= 0 (and <= 1 for {kind})")
    return kind, level


def parse_policy(policy: str) -> tuple[str, ...]:
    """``'color,translation'`` -> ('color', 'translation'); '' means no augmentation."""
    names = tuple(part.strip() for part in str(policy).split(",") if part.strip())
    for name in names:
        if name not in TRANSFORMS:
            raise GenlabError(f"augmentation {name!r} is unknown; choose from {', '.join(TRANSFORMS)} (comma-separated)")
    return names
