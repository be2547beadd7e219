"""Crash safety: SIGKILL or Ctrl-C mid-training, resume, and the same final weights as an
uninterrupted run; NaN losses stop training with the last good checkpoint kept."""

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

from genlab.callbacks import TrainingDiverged, TrainingInterrupted
from genlab.core.config import DataConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir, list_runs
from genlab.workflows.train import resume, train

ARGS = ["--data", "digits", "--batch-size", "8", "--latent-dim", "4", "--filters", "4,8", "--epochs", "3",
        "--deterministic", "--quiet"]


def assert_resume_equals_a_straight_run(stopped: Path, straight_path: Path, batch_size: int) -> None:
    """Resume ``stopped`` to the end; its weights equal those of one uninterrupted run (deterministic)."""
    resume(stopped, verbose=0)
    straight = train("autoencoder", straight_path, model={"latent_dim": 4, "filters": (4, 8)}, data=DataConfig("digits"),
                     train=TrainConfig(epochs=3, batch_size=batch_size, deterministic=True), verbose=0)
    for x, y in zip(load_run_model(stopped)[2].weights, load_run_model(straight.path)[2].weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)


@pytest.mark.slow
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

    assert_resume_equals_a_straight_run(victim, tmp_path / "straight", batch_size=8)
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


@pytest.mark.slow
def test_ctrl_c_saves_a_mid_epoch_checkpoint_exits_130_and_resumes_exactly(tmp_path):
    """SIGINT during epoch 2 of a CLI run: exit code 130, one line (no traceback) naming the
    checkpoint and the resume command, a checkpoint with step > 0; resuming it ends with the
    weights of an uninterrupted run."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    victim = tmp_path / "interrupted"
    # ~360 steps per epoch: the signal lands well inside epoch 2; two epoch checkpoints kept
    args = [*ARGS, "--batch-size", "4", "--keep-checkpoints", "2"]
    process = subprocess.Popen([sys.executable, "-m", "genlab.cli.main", "train", "autoencoder", *args, "--out", str(victim)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    latest = victim / "checkpoints" / "latest.json"
    grid = victim / "samples" / "epoch_00001.png"  # written after epoch 1's checkpoint
    deadline = time.time() + 120
    while time.time() < deadline and not grid.is_file() and process.poll() is None:
        time.sleep(0.02)
    # past epoch 1's end into epoch 2 (a Ctrl-C before epoch 1's on_epoch_end stops at the boundary)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    pointer = json.loads(latest.read_text())
    assert pointer["epoch"] == 1 and pointer["step"] > 0, f"interrupted at {pointer}, not inside epoch 2; retime the test"
    message = [line for line in stderr.splitlines() if "training interrupted" in line]
    assert len(message) == 1 and f"step {pointer['step']} of " in message[0], stderr
    assert pointer["path"] in message[0] and f"genlab train autoencoder --resume {victim}" in message[0]
    run = RunDir(victim)
    metadata = run.metadata()
    assert metadata["status"] == "interrupted" and metadata["epochs_done"] == 1
    assert metadata["steps_done_in_epoch"] == pointer["step"]
    assert [row["epoch"] for row in run.history()] == [1]  # the cut epoch has no row
    assert not (victim / "samples" / "epoch_00002.png").exists()
    assert sorted(p.name for p in run.checkpoints_dir.glob("epoch-*")) == ["epoch-00001", pointer["path"]]

    assert_resume_equals_a_straight_run(victim, tmp_path / "straight", batch_size=4)
    assert [r["epoch"] for r in run.history()] == [1, 2, 3]
    assert run.metadata()["status"] == "finished" and run.metadata()["steps_done_in_epoch"] == 0
    assert sorted(p.name for p in run.checkpoints_dir.glob("epoch-*")) == ["epoch-00002", "epoch-00003"]


class CtrlCAt(keras.callbacks.Callback):
    """Sends this process SIGINT after step ``step`` (1-based) of (0-based) ``epoch``, ``times`` times."""

    def __init__(self, epoch, step, times=1):
        super().__init__()
        self.at, self.times = (epoch, step), times

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch + 1) == self.at:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)


TINY_RUN = dict(model={"latent_dim": 3, "filters": (4, 8), "seed": 1}, data=DataConfig("digits", limit=96), verbose=0)


def test_interrupt_callback_stops_after_the_step_and_resume_is_exact(tmp_path):
    """In-process: 96 images, batch 16 = 6 steps per epoch; Ctrl-C after step 4 of epoch 2."""
    config = TrainConfig(epochs=3, batch_size=16, deterministic=True, steps_per_execution=2)
    with pytest.raises(TrainingInterrupted, match=r"during epoch 2, after step 4 of 6; checkpoint saved in .*"
                                                  r"epoch-00001-step-000004; continue with: genlab train autoencoder --resume"):
        train("autoencoder", tmp_path / "cut", train=config, callbacks=[CtrlCAt(1, 4)], **TINY_RUN)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored
    run = RunDir(tmp_path / "cut")
    assert run.latest_checkpoint_position()[:2] == (1, 4) and run.latest_checkpoint()[0] == 1
    assert run.metadata()["status"] == "interrupted" and run.metadata()["steps_done_in_epoch"] == 4
    assert [row["epoch"] for row in run.history()] == [1]

    resumed = resume(run.path, verbose=0)
    straight = train("autoencoder", tmp_path / "straight", train=config, **TINY_RUN)
    for x, y in zip(load_run_model(resumed.path)[2].weights, load_run_model(straight.path)[2].weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)
    cut_history, straight_history = resumed.history(), straight.history()
    assert [row["epoch"] for row in cut_history] == [1, 2, 3]
    # the resumed epoch's training loss is the mean of its last 2 steps only; validation is whole
    for row, same in zip(cut_history, straight_history):
        np.testing.assert_allclose(row["val_loss"], same["val_loss"], rtol=1e-5)
    assert cut_history[1]["loss"] != straight_history[1]["loss"]
    np.testing.assert_allclose(cut_history[2]["loss"], straight_history[2]["loss"], rtol=1e-5)
    assert resumed.metadata()["resumed_from_step"] == 4


def test_ctrl_c_in_the_last_step_ends_the_epoch_and_a_second_ctrl_c_stops_at_once(tmp_path):
    with pytest.raises(TrainingInterrupted, match=r"after epoch 1; checkpoint saved in .*epoch-00001; "):
        train("autoencoder", tmp_path / "boundary", train=TrainConfig(epochs=3, batch_size=16),
              callbacks=[CtrlCAt(0, 6)], **TINY_RUN)
    boundary = RunDir(tmp_path / "boundary")
    assert boundary.latest_checkpoint_position()[:2] == (1, 0) and [r["epoch"] for r in boundary.history()] == [1]
    for name in ("latest.json", "epoch-00001/state.json"):  # as checkpoints were written before "step" existed
        path = boundary.checkpoints_dir / name
        path.write_text(json.dumps({k: v for k, v in json.loads(path.read_text()).items() if k != "step"}))
    assert boundary.latest_checkpoint_position()[:2] == (1, 0)
    assert resume(boundary.path, epochs=2, verbose=0).metadata()["epochs_done"] == 2
    with pytest.raises(TrainingInterrupted, match="before its first checkpoint; nothing to resume"):
        train("autoencoder", tmp_path / "twice", train=TrainConfig(epochs=3, batch_size=16),
              callbacks=[CtrlCAt(0, 2, times=2)], **TINY_RUN)
    assert RunDir(tmp_path / "twice").metadata()["status"] == "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_skipping_steps_leaves_the_same_later_batches():
    from genlab.data.pairs import training_batches
    from genlab.data.sources import load_image_data

    data = load_image_data("digits", 40, 0)
    for crop_size in (None, 6):
        full, steps = training_batches(data, 8, 3, 1, 3, (0.0, 1.0), crop_size)
        cut, same_steps = training_batches(data, 8, 3, 1, 3, (0.0, 1.0), crop_size, first_epoch_skip_steps=2)
        full, cut = list(full.as_numpy_iterator()), list(cut.as_numpy_iterator())
        assert same_steps == steps == 5 and len(cut) == len(full) - 2
        for (x, y), (u, v) in zip(full[2:], cut):
            np.testing.assert_array_equal(x, u)
            np.testing.assert_array_equal(y, v)
    with pytest.raises(GenlabError, match="cannot resume 5 steps into an epoch of 5 steps"):
        training_batches(data, 8, 3, 1, 3, (0.0, 1.0), first_epoch_skip_steps=5)
