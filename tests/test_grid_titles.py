"""Every grid says what its rows are: the per-epoch sample grid and the reconstruction grid
carry row titles, one per row of the family's preview."""

import numpy as np
import pytest
from PIL import Image

from genlab.callbacks.sample_grid import SampleGrid
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.models.gan import DCGAN, DCGANConfig
from genlab.models.vae import VAE, VAEConfig
from genlab.plots.grids import image_grid


@pytest.mark.parametrize("model", [
    lambda: Autoencoder(AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(8,))),
    lambda: Autoencoder(AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(8,), denoising=True)),
    lambda: VAE(VAEConfig(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(8,))),
    lambda: DCGAN(DCGANConfig(input_shape=(8, 8, 1), latent_dim=2, filters=(4, 8))),
])
def test_the_sample_grid_has_one_title_per_row(model, tmp_path):
    model = model()
    low, high = model.config.value_range
    images = np.random.default_rng(0).uniform(low, high, (3, 8, 8, 1)).astype(np.float32)
    rows = model.preview(images, np.zeros(3, np.int64))
    titles = model.preview_titles(len(rows))
    assert len(titles) == len(rows) and all(titles)
    callback = SampleGrid(tmp_path, images, np.zeros(3, np.int64), model.config.value_range)
    callback.set_model(model)
    callback.on_epoch_end(0)
    saved = np.asarray(Image.open(tmp_path / "epoch_00001.png"))
    bare = image_grid(rows, model.config.value_range)
    assert saved.shape[0] == bare.shape[0] and saved.shape[1] > bare.shape[1]  # a title margin at the left
