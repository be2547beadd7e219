"""What trained image-to-image runs do to image files: ``translate`` (cyclegan, pix2pix) and
``upscale`` (srgan). PNG or JPEG in and out; the ``genlab translate`` and ``genlab upscale``
commands call these functions.

An image must have the mode the run was trained on: RGB for a 3-channel run, 8-bit grayscale
(``L``) for a 1-channel run. Anything else (grayscale given to a colour run, RGBA, palette or
16-bit images) is refused with a message saying how to convert it, rather than converted
silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.models.srgan.config import DEFAULT_OVERLAP, DEFAULT_TILE
from genlab.models.capabilities import Translates, Upscales
from genlab.data.pipeline import scale_images, to_uint8
from genlab.data.sources import open_image
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_path, check_output_path
from genlab.workflows.loading import load_run_model

MODES = {1: "L", 3: "RGB"}
MODE_NAMES = {"L": "grayscale", "RGB": "RGB colour", "RGBA": "RGB with alpha", "LA": "grayscale with alpha",
              "P": "palette", "1": "black-and-white (1-bit)", "I;16": "16-bit grayscale", "I": "32-bit integer",
              "F": "floating-point", "CMYK": "CMYK"}
OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg")


def read_image(path: str | Path, channels: int, purpose: str) -> np.ndarray:
    """An image file as uint8 (H, W, channels); GenlabError if it is missing, unreadable or of another mode."""
    path = Path(path)
    if not path.is_file():
        raise GenlabError(f"input image {str(path)!r} does not exist")
    image = open_image(path)  # refuses files PIL cannot decode, and decompression bombs
    mode, wanted, array = image.mode, MODES[channels], np.asarray(image)
    if mode != wanted:
        raise GenlabError(
            f"{str(path)!r} is a {MODE_NAMES.get(mode, mode)} image (mode {mode}), but this run {purpose} "
            f"{MODE_NAMES[wanted]} images ({channels} channel{'s' if channels > 1 else ''}); convert it first, "
            f"e.g. PIL.Image.open(path).convert({wanted!r})"
        )
    return array[..., None] if array.ndim == 2 else array


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write a uint8 (H, W, 1 or 3) image as PNG or JPEG (by the suffix), atomically."""
    from PIL import Image

    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise GenlabError(f"output {str(path)!r} must end in {', '.join(OUTPUT_SUFFIXES)}")
    image = np.asarray(image, np.uint8)
    picture = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
    with atomic_path(path) as temporary:
        picture.save(temporary, format="PNG" if path.suffix.lower() == ".png" else "JPEG", **(
            {} if path.suffix.lower() == ".png" else {"quality": 95}))
    return path


def _default_out(input_path: str | Path, tag: str) -> Path:
    input_path = Path(input_path)
    return input_path.with_name(f"{input_path.stem}_{tag}.png")


def translate_image(run_path: str | Path, input_path: str | Path, out: str | Path | None = None,
                    direction: str = "a2b", overwrite: bool = False) -> Path:
    """Translate one image with a cyclegan or pix2pix run (``a2b``: domain A to B; ``b2a`` back).

    ``out`` (default ``INPUT_a2b.png`` beside the input) replaces an existing file only if ``overwrite``."""
    run, config, model = load_run_model(run_path)
    if not isinstance(model, Translates):
        raise GenlabError(f"run {str(run.path)!r} is a {config.family} run; genlab translate takes cyclegan or pix2pix runs")
    if direction not in ("a2b", "b2a"):
        raise GenlabError(f"--direction must be a2b or b2a, got {direction!r}")
    out = check_output_path(out or _default_out(input_path, direction), inputs=(input_path,), overwrite=overwrite)
    source_shape = config.model.input_shape if direction == "a2b" else config.model.target_shape
    image = read_image(input_path, source_shape[-1], f"translates ({direction}) from")
    translated = model.translate(scale_images(image[None], config.model.value_range), direction)
    return write_image(out, to_uint8(translated, config.model.value_range)[0])


def upscale_image(run_path: str | Path, input_path: str | Path, out: str | Path | None = None,
                  tile: int = DEFAULT_TILE, overlap: int = DEFAULT_OVERLAP, overwrite: bool = False) -> Path:
    """Upscale one image of any size with an srgan run, in overlapping ``tile`` x ``tile`` tiles.

    ``out`` (default ``INPUT_x4.png`` beside the input) replaces an existing file only if ``overwrite``."""
    run, config, model = load_run_model(run_path)
    if not isinstance(model, Upscales):
        raise GenlabError(f"run {str(run.path)!r} is a {config.family} run; genlab upscale takes srgan runs")
    out = check_output_path(out or _default_out(input_path, f"x{config.model.scale}"), inputs=(input_path,),
                            overwrite=overwrite)
    image = read_image(input_path, config.model.input_shape[-1], "upscales")
    upscaled = model.upscale(scale_images(image[None], config.model.value_range), tile=tile, overlap=overlap)
    return write_image(out, to_uint8(upscaled, config.model.value_range)[0])
