"""Crash safety: SIGKILL mid-training, resume, and the same final weights as an uninterrupted run;
NaN losses stop training with the last good checkpoint kept."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from genlab.callbacks import TrainingDiverged
from genlab.config import DataConfig, TrainConfig
from genlab.runs import RunDir, list_runs, load_run_model
from genlab.training import resume, train

ARGS = ["--data", "digits", "--batch-size", "8", "--latent-dim", "4", "--filters", "4,8", "--epochs", "3",
        "--deterministic", "--quiet"]


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    victim = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "genlab.cli.main", "train", "autoencoder", *ARGS, "--out", str(victim)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = victim / "checkpoints" / "latest.json"
    deadline = time.time() + 120
    while time.time() < deadline and not latest.is_file() and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # into the second epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert latest.is_file(), "the training never reached its first checkpoint"
    killed_at = json.loads(latest.read_text())["epoch"]
    assert killed_at < 3, "the run finished before it could be killed; make it longer"
    assert [row["status"] for row in list_runs(tmp_path)] == ["killed"]

    resume(victim, verbose=0)
    straight = train("autoencoder", tmp_path / "straight", model={"latent_dim": 4, "filters": (4, 8)},
                     data=DataConfig("digits"), train=TrainConfig(epochs=3, batch_size=8, deterministic=True), verbose=0)
    _, _, a = load_run_model(victim)
    _, _, b = load_run_model(straight.path)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)
    assert [r["epoch"] for r in RunDir(victim).history()] == [1, 2, 3]


class PoisonWeights(keras.callbacks.Callback):
    """Turns one weight into NaN in the middle of the second epoch, as an exploding update would."""

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            kernel = self.model.encoder.get_layer("code").kernel
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def test_nan_loss_stops_cleanly_with_the_last_good_checkpoint(tmp_path):
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 2(, step \d+)?: .*(nan|non-finite weights).*Likely causes: lower --learning-rate"):
        train("autoencoder", tmp_path / "run", model={"latent_dim": 4, "filters": (4, 8)}, data=DataConfig("digits", limit=64),
              train=TrainConfig(epochs=3, batch_size=8), verbose=0, callbacks=[PoisonWeights()])
    run = RunDir(tmp_path / "run")
    metadata = run.metadata()
    assert metadata["status"] == "diverged" and "diverged at epoch" in metadata["divergence"]
    history = run.history()
    assert all(np.isfinite(v) for row in history for k, v in row.items() if k != "epoch")
    assert [row["epoch"] for row in history] == [1]
    assert run.latest_checkpoint()[0] == 1
    _, _, model = load_run_model(run.path)  # the last good checkpoint loads and is finite
    assert all(np.isfinite(w.numpy()).all() for w in model.weights)
