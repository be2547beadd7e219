"""Distribution metrics of any generator, with the protocol that makes the figures comparable.

:func:`generator_metrics` works for every family that follows the generator contract of
:mod:`genlab.models.base` (``is_generator``, ``generate(n, labels, seed)``, and
``is_conditional`` with ``config.num_classes``):

1. ``n`` images are generated with a fixed seed (conditional generators: balanced, shuffled
   class labels) and passed through a feature extractor (:mod:`genlab.metrics.features`);
2. real reference images (a seeded subset of one split, features cached per dataset +
   extractor, :mod:`genlab.metrics.reference`) go through the same extractor;
3. FID, KID, IS, precision/recall and density/coverage are computed in float64
   (:mod:`genlab.metrics.distribution`); with a domain classifier (a classifier run) also
   mode coverage and, for conditional generators, conditional accuracy;
4. the same figures for real images of the other split give the floor a perfect generator
   would reach with this many samples (the "real data" row, cached too).

The result holds the table, per-figure details (class histograms) and the protocol:
extractor with the SHA-256 of its weights, resolution and resize method, number of generated
samples and seed, reference split, size and data fingerprint, and the metric settings.
"""

from __future__ import annotations

import json
import time
from typing import Any, Sequence

import numpy as np

from genlab.core.errors import GenlabError
from genlab.metrics.classifier_metrics import conditional_accuracy, mode_coverage
from genlab.metrics.distribution import fid, inception_score, kid, manifold_metrics
from genlab.metrics.features import FeatureExtractor, get_extractor
from genlab.metrics.reference import SPLITS, cache_dir, cache_key, reference_features
from genlab.core.io import write_json

METRICS = ("fid", "kid", "is", "precision_recall", "density_coverage")
DEFAULT_N = 10_000


def parse_metrics(metrics: str | Sequence[str]) -> tuple[str, ...]:
    """``"fid,kid"`` or ``["fid", "kid"]`` -> ('fid', 'kid'); GenlabError for an unknown name."""
    names = [m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        raise GenlabError(f"unknown metric(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(METRICS)}")
    return tuple(dict.fromkeys(names))


def _generated_features(model, extractor: FeatureExtractor, n: int, seed: int, batch_size: int):
    """Features (and probabilities) of ``n`` generated images, made in batches; the requested labels."""
    labels = None
    if model.is_conditional:
        classes = int(model.config.num_classes)
        labels = np.random.default_rng(seed).permutation(np.arange(n) % classes)  # balanced, shuffled
    features, probabilities = [], []
    for index, start in enumerate(range(0, n, batch_size)):
        count = min(batch_size, n - start)
        batch_seed = int(np.random.SeedSequence([seed, index]).generate_state(1)[0])
        images = model.generate(count, None if labels is None else labels[start : start + count], seed=batch_seed)
        batch_features, batch_probabilities = extractor.extract(images, tuple(model.config.value_range))
        features.append(batch_features)
        if batch_probabilities is not None:
            probabilities.append(batch_probabilities)
    return np.concatenate(features), (np.concatenate(probabilities) if probabilities else None), labels


def _figures(reference: dict, features: np.ndarray, probabilities, labels, metrics, settings: dict,
             domain_classifier: bool) -> tuple[dict[str, float], dict[str, Any]]:
    """One table row (and its details) for one set of images against the reference."""
    row: dict[str, float] = {}
    details: dict[str, Any] = {}
    real = reference["features"]
    if "fid" in metrics:
        row["fid"] = fid(real, features)
    if "kid" in metrics:
        row.update(kid(real, features, subsets=settings["kid_subsets"], subset_size=settings["kid_subset_size"],
                       seed=settings["seed"]))
    if "is" in metrics and probabilities is not None:
        row.update(inception_score(probabilities, splits=min(settings["is_splits"], len(probabilities))))
    wanted = [m for m in ("precision_recall", "density_coverage") if m in metrics]
    if wanted:
        manifold = manifold_metrics(real, features, settings["k_precision_recall"], settings["k_density_coverage"])
        keys = {"precision_recall": ("precision", "recall"), "density_coverage": ("density", "coverage")}
        row.update({key: manifold[key] for metric in wanted for key in keys[metric]})
    if domain_classifier and probabilities is not None:
        coverage = mode_coverage(probabilities)
        row["classes_covered"] = coverage["classes_covered"]
        row["kl_to_uniform"] = coverage["kl_to_uniform"]
        details["class_histogram"] = coverage["histogram"]
        if labels is not None and probabilities.shape[1] > int(np.max(labels)):  # same classes (see skipped)
            row["conditional_accuracy"] = conditional_accuracy(probabilities, labels)
    return row, details


def generator_metrics(
    model,
    data,
    metrics: str | Sequence[str] = METRICS,
    n: int = DEFAULT_N,
    extractor: str | FeatureExtractor = "lite0",
    weights: str | None = None,
    resolution: int | None = None,
    reference_split: str = "test",
    seed: int = 0,
    baseline: bool = True,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    is_splits: int = 10,
    k_precision_recall: int = 3,
    k_density_coverage: int = 5,
    batch_size: int = 500,
    use_cache: bool = True,
) -> dict[str, Any]:
    """Distribution metrics of ``n`` images from a generator ``model`` against real ``data``.

    Returns ``{"table": {row: {metric: value}}, "details": {...}, "protocol": {...}}``.
    ``extractor`` is a name (``lite0``, ``mobilenet``, ``inception``, ``random``), a classifier
    run directory, or a :class:`FeatureExtractor`. ``baseline`` adds the row of real images
    of the other split, scored the same way.
    """
    if not getattr(model, "is_generator", False):
        raise GenlabError(f"distribution metrics need a generator; runs of family {model.family!r} do not generate images")
    metrics = parse_metrics(metrics)
    if n < 2:
        raise GenlabError(f"--n must be at least 2 generated images, got {n}")
    if reference_split not in SPLITS:
        raise GenlabError(f"reference split must be one of {', '.join(SPLITS)}, got {reference_split!r}")
    model.check_input_shape(data.image_shape, f"data {data.name!r}")
    if not isinstance(extractor, FeatureExtractor):
        extractor = get_extractor(str(extractor), weights=weights, resolution=resolution)
    domain_classifier = extractor.is_domain_classifier
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    reference = reference_features(data, reference_split, extractor, n, seed, use_cache)
    seconds["reference_features"] = time.perf_counter() - started
    if len(reference["features"]) <= max(k_precision_recall, k_density_coverage) + 1:
        raise GenlabError(f"the {reference_split} split of {data.name!r} has too few images ({len(reference['features'])})")
    kid_subset_size = min(kid_subset_size, n, len(reference["features"]))  # what KID uses: at most the smaller set
    settings = {"kid_subsets": kid_subsets, "kid_subset_size": kid_subset_size, "is_splits": is_splits,
                "k_precision_recall": k_precision_recall, "k_density_coverage": k_density_coverage, "seed": seed}

    started = time.perf_counter()
    features, probabilities, labels = _generated_features(model, extractor, n, seed, batch_size)
    seconds["generate_and_extract"] = time.perf_counter() - started
    started = time.perf_counter()
    row, details = _figures(reference, features, probabilities, labels, metrics, settings, domain_classifier)
    seconds["statistics"] = time.perf_counter() - started
    table = {f"{model.family} ({n} generated)": row}
    all_details = {"generated": details} if details else {}

    skipped = {}
    if "is" in metrics and probabilities is None:
        skipped["is"] = f"feature extractor {extractor.name!r} has no class layer"
    if model.is_conditional and not domain_classifier:
        skipped["conditional_accuracy"] = "needs a classifier run as --features"
    elif model.is_conditional and probabilities is not None and probabilities.shape[1] != model.config.num_classes:
        skipped["conditional_accuracy"] = (
            f"the classifier has {probabilities.shape[1]} classes, the generator {model.config.num_classes}"
        )

    baseline_protocol = None
    if baseline:
        other = "train" if reference_split == "test" else "test"
        started = time.perf_counter()
        baseline_row, baseline_details, baseline_protocol = _real_baseline(
            data, other, extractor, reference, n, metrics, settings, domain_classifier, use_cache)
        seconds["real_baseline"] = time.perf_counter() - started
        table[f"real {other} images ({baseline_protocol['size']})"] = baseline_row
        if baseline_details:
            all_details["real"] = baseline_details

    protocol = {
        "metrics": list(metrics),
        "extractor": extractor.protocol(data_channels=data.image_shape[-1]),
        "generated": {"n": n, "seed": seed, "value_range": list(model.config.value_range),
                      "labels": None if labels is None else f"balanced over {model.config.num_classes} classes, shuffled"},
        "reference": reference["protocol"],
        "baseline": baseline_protocol,
        "settings": {**settings, "kid_kernel": "(x.y / d + 1)^3, unbiased MMD^2", "statistics": "float64"},
        "skipped": skipped,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
    return {"table": table, "details": all_details, "protocol": protocol}


def _real_baseline(data, split, extractor, reference, n, metrics, settings, domain_classifier, use_cache):
    """The figures of real ``split`` images against the reference (cached: they depend on no model)."""
    key = cache_key({"reference": {k: v for k, v in reference["protocol"].items() if k != "cached"},
                     "split": split, "n": n, "metrics": list(metrics), "settings": settings,
                     "extractor": extractor.protocol()})
    path = cache_dir() / "baseline" / f"{key}.json"
    if use_cache and path.is_file():
        try:
            cached = json.loads(path.read_text("utf-8"))
            return cached["row"], cached["details"], {**cached["protocol"], "cached": str(path)}
        except (OSError, ValueError, KeyError):
            pass
    real = reference_features(data, split, extractor, n, settings["seed"], use_cache)
    row, details = _figures(reference, real["features"], real["probabilities"], real["labels"], metrics, settings,
                            domain_classifier)
    protocol = {k: v for k, v in real["protocol"].items() if k != "cached"}
    if use_cache:
        try:
            write_json(path, {"row": row, "details": details, "protocol": protocol})
        except GenlabError:
            pass
    return row, details, protocol
