"""Training throughput of genlab's families on synthetic data (``genlab bench``).

Each family trains as ``genlab train`` trains it: the real model class, compiled by its
``compile_for_training`` with a :class:`~genlab.core.config.TrainConfig` (batch size, precision,
``steps_per_execution``, ``jit_compile``, ``--distribute`` strategy), fed by genlab's own
pipeline (:func:`genlab.data.pipeline.epoch_batches`: uint8 images in memory, a stateless
per-epoch shuffle, scaling inside the pipeline, prefetch) and stepped by ``fit`` with the
per-step :class:`~genlab.callbacks.NanGuard`. The images are random (uniform uint8, seeded):
no data set is needed, and throughput does not depend on pixel values. What is left out of
``genlab train`` are the once-per-epoch costs (validation, checkpoint, sample grid), which
do not change the steady-state rate.

One measurement (:func:`measure_fit`) is one ``fit`` call: the first ``warmup_steps`` steps
(graph tracing, XLA compilation) are excluded; the clock then runs from one batch end to
the last, for at least ``seconds``, and the rate is

    images/s = images per step * steps timed / seconds timed,    ms/step = 1000 * seconds timed / steps timed.

A step is one ``train_step``: one batch of ``batch_size`` images (a WGAN-GP step is one
critic update; its generator update comes every ``critic_steps`` steps, so the timed steps
are a multiple of it). The detector's row is scoring, not training: rows of a table scored
per second by ``AnomalyDetector.decision_function`` in memory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from genlab.callbacks import NanGuard
from genlab.core.config import DISTRIBUTE, PRECISIONS, TrainConfig, check_choice
from genlab.core.distribute import make_strategy
from genlab.core.errors import GenlabError
from genlab.core.execution import configure_execution
from genlab.core.io import atomic_path
from genlab.core.registry import get_family
from genlab.data.pipeline import epoch_batches
from genlab.data.tabular import synthetic_table
from genlab.tabular import AnomalyDetector
from genlab.tabular.detector import SCORING_BATCH

#: seconds per family of ``genlab bench`` without ``--seconds``
DEFAULT_SECONDS = 10.0
WARMUP_STEPS = 2
#: examples in memory per family (the pipeline reshuffles them every epoch)
SYNTHETIC_BATCHES = 8
DETECTOR_ROWS = 100_000


@dataclasses.dataclass(frozen=True)
class BenchCase:
    """One row of the benchmark: a family at a fixed input shape with its default config."""

    family: str
    input_shape: tuple[int, ...]
    model: dict[str, Any] = dataclasses.field(default_factory=dict)
    batch_size: int = TrainConfig.batch_size
    note: str = ""


#: what ``genlab bench`` measures, by registry name (aliases such as ``ae`` resolve to these)
CASES: dict[str, BenchCase] = {
    "autoencoder": BenchCase("autoencoder", (28, 28, 1), {"arch": "conv"}, note="conv, MNIST-shaped"),
    "vae": BenchCase("vae", (28, 28, 1), {"arch": "conv"}, note="conv, MNIST-shaped"),
    "dcgan": BenchCase("dcgan", (32, 32, 3), {}, note="CIFAR-shaped"),
    "wgan-gp": BenchCase("wgan-gp", (32, 32, 3), {}, note="CIFAR-shaped, one critic update per step"),
    "stylegan": BenchCase("stylegan", (32, 32, 3), {}, 32, "CIFAR-shaped, default (small) config, batch 32"),
    "detector": BenchCase("detector", (6,), {}, note="scoring rows in memory"),
}
COLUMNS = ("family", "input", "batch", "per_second", "unit", "ms_per_step", "precision", "device")


def resolve_families(names: Sequence[str] | str | None) -> list[str]:
    """Registry names of the families to measure (all of :data:`CASES` when ``names`` is empty)."""
    if names is None or names == "" or names == "all":
        return list(CASES)
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    resolved = []
    for name in names:
        try:
            canonical = get_family(name).name
        except GenlabError:
            canonical = name
        if canonical not in CASES:
            raise GenlabError(f"genlab bench measures {', '.join(CASES)} (or all); got family {name!r}")
        if canonical not in resolved:
            resolved.append(canonical)
    if not resolved:
        raise GenlabError("no family given to benchmark")
    return resolved


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Measurement:
    """``steps`` train steps timed over ``seconds`` of wall clock (``cpu_seconds`` of this process's CPU)."""

    steps: int
    seconds: float
    cpu_seconds: float
    examples_per_step: int

    @property
    def per_second(self) -> float:
        return self.examples_per_step * self.steps / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.examples_per_step * self.steps / max(self.cpu_seconds, 1e-9)

    @property
    def ms_per_step(self) -> float:
        return 1000.0 * self.seconds / self.steps

    def as_dict(self) -> dict[str, float]:
        return {"steps": self.steps, "seconds": round(self.seconds, 3), "per_second": round(self.per_second, 2),
                "per_cpu_second": round(self.per_cpu_second, 2), "ms_per_step": round(self.ms_per_step, 3)}


class StepTimer(keras.callbacks.Callback):
    """Times ``fit`` from the batch end after ``warmup_steps`` steps to the last batch end, and
    stops it once ``seconds`` have passed and the timed steps are a multiple of ``step_multiple``.

    ``on_train_batch_end`` receives the index of the last step run in the epoch (with
    ``steps_per_execution`` k it is called every k steps), so the counts are exact whatever k
    is, over one endless epoch or many short ones (in-memory arrays).
    """

    def __init__(self, seconds: float, warmup_steps: int = WARMUP_STEPS, step_multiple: int = 1, min_steps: int = 2):
        super().__init__()
        self.seconds, self.warmup_steps = seconds, warmup_steps
        self.step_multiple, self.min_steps = step_multiple, min_steps
        self.start = self.start_cpu = None
        self.start_step = self.last_step = self.epoch_start_step = 0
        self.last_time = self.last_cpu = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start_step = self.last_step  # fit numbers batches from 0 in every epoch

    def on_train_batch_end(self, batch, logs=None):
        now, cpu, done = time.perf_counter(), time.process_time(), self.epoch_start_step + batch + 1
        if self.start is None:
            self.last_step = done
            if done >= self.warmup_steps:
                self.start, self.start_cpu, self.start_step = now, cpu, done
            return
        self.last_time, self.last_cpu, self.last_step = now, cpu, done
        timed = done - self.start_step
        if now - self.start >= self.seconds and timed >= self.min_steps and timed % self.step_multiple == 0:
            self.model.stop_training = True

    def measurement(self, examples_per_step: int) -> Measurement:
        if self.start is None or self.last_step <= self.start_step:
            raise GenlabError("the benchmark ended before any step was timed; give more --seconds")
        return Measurement(self.last_step - self.start_step, self.last_time - self.start,
                           self.last_cpu - self.start_cpu, examples_per_step)


def measure_fit(model: keras.Model, dataset: tf.data.Dataset, examples_per_step: int, seconds: float,
                warmup_steps: int = WARMUP_STEPS, step_multiple: int = 1,
                callbacks: Sequence[keras.callbacks.Callback] = (), **fit_arguments: Any) -> Measurement:
    """Train ``model`` in one ``fit`` call and time it (see :class:`StepTimer`).

    ``dataset`` is an endless ``tf.data.Dataset`` (one endless epoch), or in-memory arrays
    ``(x, y)`` with ``batch_size`` in ``fit_arguments`` (many epochs, until the time is up).
    """
    timer = StepTimer(seconds, warmup_steps, step_multiple)
    callbacks = [*callbacks, timer]
    if isinstance(dataset, tf.data.Dataset):
        model.fit(dataset, epochs=1, steps_per_epoch=10**9, verbose=0, shuffle=False, callbacks=callbacks, **fit_arguments)
    else:
        x, y = dataset
        model.fit(x, y, epochs=10**9, verbose=0, callbacks=callbacks, **fit_arguments)
    return timer.measurement(examples_per_step)


def measure_loop(step: Callable[[], Any], examples_per_step: int, seconds: float, warmup_steps: int = WARMUP_STEPS,
                 step_multiple: int = 1, min_steps: int = 2) -> Measurement:
    """The same measurement for a plain Python training loop: ``step()`` runs one step and returns
    once its work is finished (a PyTorch step on CPU, a detector scoring call)."""
    for _ in range(warmup_steps):
        step()
    start, start_cpu, steps = time.perf_counter(), time.process_time(), 0
    while True:
        step()
        steps += 1
        if time.perf_counter() - start >= seconds and steps >= min_steps and steps % step_multiple == 0:
            break
    return Measurement(steps, time.perf_counter() - start, time.process_time() - start_cpu, examples_per_step)


# --------------------------------------------------------------------------------------
# genlab's families on synthetic data
# --------------------------------------------------------------------------------------


def synthetic_images(input_shape: Sequence[int], count: int, seed: int = 0) -> np.ndarray:
    """``count`` uniform random uint8 images (the pipeline scales them like real ones)."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, *input_shape), dtype=np.uint8)


def synthetic_batches(input_shape: Sequence[int], batch_size: int, value_range, seed: int = 0,
                      images: np.ndarray | None = None) -> tf.data.Dataset:
    """Endless batches ``(images, labels)`` through genlab's training pipeline (:func:`epoch_batches`),
    of ``images`` (uint8) or of ``SYNTHETIC_BATCHES`` batches of random ones."""
    if images is None:
        images = synthetic_images(input_shape, SYNTHETIC_BATCHES * batch_size, seed)
    dataset, _ = epoch_batches(images, None, batch_size, seed, 0, 10**9, value_range)
    return dataset


def build_family_model(family: str, input_shape: Sequence[int], values: dict[str, Any] | None, train: TrainConfig,
                       strategy: tf.distribute.Strategy | None = None):
    """The family's model for ``input_shape``, compiled for ``train`` as ``genlab train`` does
    (the precision policy must already be set: see :func:`genlab.core.execution.configure_execution`)."""
    entry = get_family(family)
    config = entry.config_class.from_dict({**(values or {}), "input_shape": list(input_shape)})
    with (strategy or tf.distribute.get_strategy()).scope():
        model = entry.model_class(config)
        model.compile_for_training(train)
        model.build_optimizers()
    return model


def steps_per_update_cycle(model) -> int:
    """Steps after which a family's step pattern repeats: a WGAN's generator update comes every
    ``critic_steps`` steps, StyleGAN's lazy R1 penalty every ``r1_interval`` steps."""
    cycle = 1
    for name in ("critic_steps", "r1_interval"):
        cycle = math.lcm(cycle, int(getattr(model.config, name, 1) or 1))
    return cycle


def variable_device(model, strategy: tf.distribute.Strategy | None = None) -> str:
    """Where the model's weights live, shortened (``CPU:0``, ``GPU:0``, or the replicas of a strategy)."""
    if strategy is not None and strategy.num_replicas_in_sync > 1:
        devices = getattr(strategy.extended, "worker_devices", ())
        return "mirrored(" + ",".join(d.split("device:")[-1] for d in devices) + ")"
    variable = model.trainable_variables[0]
    device = getattr(getattr(variable, "value", variable), "device", "") or ""
    return device.split("device:")[-1] or "?"


def tensorflow_devices() -> list[str]:
    """The logical devices TensorFlow sees, e.g. ``['CPU:0']`` or ``['CPU:0', 'GPU:0']``."""
    return [device.name.split("device:")[-1] for device in tf.config.list_logical_devices()]


def bench_family(family: str, seconds: float, train: TrainConfig, warmup_steps: int = WARMUP_STEPS,
                 strategy: tf.distribute.Strategy | None = None,
                 input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Train ``family`` (a key of :data:`CASES`) for ``seconds`` on synthetic data, as ``genlab
    train`` would with ``train``; one row. ``input_shape`` replaces the case's image shape."""
    case = CASES[family]
    if input_shape is not None:
        case = dataclasses.replace(case, input_shape=tuple(input_shape))
    configure_execution(train, seed=0)
    try:
        model = build_family_model(family, case.input_shape, case.model, train, strategy)
        dataset = synthetic_batches(case.input_shape, train.batch_size, model.config.value_range)
        guard = NanGuard(type(model).divergence_hint, type(model).divergence_limit)
        result = measure_fit(model, dataset, train.batch_size, seconds, warmup_steps, steps_per_update_cycle(model),
                             [guard])
        device = variable_device(model, strategy)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if guard.message:
        raise GenlabError(f"{family} diverged on random data during the benchmark: {guard.message}")
    return {"family": family, "input": "x".join(map(str, case.input_shape)), "batch": train.batch_size,
            **result.as_dict(), "unit": "images", "precision": train.precision, "device": device,
            "steps_per_execution": train.steps_per_execution, "jit_compile": train.jit_compile}


def bench_detector(seconds: float, rows: int = DETECTOR_ROWS, seed: int = 0) -> dict[str, Any]:
    """Rows per second that a fitted detector scores in memory (``decision_function`` on a DataFrame)."""
    keras.utils.set_random_seed(seed)
    training = synthetic_table(2000, 20, seed=seed)
    detector = AnomalyDetector(label="label", epochs=1, seed=seed).fit(training, verbose=0)
    table = synthetic_table(rows, 0, seed=seed + 1).drop(columns="label")
    result = measure_loop(lambda: detector.decision_function(table), rows, seconds, warmup_steps=1, min_steps=1)
    batches = math.ceil(rows / SCORING_BATCH)
    return {"family": "detector", "input": f"{table.shape[1]} columns", "batch": SCORING_BATCH,
            **result.as_dict(), "ms_per_step": round(result.ms_per_step / batches, 3), "steps": result.steps * batches,
            "unit": "rows", "precision": "float32", "device": variable_device(detector.model_)}


def run_bench(families: Sequence[str] | str | None = None, seconds: float = DEFAULT_SECONDS,
              batch_size: int | None = None, precision: str = "float32", distribute: str = "none",
              steps_per_execution: int = 1, jit_compile: bool = False, warmup_steps: int = WARMUP_STEPS,
              log: Callable[[str], None] | None = None,
              input_shape: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Measure the training throughput of ``families`` (default: all of :data:`CASES`) for about
    ``seconds`` each, after ``warmup_steps`` untimed steps; one dict per family, the keys of
    :data:`COLUMNS` plus ``steps``, ``seconds``, ``per_cpu_second``. ``batch_size`` defaults to
    each family's (:data:`CASES`: TrainConfig's 128, StyleGAN 32); the other settings are the
    :class:`TrainConfig` fields of the same names. ``input_shape`` (H, W, C) replaces every image
    family's shape (e.g. StyleGAN at 64x64: its resolution follows the images).
    """
    names = resolve_families(families)
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
        raise GenlabError(f"seconds must be a positive number, got {seconds!r}")
    if warmup_steps < 1:
        raise GenlabError(f"warmup_steps must be >= 1 (the first step traces the graph), got {warmup_steps!r}")
    check_choice("precision", precision, PRECISIONS)
    check_choice("distribute", distribute, DISTRIBUTE)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise GenlabError(f"batch_size must be a positive integer, got {batch_size!r}")
    if input_shape is not None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in input_shape):
            raise GenlabError(f"input_shape must be three positive integers (height, width, channels), got {input_shape!r}")
    settings = TrainConfig(precision=precision, distribute=distribute, steps_per_execution=steps_per_execution,
                           jit_compile=jit_compile)
    strategy = make_strategy(distribute) if distribute != "none" else None
    rows = []
    for name in names:
        if name == "detector":
            row = bench_detector(seconds)
        else:
            train = settings.replace(batch_size=batch_size or CASES[name].batch_size)
            row = bench_family(name, seconds, train, warmup_steps, strategy, input_shape)
        rows.append(row)
        if log is not None:
            log(f"{row['family']:12s} {row['per_second']:10.1f} {row['unit']}/s  {row['ms_per_step']:8.2f} ms/step "
                f"({row['steps']} steps in {row['seconds']:.1f} s)")
    return rows


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] = COLUMNS) -> str:
    """A Markdown table of ``rows`` (numbers rounded for reading)."""
    headers = {"per_second": "per second", "ms_per_step": "ms/step"}

    def cell(value):
        if isinstance(value, float):
            return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}"
        return str(value)

    lines = ["| " + " | ".join(headers.get(c, c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_json(rows: Sequence[dict[str, Any]], path: str | Path, settings: dict[str, Any] | None = None) -> Path:
    """Rows and settings as JSON, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"settings": settings or {}, "devices": tensorflow_devices(),
               "versions": {"tensorflow": tf.__version__, "keras": keras.__version__}, "rows": list(rows)}
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(payload, indent=2))
    return path
