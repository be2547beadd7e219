"""What a trained run does: reconstruct and denoise grids (the CLI's verbs call these)."""

from __future__ import annotations

from pathlib import Path

from genlab.models.capabilities import Denoises, Reconstructs
from genlab.data.pipeline import scale_images
from genlab.data.sources import load_image_data
from genlab.core.errors import GenlabError
from genlab.core.io import check_output_path, source_path
from genlab.plots.grids import save_image_grid
from genlab.workflows.loading import load_run_model


def _test_images(model, config, data_source: str | None, n: int):
    if n <= 0:
        raise GenlabError(f"--n must be > 0, got {n}")
    data = load_image_data(data_source or config.data.source)
    model.check_input_shape(data.image_shape, f"data {data.name!r}")
    labels = None if data.y_test is None else data.y_test[:n]
    return scale_images(data.x_test[:n], config.model.value_range), labels


def _require(model, capability: type, verb: str) -> None:
    if not isinstance(model, capability):
        raise GenlabError(f"runs of family {model.family!r} cannot {verb}")


def reconstruct_grid(run_path: str | Path, n: int = 16, data: str | None = None, out: str | Path | None = None,
                     overwrite: bool = False) -> Path:
    """PNG grid of ``n`` test images (top row) and their reconstructions (bottom row)."""
    default = Path(run_path) / "reconstructions.png"
    out = check_output_path(out or default, inputs=(source_path(data),), overwrite=overwrite, default=default)
    run, config, model = load_run_model(run_path)
    _require(model, Reconstructs, "reconstruct")
    images, labels = _test_images(model, config, data, n)
    # conditional families (cvae) reconstruct with the test labels
    reconstructions = model.reconstruct(images, labels) if getattr(model, "is_conditional", False) else model.reconstruct(images)
    return save_image_grid(out, [images, reconstructions], config.model.value_range, titles=["input", "reconstruction"])


def denoise_grid(
    run_path: str | Path, noise: str | None = None, n: int = 8, data: str | None = None,
    out: str | Path | None = None, seed: int = 0, overwrite: bool = False,
) -> Path:
    """PNG grid: clean test images / corrupted copies / the model's denoised output."""
    default = Path(run_path) / "denoised.png"
    out = check_output_path(out or default, inputs=(source_path(data),), overwrite=overwrite, default=default)
    run, config, model = load_run_model(run_path)
    _require(model, Denoises, "corrupt")
    images, _ = _test_images(model, config, data, n)
    noisy = model.corrupt(images, noise, seed=seed)
    return save_image_grid(out, [images, noisy, model.reconstruct(noisy)], config.model.value_range,
                           titles=["clean", "corrupted", "denoised"])
