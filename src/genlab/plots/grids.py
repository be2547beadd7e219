"""Image grids: one row per array, images side by side, optional row titles on the left."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np

from genlab.core.errors import GenlabError
from genlab.core.io import atomic_write_bytes
from genlab.data.pipeline import to_uint8


def image_grid(
    rows: Sequence[np.ndarray],
    value_range: tuple[float, float] = (0.0, 1.0),
    scale: int = 0,
    padding: int = 2,
    columns: int | None = None,
) -> np.ndarray:
    """Tile ``rows`` (each (N, H, W, C) in ``value_range``) into one uint8 RGB image.

    A single array longer than ``columns`` is wrapped onto several rows. ``scale`` 0 picks
    an integer upscaling that makes small images (8x8 digits) visible.
    """
    rows = [np.asarray(r) for r in rows]
    if not rows or any(r.ndim != 4 for r in rows):
        raise GenlabError("image_grid expects a list of (N, H, W, C) arrays")
    if columns is not None:
        wrapped = []
        for r in rows:
            wrapped += [r[i : i + columns] for i in range(0, len(r), columns)]
        rows = wrapped
    height, width = rows[0].shape[1:3]
    if scale <= 0:
        scale = max(1, 64 // max(height, width))
    n_columns = max(len(r) for r in rows)
    cell_h, cell_w = height * scale + padding, width * scale + padding
    canvas = np.full((len(rows) * cell_h + padding, n_columns * cell_w + padding, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        images = to_uint8(row, value_range)
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        images = images[..., :3]
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
        for j, image in enumerate(images):
            top, left = padding + i * cell_h, padding + j * cell_w
            canvas[top : top + image.shape[0], left : left + image.shape[1]] = image
    return canvas


def _with_titles(canvas: np.ndarray, titles: Sequence[str], n_rows: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    margin = 8 + 7 * max(len(t) for t in titles)
    image = Image.new("RGB", (canvas.shape[1] + margin, canvas.shape[0]), "white")
    image.paste(Image.fromarray(canvas), (margin, 0))
    draw = ImageDraw.Draw(image)
    row_height = canvas.shape[0] / n_rows
    for i, title in enumerate(titles):
        draw.text((4, int(i * row_height + row_height / 2 - 5)), title, fill=(0, 0, 0))
    return np.asarray(image)


def save_image_grid(
    path: str | Path,
    rows: Sequence[np.ndarray],
    value_range: tuple[float, float] = (0.0, 1.0),
    titles: Sequence[str] | None = None,
    columns: int | None = None,
) -> Path:
    """Write :func:`image_grid` of ``rows`` as a PNG (atomically); return the path."""
    from PIL import Image

    canvas = image_grid(rows, value_range, columns=columns)
    if titles:
        if columns is not None:
            raise GenlabError("save_image_grid: titles need one row per array (no columns wrapping)")
        canvas = _with_titles(canvas, titles, len(rows))
    buffer = io.BytesIO()
    Image.fromarray(canvas).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
