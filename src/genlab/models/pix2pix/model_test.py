import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.models.harness import check_family
from genlab.models.pix2pix import Pix2Pix, Pix2PixConfig
from genlab.models.pix2pix.config import largest_depth

RNG = np.random.default_rng(0)
IMAGES_A = RNG.uniform(-1, 1, size=(2, 16, 16, 1)).astype("float32")
IMAGES_B = RNG.uniform(-1, 1, size=(2, 16, 16, 3)).astype("float32")
TINY = {"input_shape": (16, 16, 1), "target_shape": (16, 16, 3), "filters": 4, "depth": 3,
        "discriminator_filters": 4, "discriminator_downsamplings": 2}


def make(**overrides):
    return lambda: Pix2Pix(Pix2PixConfig(**{**TINY, **overrides}))


def translate(model):
    return model.translate(IMAGES_A)


def test_family_harness(tmp_path):
    check_family(make(), (IMAGES_A, IMAGES_B), translate, tmp_path)


def test_generator_is_a_unet_and_translates_any_size():
    model = make()()
    skips = [layer.name for layer in model.generator.layers if layer.name.endswith("_skip")]
    assert len(skips) == 2  # depth 3: two encoder levels joined to the decoder
    output = model.translate(RNG.uniform(-1, 1, size=(1, 13, 21, 1)).astype("float32"))
    assert output.shape == (1, 13, 21, 3) and np.abs(output).max() <= 1.0
    with pytest.raises(GenlabError, match="A to B only"):
        model.translate(IMAGES_A, "b2a")


def test_discriminator_is_conditioned_on_the_input():
    model = make()()
    assert model.discriminator.input_shape[-1] == 1 + 3
    scores = model._score(IMAGES_A, IMAGES_B, training=False)
    assert tuple(scores.shape) == (2, 4, 4, 1)  # 16 / 2^2 patches per side
    other_input = model._score(-IMAGES_A, IMAGES_B, training=False)
    assert not np.allclose(np.asarray(scores), np.asarray(other_input))


def test_l1_term_is_weighted_by_lambda():
    model = make(l1_weight=100.0)()
    generator_loss, _, adversarial, l1 = model._objectives(IMAGES_A, IMAGES_B, training=False)
    assert float(generator_loss) == pytest.approx(float(adversarial) + 100.0 * float(l1), rel=1e-5)
    expected_l1 = np.abs(IMAGES_B - model.translate(IMAGES_A)).mean()
    assert float(l1) == pytest.approx(expected_l1, rel=1e-4)


def test_automatic_depth():
    assert largest_depth(256, 256) == 8 and largest_depth(48, 32) == 4 and largest_depth(7, 8) == 0
    assert Pix2PixConfig(**{**TINY, "depth": 0}).levels == 4


@pytest.mark.parametrize("values, message", [
    ({"input_shape": (14, 14, 1), "target_shape": (14, 14, 3)}, "divisible by 8"),
    ({"target_shape": (8, 8, 3)}, "one size"),
    ({"dropout": 1.0}, "dropout"),
    ({"depth": 9}, "depth"),
])
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        Pix2PixConfig(**{**TINY, **values})
