"""Reference features of real data, cached per dataset + split + sample + extractor.

Extracting features of 10,000 real images costs minutes on a CPU; every generator evaluated
against the same data needs the same ones. They are cached as ``.npz`` files in
:func:`cache_dir` (``$GENLAB_CACHE``, else ``~/.cache/genlab``), under a key that hashes
everything they depend on: the data's fingerprint (SHA-256 of its arrays), the split, the
number of images and the seed choosing them, and the extractor's protocol (name, SHA-256 of
its weights, resolution, preprocessing). Change any of them and a new entry is made.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from genlab.core.errors import GenlabError
from genlab.core.io import atomic_path

SPLITS = ("train", "test")


def cache_dir() -> Path:
    return Path(os.environ.get("GENLAB_CACHE") or Path("~/.cache/genlab").expanduser()).expanduser()


def cache_key(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:24]


def split_images(data, split: str) -> tuple[np.ndarray, np.ndarray | None]:
    if split not in SPLITS:
        raise GenlabError(f"reference split must be one of {', '.join(SPLITS)}, got {split!r}")
    images, labels = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    if len(images) == 0:
        raise GenlabError(f"data {data.name!r} has no {split} images")
    return images, labels


def choose(count: int, n: int, seed: int) -> np.ndarray:
    """Indices of a seeded random subset of ``n`` of ``count`` items (all of them, in order, if n >= count)."""
    if n >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, n, replace=False))


def _compact(array: np.ndarray) -> np.ndarray:
    """float32 when that loses nothing (network outputs are float32): half the disk space."""
    single = array.astype(np.float32)
    return single if np.array_equal(single, array) else array


def reference_features(data, split: str, extractor, n: int, seed: int = 0, use_cache: bool = True) -> dict[str, Any]:
    """Features (and class probabilities, labels) of ``min(n, split size)`` real images of ``data``.

    Returns ``{"features", "probabilities" (or None), "labels" (or None), "protocol"}`` where
    the protocol names the data, fingerprint, split, size and seed (and whether it was cached).
    """
    images, labels = split_images(data, split)
    indices = choose(len(images), n, seed)
    protocol = {"data": data.name, "fingerprint": data.fingerprint(), "split": split, "size": int(len(indices)),
                "seed": int(seed), "of": int(len(images))}
    path = cache_dir() / "reference" / f"{cache_key({**protocol, **extractor.protocol()})}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as archive:
                features = archive["features"].astype(np.float64)
                probabilities = archive["probabilities"].astype(np.float64) if "probabilities" in archive.files else None
            return {"features": features, "probabilities": probabilities,
                    "labels": None if labels is None else labels[indices], "protocol": {**protocol, "cached": str(path)}}
        except Exception:  # noqa: BLE001 - a corrupt cache entry is recomputed
            pass
    features, probabilities = extractor.extract(images[indices])
    if use_cache:
        arrays = {"features": _compact(features)}
        if probabilities is not None:
            arrays["probabilities"] = _compact(probabilities)
        try:
            with atomic_path(path) as temporary:
                with open(temporary, "wb") as handle:
                    np.savez(handle, **arrays)
        except GenlabError:
            pass  # an unwritable cache only costs time
    return {"features": features, "probabilities": probabilities,
            "labels": None if labels is None else labels[indices], "protocol": protocol}
