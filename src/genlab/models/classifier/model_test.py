import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.data.sources import ImageData
from genlab.core.errors import GenlabError
from genlab.models.classifier import Classifier, ClassifierConfig
from genlab.models.harness import check_family

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(6, 8, 8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 0, 1, 2], "int32")
BATCH = (IMAGES, LABELS)


def make(**overrides):
    values = {"input_shape": (8, 8, 1), "num_classes": 3, "latent_dim": 8, "filters": (4,), **overrides}
    return lambda: Classifier(ClassifierConfig(**values))


def probabilities(model):
    return model.class_probabilities(IMAGES)


def test_family_harness(tmp_path):
    check_family(make(), BATCH, probabilities, tmp_path)


def test_outputs_and_value_range_conversion():
    model = make()()
    p = model.class_probabilities(IMAGES)
    assert p.shape == (6, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert model.features(IMAGES).shape == (6, 8)
    # a GAN hands over images in [-1, 1]: the same pictures must give the same answers
    np.testing.assert_allclose(model.class_probabilities(IMAGES * 2 - 1, value_range=(-1, 1)), p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.features(IMAGES * 255, value_range=(0, 255)), model.features(IMAGES), rtol=1e-5, atol=1e-6)
    with pytest.raises(GenlabError, match="shape"):
        model.features(np.zeros((2, 9, 9, 1)))


def test_learns_separable_classes():
    """Three classes that differ in mean brightness: a few steps reach (near) perfect accuracy."""
    labels = np.arange(48) % 3
    images = (labels[:, None, None, None] / 3.0 + RNG.uniform(0, 0.2, size=(48, 8, 8, 1))).astype("float32")
    model = make()()
    model.compile_for_training(TrainConfig(learning_rate=1e-2))
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32"))).batch(16).repeat(15)
    history = model.fit(dataset, epochs=1, verbose=0)
    assert history.history["accuracy"][-1] > 0.5
    predictions = np.argmax(model.class_probabilities(images), axis=1)
    assert np.mean(predictions == labels) > 0.9


def test_evaluation_table_reports_test_accuracy_beside_a_baseline():
    labels = np.arange(30) % 3
    x = np.clip(labels[:, None, None, None] * 100 + RNG.integers(0, 40, size=(30, 8, 8, 1)), 0, 255).astype("uint8")
    data = ImageData("toy", x[:20], labels[:20], x[20:], labels[20:])
    table = make()().evaluation_table(data)
    assert 0.0 <= table["classifier (CNN)"]["accuracy"] <= 1.0
    assert table["classifier (CNN)"]["cross_entropy"] > 0
    assert table["nearest class mean (pixels)"]["accuracy"] == 1.0


@pytest.mark.parametrize(
    "values, message",
    [
        ({"num_classes": 0}, "at least 2 classes"),
        ({"input_shape": (64,)}, "images"),
        ({"filters": (0,)}, "filters"),
        ({"dropout": 1.0}, "dropout"),
        ({"value_range": (-1.0, 1.0)}, "value_range"),
    ],
)
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        ClassifierConfig(**{"input_shape": (8, 8, 1), **values})
