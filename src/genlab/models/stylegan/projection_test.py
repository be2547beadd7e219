import keras
import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.models.stylegan import StyleGAN, StyleGANConfig
from genlab.models.stylegan.projection import PerceptualDistance, edit, project

RNG = np.random.default_rng(0)
TINY = {"input_shape": (8, 8, 1), "latent_dim": 4, "w_dim": 8, "mapping_layers": 2, "channel_base": 32,
        "channel_max": 8}


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)  # module fixtures are built before the per-test seeding
    return StyleGAN(StyleGANConfig(**TINY))


def reachable_targets(model, n=2):
    """Images the generator can make exactly: synthesized from w away from the average."""
    w = model.w_average + 2.0 * RNG.standard_normal((n, 8)).astype("float32")
    return model.synthesize(w), w


def test_projection_reduces_the_reconstruction_loss(model):
    targets, _ = reachable_targets(model)
    w, report = project(model, targets, steps=40, learning_rate=0.1, perceptual="none")
    assert w.shape == (2, 8)
    assert all(final < 0.5 * initial for initial, final in zip(report["initial_loss"], report["final_loss"]))
    start_error = np.mean((model.synthesize(np.repeat(model.w_average[None], 2, 0)) - targets) ** 2)
    assert np.mean((model.synthesize(w) - targets) ** 2) < 0.5 * start_error


def test_projection_with_the_perceptual_distance_and_w_plus(model, mobilenet_weights):
    targets, _ = reachable_targets(model, 1)
    distance = PerceptualDistance(model.config.value_range)
    assert float(distance(targets, targets)[0]) == pytest.approx(0.0, abs=1e-6)
    w, report = project(model, targets, steps=10, learning_rate=0.1, w_plus=True, distance=distance)
    assert w.shape == (1, model.num_layers, 8)
    assert report["final_loss"][0] < report["initial_loss"][0]


def test_edit_moves_w_along_the_direction(model):
    _, w = reachable_targets(model, 2)
    direction = w[1] - w[0]
    images = edit(model, w[:1], direction, [0.0, 1.0])
    assert images.shape == (1, 2, 8, 8, 1)
    np.testing.assert_allclose(images[0, 0], model.synthesize(w[:1])[0], atol=1e-5)  # alpha 0: unchanged
    np.testing.assert_allclose(images[0, 1], model.synthesize(w[1:])[0], atol=1e-4)  # w0 + (w1 - w0) = w1
    with pytest.raises(GenlabError, match="direction"):
        edit(model, w, np.zeros(5, "float32"), [1.0])


def test_projection_checks_its_input(model):
    with pytest.raises(GenlabError, match="shape"):
        project(model, np.zeros((1, 16, 16, 1), "float32"), steps=1, perceptual="none")
    with pytest.raises(GenlabError, match="perceptual"):
        project(model, np.zeros((1, 8, 8, 1), "float32"), steps=1, perceptual="vgg")
