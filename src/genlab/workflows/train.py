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
import re
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
from genlab.callbacks.tracking import tracking_callback
from genlab.core.config import DataConfig, RunConfig, TrainConfig, check_seed, coerce_value
from genlab.data.pairs import (
    ImagePairs, cropped_shape, load_image_pairs, preview_images, training_batches, validation_batches,
)
from genlab.data.sources import ImageData, load_image_data
from genlab.core.distribute import give_logs_a_batch_axis, is_chief, is_multi_worker, make_strategy, worker_scratch_directory
from genlab.core.errors import GenlabError
from genlab.core.compat import count_parameters_unallocated
from genlab.core.execution import available_memory_bytes, configure_execution
from genlab.core.registry import get_family
from genlab.transfer.plan import TransferPlan
from genlab.workflows.transfer_setup import plan_preparer
from genlab.workflows.loading import load_run_model
from genlab.runs import (
    STATUS_DIVERGED,
    STATUS_FAILED,
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


def model_seed(values: dict[str, Any]) -> int:
    """The ``seed`` of a family's config values (default 0), checked before it seeds anything."""
    seed = coerce_value(values.get("seed", 0), int, "seed")
    check_seed("seed", seed)
    return seed


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


#: copies of every weight training keeps: the weights, their gradients and the optimizer's two moments (Adam)
TRAINING_COPIES = 4
BYTES_PER_VALUE = 4  # float32


def _training_examples(data: ImageData | ImagePairs) -> int:
    """Examples per epoch: the training images, or the larger domain of two (see training_batches)."""
    if isinstance(data, ImagePairs):
        return max(len(data.a.x_train), len(data.b.x_train))
    return len(data.x_train)


def check_steps_per_execution(execution: int, steps: int, batch_size: int) -> None:
    """``--steps-per-execution`` must divide the ``steps`` of an epoch (Keras would otherwise run
    the last call of an epoch into the next epoch's batches)."""
    if steps % execution:
        raise GenlabError(
            f"--steps-per-execution {execution} must divide the {steps} steps of an epoch "
            f"(batch size {batch_size}); choose a divisor of {steps} or another --batch-size"
        )


def _format_bytes(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"


def check_model_fits_in_memory(family_name: str, model_config) -> None:
    """Refuse a model whose training cannot fit in memory, before anything is built or written.

    Its parameters are counted without allocating them (:func:`count_parameters_unallocated`);
    training holds about ``TRAINING_COPIES`` float32 copies of each, compared with the memory
    the system has available. A family that cannot be counted that way (one that reads a weights
    file while it is built) is checked when it is built (see ``_build_model``).
    """
    family = get_family(family_name)
    try:
        count = count_parameters_unallocated(lambda: family.model_class(model_config))
    except GenlabError:
        raise
    except Exception:  # noqa: BLE001 - not countable without building it for real: _build_model catches OOM
        return
    available = available_memory_bytes()
    needed = count * BYTES_PER_VALUE * TRAINING_COPIES
    if available is None or needed <= available:
        return
    sizes = [f"{name}={value}" for name, value in model_config.to_dict().items()
             if isinstance(value, int) and not isinstance(value, bool) and value > 1024 and name != "seed"]
    labels = (" (num_classes is the data's largest label + 1: labels must be class indices 0, 1, 2, ...)"
              if any(size.startswith("num_classes=") for size in sizes) else "")
    raise GenlabError(
        f"the {family.name} model has {count:,} parameters ({_format_bytes(count * BYTES_PER_VALUE)} as float32); "
        f"training needs about {_format_bytes(needed)} ({TRAINING_COPIES}x: weights, gradients, optimizer state) but "
        f"{_format_bytes(available)} of memory is available; lower {', '.join(sizes) or 'the model sizes'}{labels}"
    )


def check_training_data(config: RunConfig, data: ImageData | ImagePairs) -> None:
    """Everything about the data that would otherwise stop training after the run directory
    exists, checked before it is created: a test split (validation and the per-epoch previews
    use it), a batch the training images can fill, ``--steps-per-execution`` dividing an epoch,
    and a model that fits in memory. (Labels are checked when the data is loaded, see
    :class:`~genlab.data.sources.ImageData`.)"""
    parts = [(" (domain A)", data.a), (" (domain B)", data.b)] if isinstance(data, ImagePairs) else [("", data)]
    for domain, part in parts:
        if len(part.x_test) == 0:
            raise GenlabError(
                f"data {part.name!r}{domain} has no test images, which training validates on and draws its previews "
                f"from; give it at least 2 images (10% are held out for testing), or an npz with a non-empty x_test"
            )
    batch_size, count = config.train.batch_size, _training_examples(data)
    if batch_size > count:
        raise GenlabError(f"batch_size {batch_size} is larger than the {count} training examples; lower --batch-size")
    check_steps_per_execution(config.train.steps_per_execution, count // batch_size, batch_size)
    check_model_fits_in_memory(config.family, config.model)


def _build_model(family, config: RunConfig):
    """The family's model, compiled with its optimizers built; running out of memory while
    building it is a GenlabError with the figure TensorFlow gives."""
    try:
        model = family.model_class(config.model)
        model.compile_for_training(config.train)
        model.build_optimizers()
    except (tf.errors.ResourceExhaustedError, MemoryError) as error:
        message = " ".join(str(error).split())
        shape = re.search(r"OOM when allocating tensor with shape\[[^\]]*\]", message)
        raise GenlabError(f"not enough memory to build the {family.name} model "
                          f"({shape.group(0) if shape else type(error).__name__}); lower its sizes "
                          f"(e.g. --latent-dim, --filters, --hidden-units) or --batch-size") from None
    return model


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
    track: str | None = None,
) -> RunDir:
    """Train a new run of ``family`` into the new directory ``out``.

    ``model`` holds the family's config values (``input_shape`` and ``num_classes`` come
    from the data). Returns the run directory; raises GenlabError on bad input before
    anything is written, and TrainingDiverged if the loss becomes NaN.

    ``prepare_model(model, run, resume) -> callbacks`` (used by :mod:`genlab.transfer`) runs
    once the model and its optimizers are built, before a checkpoint is restored; the
    callbacks it returns run before the checkpoint's, so what they add to an epoch's logs
    reaches ``history.csv``. ``metadata`` is merged into the run's ``metadata.json``.
    ``track="mlflow"`` also logs the run to MLflow (:mod:`genlab.callbacks.tracking`).
    """
    data_config = data or DataConfig()
    train_config = train or TrainConfig()
    family_name = get_family(family).name
    values = dict(model or {})
    seed = model_seed(values)
    strategy = make_strategy(train_config.distribute)  # first: multi-worker must start before other TF work
    chief_out = out
    if not is_chief(strategy):  # only the chief writes the run; other workers write a scratch copy
        out = Path(worker_scratch_directory()) / "run"
    image_data = load_training_data(family_name, data_config, seed)
    model_config = _model_config_for_data(family_name, values, image_data, data_config.crop_size)
    run_config = RunConfig(family=family_name, model=model_config, data=data_config, train=train_config)
    check_training_data(run_config, image_data)  # before the run exists: a refused run leaves nothing behind
    if track and is_chief(strategy):  # checked (MLflow installed) before the run exists
        callbacks = [*callbacks, tracking_callback(track, Path(out).name, run_config.to_dict(), RunDir(out).samples_dir)]
    existed = Path(out).is_dir()  # an empty folder (or a link to one) RunDir.create may fill
    run = RunDir.create(out)
    progress = _TrainingStage()
    try:
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
                            prepare_model=prepare_model, strategy=strategy, scratch=not is_chief(strategy),
                            progress=progress)
    except BaseException:
        if not progress.started:  # stopped while the model was built: what this call made holds no training,
            _discard(run.path, keep_folder=existed)  # and the same --out must work again
        raise
    return finished if is_chief(strategy) else RunDir(chief_out)


def _discard(folder: Path, keep_folder: bool) -> None:
    """Remove a run directory this process created and nothing else wrote to; ``keep_folder``: it
    was an empty folder the user gave, which stays, empty, as it was."""
    target = folder.resolve()
    if not keep_folder:
        shutil.rmtree(target, ignore_errors=True)
        return
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


class _TrainingStage:
    """Whether ``_fit`` got as far as training (``started``): before that, a new run holds
    nothing but what this call wrote, and a failure removes it."""

    def __init__(self) -> None:
        self.started = False


def resume(
    run_path: str | Path,
    epochs: int | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[keras.callbacks.Callback] = (),
    prepare_model: PrepareModel | None = None,
    family: str | None = None,
    track: str | None = None,
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
        if found[0] >= run_config.train.epochs and (_complete(run) or found[0] > run_config.train.epochs):
            raise GenlabError(
                f"run {str(run.path)!r} already finished {found[0]} of {run_config.train.epochs} epochs; "
                f"pass a larger --epochs to continue it"
            )
        # found[0] == epochs on a run that is not complete: it stopped between its last checkpoint and
        # the final save; _fit trains nothing and saves the final weights and model from that checkpoint
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
        elif track:  # the resumed epochs go to a new MLflow run
            callbacks = [*callbacks, tracking_callback(track, run.path.name, run_config.to_dict(), run.samples_dir)]
        finished = _fit(run, run_config, image_data, resume=True, verbose=verbose, callbacks=callbacks,
                        prepare_model=prepare_model, strategy=strategy, scratch=not is_chief(strategy),
                        save_config=epochs is not None)
    return finished if is_chief(strategy) else chief_run


def _kept_after_divergence(run: RunDir, done: tuple[int, Path] | None) -> str:
    """What a diverged run keeps, as one sentence: its newest checkpoint, or that it has none."""
    if done is None:
        return (f"It diverged before its first checkpoint: nothing was kept to resume from; {str(run.path)!r} holds "
                f"its config and this report, start again with another --out")
    return (f"Kept: the checkpoint after epoch {done[0]} ({done[1]}), which genlab sample, evaluate and finetune "
            f"load as this run's model")


@contextlib.contextmanager
def _failure_recorded(run: RunDir, family: str):
    """Mark the run ``failed``, with the reason, when training or the final save stops on an
    error (a full disk: :func:`~genlab.core.io.atomic_path` raises GenlabError naming the file),
    so that it does not stay ``running``; as far as the disk allows (if even metadata.json cannot
    be written, the error still says what happened). A GenlabError or OSError goes on as one
    GenlabError saying what is kept; anything else goes on unchanged."""
    try:
        yield
    except TrainingDiverged:
        raise
    except Exception as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        found = run.latest_checkpoint_position()
        try:
            run.update_metadata(status=STATUS_FAILED, failure=reason, epochs_done=found[0] if found else 0,
                                steps_done_in_epoch=found[1] if found else 0)
        except (GenlabError, OSError):
            pass  # the disk is full: the message is all there is
        if not isinstance(error, (GenlabError, OSError)):
            raise
        kept = (f"its latest checkpoint ({found[2]}) is kept: once that is fixed, continue with genlab train {family} "
                f"--resume {run.path}" if found else "no checkpoint was saved yet: once that is fixed, start again "
                "with another --out")
        raise GenlabError(f"training stopped: {reason}; {kept}") from None


def _complete(run: RunDir) -> bool:
    """Whether the run finished: marked so, with every final weights file written."""
    metadata = run.metadata()
    recorded = metadata.get("weights_sha256") or {}  # absent in runs saved before digests were recorded
    return (metadata.get("status") == STATUS_FINISHED and any(run.weights_dir.glob("*.weights.h5"))
            and all((run.weights_dir / name).is_file() for name in recorded))


def _fit(run: RunDir, config: RunConfig, data: ImageData | ImagePairs, resume: bool, verbose, callbacks,
         prepare_model: PrepareModel | None = None, strategy: tf.distribute.Strategy | None = None,
         scratch: bool = False, save_config: bool = False, progress: _TrainingStage | None = None) -> RunDir:
    """Build the model under ``strategy`` and run ``fit``; ``scratch``: ``run`` is a non-chief
    worker's temporary copy, deleted when training ends. ``save_config``: write ``config`` to
    the run (a resume that changed it) once every check has passed, before training starts.
    ``progress.started`` is set once every check has passed and training begins.

    A resumed run whose checkpoint already holds every epoch trains nothing: its final weights
    and model are saved from the checkpoint and it is marked finished. A save that fails (a full
    disk) marks the run ``failed`` with the reason before the error goes on."""
    family = get_family(config.family)
    seed = config.model.seed
    configure_execution(config.train, seed)
    strategy = strategy or tf.distribute.get_strategy()
    try:
        with strategy.scope():  # variables (model, optimizers, metrics) mirrored across replicas
            model = _build_model(family, config)
            prepared_callbacks = list(prepare_model(model, run, resume)) if prepare_model else []
        if is_multi_worker(strategy):
            give_logs_a_batch_axis(model)
        history: list[dict[str, Any]] = []
        initial_epoch, skip_steps = 0, 0
        if resume:
            initial_epoch, skip_steps = run.restore_checkpoint_position(model)  # skip_steps > 0: saved mid-epoch
            history = [row for row in run.history() if int(row.get("epoch", 0)) <= initial_epoch]
        if initial_epoch > config.train.epochs:
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
            check_steps_per_execution(config.train.steps_per_execution, steps - skip, batch_size)
            batches.append((first, last, skip, dataset, steps))
        if progress is not None:
            progress.started = True
        if save_config:
            run.save_config(config)
        run.update_metadata(status=STATUS_RUNNING, resumed_from_epoch=initial_epoch if resume else None,
                            resumed_from_step=skip_steps if resume else None, pid=os.getpid(), host=platform.node(),
                            distribute={"strategy": config.train.distribute, "replicas": strategy.num_replicas_in_sync})
        steps = None
        try:
            with sigint_requests_stop(interrupt.request_stop), _failure_recorded(run, family.name):
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
            report = guard.describe(_kept_after_divergence(run, done))
            run.update_metadata(status=STATUS_DIVERGED, epochs_done=epochs_done, steps_done_in_epoch=0,
                                divergence=report)
            raise TrainingDiverged(report)
        with _failure_recorded(run, family.name):
            run.save_weights(model)
            run.save_model_file(networks_only(model))  # model.keras: the networks, no optimizer state
            run.update_metadata(status=STATUS_FINISHED, epochs_done=epochs_done, steps_done_in_epoch=0, finished=now())
        return run
    finally:
        keras.mixed_precision.set_global_policy("float32")
        if scratch:
            shutil.rmtree(run.path.parent, ignore_errors=True)
