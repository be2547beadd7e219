import numpy as np
import pytest
from PIL import Image

from genlab.core.errors import GenlabError
from genlab.plots.animation import save_animation


def test_frames_become_a_looping_gif(tmp_path):
    paths = []
    for i, size in enumerate([(12, 10), (12, 10), (8, 6)]):
        path = tmp_path / f"epoch_{i}.png"
        Image.fromarray(np.full((size[1], size[0], 3), 60 * i, np.uint8)).save(path)
        paths.append(path)
    out = save_animation(paths, tmp_path / "progress.gif", frame_ms=100)
    with Image.open(out) as gif:
        assert gif.n_frames == 3 and gif.size == (12, 10)
        gif.seek(2)
        assert gif.convert("RGB").getpixel((11, 9)) == (255, 255, 255)  # a smaller frame is padded with white
    with pytest.raises(GenlabError, match="no frames"):
        save_animation([], tmp_path / "empty.gif")


def test_long_sequences_keep_evenly_spaced_frames_and_the_last(tmp_path):
    paths = []
    for i in range(7):
        path = tmp_path / f"epoch_{i}.png"
        Image.fromarray(np.full((4, 4, 3), 30 * i, np.uint8)).save(path)
        paths.append(path)
    with Image.open(save_animation(paths, tmp_path / "short.gif", max_frames=3)) as gif:
        assert gif.n_frames == 3
        gif.seek(2)
        assert gif.convert("RGB").getpixel((0, 0)) == (180, 180, 180)
