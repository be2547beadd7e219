"""Reading the image files genlab translate and genlab upscale are given (issue 21)."""

import numpy as np
import pytest
from PIL import Image

from genlab.core.errors import GenlabError
from genlab.data.sources_test import decompression_bomb_png
from genlab.workflows.translate import read_image


def test_a_decompression_bomb_is_refused_in_one_line(tmp_path):
    bomb = decompression_bomb_png(tmp_path / "bomb.png")
    for purpose in ("translates (a2b) from", "upscales"):
        with pytest.raises(GenlabError, match=r"bomb\.png' is too large to decode safely") as error:
            read_image(bomb, 3, purpose)
        assert "\n" not in str(error.value)


def test_images_of_the_run_mode_are_read_and_others_refused(tmp_path):
    Image.fromarray(np.full((4, 6, 3), 7, np.uint8)).save(tmp_path / "rgb.png")
    assert read_image(tmp_path / "rgb.png", 3, "upscales").shape == (4, 6, 3)
    Image.fromarray(np.full((4, 6), 40000, np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(GenlabError, match="16-bit grayscale image .* convert it first"):
        read_image(tmp_path / "deep.png", 1, "upscales")
