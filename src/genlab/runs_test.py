import json

import numpy as np
import pytest

from genlab.core.config import DataConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_write_text
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir
from genlab.workflows.train import resume, train

TINY = {"latent_dim": 3, "filters": (4, 8), "seed": 1}


def tiny_train(out, epochs, **model):
    return train("autoencoder", out, model={**TINY, **model}, data=DataConfig("digits", limit=64),
                 train=TrainConfig(epochs=epochs, batch_size=16, deterministic=True), verbose=0)


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "one")
    atomic_write_text(tmp_path / "a.txt", "two")
    assert (tmp_path / "a.txt").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_train_writes_a_complete_run_directory(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=2)
    for name in ("config.json", "metadata.json", "history.csv", "model.keras", "weights/encoder.weights.h5",
                 "weights/decoder.weights.h5", "samples/epoch_00002.png", "plots/loss_curves.png"):
        assert (run.path / name).is_file(), name
    metadata = run.metadata()
    assert metadata["status"] == "finished" and metadata["epochs_done"] == 2
    assert len(metadata["data"]["fingerprint"]) == 64 and metadata["environment"]["keras"]
    assert [row["epoch"] for row in run.history()] == [1, 2]
    assert run.latest_checkpoint()[0] == 2


def test_resume_continues_exactly(tmp_path):
    """Two epochs straight equal one epoch plus a resumed epoch (op determinism on)."""
    straight = tiny_train(tmp_path / "straight", epochs=2, denoising=True)
    tiny_train(tmp_path / "split", epochs=1, denoising=True)
    resumed = resume(tmp_path / "split", epochs=2, verbose=0)
    _, _, a = load_run_model(straight.path)
    _, _, b = load_run_model(resumed.path)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)
    assert resumed.history() == straight.history()
    assert json.loads((resumed.path / "config.json").read_text())["train"]["epochs"] == 2


def test_resume_of_a_finished_run_asks_for_more_epochs(tmp_path):
    tiny_train(tmp_path / "run", epochs=1)
    with pytest.raises(GenlabError, match="already finished 1 of 1 epochs"):
        resume(tmp_path / "run", verbose=0)


def test_existing_run_is_never_overwritten(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=1)
    before = {p: p.read_bytes() for p in run.path.rglob("*") if p.is_file()}
    with pytest.raises(GenlabError, match="already exists"):
        tiny_train(tmp_path / "run", epochs=1)
    assert {p: p.read_bytes() for p in run.path.rglob("*") if p.is_file()} == before


def test_corrupt_or_mismatched_runs_are_refused_clearly(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=1)
    with pytest.raises(GenlabError, match="does not exist"):
        RunDir.open(tmp_path / "missing")
    config = json.loads(run.config_path.read_text())
    config["model"]["latent_dim"] = 5  # weights no longer fit the config
    run.config_path.write_text(json.dumps(config))
    with pytest.raises(GenlabError, match="do not match"):
        load_run_model(run.path)
    run.config_path.write_text("{broken")
    with pytest.raises(GenlabError, match="corrupt"):
        load_run_model(run.path)
    run.config_path.write_text(json.dumps({**config, "family": "Lambda"}))
    with pytest.raises(GenlabError, match="unknown model family"):
        load_run_model(run.path)


def test_a_half_written_checkpoint_falls_back_to_the_previous_one(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=2)
    (run.checkpoints_dir / "epoch-00002" / "state.npz").unlink()
    assert run.latest_checkpoint()[0] == 1


def test_same_seed_and_config_give_an_identical_history(tmp_path):
    first = tiny_train(tmp_path / "a", epochs=2)
    second = tiny_train(tmp_path / "b", epochs=2)
    assert first.history() == second.history()
    third = train("autoencoder", tmp_path / "c", model={**TINY, "seed": 2}, data=DataConfig("digits", limit=64),
                  train=TrainConfig(epochs=2, batch_size=16, deterministic=True), verbose=0)
    assert third.history() != first.history()


def test_a_full_disk_fails_clearly_and_keeps_the_earlier_file(tmp_path, monkeypatch):
    import errno
    import os

    target = tmp_path / "metadata.json"
    atomic_write_text(target, "earlier")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(GenlabError, match="cannot write .*metadata.json.*No space left on device"):
        atomic_write_text(target, "later")
    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.json"]
