"""Upscaling an image of any size tile by tile, with overlapping tiles blended so seams do not show.

A convolutional network's output near a tile's edge differs from what it computes inside a
whole image (it sees padding instead of the neighbouring pixels). Tiles therefore overlap by
``overlap`` input pixels, and in each overlap the two outputs are blended with weights that
are 0 for the ``margin`` pixels next to a tile's inner edge and rise linearly to 1 across the
rest (a cross-fade). At the image's own borders the weight stays 1, as in a whole-image pass.
With ``margin`` at least the network's effective receptive radius the result equals the
whole-image result up to rounding.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from genlab.core.errors import GenlabError


def _starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    stride = tile - overlap
    starts = list(range(0, size - tile, stride)) + [size - tile]
    return sorted(set(starts))


def _ramp(length: int, margin: int, fade_in: bool, fade_out: bool, overlap_in: int, overlap_out: int) -> np.ndarray:
    """1-D blending weights of one tile: cross-fades across the overlaps with its neighbours."""
    weights = np.ones(length, np.float64)
    positions = np.arange(length, dtype=np.float64)
    if fade_in:  # overlap with the previous tile at the start
        width = max(overlap_in - 2 * margin, 1)
        weights = np.minimum(weights, np.clip((positions - margin + 0.5) / width, 0.0, 1.0))
    if fade_out:  # overlap with the next tile at the end
        width = max(overlap_out - 2 * margin, 1)
        weights = np.minimum(weights, np.clip((length - 1 - positions - margin + 0.5) / width, 0.0, 1.0))
    return weights


def tiled_upscale(upscale: Callable[[np.ndarray], np.ndarray], image: np.ndarray, scale: int, tile: int = 128,
                  overlap: int = 32, margin: int | None = None, batch_size: int = 4) -> np.ndarray:
    """Apply ``upscale`` ((N, h, w, C) -> (N, h*scale, w*scale, C')) to one image (H, W, C) tile by tile.

    ``tile`` and ``overlap`` are in input pixels; ``margin`` (default overlap // 4) is the
    part of each overlap next to a tile's edge that is not used at all.
    """
    image = np.asarray(image, np.float32)
    if image.ndim != 3:
        raise GenlabError(f"tiled_upscale expects one image (H, W, C), got shape {image.shape}")
    if tile <= 0 or overlap < 0 or overlap >= tile:
        raise GenlabError(f"tiles need 0 <= overlap < tile, got tile {tile}, overlap {overlap}")
    margin = overlap // 4 if margin is None else margin
    if not 0 <= 2 * margin <= overlap:
        raise GenlabError(f"margin must lie in [0, overlap / 2], got {margin} for overlap {overlap}")
    height, width = image.shape[:2]
    rows, columns = _starts(height, tile, overlap), _starts(width, tile, overlap)
    boxes = [(top, left, min(tile, height - top), min(tile, width - left)) for top in rows for left in columns]
    output = weight_sum = None
    for first in range(0, len(boxes), batch_size):
        group = boxes[first : first + batch_size]
        sizes = {(h, w) for _, _, h, w in group}
        crops = [image[top : top + h, left : left + w] for top, left, h, w in group]
        results = np.concatenate([upscale(c[None]) for c in crops]) if len(sizes) > 1 else upscale(np.stack(crops))
        if output is None:
            output = np.zeros((height * scale, width * scale, results[0].shape[-1]), np.float64)
            weight_sum = np.zeros((height * scale, width * scale, 1), np.float64)
        for (top, left, h, w), result in zip(group, results):
            i, j = rows.index(top), columns.index(left)
            overlap_above = rows[i - 1] + tile - top if i > 0 else 0
            overlap_below = top + tile - rows[i + 1] if i + 1 < len(rows) else 0
            overlap_left = columns[j - 1] + tile - left if j > 0 else 0
            overlap_right = left + tile - columns[j + 1] if j + 1 < len(columns) else 0
            vertical = _ramp(h * scale, margin * scale, i > 0, i + 1 < len(rows), overlap_above * scale, overlap_below * scale)
            horizontal = _ramp(w * scale, margin * scale, j > 0, j + 1 < len(columns), overlap_left * scale,
                               overlap_right * scale)
            weights = (vertical[:, None] * horizontal[None, :])[..., None]
            area = (slice(top * scale, (top + h) * scale), slice(left * scale, (left + w) * scale))
            output[area] += weights * result
            weight_sum[area] += weights
    return (output / np.maximum(weight_sum, 1e-12)).astype(np.float32)
