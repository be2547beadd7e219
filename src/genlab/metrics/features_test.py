import numpy as np
import pytest

from genlab.core.config import DataConfig, TrainConfig
from genlab.data.sources import find_data_file
from genlab.core.errors import GenlabError
from genlab.metrics import features as features_module
from genlab.metrics.features import get_extractor

RNG = np.random.default_rng(0)
PIXELS = RNG.integers(0, 256, size=(5, 12, 12, 3)).astype("uint8")


def test_random_extractor_is_deterministic_and_records_its_protocol():
    first, second = get_extractor("random"), get_extractor("random")
    features, probabilities = first.extract(PIXELS)
    assert features.shape == (5, 16) and features.dtype == np.float64
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(second.features(PIXELS), features)
    protocol = first.protocol()
    assert protocol["extractor"] == "random" and protocol["resolution"] == [32, 32]
    assert len(protocol["weights_sha256"]) == 64 and protocol["weights_sha256"] == second.protocol()["weights_sha256"]
    assert "bicubic" in protocol["resize"] and "antialias" in protocol["resize"]


def test_one_preprocessing_for_every_value_range_and_channel_layout():
    extractor = get_extractor("random")
    expected = extractor.features(PIXELS)
    unit = PIXELS / 255.0
    np.testing.assert_allclose(extractor.features(unit, (0.0, 1.0)), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(extractor.features(unit * 2 - 1, (-1.0, 1.0)), expected, rtol=1e-6, atol=1e-7)
    gray = PIXELS[..., :1]
    np.testing.assert_array_equal(extractor.features(gray), extractor.features(np.repeat(gray, 3, axis=-1)))
    np.testing.assert_array_equal(extractor.features(gray[..., 0]), extractor.features(gray))  # (N, H, W)
    with pytest.raises(GenlabError, match="value_range"):
        extractor.features(unit)
    with pytest.raises(GenlabError, match="shaped"):
        extractor.features(np.zeros((2, 8, 8, 2), "uint8"))


def test_resize_is_antialiased():
    """A one-pixel checkerboard shrunk 4x must turn mid-gray, not keep aliased extremes."""
    extractor = get_extractor("random")
    board = (np.indices((128, 128)).sum(axis=0) % 2 * 255).astype("uint8")[None, ..., None].repeat(3, axis=-1)
    resized = np.asarray(extractor.prepare(board))
    assert resized.shape == (1, 32, 32, 3)
    assert np.all(np.abs(resized[0, 4:-4, 4:-4] - 0.5) < 0.05)


def test_unknown_extractor_and_bad_resolution():
    with pytest.raises(GenlabError, match="unknown feature extractor 'vgg'"):
        get_extractor("vgg")
    with pytest.raises(GenlabError, match="resolution"):
        get_extractor("random", resolution=8)


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(GenlabError, match="do not exist"):
        get_extractor("lite0", weights=str(tmp_path / "missing.npz"))
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(GenlabError, match="not an EfficientNet-Lite0 weights file"):
        get_extractor("lite0", weights=str(bad))


def test_lite0_extractor_from_a_weights_file(lite0_weights):
    from genlab.metrics.features import sha256_of_files

    extractor = get_extractor("lite0", resolution=32)
    features, probabilities = extractor.extract(PIXELS[:2])
    assert features.shape == (2, 1280) and probabilities.shape == (2, 1000)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert extractor.protocol()["weights_sha256"] == sha256_of_files([lite0_weights])


@pytest.mark.skipif(find_data_file("efficientnet_lite0_imagenet_keras.npz") is None,
                    reason="needs the real ImageNet weights efficientnet_lite0_imagenet_keras.npz: "
                           "set GENLAB_DATA to a folder holding it (genlab's shared data folder)")
def test_lite0_from_the_npz_recognizes_an_imagenet_photo():
    from sklearn.datasets import load_sample_image

    from genlab.layers.efficientnet_lite import class_names, load_weights_file

    extractor = get_extractor("lite0", resolution=160)
    photo = load_sample_image("china.jpg")[None]  # a Chinese temple (427 x 640)
    features, probabilities = extractor.extract(photo)
    assert features.shape == (1, 1280) and probabilities.shape == (1, 1000)
    names = class_names(load_weights_file(find_data_file("efficientnet_lite0_imagenet_keras.npz")))
    top5 = [names[i] for i in np.argsort(probabilities[0])[::-1][:5]]
    assert {"palace", "bell_cote", "monastery", "castle", "boathouse", "church"} & set(top5), top5
    assert extractor.protocol()["weights_sha256"].startswith("4911ef95")


def test_mobilenet_from_the_h5(mobilenet_weights):
    extractor = get_extractor("mobilenet", resolution=32)
    features, probabilities = extractor.extract(PIXELS[:2])
    assert features.shape == (2, 256) and probabilities is None
    with pytest.raises(GenlabError, match="no class layer"):
        extractor.probabilities(PIXELS[:2])


def test_inception_offline_without_weights_says_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(features_module.keras.utils, "get_file", offline)
    with pytest.raises(GenlabError, match="--weights PATH"):
        get_extractor("inception")


@pytest.mark.slow
def test_inception_from_a_weights_file_with_and_without_top(tmp_path):
    import keras

    with_top = tmp_path / "inception.weights.h5"
    keras.applications.InceptionV3(weights=None).save_weights(with_top)
    extractor = get_extractor("inception", weights=str(with_top))
    features, probabilities = extractor.extract(PIXELS[:2])
    assert features.shape == (2, 2048) and probabilities.shape == (2, 1000)
    no_top = tmp_path / "inception_notop.weights.h5"
    keras.applications.InceptionV3(weights=None, include_top=False).save_weights(no_top)
    extractor = get_extractor("inception", weights=str(no_top), resolution=96)
    features, probabilities = extractor.extract(PIXELS[:2])
    assert features.shape == (2, 2048) and probabilities is None


def test_classifier_run_as_extractor(tmp_path):
    from genlab.workflows.train import train

    run = train("classifier", tmp_path / "clf", model={"filters": [4], "latent_dim": 6},
                data=DataConfig(source="digits", limit=64), train=TrainConfig(epochs=1, batch_size=32), verbose=0)
    extractor = get_extractor(str(run.path))
    assert (extractor.size, extractor.channels, extractor.feature_dim) == ((8, 8), 1, 6)
    rgb_large = RNG.uniform(-1, 1, size=(3, 28, 28, 3)).astype("float32")  # a GAN's RGB output in [-1, 1]
    features, probabilities = extractor.extract(rgb_large, (-1.0, 1.0))
    assert features.shape == (3, 6) and probabilities.shape == (3, 10)
    assert extractor.protocol()["extractor"] == "classifier:clf"
    with pytest.raises(GenlabError, match="own input size"):
        get_extractor(str(run.path), resolution=64)
