"""``train`` and ``resume``: the one training loop every image family goes through.

data source -> tf.data pipeline (scaled to the family's value range, stateless per-epoch
shuffle) -> ``model.fit`` with the run callbacks (checkpoint, sample grid, NaN guard,
TensorBoard) -> run directory. See :mod:`genlab.runs` for what the directory holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import keras
import tensorflow as tf

from genlab.callbacks import (
    NanGuard, RunCheckpoint, SampleGrid, StopOnInterrupt, TrainingDiverged, TrainingInterrupted, sigint_requests_stop,
)
from genlab.callbacks.coverage import ModeCoverage
from genlab.core.config import DataConfig, RunConfig, TrainConfig
from genlab.data.pairs import (
    ImagePairs, cropped_shape, load_image_pairs, preview_images, training_batches, validation_batches,
)
from genlab.data.sources import ImageData, load_image_data
from genlab.core.distribute import give_logs_a_batch_axis, is_chief, is_multi_worker, make_strategy, worker_scratch_directory
from genlab.core.errors import GenlabError
from genlab.core.execution import configure_execution
from genlab.core.registry import get_family
from genlab.transfer.plan import TransferPlan
from genlab.workflows.transfer_setup import plan_preparer
from genlab.workflows.loading import load_run_model
from genlab.runs import (
    STATUS_DIVERGED,
    STATUS_FINISHED,
    STATUS_INTERRUPTED,
    STATUS_RUNNING,
    RunDir,
    RunLock,
    environment_metadata,
    now,
)

PREVIEW_COUNT = 8
#: ``prepare_model(model, run, resume) -> callbacks``: see :func:`train`
PrepareModel = Callable[[Any, RunDir, bool], Sequence[keras.callbacks.Callback]]
VALIDATION_LIMIT = 1024


def load_training_data(family_name: str, data: DataConfig, seed: int = 0) -> ImageData | ImagePairs:
    """The images a run trains on: one source, or domains A and B for image-to-image families."""
    family = get_family(family_name)
    two_domains = family.model_class.data_sources == 2
    if two_domains and data.source_b is None:
        raise GenlabError(f"family {family.name!r} translates between two domains: give --data-a SOURCE and --data-b SOURCE")
    if not two_domains and data.source_b is not None:
        raise GenlabError(f"family {family.name!r} trains on one data source; --data-b is for image-to-image families")
    if family.model_class.needs_paired_data and not data.paired:
        raise GenlabError(f"family {family.name!r} learns from paired images: pass --paired (image i of A matches image i of B)")
    if data.source_b is None:
        return load_image_data(data.source, data.limit, seed, skip_bad_images=data.skip_bad_images)
    return load_image_pairs(data.source, data.source_b, data.limit, seed, data.paired)


def _data_summary(config: DataConfig, data: ImageData | ImagePairs) -> dict[str, Any]:
    summary = {"source": config.source, "limit": config.limit, "fingerprint": data.fingerprint()}
    if isinstance(data, ImagePairs):
        summary.update(source_b=config.source_b, paired=config.paired,
                       train_examples=[len(data.a.x_train), len(data.b.x_train)],
                       test_examples=[len(data.a.x_test), len(data.b.x_test)])
    else:
        summary.update(train_examples=len(data.x_train), test_examples=len(data.x_test))
    if config.crop_size is not None:
        summary["crop_size"] = config.crop_size
    summary["class_names"] = data.class_names
    return summary


def _model_config_for_data(family_name: str, values: dict[str, Any], data: ImageData | ImagePairs,
                           crop_size: int | None = None):
    family = get_family(family_name)
    values = dict(values)
    values["input_shape"] = list(cropped_shape(data.image_shape, crop_size))
    if isinstance(data, ImagePairs):  # image-to-image families: the shape of domain B
        values["target_shape"] = list(cropped_shape(data.image_shape_b, crop_size))
    values["num_classes"] = data.num_classes
    defaults = family.config_class()
    values.setdefault("value_range", list(defaults.value_range))
    return family.config_class.from_dict(values)


def with_run_loader(callbacks: Sequence[keras.callbacks.Callback]) -> list[keras.callbacks.Callback]:
    """Give the callbacks that measure with another run (:class:`ModeCoverage`) the run loader."""
    for callback in callbacks:
        if isinstance(callback, ModeCoverage) and callback.load_run is None:
            callback.load_run = load_run_model
    return list(callbacks)


def networks_only(model):
    """A copy of ``model`` that holds its networks' weights and nothing else (no optimizers):
    what ``model.keras`` keeps, a third of the size of a model carrying two Adam states."""
    copy = type(model).from_config(model.get_config())
    copy.build_all()
    for name, network in model.networks().items():
        copy.networks()[name].set_weights(network.get_weights())
    return copy


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
    prepare_model: PrepareModel | None = None,
    metadata: dict[str, Any] | None = None,
) -> RunDir:
    """Train a new run of ``family`` into the new directory ``out``.

    ``model`` holds the family's config values (``input_shape`` and ``num_classes`` come
    from the data). Returns the run directory; raises GenlabError on bad input before
    anything is written, and TrainingDiverged if the loss becomes NaN.

    ``prepare_model(model, run, resume) -> callbacks`` (used by :mod:`genlab.transfer`) runs
    once the model and its optimizers are built, before a checkpoint is restored; the
    callbacks it returns run before the checkpoint's, so what they add to an epoch's logs
    reaches ``history.csv``. ``metadata`` is merged into the run's ``metadata.json``.
    """
    data_config = data or DataConfig()
    train_config = train or TrainConfig()
    family_name = get_family(family).name
    values = dict(model or {})
    seed = int(values.get("seed", 0))
    strategy = make_strategy(train_config.distribute)  # first: multi-worker must start before other TF work
    chief_out = out
    if not is_chief(strategy):  # only the chief writes the run; other workers write a scratch copy
        out = Path(worker_scratch_directory()) / "run"
    image_data = load_training_data(family_name, data_config, seed)
    model_config = _model_config_for_data(family_name, values, image_data, data_config.crop_size)
    run_config = RunConfig(family=family_name, model=model_config, data=data_config, train=train_config)
    run = RunDir.create(out)
    with run.lock():  # held until training ends, however it ends: one writer per run
        run.save_config(run_config)
        run.update_metadata(
            family=family_name,
            seed=model_config.seed,
            data=_data_summary(data_config, image_data),
            environment=environment_metadata(),
            command=sys.argv,
            created=now(),
            status=STATUS_RUNNING,
            epochs_done=0,
            **(metadata or {}),
        )
        finished = _fit(run, run_config, image_data, resume=False, verbose=verbose, callbacks=callbacks,
                        prepare_model=prepare_model, strategy=strategy, scratch=not is_chief(strategy))
    return finished if is_chief(strategy) else RunDir(chief_out)


def resume(
    run_path: str | Path,
    epochs: int | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
    prepare_model: PrepareModel | None = None,
    family: str | None = None,
) -> RunDir:
    """Continue a run from its latest checkpoint, exactly as if it had not stopped.

    ``epochs`` sets the run's total epoch budget (the config on disk is updated once
    training starts). ``family``: the family the caller expects (``genlab train FAMILY
    --resume``); a run of another family is refused. A run made by :mod:`genlab.transfer`
    (``transfer.plan`` in its metadata) is prepared by its saved plan again unless
    ``prepare_model`` is given. Everything is checked before anything in the run is written,
    and the run's lock is held from the checks to the end of training.
    """
    run = RunDir.open(run_path)
    run_config = run.load_config()
    if family is not None and get_family(family).name != run_config.family:
        raise GenlabError(f"run {str(run.path)!r} holds family {run_config.family!r}, not {get_family(family).name!r}; "
                          f"continue it with genlab train {run_config.family} --resume {run.path}")
    plan = run.metadata().get("transfer", {}).get("plan")
    if prepare_model is None and plan is not None:
        prepare_model = plan_preparer(TransferPlan.from_dict(plan))
    if epochs is not None:
        run_config = dataclasses.replace(run_config, train=run_config.train.replace(epochs=epochs))
    strategy = make_strategy(run_config.train.distribute)
    # workers other than the chief only read the run: the chief holds its lock
    with run.lock() if is_chief(strategy) else contextlib.nullcontext():
        found = run.latest_checkpoint_position()
        if found is None:
            raise GenlabError(f"run {str(run.path)!r} has no complete checkpoint to resume from")
        if found[0] >= run_config.train.epochs:
            raise GenlabError(
                f"run {str(run.path)!r} already finished {found[0]} of {run_config.train.epochs} epochs; "
                f"pass a larger --epochs to continue it"
            )
        image_data = load_training_data(run_config.family, run_config.data, run_config.model.seed)
        fingerprint = run.metadata().get("data", {}).get("fingerprint")
        if cropped_shape(image_data.image_shape, run_config.data.crop_size) != tuple(run_config.model.input_shape):
            raise GenlabError(
                f"data {run_config.data.source!r} now has shape {image_data.image_shape}, but run "
                f"{str(run.path)!r} was trained on {tuple(run_config.model.input_shape)}"
            )
        if fingerprint and fingerprint != image_data.fingerprint():
            print(f"warning: data {run_config.data.source!r} differs from what this run started with", file=sys.stderr)
        chief_run = run
        if not is_chief(strategy):  # read the chief's checkpoint, write a scratch copy
            run = RunDir(Path(worker_scratch_directory()) / "run")
            shutil.copytree(chief_run.path, run.path, ignore=shutil.ignore_patterns(RunLock.NAME))
        finished = _fit(run, run_config, image_data, resume=True, verbose=verbose, callbacks=callbacks,
                        prepare_model=prepare_model, strategy=strategy, scratch=not is_chief(strategy),
                        save_config=epochs is not None)
    return finished if is_chief(strategy) else chief_run


def _fit(run: RunDir, config: RunConfig, data: ImageData | ImagePairs, resume: bool, verbose, callbacks,
         prepare_model: PrepareModel | None = None, strategy: tf.distribute.Strategy | None = None,
         scratch: bool = False, save_config: bool = False) -> RunDir:
    """Build the model under ``strategy`` and run ``fit``; ``scratch``: ``run`` is a non-chief
    worker's temporary copy, deleted when training ends. ``save_config``: write ``config`` to
    the run (a resume that changed it) once every check has passed, before training starts."""
    family = get_family(config.family)
    seed = config.model.seed
    configure_execution(config.train, seed)
    strategy = strategy or tf.distribute.get_strategy()
    try:
        with strategy.scope():  # variables (model, optimizers, metrics) mirrored across replicas
            model = family.model_class(config.model)
            model.compile_for_training(config.train)
            model.build_optimizers()
            prepared_callbacks = list(prepare_model(model, run, resume)) if prepare_model else []
        if is_multi_worker(strategy):
            give_logs_a_batch_axis(model)
        history: list[dict[str, Any]] = []
        initial_epoch, skip_steps = 0, 0
        if resume:
            initial_epoch, skip_steps = run.restore_checkpoint_position(model)  # skip_steps > 0: saved mid-epoch
            history = [row for row in run.history() if int(row.get("epoch", 0)) <= initial_epoch]
        if initial_epoch >= config.train.epochs:
            raise GenlabError(
                f"run {str(run.path)!r} already finished {initial_epoch} of {config.train.epochs} epochs; "
                f"pass a larger --epochs to continue it"
            )
        crop_size, value_range = config.data.crop_size, config.model.value_range
        batch_size, epochs = config.train.batch_size, config.train.epochs
        validation = validation_batches(data, batch_size, value_range, crop_size, VALIDATION_LIMIT)
        preview, preview_labels = preview_images(data, PREVIEW_COUNT, value_range, crop_size)
        guard = NanGuard(family.model_class.divergence_hint, family.model_class.divergence_limit)
        interrupt = StopOnInterrupt(run, keep=config.train.checkpoints_to_keep, guard=guard)
        run_callbacks = [
            guard,
            *prepared_callbacks,
            *with_run_loader(model.training_callbacks(config.train)),  # before the checkpoint: they may add logs to history
            RunCheckpoint(run, history, keep=config.train.checkpoints_to_keep, guard=guard, interrupt=interrupt),
            SampleGrid(run.samples_dir, preview, preview_labels, config.model.value_range, interrupt=interrupt),
            keras.callbacks.TensorBoard(log_dir=str(run.logs_dir), write_graph=False, profile_batch=0),
            *callbacks,
            interrupt,  # last: it saves the state every other callback's batch end has left
        ]
        # A checkpoint saved by Ctrl-C mid-epoch: first the rest of that epoch (its first
        # skip_steps batches skipped, the same batches otherwise), then the later epochs, each a fit.
        segments = [(initial_epoch, initial_epoch + 1, skip_steps), (initial_epoch + 1, epochs, 0)] if skip_steps \
            else [(initial_epoch, epochs, 0)]
        batches = []  # made and checked before anything is written
        for first, last, skip in segments:
            if first >= last:
                break
            dataset, steps = training_batches(
                data, batch_size, seed, first, last, value_range, crop_size, first_epoch_skip_steps=skip,
            )
            execution = config.train.steps_per_execution
            if (steps - skip) % execution:  # Keras would run the last call into the next epoch's batches
                raise GenlabError(
                    f"--steps-per-execution {execution} must divide the {steps} steps of an epoch "
                    f"(batch size {batch_size}); choose a divisor of {steps} or another --batch-size"
                )
            batches.append((first, last, skip, dataset, steps))
        if save_config:
            run.save_config(config)
        run.update_metadata(status=STATUS_RUNNING, resumed_from_epoch=initial_epoch if resume else None,
                            resumed_from_step=skip_steps if resume else None, pid=os.getpid(), host=platform.node(),
                            distribute={"strategy": config.train.distribute, "replicas": strategy.num_replicas_in_sync})
        steps = None
        try:
            with sigint_requests_stop(interrupt.request_stop):
                for first, last, skip, dataset, steps in batches:
                    interrupt.resuming_at(first, skip)
                    model.fit(
                        dataset,
                        epochs=last,
                        initial_epoch=first,
                        steps_per_epoch=steps - skip,
                        validation_data=validation,
                        callbacks=run_callbacks,
                        verbose=_verbosity(verbose),
                        shuffle=False,
                    )
                    if model.stop_training:  # Ctrl-C, the NaN guard, or a user's callback (early stopping)
                        break
        except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, the latest complete checkpoint stays
            found = run.latest_checkpoint_position()
            epochs_done, steps_done, folder = found if found else (0, 0, None)
            run.update_metadata(status=STATUS_INTERRUPTED, epochs_done=epochs_done, steps_done_in_epoch=steps_done)
            raise TrainingInterrupted(run.path, family.name, epochs_done, steps_done, folder, steps) from None
        if not guard.message and interrupt.stopped_at is not None and interrupt.stopped_at[0] < epochs:
            epochs_done, steps_done = interrupt.stopped_at
            run.update_metadata(status=STATUS_INTERRUPTED, epochs_done=epochs_done, steps_done_in_epoch=steps_done)
            raise TrainingInterrupted(run.path, family.name, epochs_done, steps_done, interrupt.checkpoint,
                                      interrupt.steps_per_epoch)
        done = run.latest_checkpoint()
        epochs_done = done[0] if done else 0
        if guard.message:
            run.update_metadata(status=STATUS_DIVERGED, epochs_done=epochs_done, steps_done_in_epoch=0,
                                divergence=guard.message)
            raise TrainingDiverged(guard.message)
        run.save_weights(model)
        run.save_model_file(networks_only(model))  # model.keras: the networks, no optimizer state
        run.update_metadata(status=STATUS_FINISHED, epochs_done=epochs_done, steps_done_in_epoch=0, finished=now())
        return run
    finally:
        keras.mixed_precision.set_global_policy("float32")
        if scratch:
            shutil.rmtree(run.path.parent, ignore_errors=True)
