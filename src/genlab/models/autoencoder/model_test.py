import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.models.harness import check_family

IMAGES = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
BATCH = (IMAGES, np.zeros(4, "int32"))


def make(**overrides):
    values = {"input_shape": (8, 8, 1), "latent_dim": 3, "filters": (4, 8), "hidden_units": (16,), **overrides}
    return lambda: Autoencoder(AutoencoderConfig(**values))


def reconstruct(model):
    return model.reconstruct(IMAGES)


@pytest.mark.parametrize(
    "overrides",
    [{"arch": "conv"}, {"arch": "dense", "loss": "mse"}, {"denoising": True, "noise": "masking:0.3"}],
    ids=["conv-bce", "dense-mse", "denoising"],
)
def test_family_harness(overrides, tmp_path):
    check_family(make(**overrides), BATCH, reconstruct, tmp_path)


@pytest.mark.parametrize("arch", ["conv", "dense"])
def test_output_shapes(arch):
    model = make(arch=arch)()
    assert model.encode(IMAGES).shape == (4, 3)
    assert model.reconstruct(IMAGES).shape == IMAGES.shape
    output = model.reconstruct(IMAGES)
    assert output.min() >= 0.0 and output.max() <= 1.0


def test_loss_choice_changes_the_objective():
    mse_model, bce_model = make(loss="mse")(), make(loss="bce")()
    target, prediction = IMAGES, np.full_like(IMAGES, 0.5)
    assert float(mse_model.loss_fn(target, prediction)) == pytest.approx(np.mean((target - 0.5) ** 2), rel=1e-5)
    assert float(bce_model.loss_fn(target, prediction)) == pytest.approx(np.log(2.0), rel=1e-5)


def test_denoising_trains_on_corrupted_input_against_clean_target():
    model = make(denoising=True, noise="masking:0.5")()
    noisy = model.corrupt(IMAGES, seed=1)
    assert np.mean(noisy == 0.0) > 0.3  # about half of the values masked
    assert not np.array_equal(noisy, IMAGES)
    rows = model.preview(IMAGES, np.zeros(4))
    assert len(rows) == 3 and rows[0] is IMAGES


@pytest.mark.parametrize(
    "values, message",
    [
        ({"arch": "rnn"}, "arch"),
        ({"loss": "l1"}, "loss"),
        ({"latent_dim": 0}, "latent_dim"),
        ({"noise": "gaussian:abc"}, "noise"),
        ({"input_shape": (10, 10, 1), "filters": (4, 8)}, "divisible by 4"),
    ],
)
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        AutoencoderConfig(**{"input_shape": (8, 8, 1), **values})
