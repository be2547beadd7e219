"""Animated GIF of a sequence of PNG frames (e.g. the per-epoch sample grids of a run)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

from genlab.core.errors import GenlabError
from genlab.core.io import atomic_write_bytes


def save_animation(frames: Sequence[str | Path], path: str | Path, frame_ms: int = 400, last_frame_ms: int = 2000,
                   max_frames: int = 200) -> Path:
    """Write the PNG ``frames`` as a looping GIF at ``path`` (atomically); return the path.

    Frames of another size than the first are padded/cropped onto its canvas (white). Longer
    sequences keep ``max_frames`` evenly spaced frames, always the last one.
    """
    from PIL import Image

    frames = [Path(f) for f in frames]
    if not frames:
        raise GenlabError("no frames to animate")
    if len(frames) > max_frames:
        step = (len(frames) - 1) / (max_frames - 1)
        frames = [frames[round(i * step)] for i in range(max_frames)]
    images = []
    for frame in frames:
        with Image.open(frame) as image:
            images.append(image.convert("RGB"))
    size = images[0].size
    for i, image in enumerate(images):
        if image.size != size:
            canvas = Image.new("RGB", size, "white")
            canvas.paste(image, (0, 0))
            images[i] = canvas
    durations = [frame_ms] * (len(images) - 1) + [last_frame_ms]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
