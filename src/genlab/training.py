"""``train`` and ``resume``: the one training loop every image family goes through.

data source -> tf.data pipeline (scaled to the family's value range, stateless per-epoch
shuffle) -> ``model.fit`` with the run callbacks (checkpoint, sample grid, NaN guard,
TensorBoard) -> run directory. See :mod:`genlab.runs` for what the directory holds.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf

from genlab.callbacks import NanGuard, RunCheckpoint, SampleGrid, TrainingDiverged
from genlab.config import DataConfig, RunConfig, TrainConfig
from genlab.data.pipeline import epoch_batches, eval_batches, scale_images
from genlab.data.sources import ImageData, load_image_data
from genlab.errors import GenlabError
from genlab.registry import get_family
from genlab.runs import (
    STATUS_DIVERGED,
    STATUS_FINISHED,
    STATUS_INTERRUPTED,
    STATUS_RUNNING,
    RunDir,
    environment_metadata,
    now,
)

PREVIEW_COUNT = 8
VALIDATION_LIMIT = 1024


def _model_config_for_data(family_name: str, values: dict[str, Any], data: ImageData):
    family = get_family(family_name)
    values = dict(values)
    values["input_shape"] = list(data.image_shape)
    values["num_classes"] = data.num_classes
    defaults = family.config_class()
    values.setdefault("value_range", list(defaults.value_range))
    return family.config_class.from_dict(values)


def configure_execution(train: TrainConfig, seed: int) -> None:
    """Seed every generator, and switch op determinism and the precision policy as configured."""
    keras.utils.set_random_seed(seed)
    if train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(train.precision)


def _verbosity(verbose: int | str) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def train(
    family: str,
    out: str | Path,
    model: dict[str, Any] | None = None,
    data: DataConfig | None = None,
    train: TrainConfig | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> RunDir:
    """Train a new run of ``family`` into the new directory ``out``.

    ``model`` holds the family's config values (``input_shape`` and ``num_classes`` come
    from the data). Returns the run directory; raises GenlabError on bad input before
    anything is written, and TrainingDiverged if the loss becomes NaN.
    """
    data_config = data or DataConfig()
    train_config = train or TrainConfig()
    family_name = get_family(family).name
    values = dict(model or {})
    seed = int(values.get("seed", 0))
    image_data = load_image_data(data_config.source, data_config.limit, seed)
    model_config = _model_config_for_data(family_name, values, image_data)
    run_config = RunConfig(family=family_name, model=model_config, data=data_config, train=train_config)
    run = RunDir.create(out)
    run.save_config(run_config)
    run.update_metadata(
        family=family_name,
        seed=model_config.seed,
        data={"source": data_config.source, "limit": data_config.limit, "fingerprint": image_data.fingerprint(),
              "train_examples": len(image_data.x_train), "test_examples": len(image_data.x_test),
              "class_names": image_data.class_names},
        environment=environment_metadata(),
        command=sys.argv,
        created=now(),
        status=STATUS_RUNNING,
        epochs_done=0,
    )
    return _fit(run, run_config, image_data, resume=False, verbose=verbose, callbacks=callbacks)


def resume(
    run_path: str | Path,
    epochs: int | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> RunDir:
    """Continue a run from its latest checkpoint, exactly as if it had not stopped.

    ``epochs`` raises the run's total epoch budget (the config on disk is updated).
    """
    run = RunDir.open(run_path)
    run_config = run.load_config()
    if epochs is not None:
        run_config = dataclasses.replace(run_config, train=run_config.train.replace(epochs=epochs))
    image_data = load_image_data(run_config.data.source, run_config.data.limit, run_config.model.seed)
    fingerprint = run.metadata().get("data", {}).get("fingerprint")
    if tuple(image_data.image_shape) != tuple(run_config.model.input_shape):
        raise GenlabError(
            f"data {run_config.data.source!r} now has shape {image_data.image_shape}, but run "
            f"{str(run.path)!r} was trained on {tuple(run_config.model.input_shape)}"
        )
    if fingerprint and fingerprint != image_data.fingerprint():
        print(f"warning: data {run_config.data.source!r} differs from what this run started with", file=sys.stderr)
    if epochs is not None:
        run.save_config(run_config)
    return _fit(run, run_config, image_data, resume=True, verbose=verbose, callbacks=callbacks)


def _fit(run: RunDir, config: RunConfig, data: ImageData, resume: bool, verbose, callbacks) -> RunDir:
    family = get_family(config.family)
    seed = config.model.seed
    configure_execution(config.train, seed)
    try:
        model = family.model_class(config.model)
        model.compile_for_training(config.train)
        model.build_optimizers()
        history: list[dict[str, Any]] = []
        initial_epoch = 0
        if resume:
            initial_epoch = run.restore_checkpoint(model)
            history = [row for row in run.history() if int(row.get("epoch", 0)) <= initial_epoch]
        if initial_epoch >= config.train.epochs:
            raise GenlabError(
                f"run {str(run.path)!r} already finished {initial_epoch} of {config.train.epochs} epochs; "
                f"pass a larger --epochs to continue it"
            )
        dataset, steps = epoch_batches(
            data.x_train, data.y_train, config.train.batch_size, seed, initial_epoch, config.train.epochs,
            config.model.value_range,
        )
        validation = eval_batches(
            data.x_test[:VALIDATION_LIMIT], None if data.y_test is None else data.y_test[:VALIDATION_LIMIT],
            config.train.batch_size, config.model.value_range,
        )
        preview_images = scale_images(data.x_test[:PREVIEW_COUNT], config.model.value_range)
        preview_labels = np.zeros(len(preview_images), np.int64) if data.y_test is None else data.y_test[:PREVIEW_COUNT]
        guard = NanGuard(family.model_class.divergence_hint)
        run_callbacks = [
            guard,
            RunCheckpoint(run, history, keep=config.train.checkpoints_to_keep),
            SampleGrid(run.samples_dir, preview_images, preview_labels, config.model.value_range),
            keras.callbacks.TensorBoard(log_dir=str(run.logs_dir), write_graph=False, profile_batch=0),
            *callbacks,
        ]
        run.update_metadata(status=STATUS_RUNNING, resumed_from_epoch=initial_epoch if resume else None)
        try:
            model.fit(
                dataset,
                epochs=config.train.epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps,
                validation_data=validation,
                callbacks=run_callbacks,
                verbose=_verbosity(verbose),
                shuffle=False,
            )
        except KeyboardInterrupt:
            done = run.latest_checkpoint()
            run.update_metadata(status=STATUS_INTERRUPTED, epochs_done=done[0] if done else 0)
            raise
        done = run.latest_checkpoint()
        epochs_done = done[0] if done else 0
        if guard.message:
            run.update_metadata(status=STATUS_DIVERGED, epochs_done=epochs_done, divergence=guard.message)
            raise TrainingDiverged(guard.message)
        run.save_weights(model)
        run.save_model_file(model)
        run.update_metadata(status=STATUS_FINISHED, epochs_done=epochs_done, finished=now())
        return run
    finally:
        keras.mixed_precision.set_global_policy("float32")
