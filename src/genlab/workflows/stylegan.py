"""What a trained StyleGAN run does beyond sampling: style mixing grids, projection, editing.

The ``*_run`` functions are what ``genlab style-mix``, ``genlab project`` and ``genlab edit``
call: load a run, act, write files, return what was written. Every file they will write is
checked (:func:`~genlab.core.io.check_output_path`) before the work starts. The model-level work lives in
:mod:`genlab.models.stylegan` (``StyleGAN.style_mix``) and its ``projection`` module.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from genlab.models.capabilities import MixesStyles
from genlab.data.pipeline import scale_images
from genlab.data.sources import image_to_uint8, load_image_data, open_image
from genlab.core.errors import GenlabError
from genlab.models.stylegan.projection import class_direction, edit, project
from genlab.plots.grids import save_image_grid
from genlab.core.io import atomic_path, check_output_path, write_json
from genlab.workflows.loading import load_run_model


def _stylegan_run(run_path):
    run, config, model = load_run_model(run_path)
    if not isinstance(model, MixesStyles):
        raise GenlabError(f"run {str(run.path)!r} is a {config.family} run; this command needs a stylegan run")
    return run, config, model


def _outputs(out, default: Path, suffixes: tuple[str, ...], inputs=(), overwrite: bool = False) -> Path:
    """``out`` (default ``default``) once it and its companions ``out.with_suffix(s)`` are safe to write."""
    out = Path(out) if out else default
    check_output_path(out, inputs=inputs, overwrite=overwrite, default=default)
    for suffix in suffixes:
        check_output_path(out.with_suffix(suffix), inputs=inputs, overwrite=overwrite, default=default.with_suffix(suffix))
    return out


def _save_npy(path: Path, array: np.ndarray) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, array)


def style_mix_run(run_path, rows: int = 4, columns: int = 4, crossover: int = 2, truncation: float = 1.0,
                  seed: int = 0, out=None, overwrite: bool = False) -> Path:
    """PNG grid: column sources on top, row sources on the left, each cell the row source's styles
    for layers below ``crossover`` (coarse: layout, shape) and the column source's above (fine)."""
    if rows <= 0 or columns <= 0:
        raise GenlabError(f"--rows and --cols must be > 0, got {rows} and {columns}")
    out = _outputs(out, Path(run_path) / "style_mix.png", (), overwrite=overwrite)
    run, config, model = _stylegan_run(run_path)
    row_latents, column_latents = model.sample_latents(rows, seed), model.sample_latents(columns, seed + 1)
    mixed = model.style_mix(row_latents, column_latents, crossover, truncation)
    row_images = model.decode_latents(row_latents, truncation=truncation)
    column_images = model.decode_latents(column_latents, truncation=truncation)
    low, high = config.model.value_range
    corner = np.full_like(column_images[:1], (low + high) / 2)
    grid = [np.concatenate([corner, column_images])]
    grid += [np.concatenate([row_images[i : i + 1], mixed[i]]) for i in range(rows)]
    return save_image_grid(out, grid, config.model.value_range)


def load_target_image(spec: str, model, config) -> np.ndarray:
    """One image (1, H, W, C) in the model's range: an image file (converted to the run's channels
    and resized to its size), or ``test:N``, the N-th test image of the run's data."""
    height, width, channels = config.model.input_shape
    match = re.fullmatch(r"test:(\d+)", spec)
    if match:
        data = load_image_data(config.data.source)
        index = int(match.group(1))
        if index >= len(data.x_test):
            raise GenlabError(f"--image {spec}: the test split has {len(data.x_test)} images")
        pixels = data.x_test[index : index + 1]
    else:
        from PIL import Image

        path = Path(spec)
        if not path.is_file():
            raise GenlabError(f"image {spec!r} does not exist (give an image file or test:N)")
        image = open_image(path)  # refuses files PIL cannot decode, and decompression bombs
        pixels = image_to_uint8(image, "L" if channels == 1 else "RGB", f"image {spec!r}")  # 16-bit: scaled
        image = Image.fromarray(pixels).resize((width, height), Image.BILINEAR)
        pixels = np.asarray(image, np.uint8).reshape(1, height, width, channels)
    model.check_input_shape(pixels.shape[1:], f"image {spec!r}")
    return scale_images(pixels, config.model.value_range)


def project_run(run_path, image: str, out=None, steps: int = 200, learning_rate: float = 0.05,
                perceptual: str = "mobilenet", perceptual_weight: float = 1.0, w_plus: bool = False,
                overwrite: bool = False) -> dict:
    """Project one image into W; write ``out`` (w, .npy) and a PNG beside it (target | reconstruction)."""
    if out is not None and Path(out).suffix != ".npy":
        raise GenlabError(f"--out must end in .npy, got {str(out)!r}")
    out = _outputs(out, Path(run_path) / "projected_w.npy", (".png", ".json"), inputs=(image,), overwrite=overwrite)
    run, config, model = _stylegan_run(run_path)
    target = load_target_image(image, model, config)
    w, report = project(model, target, steps, learning_rate, perceptual, perceptual_weight, w_plus)
    _save_npy(out, w)
    picture = save_image_grid(out.with_suffix(".png"), [target, model.synthesize(w)], config.model.value_range,
                             titles=["target", "projection"])
    report = {**report, "image": image, "latent": str(out), "comparison": str(picture)}
    write_json(out.with_suffix(".json"), report)
    return report


def parse_direction(spec: str) -> tuple[int, int | None] | Path:
    """``class:A-class:B`` -> (A, B); ``class:A`` -> (A, None) (class mean minus w_avg); else an .npy path."""
    match = re.fullmatch(r"class:(\d+)(?:-class:(\d+))?", spec.strip())
    if match:
        return int(match.group(1)), None if match.group(2) is None else int(match.group(2))
    path = Path(spec)
    if path.suffix == ".npy":
        return path
    raise GenlabError(f"--direction must be class:A-class:B, class:A or a .npy file, got {spec!r}")


def edit_run(run_path, latent, direction: str, strength: float = 1.5, columns: int = 5, out=None,
             per_class: int = 16, steps: int = 100, perceptual: str = "mobilenet", overwrite: bool = False) -> Path:
    """PNG: one row per latent in ``latent`` (.npy of w), columns w + alpha d for alpha from 0 to ``strength``.

    A ``class:A-class:B`` direction is the difference of the mean projected w of the first
    ``per_class`` test images of classes A and B (``steps`` projection steps each); it is saved
    beside ``out`` as ``<out>.direction.npy`` so it can be reused as ``--direction FILE.npy``.
    """
    if columns < 2:
        raise GenlabError(f"--columns must be >= 2, got {columns}")
    run, config, model = _stylegan_run(run_path)
    latent_path = Path(latent)
    if not latent_path.is_file():
        raise GenlabError(f"latent file {str(latent_path)!r} does not exist (make one with genlab project)")
    try:
        w = np.load(latent_path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise GenlabError(f"cannot read latent file {str(latent_path)!r}: {error}") from None
    w = w[None] if w.ndim == 1 else w
    parsed = parse_direction(direction)
    from_file = isinstance(parsed, Path)
    if from_file:
        if not parsed.is_file():
            raise GenlabError(f"direction file {str(parsed)!r} does not exist")
    else:
        data = load_image_data(config.data.source)
        if data.y_test is None:
            raise GenlabError(f"data {config.data.source!r} has no labels: class directions need labelled images")
        for label in parsed:
            if label is not None and not 0 <= label < data.num_classes:
                raise GenlabError(f"class {label} is out of range: the data has classes 0..{data.num_classes - 1}")
    out = _outputs(out, run.path / "edit.png", (".json",) if from_file else (".json", ".direction.npy"),
                   inputs=(latent_path, parsed if from_file else None), overwrite=overwrite)
    if from_file:
        vector = np.load(parsed, allow_pickle=False)
    else:
        images = scale_images(data.x_test, config.model.value_range)
        vector = class_direction(model, images, data.y_test, parsed[0], parsed[1], per_class,
                                 steps=steps, perceptual=perceptual)
        _save_npy(out.with_suffix(".direction.npy"), vector)
    strengths = np.linspace(0.0, strength, columns)
    images = edit(model, w, vector, strengths)
    saved = save_image_grid(out, list(images), config.model.value_range)
    write_json(out.with_suffix(".json"), {"direction": direction, "strengths": strengths.tolist(),
                                          "latent": str(latent_path), "direction_norm": float(np.linalg.norm(vector))})
    return saved
