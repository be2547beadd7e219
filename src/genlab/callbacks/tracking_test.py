import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from genlab.callbacks.tracking import MlflowTracking, flat_params, tracking_callback
from genlab.core.errors import GenlabError

needs_mlflow = pytest.mark.skipif(importlib.util.find_spec("mlflow") is None,
                                  reason="mlflow not installed (pip install 'genlab[track]')")


class TinyModel(keras.Model):
    """A model with the family contract's ``networks()``: all the callback asks of a model."""

    def __init__(self):
        super().__init__()
        self.net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="net")

    def networks(self):
        return {"net": self.net}

    def call(self, inputs):
        return self.net(inputs)


class DrawGrid(keras.callbacks.Callback):
    """Stands in for SampleGrid: a PNG per epoch in the samples folder."""

    def __init__(self, folder):
        super().__init__()
        self.folder = Path(folder)

    def on_epoch_end(self, epoch, logs=None):
        self.folder.mkdir(exist_ok=True)
        (self.folder / f"epoch_{epoch + 1:05d}.png").write_bytes(b"\x89PNG fake")


def test_flat_params_joins_sections_with_dots():
    assert flat_params({"family": "vae", "model": {"latent_dim": 4, "filters": [8, 16]}}) == {
        "family": "vae", "model.latent_dim": "4", "model.filters": "[8, 16]"}


def test_without_mlflow_the_tracker_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(GenlabError, match=r"pip install 'genlab\[track\]'"):
        tracking_callback("mlflow", "run", {}, tmp_path)
    with pytest.raises(GenlabError, match="--track must be one of mlflow"):
        tracking_callback("wandb", "run", {}, tmp_path)


@needs_mlflow
def test_mlflow_run_holds_params_metrics_samples_and_weights(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the default store: ./mlruns
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # what the tracker sets, undone after the test
    model = TinyModel()
    model.compile(optimizer="sgd", loss="mse")
    tracker = MlflowTracking("tiny", {"model": {"latent_dim": 4}}, tmp_path / "samples")
    x = np.ones((8, 3), np.float32)
    model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=0, callbacks=[DrawGrid(tmp_path / "samples"), tracker])
    client = tracker.client
    run = client.get_run(tracker.run_id)
    assert (tmp_path / "mlruns").is_dir() and tracker.tracking_uri.startswith("file:")
    assert run.info.status == "FINISHED" and run.info.run_name == "tiny"
    assert run.data.params == {"model.latent_dim": "4"}
    assert [metric.step for metric in client.get_metric_history(tracker.run_id, "loss")] == [1, 2]
    artifacts = {item.path for folder in ("samples", "weights") for item in client.list_artifacts(tracker.run_id, folder)}
    assert artifacts == {"samples/epoch_00001.png", "samples/epoch_00002.png", "weights/net.weights.h5"}


@needs_mlflow
@pytest.mark.slow
def test_genlab_train_track_mlflow_logs_the_run(monkeypatch, tmp_path):
    """End to end: the CLI flag, a real family, the store named by MLFLOW_TRACKING_URI."""
    store = tmp_path / "store"
    environment = {**os.environ, "MLFLOW_TRACKING_URI": store.as_uri()}
    command = [sys.executable, "-m", "genlab.cli.main", "train", "vae", "--data", "digits", "--limit", "64",
               "--epochs", "1", "--batch-size", "32", "--latent-dim", "2", "--quiet", "--track", "mlflow",
               "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # reading a file store needs it too (MLflow 3)
    client = MlflowClient(tracking_uri=store.as_uri())
    runs = client.search_runs([client.get_experiment_by_name("genlab").experiment_id])
    assert len(runs) == 1 and runs[0].info.run_name == "run" and runs[0].data.params["family"] == "vae"
    assert "loss" in runs[0].data.metrics and "val_loss" in runs[0].data.metrics
    assert {item.path for item in client.list_artifacts(runs[0].info.run_id, "samples")} >= {"samples/epoch_00001.png"}
