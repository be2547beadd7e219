"""What a trained run does: reconstruct and denoise grids (the CLI's verbs call these)."""

from __future__ import annotations

from pathlib import Path

from genlab.data.pipeline import scale_images
from genlab.data.sources import load_image_data
from genlab.core.errors import GenlabError
from genlab.plots.grids import save_image_grid
from genlab.workflows.loading import load_run_model


def _test_images(model, config, data_source: str | None, n: int):
    if n <= 0:
        raise GenlabError(f"--n must be > 0, got {n}")
    data = load_image_data(data_source or config.data.source)
    model.check_input_shape(data.image_shape, f"data {data.name!r}")
    labels = None if data.y_test is None else data.y_test[:n]
    return scale_images(data.x_test[:n], config.model.value_range), labels


def _require(model, verb: str) -> None:
    if not callable(getattr(model, verb, None)):
        raise GenlabError(f"runs of family {model.family!r} cannot {verb}")


def reconstruct_grid(run_path: str | Path, n: int = 16, data: str | None = None, out: str | Path | None = None) -> Path:
    """PNG grid of ``n`` test images (top row) and their reconstructions (bottom row)."""
    run, config, model = load_run_model(run_path)
    _require(model, "reconstruct")
    images, labels = _test_images(model, config, data, n)
    out = Path(out) if out else run.path / "reconstructions.png"
    # conditional families (cvae) reconstruct with the test labels
    reconstructions = model.reconstruct(images, labels) if getattr(model, "is_conditional", False) else model.reconstruct(images)
    return save_image_grid(out, [images, reconstructions], config.model.value_range)


def denoise_grid(
    run_path: str | Path, noise: str | None = None, n: int = 8, data: str | None = None,
    out: str | Path | None = None, seed: int = 0,
) -> Path:
    """PNG grid: clean test images / corrupted copies / the model's denoised output."""
    run, config, model = load_run_model(run_path)
    _require(model, "corrupt")
    images, _ = _test_images(model, config, data, n)
    noisy = model.corrupt(images, noise, seed=seed)
    out = Path(out) if out else run.path / "denoised.png"
    return save_image_grid(out, [images, noisy, model.reconstruct(noisy)], config.model.value_range)
