import keras
import numpy as np
import pytest

from genlab.core.errors import GenlabError
from genlab.models.adversarial.testing import IMAGES, LATENTS, model_factory
from genlab.models.cgan import CGAN, CGANConfig
from genlab.models.harness import check_family

LABELS = np.array([0, 1, 2, 1], "int32")
BATCH = (IMAGES, LABELS)


def make(**overrides):
    return model_factory(CGAN, CGANConfig, num_classes=3, label_dim=4, **overrides)


def generate(model):
    return model.decode_latents(LATENTS, np.array([0, 1, 2]))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"condition": "input"}, marks=pytest.mark.slow),
        pytest.param({"condition": "hidden", "arch": "dense"}, marks=pytest.mark.slow),
        {"projection": True, "spectral_norm": True},
    ],
    ids=["input", "hidden-dense", "projection"],
)
def test_family_harness(overrides, tmp_path):
    check_family(make(**overrides), BATCH, generate, tmp_path)


@pytest.mark.parametrize("overrides", [{"condition": "hidden"}, {"condition": "input", "arch": "dense"}])
def test_the_label_reaches_both_networks(overrides):
    model = make(**overrides)()
    z = np.repeat(LATENTS[:1], 3, axis=0)
    images = model.decode_latents(z, np.array([0, 1, 2]))
    assert images.shape == (3, 8, 8, 1)
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])
    scores = np.asarray(model.discriminate(np.repeat(IMAGES[:1], 3, axis=0), np.array([0, 1, 2]), training=False))
    assert len(np.unique(np.round(scores, 6))) == 3


def test_generate_takes_one_class_or_one_label_per_sample():
    model = make()()
    assert model.generate(4, labels=2).shape == (4, 8, 8, 1)
    assert model.generate(3, labels=[0, 1, 2]).shape == (3, 8, 8, 1)


@pytest.mark.parametrize(
    "labels, message",
    [(None, "conditional"), (3, "out of range"), (-1, "out of range"), ([0, 1], r"shaped \(3,\)"),
     ([[0], [1], [2]], r"shaped \(3,\)"), ([0.5, 1, 2], "integers")],
)
def test_rejects_labels_of_wrong_shape_or_range(labels, message):
    model = make()()
    with pytest.raises(GenlabError, match=message):
        model.generate(3, labels=labels)
    if labels is not None and not np.isscalar(labels):
        with pytest.raises(GenlabError, match=message):
            model.decode_latents(LATENTS, labels)


def test_preview_has_one_row_per_class_from_the_same_noise():
    model = make()()
    rows = model.preview(IMAGES, LABELS)
    assert len(rows) == 3 and all(r.shape == IMAGES.shape for r in rows)
    np.testing.assert_array_equal(rows[2], model.decode_latents(model.preview_latents(4), [2] * 4))


def test_projection_discriminator_adds_an_inner_product_with_a_class_embedding():
    discriminator = make(projection=True)().discriminator
    names = [layer.name for layer in discriminator.layers]
    assert "d_projection" in names and "d_class_embedding" in names and "d_one_hot" in names
    assert isinstance(discriminator.get_layer("d_projection"), keras.layers.Dot)


def test_unlabelled_data_is_refused():
    with pytest.raises(GenlabError, match="labelled data"):
        CGANConfig(input_shape=(8, 8, 1), num_classes=0)
    with pytest.raises(GenlabError, match="condition"):
        CGANConfig(input_shape=(8, 8, 1), condition="output")
    assert CGAN.is_conditional and CGAN.is_generator
