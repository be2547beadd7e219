"""genlab finetune on the other families (they follow the same contract as the autoencoder)."""

import numpy as np
import pytest

from genlab.workflows import train as training
from genlab.core.config import DataConfig, TrainConfig
from genlab.workflows.loading import load_run_model
from genlab.transfer import select_layers
from genlab.workflows.finetune import finetune

SMALL_GAN = {"latent_dim": 4, "filters": [8, 16]}


@pytest.mark.parametrize("family, model, strategy, freeze", [
    ("dcgan", SMALL_GAN, "fine-tune", "d:2"),  # FreezeD: the first discriminator blocks, BatchNorm included
    pytest.param("vae", {"latent_dim": 2, "filters": [4, 8]}, "feature-extraction", None, marks=pytest.mark.slow),
    pytest.param("cgan", SMALL_GAN, "fine-tune", "g:1,d:1", marks=pytest.mark.slow),
    pytest.param("wgan-gp", SMALL_GAN, "fine-tune", "d:1", marks=pytest.mark.slow),
])
def test_finetune_keeps_frozen_blocks_of_any_family(tmp_path, family, model, strategy, freeze):
    source = training.train(family, tmp_path / "source", model=model, data=DataConfig("digits", 64),
                            train=TrainConfig(epochs=1, batch_size=32), verbose=0)
    run = finetune(source.path, tmp_path / "ft", data="digits", limit=64, strategy=strategy, freeze=freeze,
                   lr_scale=0.5, verbose=0)
    before, after = load_run_model(source.path)[2], load_run_model(run.path)[2]
    spec = run.metadata()["transfer"]["plan"]["freeze"]
    frozen = {name for name, _ in select_layers(after, spec)}
    everything = ",".join(after.transfer_blocks())
    reference = dict(select_layers(before, everything))
    moved = set()
    for name, layer in select_layers(after, everything):
        if not all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), reference[name].get_weights())):
            moved.add(name)
    assert frozen and not frozen & moved  # frozen blocks bit-identical
    assert moved, "no trainable layer moved"
