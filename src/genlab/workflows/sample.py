"""What a trained generator does: samples, synthetic data sets, interpolations, traversals, latent maps.

Works for every family that follows the generator contract of :mod:`genlab.models.base`
(``is_generator``, ``sample_latents``, ``decode_latents``, ``is_conditional`` and
``check_labels``): VAEs, GANs, StyleGAN. Nothing here names a family. Two optional parts:

* a family with an encoder defines ``encode_latents(images, labels=None)`` (one latent point
  per image, e.g. a VAE's posterior mean); interpolation then runs between two test images,
  traversals start from one, and ``genlab latent-map`` draws the test set in latent space;
* extra keyword arguments of a family's ``decode_latents`` (a StyleGAN ``truncation``, say)
  pass through ``decode_options``; one that the family does not take is a GenlabError.

The ``*_run`` functions are what the CLI calls: load a run, act, write a file, return its path.
An ``out`` the caller names goes through :func:`~genlab.core.io.check_output_path` before any
work (``overwrite`` lets it replace an existing file); the default lies in the run.
"""

from __future__ import annotations

import inspect
import math
import zipfile
from pathlib import Path
from statistics import NormalDist
from typing import Any, Iterator

import numpy as np

from genlab.core.config import check_seed
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_path, check_output_path, source_path
from genlab.data.pipeline import scale_images, to_uint8
from genlab.data.sources import load_image_data
from genlab.models.capabilities import EncodesLatents
from genlab.plots.grids import save_image_grid
from genlab.plots.latent import save_latent_scatter
from genlab.workflows.loading import load_run_model

PNG_LIMIT = 1024
MAX_CLASS_ROWS = 20


# --------------------------------------------------------------------------------------
# Pure functions on a model
# --------------------------------------------------------------------------------------


def can_encode(model) -> bool:
    return isinstance(model, EncodesLatents)


def require_generator(model) -> None:
    if not getattr(model, "is_generator", False):
        raise GenlabError(f"runs of family {model.family!r} do not generate images (this needs a generator family)")


def decode(model, latents: np.ndarray, labels: np.ndarray | None = None,
           options: dict[str, Any] | None = None, batch_size: int = 256) -> np.ndarray:
    """``model.decode_latents`` in batches, with the family-specific ``options`` checked first."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    parameters = inspect.signature(model.decode_latents).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = [name for name in options if name not in parameters and not takes_any]
    if unknown:
        flags = ", ".join("--" + name.replace("_", "-") for name in unknown)
        raise GenlabError(f"runs of family {model.family!r} do not take {flags}")
    parts = [
        model.decode_latents(latents[i : i + batch_size], None if labels is None else labels[i : i + batch_size], **options)
        for i in range(0, len(latents), batch_size)
    ]
    if not parts:
        raise GenlabError("nothing to decode (0 latents)")
    return np.concatenate(parts)


def sample_labels(model, n: int, label: int | None) -> np.ndarray | None:
    """Labels for ``n`` samples: ``label`` for all, or every class in turn; None for unconditional models."""
    if not model.is_conditional:
        if label is not None:
            raise GenlabError(f"family {model.family!r} is not conditional; it takes no --label")
        return None
    if label is None:
        return np.arange(n) % model.config.num_classes
    return model.check_labels(np.full(n, label), n)


def slerp(start: np.ndarray, end: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation (Shoemake, 1985; used for latents by White, 2016, "Sampling Generative Networks").

    slerp(p0, p1; t) = sin((1 - t) omega) / sin(omega) p0 + sin(t omega) / sin(omega) p1,
    omega = angle between p0 and p1. It keeps points at the norm Gaussian latents typically
    have, where linear interpolation passes near the origin. Nearly parallel vectors fall
    back to linear interpolation.
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    cosine = np.dot(start, end) / max(np.linalg.norm(start) * np.linalg.norm(end), 1e-12)
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return (1.0 - t) * start + t * end
    return (np.sin((1.0 - t) * omega) * start + np.sin(t * omega) * end) / np.sin(omega)


def interpolation_path(start: np.ndarray, end: np.ndarray, steps: int, spherical: bool = False) -> np.ndarray:
    """``steps`` latents from ``start`` to ``end`` (both included): linear, or slerp if ``spherical``."""
    if steps < 2:
        raise GenlabError(f"--steps must be >= 2 (the two endpoints), got {steps}")
    t = np.linspace(0.0, 1.0, steps)
    if spherical:
        return slerp(start, end, t).astype(np.float32)
    return ((1.0 - t)[:, None] * np.asarray(start, np.float64) + t[:, None] * np.asarray(end, np.float64)).astype(np.float32)


def traversal_latents(base: np.ndarray, dimension: int, span: float, steps: int) -> np.ndarray:
    """``base`` repeated ``steps`` times with coordinate ``dimension`` swept over [-span, span]."""
    latents = np.repeat(np.asarray(base, np.float32)[None], steps, axis=0)
    latents[:, dimension] = np.linspace(-span, span, steps)
    return latents


def manifold_latents(grid: int) -> np.ndarray:
    """A ``grid`` x ``grid`` lattice of 2-D latents at Gaussian quantiles (Kingma & Welling, 2014, fig. 4).

    Row i, column j is (Phi^-1(u_j), Phi^-1(u_i)) with u evenly spaced in (0.05, 0.95), so equal
    steps cover equal prior probability mass.
    """
    quantiles = [NormalDist().inv_cdf(u) for u in np.linspace(0.05, 0.95, grid)]
    return np.array([[x, y] for y in reversed(quantiles) for x in quantiles], np.float32)


def write_npz_stream(path: str | Path, n: int, batches: Iterator[np.ndarray], extra: dict[str, np.ndarray]) -> Path:
    """Write ``x`` (the uint8 ``batches``, ``n`` rows in all) and the ``extra`` arrays as a .npz.

    ``x`` is written batch by batch into the zip member, so memory stays one batch whatever
    ``n`` is; ``numpy.load`` reads the file as usual. Written atomically.
    """
    with atomic_path(path) as temporary:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            written = 0
            with archive.open("x.npy", "w", force_zip64=True) as handle:
                for batch in batches:
                    batch = np.ascontiguousarray(batch, np.uint8)
                    if written == 0:
                        header = {"descr": np.lib.format.dtype_to_descr(batch.dtype), "fortran_order": False,
                                  "shape": (n, *batch.shape[1:])}
                        np.lib.format.write_array_header_1_0(handle, header)
                    handle.write(batch.tobytes())
                    written += len(batch)
            if written != n:
                raise GenlabError(f"internal error: wrote {written} images, expected {n}")
            for name, array in extra.items():
                with archive.open(f"{name}.npy", "w", force_zip64=True) as handle:
                    np.lib.format.write_array(handle, np.asarray(array), allow_pickle=False)
    return Path(path)


# --------------------------------------------------------------------------------------
# Run-level commands
# --------------------------------------------------------------------------------------


def _load_generator(run_path):
    run, config, model = load_run_model(run_path)
    require_generator(model)
    return run, config, model


def _class_names(run, model) -> list[str]:
    names = run.metadata().get("data", {}).get("class_names") or []
    count = model.config.num_classes
    return list(names) if len(names) == count else [str(i) for i in range(count)]


def _test_split(model, config, data: str | None):
    image_data = load_image_data(data or config.data.source)
    model.check_input_shape(image_data.image_shape, f"data {image_data.name!r}")
    if model.is_conditional and image_data.y_test is None:
        raise GenlabError(f"family {model.family!r} is conditional but data {image_data.name!r} has no test labels")
    labels = image_data.y_test if model.is_conditional else None
    return image_data, labels


def _format_for(fmt: str | None, out: str | Path | None) -> str:
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    fmt = fmt or (suffix if suffix in ("png", "npz") else "png")
    if fmt not in ("png", "npz"):
        raise GenlabError(f"--format must be png or npz, got {fmt!r}")
    if suffix and suffix != fmt:
        raise GenlabError(f"--out {str(out)!r} does not end in .{fmt} (the --format)")
    return fmt


def sample_run(run_path: str | Path, n: int = 64, label: int | None = None, fmt: str | None = None,
               out: str | Path | None = None, seed: int = 0, batch_size: int = 256,
               decode_options: dict[str, Any] | None = None, overwrite: bool = False) -> Path:
    """``n`` samples from the prior, as a PNG grid or as a .npz data set (``x`` uint8, ``y`` labels).

    Conditional runs draw class ``label``, or, without one, every class in turn: one row
    per class in the PNG, ``n`` labels cycling through the classes in the .npz.
    """
    if n <= 0:
        raise GenlabError(f"--n must be > 0, got {n}")
    check_seed("--seed", seed)
    fmt = _format_for(fmt, out)
    suffix = "" if label is None else f"_class{label}"
    default = Path(run_path) / ("samples.npz" if fmt == "npz" else f"samples{suffix}.png")
    out = check_output_path(out or default, overwrite=overwrite, default=default)
    run, config, model = _load_generator(run_path)
    value_range = config.model.value_range
    if fmt == "npz":
        labels = sample_labels(model, n, label)
        latents = model.sample_latents(n, seed)
        batches = (to_uint8(decode(model, latents[i : i + batch_size],
                                   None if labels is None else labels[i : i + batch_size], decode_options, batch_size),
                            value_range) for i in range(0, n, batch_size))
        extra: dict[str, np.ndarray] = {}
        if labels is not None:
            extra = {"y": labels.astype(np.int64), "class_names": np.array(_class_names(run, model))}
        return write_npz_stream(out, n, batches, extra)
    if n > PNG_LIMIT:
        raise GenlabError(f"a PNG grid holds at most {PNG_LIMIT} samples, got --n {n}; use --format npz for more")
    if model.is_conditional and label is None:
        classes = min(model.config.num_classes, MAX_CLASS_ROWS)
        per_class = max(1, round(n / classes))
        labels = np.repeat(np.arange(classes), per_class)
        images = decode(model, model.sample_latents(len(labels), seed), labels, decode_options, batch_size)
        rows = [images[i * per_class : (i + 1) * per_class] for i in range(classes)]
        return save_image_grid(out, rows, value_range, titles=_class_names(run, model)[:classes])
    labels = sample_labels(model, n, label)
    images = decode(model, model.sample_latents(n, seed), labels, decode_options, batch_size)
    return save_image_grid(out, [images], value_range, columns=math.ceil(math.sqrt(n)))


def interpolate_run(run_path: str | Path, start: int | None = None, end: int | None = None, steps: int = 10,
                    spherical: bool = False, label: int | None = None, seed: int = 0, data: str | None = None,
                    out: str | Path | None = None, decode_options: dict[str, Any] | None = None,
                    overwrite: bool = False) -> Path:
    """A PNG of the decoded path between two latents.

    Families with an encoder go from test image ``start`` to test image ``end`` (default 0
    and 1); the grid is then [test image start, path..., test image end]. A conditional
    model decodes the first half of the path with the first image's class and the rest with
    the second's, unless ``label`` fixes one class. Families without an encoder go between
    two random latents (``seed``); a conditional one then draws one row per class (or ``label``).
    """
    default = Path(run_path) / ("interpolation_slerp.png" if spherical else "interpolation.png")
    out = check_output_path(out or default, inputs=(source_path(data),), overwrite=overwrite, default=default)
    run, config, model = _load_generator(run_path)
    value_range = config.model.value_range
    if can_encode(model):
        start = 0 if start is None else start
        end = 1 if end is None else end
        image_data, test_labels = _test_split(model, config, data)
        for name, index in (("--from", start), ("--to", end)):
            if not 0 <= index < len(image_data.x_test):
                raise GenlabError(f"{name} {index} is not a test image index (0..{len(image_data.x_test) - 1})")
        images = scale_images(image_data.x_test[[start, end]], value_range)
        pair_labels = None if test_labels is None else test_labels[[start, end]]
        encoded = model.encode_latents(images, pair_labels)
        path = interpolation_path(encoded[0], encoded[1], steps, spherical)
        labels = None
        if model.is_conditional:
            labels = np.where(np.arange(steps) < steps / 2, *pair_labels) if label is None else np.full(steps, label)
            labels = model.check_labels(labels, steps)
        decoded = decode(model, path, labels, decode_options)
        return save_image_grid(out, [np.concatenate([images[:1], decoded, images[1:]])], value_range)
    if start is not None or end is not None:
        raise GenlabError(f"runs of family {model.family!r} have no encoder: --from/--to need one; "
                          f"drop them to interpolate between random latents (--seed)")
    endpoints = model.sample_latents(2, seed)
    path = interpolation_path(endpoints[0], endpoints[1], steps, spherical)
    if not model.is_conditional:
        return save_image_grid(out, [decode(model, path, None, decode_options)], value_range)
    classes = [label] if label is not None else list(range(min(model.config.num_classes, MAX_CLASS_ROWS)))
    rows = [decode(model, path, model.check_labels(np.full(steps, c), steps), decode_options) for c in classes]
    names = _class_names(run, model)
    return save_image_grid(out, rows, value_range, titles=[names[c] for c in classes])


def traverse_run(run_path: str | Path, index: int | None = None, dims: int = 10, span: float = 3.0, steps: int = 9,
                 label: int | None = None, seed: int = 0, data: str | None = None, out: str | Path | None = None,
                 decode_options: dict[str, Any] | None = None, activity_examples: int = 500,
                 overwrite: bool = False) -> Path:
    """Latent traversal grid: one row per latent dimension, that coordinate swept over [-span, span].

    The other coordinates stay at a base point: the encoding of test image ``index`` (default
    0) for families with an encoder, else the prior mean 0. With an encoder the rows show the
    ``dims`` most *active* dimensions, ranked by the variance of the encodings over test
    images (Burda et al., 2016 call a unit active above 0.01); a beta-VAE's higher beta leaves
    fewer active dimensions, each changing one factor of the image.
    """
    if steps < 2 or span <= 0 or dims <= 0:
        raise GenlabError(f"traversal needs --steps >= 2, --span > 0 and --dims > 0 (got {steps}, {span}, {dims})")
    default = Path(run_path) / "traversal.png"
    out = check_output_path(out or default, inputs=(source_path(data),), overwrite=overwrite, default=default)
    run, config, model = _load_generator(run_path)
    latent_dim = int(model.config.latent_dim)
    base = np.zeros(latent_dim, np.float32)
    order = np.arange(latent_dim)
    titles = [f"z{d}" for d in order]
    base_label = label
    if can_encode(model):
        image_data, test_labels = _test_split(model, config, data)
        index = 0 if index is None else index
        if not 0 <= index < len(image_data.x_test):
            raise GenlabError(f"--from {index} is not a test image index (0..{len(image_data.x_test) - 1})")
        count = min(activity_examples, len(image_data.x_test))
        images = scale_images(image_data.x_test[:count], config.model.value_range)
        encoded = model.encode_latents(images, None if test_labels is None else test_labels[:count])
        index_code = model.encode_latents(scale_images(image_data.x_test[[index]], config.model.value_range),
                                          None if test_labels is None else test_labels[[index]])
        base = index_code[0]
        activity = encoded.var(axis=0)
        order = np.argsort(-activity, kind="stable")
        titles = [f"z{d} var {activity[d]:.2f}" for d in range(latent_dim)]
        if model.is_conditional and base_label is None:
            base_label = int(test_labels[index])
    elif index is not None:
        raise GenlabError(f"runs of family {model.family!r} have no encoder: --from needs one")
    elif model.is_conditional and base_label is None:
        base_label = 0
    chosen = order[: min(dims, latent_dim)]
    labels = None if not model.is_conditional else model.check_labels(np.full(steps, base_label), steps)
    rows = [decode(model, traversal_latents(base, d, span, steps), labels, decode_options) for d in chosen]
    return save_image_grid(out, rows, config.model.value_range, titles=[titles[d] for d in chosen])


def latent_map_run(run_path: str | Path, n: int = 2000, data: str | None = None, out: str | Path | None = None,
                   label: int | None = None, grid: int = 15, overwrite: bool = False) -> list[Path]:
    """A scatter plot of ``n`` test images' latents coloured by class (PCA to 2-D above 2 dimensions),
    and, for a 2-D latent space, the decoded manifold on a ``grid`` x ``grid`` lattice
    (``OUT_manifold.png``; class ``label``, default 0, for conditional models). Returns the PNG paths."""
    if n <= 0 or grid < 2:
        raise GenlabError(f"latent-map needs --n > 0 and --grid >= 2 (got {n}, {grid})")
    default = Path(run_path) / "latent_map.png"
    out = check_output_path(out or default, inputs=(source_path(data),), overwrite=overwrite, default=default)
    run, config, model = _load_generator(run_path)
    if not can_encode(model):
        raise GenlabError(f"runs of family {model.family!r} have no encoder; a latent map needs one")
    image_data, test_labels = _test_split(model, config, data)
    images = scale_images(image_data.x_test[:n], config.model.value_range)
    codes = model.encode_latents(images, None if test_labels is None else test_labels[:n])
    manifold_out = None
    if codes.shape[1] == 2:  # a 2-D latent space: also the decoded manifold, checked before the map is written
        manifold_out = check_output_path(out.with_name(f"{out.stem}_manifold.png"), inputs=(source_path(data),),
                                         overwrite=overwrite, default=default.with_name("latent_map_manifold.png"))
    classes = None if image_data.y_test is None else image_data.y_test[: len(codes)]
    names = image_data.class_names
    if codes.shape[1] > 2:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=0).fit(codes)
        points = pca.transform(codes)
        share = 100.0 * pca.explained_variance_ratio_.sum()
        title = f"{len(codes)} test images: PCA of the {codes.shape[1]}-D latents ({share:.0f}% of their variance)"
        axes = ("principal component 1", "principal component 2")
    else:
        points = codes if codes.shape[1] == 2 else np.concatenate([codes, np.zeros_like(codes)], axis=1)
        title = f"{len(codes)} test images in the {codes.shape[1]}-D latent space"
        axes = ("z1", "z2")
    paths = [save_latent_scatter(out, points, classes, names, title=title, axis_labels=axes)]
    if manifold_out is not None:
        latents = manifold_latents(grid)
        labels = None
        if model.is_conditional:
            labels = model.check_labels(np.full(len(latents), 0 if label is None else label), len(latents))
        decoded = decode(model, latents, labels)
        rows = [decoded[i * grid : (i + 1) * grid] for i in range(grid)]
        paths.append(save_image_grid(manifold_out, rows, config.model.value_range))
    return paths
