"""Experiment tracking (``genlab train --track mlflow``): the run's config as parameters, every
epoch's metrics, the sample grids as artifacts and the final weights, in an MLflow run.

MLflow is optional (``pip install 'genlab[track]'``). The store is ``$MLFLOW_TRACKING_URI``
when set (``sqlite:///mlflow.db``, a server, a folder), else the local file store ``./mlruns``.
MLflow 3 keeps its file store in maintenance mode behind ``MLFLOW_ALLOW_FILE_STORE``; genlab
sets that (unless already set) only when the store it uses is a file store.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import keras

from genlab.core.errors import GenlabError

TRACKERS = ("mlflow",)
TRACK_EXTRA = "pip install 'genlab[track]'"
EXPERIMENT = "genlab"
PARAM_LIMIT = 500  # characters of one parameter value (MLflow stores at most 6000)


def default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, else the file store ``./mlruns`` (as an absolute file: URI)."""
    uri = os.environ.get("MLFLOW_TRACKING_URI") or Path("mlruns").resolve().as_uri()
    if "://" not in uri or uri.startswith("file:"):  # a file store: MLflow 3 asks for this opt-in
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return uri


def flat_params(values: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"model": {"latent_dim": 4}}`` -> ``{"model.latent_dim": "4"}``: MLflow parameters are flat strings."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_params(value, f"{name}."))
        else:
            flat[name] = str(value)[:PARAM_LIMIT]
    return flat


def _mlflow_client(uri: str):
    try:
        from mlflow.tracking import MlflowClient  # optional dependency
    except ImportError:
        raise GenlabError(f"--track mlflow needs MLflow: {TRACK_EXTRA}") from None
    return MlflowClient(tracking_uri=uri)


class MlflowTracking(keras.callbacks.Callback):
    """Logs one training run to MLflow; place it after :class:`~genlab.callbacks.SampleGrid`
    so each epoch's grid exists when the epoch's end is logged.

    ``params``: the run config (nested dict), logged flat. ``samples_dir``: where the grids are
    written. The MLflow run is created when training begins and ended when it ends; a training
    made of several ``fit`` calls (a mid-epoch resume) logs them all into the one MLflow run.
    """

    def __init__(self, run_name: str, params: dict[str, Any], samples_dir: str | Path,
                 tracking_uri: str | None = None, experiment: str = EXPERIMENT, tags: dict[str, str] | None = None):
        super().__init__()
        self.tracking_uri = tracking_uri or default_tracking_uri()
        self.client = _mlflow_client(self.tracking_uri)  # fails now, before training, without MLflow
        self.run_name, self.experiment = run_name, experiment
        self.run_params = flat_params(params)  # not self.params: Keras sets that (epochs, steps)
        self.tags = dict(tags or {})
        self.samples_dir = Path(samples_dir)
        self.run_id: str | None = None
        self.logged: set[str] = set()

    def _start(self) -> str:
        from mlflow.entities import Param

        found = self.client.get_experiment_by_name(self.experiment)
        experiment_id = found.experiment_id if found is not None else self.client.create_experiment(self.experiment)
        run = self.client.create_run(experiment_id, run_name=self.run_name, tags=self.tags)
        self.client.log_batch(run.info.run_id, params=[Param(key, value) for key, value in self.run_params.items()])
        return run.info.run_id

    def on_train_begin(self, logs=None) -> None:
        if self.run_id is None:
            self.run_id = self._start()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        metrics = [Metric(name, float(value), stamp, epoch + 1) for name, value in (logs or {}).items()
                   if _is_number(value)]
        if metrics:
            self.client.log_batch(self.run_id, metrics=metrics)
        self._log_new_samples()

    def on_train_end(self, logs=None) -> None:
        self._log_new_samples()  # progress.gif is drawn at the end
        with tempfile.TemporaryDirectory(prefix="genlab-mlflow-") as folder:
            for name, network in self.model.networks().items():
                network.save_weights(str(Path(folder) / f"{name}.weights.h5"))
            self.client.log_artifacts(self.run_id, folder, "weights")
        self.client.set_terminated(self.run_id)

    def _log_new_samples(self) -> None:
        if not self.samples_dir.is_dir():
            return
        for path in sorted(self.samples_dir.iterdir()):
            if path.suffix in (".png", ".gif") and path.name not in self.logged:
                self.client.log_artifact(self.run_id, str(path), "samples")
                self.logged.add(path.name)


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def tracking_callback(kind: str, run_name: str, params: dict[str, Any], samples_dir: str | Path) -> keras.callbacks.Callback:
    """The callback behind ``--track KIND``; GenlabError for an unknown tracker or a missing package."""
    if kind != "mlflow":
        raise GenlabError(f"--track must be one of {', '.join(TRACKERS)}, got {kind!r}")
    return MlflowTracking(run_name, params, samples_dir)
