"""The image genlab project is given (issue 21): decompression bombs refused, 16-bit scaled."""

import types

import numpy as np
import pytest
from PIL import Image

from genlab.core.errors import GenlabError
from genlab.data.sources_test import decompression_bomb_png
from genlab.workflows.stylegan import load_target_image


class ShapeOnly:
    """What load_target_image asks of a model: the input shape check."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def check_input_shape(self, shape, where):
        assert tuple(shape) == self.shape, where


def run_config(shape):
    return types.SimpleNamespace(model=types.SimpleNamespace(input_shape=shape, value_range=(0.0, 1.0)))


def test_a_decompression_bomb_is_refused_in_one_line(tmp_path):
    bomb = str(decompression_bomb_png(tmp_path / "bomb.png"))
    with pytest.raises(GenlabError, match=r"bomb\.png' is too large to decode safely") as error:
        load_target_image(bomb, ShapeOnly((8, 8, 1)), run_config((8, 8, 1)))
    assert "\n" not in str(error.value)


def test_a_sixteen_bit_image_is_scaled_not_clipped(tmp_path):
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(tmp_path / "deep.png")
    for shape in ((8, 8, 1), (8, 8, 3)):
        target = load_target_image(str(tmp_path / "deep.png"), ShapeOnly(shape), run_config(shape))
        np.testing.assert_allclose(target, np.full((1, *shape), 156 / 255.0), atol=1e-6)  # not 255 (clipped)
