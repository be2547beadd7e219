import numpy as np
import pytest

from genlab.workflows import train as training
from genlab.core.config import DataConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.workflows.loading import load_run_model
from genlab.transfer import gradual_stages, select_layers
from genlab.workflows.finetune import finetune
from genlab.transfer.callbacks import GradualUnfreezing
from genlab.transfer.testing import tiny_autoencoder

MODEL = {"arch": "conv", "latent_dim": 3, "filters": [4, 8], "loss": "mse"}
TRAIN = TrainConfig(epochs=1, batch_size=64, learning_rate=1e-2)


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("source") / "ae"
    return training.train("autoencoder", out, model=MODEL, data=DataConfig(source="digits", limit=256), train=TRAIN,
                          verbose=0)


def weights(path, network, layer):
    model = load_run_model(path)[2]
    return [np.array(w) for w in model.networks()[network].get_layer(layer).weights]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_feature_extraction_keeps_the_encoder_and_records_the_source(source_run, tmp_path):
    run = finetune(source_run.path, tmp_path / "fe", data="digits", limit=128, strategy="feature-extraction",
                   reinit="decoder", verbose=0)
    transfer = run.metadata()["transfer"]
    assert transfer["source"]["path"] == str(source_run.path.resolve())
    assert transfer["source"]["config"]["model"]["latent_dim"] == 3
    assert transfer["source"]["data"]["fingerprint"] == source_run.metadata()["data"]["fingerprint"]
    assert transfer["plan"]["freeze"] == "encoder" and transfer["plan"]["strategy"] == "feature-extraction"
    assert (run.path / "source" / "weights" / "encoder.weights.h5").is_file()
    assert "encoder: 3/3 blocks frozen" in (run.path / "transfer_summary.txt").read_text()
    for layer in ("conv_0", "conv_1", "code"):
        assert same(weights(run.path, "encoder", layer), weights(source_run.path, "encoder", layer))
    assert not same(weights(run.path, "decoder", "pixels"), weights(source_run.path, "decoder", "pixels"))


def test_a_layer_that_does_not_fit_is_named_before_anything_is_written(source_run, tmp_path):
    images = np.random.default_rng(0).integers(0, 255, (40, 16, 16, 3), dtype=np.uint8)
    np.savez(tmp_path / "rgb.npz", x_train=images[:30], x_test=images[30:])
    with pytest.raises(GenlabError, match=r"layer encoder/conv_0 does not fit.*\(3, 3, 1, 4\).*\(3, 3, 3, 4\).*--reinit encoder"):
        finetune(source_run.path, tmp_path / "bad", data=f"npz:{tmp_path / 'rgb.npz'}", verbose=0)
    assert not (tmp_path / "bad").exists()
    with pytest.raises(GenlabError, match="no group 'generator'"):
        finetune(source_run.path, tmp_path / "bad", data="digits", freeze="generator", verbose=0)
    assert not (tmp_path / "bad").exists()


def test_gradual_stages_and_schedule():
    model = tiny_autoencoder()
    frozen = [layer for _, layer in select_layers(model, "encoder,decoder:-1")]
    stages = gradual_stages(model, frozen)
    assert [[layer.name for layer in stage] for stage in stages] == [["code", "deconv_1"], ["conv_1", "deconv_0"],
                                                                    ["conv_0", "project"]]
    schedule = GradualUnfreezing(stages, every=2)
    assert [schedule.released(epoch) for epoch in range(8)] == [0, 0, 1, 1, 2, 2, 3, 3]


def test_gradual_unfreezing_with_l2sp_resumes_exactly(source_run, tmp_path):
    options = dict(data="digits", limit=128, freeze="encoder", unfreeze="gradual", warmup_steps=3, l2sp=0.1,
                   lr_scale=0.5, source_eval=64, verbose=0)
    straight = finetune(source_run.path, tmp_path / "straight", epochs=2, **options)
    # epoch 1: the whole encoder frozen; epoch 2: its last block (code) released
    assert not same(weights(straight.path, "encoder", "code"), weights(source_run.path, "encoder", "code"))
    for layer in ("conv_0", "conv_1"):
        assert same(weights(straight.path, "encoder", layer), weights(source_run.path, "encoder", layer))
    history = straight.history()
    assert len(history) == 2 and all(np.isfinite(row["source_loss"]) for row in history)
    # the same run interrupted after epoch 1 and resumed (plan re-applied from metadata) ends identical
    finetune(source_run.path, tmp_path / "halves", epochs=1, **options)
    resumed = training.resume(tmp_path / "halves", epochs=2, verbose=0)
    a, b = load_run_model(straight.path)[2], load_run_model(resumed.path)[2]
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(x, y, atol=1e-5)
    assert [row["source_loss"] for row in resumed.history()] == pytest.approx([row["source_loss"] for row in history], abs=1e-5)


@pytest.mark.parametrize("family, model", [
    ("autoencoder", MODEL),
    # group names differ from network names (g, d)
    pytest.param("dcgan", {"latent_dim": 4, "filters": [8, 16]}, marks=pytest.mark.slow),
])
def test_the_reinit_an_error_suggests_is_accepted_and_trains(family, model, tmp_path):
    """The fix printed for grayscale -> RGB data works when followed."""
    import re

    source = training.train(family, tmp_path / "source", model=model, data=DataConfig(source="digits", limit=64),
                            train=TrainConfig(epochs=1, batch_size=32), verbose=0)
    images = np.random.default_rng(0).integers(0, 255, (80, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "rgb.npz", x_train=images[:64], x_test=images[64:])
    data = f"npz:{tmp_path / 'rgb.npz'}"
    with pytest.raises(GenlabError) as error:
        finetune(source.path, tmp_path / "bad", data=data, verbose=0)
    suggested = re.search(r"--reinit (\S+)", str(error.value)).group(1)
    run = finetune(source.path, tmp_path / "ft", data=data, reinit=suggested, epochs=1, verbose=0)
    assert run.metadata()["status"] == "finished" and run.metadata()["transfer"]["plan"]["reinit"] == suggested
