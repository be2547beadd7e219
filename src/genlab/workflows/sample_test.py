import numpy as np
import pytest
from PIL import Image

from genlab.core.config import DataConfig, RunConfig, TrainConfig
from genlab.data.pipeline import to_uint8
from genlab.core.errors import GenlabError
from genlab.models.vae import VAE, ConditionalVAE, CVAEConfig, VAEConfig
from genlab.runs import RunDir
from genlab.workflows.sample import (
    decode,
    interpolate_run,
    interpolation_path,
    latent_map_run,
    manifold_latents,
    require_generator,
    sample_labels,
    sample_run,
    slerp,
    traverse_run,
    write_npz_stream,
)

SMALL = {"input_shape": (8, 8, 1), "latent_dim": 2, "filters": (4, 8)}
CELL = 8 * 8 + 2  # an 8x8 digit is drawn 8 times larger, plus 2 pixels of padding


def make_run(tmp_path, conditional=False):
    """A run directory of an untrained model on the digits data (no training needed to test the verbs)."""
    config = CVAEConfig(**SMALL, num_classes=10) if conditional else VAEConfig(**SMALL, num_classes=10)
    model = (ConditionalVAE if conditional else VAE)(config)
    run = RunDir.create(tmp_path / ("cvae" if conditional else "vae"))
    family = "cvae" if conditional else "vae"
    run.save_config(RunConfig(family, config, DataConfig("digits"), TrainConfig(epochs=1)))
    run.update_metadata(data={"class_names": [f"digit {i}" for i in range(10)]})
    run.save_weights(model)
    return run.path, model


def size(path):
    with Image.open(path) as image:
        return image.size


def test_slerp_keeps_endpoints_and_norm():
    start, end = np.array([3.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0])
    path = slerp(start, end, np.linspace(0, 1, 7))
    np.testing.assert_allclose(path[0], start, atol=1e-12)
    np.testing.assert_allclose(path[-1], end, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0)  # stays on the sphere
    assert np.linalg.norm(interpolation_path(start, end, 7)[3]) < 3.0 - 0.5  # linear cuts inside
    parallel = slerp(start, 2 * start, np.array([0.0, 0.5, 1.0]))  # falls back to linear
    np.testing.assert_allclose(parallel[1], 1.5 * start)
    with pytest.raises(GenlabError, match="steps"):
        interpolation_path(start, end, 1)


@pytest.mark.parametrize("spherical", [False, True])
def test_interpolation_endpoints_decode_to_the_encoded_endpoints(spherical):
    model = VAE(VAEConfig(**SMALL))
    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")
    encoded = model.encode_latents(images)
    path = interpolation_path(encoded[0], encoded[1], 6, spherical)
    assert path.shape == (6, 2)
    decoded = decode(model, path)
    assert decoded.shape == (6, 8, 8, 1)
    np.testing.assert_allclose(decoded[[0, -1]], model.reconstruct(images), atol=1e-5)


def test_manifold_lattice_covers_gaussian_quantiles():
    lattice = manifold_latents(5)
    assert lattice.shape == (25, 2)
    np.testing.assert_allclose(lattice[:5, 1], lattice[0, 1])  # first row: one z2, z1 varies
    assert lattice[0, 0] == pytest.approx(-1.6449, abs=1e-3) and lattice[4, 0] == pytest.approx(1.6449, abs=1e-3)


def test_write_npz_stream_in_batches(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (10, 4, 4, 1), dtype=np.uint8)
    path = write_npz_stream(tmp_path / "x.npz", 10, (images[i : i + 3] for i in range(0, 10, 3)),
                            {"y": np.arange(10)})
    with np.load(path, allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["x"], images)
        np.testing.assert_array_equal(archive["y"], np.arange(10))
    with pytest.raises(GenlabError, match="expected 12"):
        write_npz_stream(tmp_path / "bad.npz", 12, iter([images]), {})
    assert not (tmp_path / "bad.npz").exists()


def test_sample_run_png_and_streamed_npz(tmp_path):
    run, model = make_run(tmp_path)
    png = sample_run(run, n=9, seed=1)
    assert png.name == "samples.png" and size(png) == (3 * CELL + 2, 3 * CELL + 2)
    npz = sample_run(run, n=10, fmt="npz", seed=1, batch_size=3)
    with np.load(npz, allow_pickle=False) as archive:
        assert archive.files == ["x"]  # an unconditional run has no labels
        expected = to_uint8(model.decode_latents(model.sample_latents(10, seed=1)), (0.0, 1.0))
        np.testing.assert_array_equal(archive["x"], expected)
    with pytest.raises(GenlabError, match="not conditional"):
        sample_run(run, n=4, label=3)
    with pytest.raises(GenlabError, match="does not end in .npz"):
        sample_run(run, n=4, fmt="npz", out=tmp_path / "x.png")


def test_conditional_samples_carry_their_labels(tmp_path):
    run, model = make_run(tmp_path, conditional=True)
    npz = sample_run(run, n=25, fmt="npz", out=tmp_path / "synthetic.npz")
    with np.load(npz, allow_pickle=False) as archive:
        assert archive["x"].shape == (25, 8, 8, 1) and archive["x"].dtype == np.uint8
        np.testing.assert_array_equal(archive["y"], np.arange(25) % 10)
        assert archive["class_names"][3] == "digit 3"
    with np.load(sample_run(run, n=4, label=7, fmt="npz"), allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["y"], [7, 7, 7, 7])
    rows = sample_run(run, n=20)  # one row per class, two samples each
    assert size(rows)[1] == 10 * CELL + 2
    with pytest.raises(GenlabError, match="out of range"):
        sample_run(run, n=4, label=10)


def test_interpolate_and_traverse_runs(tmp_path):
    run, model = make_run(tmp_path)
    path = interpolate_run(run, start=3, end=5, steps=5)
    assert size(path) == (7 * CELL + 2, CELL + 2)  # test image, 5 steps, test image
    assert interpolate_run(run, steps=4, spherical=True).name == "interpolation_slerp.png"
    with pytest.raises(GenlabError, match="--to 100000"):
        interpolate_run(run, start=0, end=100000)
    traversal = traverse_run(run, dims=5, steps=4)
    assert size(traversal)[1] == 2 * CELL + 2  # latent_dim 2: two rows
    conditional, _ = make_run(tmp_path, conditional=True)
    assert interpolate_run(conditional, start=0, end=1, steps=4).is_file()  # decodes with each image's label


def test_latent_map_with_manifold_for_a_2d_latent(tmp_path):
    run, model = make_run(tmp_path)
    paths = latent_map_run(run, n=50, grid=4)
    assert [p.name for p in paths] == ["latent_map.png", "latent_map_manifold.png"]
    assert size(paths[1]) == (4 * CELL + 2, 4 * CELL + 2)


class _Generator:
    """The generator contract without an encoder, as a GAN family would provide it."""

    family = "toy-gan"
    is_generator = True
    is_conditional = False

    def decode_latents(self, latents, labels=None, truncation: float = 1.0):
        return np.tanh(truncation * latents[:, :4]).reshape(-1, 2, 2, 1)


def test_decode_options_pass_through_to_families_that_take_them():
    latents = np.ones((5, 4), np.float32)
    np.testing.assert_allclose(decode(_Generator(), latents, options={"truncation": 0.5}, batch_size=2),
                               np.tanh(0.5) * np.ones((5, 2, 2, 1)))
    with pytest.raises(GenlabError, match="do not take --psi"):
        decode(_Generator(), latents, options={"psi": 0.7})
    with pytest.raises(GenlabError, match="do not take --truncation"):
        decode(VAE(VAEConfig(**SMALL)), np.zeros((2, 2)), options={"truncation": 0.7})
    assert sample_labels(_Generator(), 3, None) is None


def test_non_generators_are_refused():
    class Autoencoder:
        family, is_generator = "autoencoder", False

    with pytest.raises(GenlabError, match="do not generate"):
        require_generator(Autoencoder())
