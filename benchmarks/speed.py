"""Training speed of genlab beside keras-io-style references and PyTorch, one row per family.

Families at fixed sizes (genlab's default networks; the references build the same layers,
and the parameter counts are checked equal before anything is timed):

    autoencoder  conv, 28x28x1, batch 128       vae       conv, 28x28x1, batch 128
    dcgan        32x32x3, batch 128             wgan-gp   32x32x3, batch 128
    stylegan     32x32x3, small default config, batch 32

Contenders, all on the same random images held in memory:

* genlab: the real model class, ``compile_for_training(TrainConfig(batch_size=...))`` (every
  other TrainConfig field at its default: float32, steps_per_execution 1, jit_compile False),
  fed by genlab's pipeline (uint8 -> scaled in tf.data, stateless shuffle, prefetch), trained
  by ``fit`` with the per-step NanGuard callback, as ``genlab train`` does (its once-per-epoch
  callbacks, checkpoint and sample grid, are left out: they do not change the per-step rate);
* genlab variants: ``precision=mixed_bfloat16``, ``steps_per_execution=8``, ``jit_compile=True``;
* keras-io: ``benchmarks/reference/keras_io_*.py``, a ``keras.Model`` with a GradientTape
  ``train_step``, compiled with the optimizers only (Keras' defaults otherwise:
  ``jit_compile="auto"``, which is XLA on CPU), ``fit`` on float32 arrays;
* PyTorch: ``benchmarks/reference/torch_models.py``, a plain loop over one in-memory batch.

Throughput is images per second seen by discriminator (critic) updates: one genlab WGAN-GP
step is one critic update (a generator update every 5th), one keras-io WGAN-GP step is 5
critic updates and one generator update, so both count batch x critic updates. Each
measurement excludes warm-up steps (tracing, XLA compilation), then runs ``--seconds`` (and
whole cycles of a family's step pattern: 5 WGAN-GP steps, 16 StyleGAN steps for its lazy R1
penalty). Contenders are measured in turn, ``--repeats`` rounds, median reported (the
spread, lowest and highest round, is in results.json). A variant that cannot train (an op
with no XLA kernel, say) is reported as failing and the others go on. The CPU is
shared with other jobs, so each rate is given per wall-clock second and per second of this
process's CPU time; the load average is recorded.

    python benchmarks/speed.py                       # all families, about 10 minutes on 2 cores
    python benchmarks/speed.py --families ae,vae --seconds 4 --repeats 1

Writes benchmarks/results/speed/{table.md,results.json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts OpenMP (see the docstring)

import numpy as np
from _common import failure, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
import keras
import tensorflow as tf
import torch

from genlab.workflows.bench import (
    CASES, build_family_model, measure_fit, measure_loop, resolve_families, steps_per_update_cycle,
    synthetic_batches, synthetic_images,
)
from genlab.callbacks import NanGuard
from genlab.core.config import TrainConfig
from genlab.data.pipeline import scale_images
from reference import keras_io_autoencoder, keras_io_gan, keras_io_stylegan, torch_models

FAMILIES = ("autoencoder", "vae", "dcgan", "wgan-gp", "stylegan")
IN_MEMORY_BATCHES = 32
VARIANTS = {  # TrainConfig fields of each genlab variant, beside the batch size
    "genlab": {},
    "genlab bf16": {"precision": "mixed_bfloat16"},
    "genlab spe8": {"steps_per_execution": 8},
    "genlab jit": {"jit_compile": True},
}


def parameter_counts(networks: dict) -> dict[str, int]:
    counts = {}
    for name, network in networks.items():
        if isinstance(network, torch.nn.Module):
            counts[name] = torch_models.parameter_count(network)
        elif network.trainable:
            counts[name] = int(sum(np.prod(w.shape) for w in network.trainable_weights))
    return counts


class KerasContender:
    """A compiled Keras model, its data, and the precision policy to train it under."""

    def __init__(self, name, model, data, examples_per_step, step_multiple, callbacks=(), precision="float32",
                 fit_arguments=None):
        self.name, self.model, self.data = name, model, data
        self.examples_per_step, self.step_multiple = examples_per_step, step_multiple
        self.callbacks, self.precision, self.fit_arguments = list(callbacks), precision, fit_arguments or {}

    def measure(self, seconds, warmup_steps=1, step_multiple=None):
        keras.mixed_precision.set_global_policy(self.precision)
        try:
            return measure_fit(self.model, self.data, self.examples_per_step, seconds, warmup_steps,
                               step_multiple or self.step_multiple, self.callbacks, **self.fit_arguments)
        finally:
            keras.mixed_precision.set_global_policy("float32")

    def warm_up(self):
        """First steps: tracing and (XLA) compilation; seconds spent."""
        start = time.perf_counter()
        self.measure(0.0, warmup_steps=2, step_multiple=1)
        return time.perf_counter() - start


class TorchContender:
    def __init__(self, name, trainer, batch_size):
        self.name = name
        self.step, self.examples_per_step, self.step_multiple, self.networks = trainer(batch_size)

    def measure(self, seconds, warmup_steps=1):
        return measure_loop(self.step, self.examples_per_step, seconds, warmup_steps, self.step_multiple)

    def warm_up(self):
        start = time.perf_counter()
        for _ in range(2):
            self.step()
        return time.perf_counter() - start


def keras_io_model(family: str):
    if family == "autoencoder":
        return keras_io_autoencoder.autoencoder(), 1
    if family == "vae":
        return keras_io_autoencoder.vae(), 1
    if family == "dcgan":
        return keras_io_gan.dcgan(), 1
    if family == "wgan-gp":
        return keras_io_gan.wgan_gp(), 5  # one step = 5 critic updates
    return keras_io_stylegan.stylegan(), 1


def contenders(family: str, batch_size: int, variants: list[str]) -> tuple[list, dict]:
    case = CASES[family]
    keras.utils.set_random_seed(0)
    images = synthetic_images(case.input_shape, IN_MEMORY_BATCHES * batch_size)
    made, counts = [], {}
    for variant in variants:
        train = TrainConfig(batch_size=batch_size, **VARIANTS[variant])
        keras.mixed_precision.set_global_policy(train.precision)
        try:
            model = build_family_model(family, case.input_shape, case.model, train)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        dataset = synthetic_batches(case.input_shape, batch_size, model.config.value_range, images=images)
        guard = NanGuard(type(model).divergence_hint, type(model).divergence_limit)
        made.append(KerasContender(variant, model, dataset, batch_size, steps_per_update_cycle(model), [guard],
                                   train.precision))
        counts[variant] = parameter_counts(model.networks())
    reference, critic_updates = keras_io_model(family)
    value_range = made[0].model.config.value_range
    arrays = (scale_images(images, value_range), np.zeros(len(images), np.int32))
    cycle = 16 if family == "stylegan" else 1
    made.append(KerasContender("keras-io", reference, arrays, batch_size * critic_updates, cycle,
                               fit_arguments={"batch_size": batch_size}))
    counts["keras-io"] = parameter_counts({layer.name: layer for layer in reference._flatten_layers(include_self=False, recursive=False)
                                           if isinstance(layer, keras.Model)})
    made.append(TorchContender("pytorch", torch_models.TRAINERS[family], batch_size))
    counts["pytorch"] = parameter_counts(made[-1].networks)
    return made, counts


def check_sizes(family: str, counts: dict) -> None:
    totals = {name: sum(c.values()) for name, c in counts.items()}
    if len(set(totals.values())) != 1:
        raise SystemExit(f"{family}: the contenders' networks differ in size: {counts}")


def compare(family: str, args) -> dict:
    batch_size = args.batch_size or CASES[family].batch_size
    made, counts = contenders(family, batch_size, args.variants)
    check_sizes(family, counts)
    warm, failed = {}, {}
    for contender in made:
        try:
            warm[contender.name] = round(contender.warm_up(), 1)
        except Exception as error:  # noqa: BLE001 - a variant that cannot train is a result, not a crash
            failed[contender.name] = failure(error)
            say(f"{family}: {contender.name} {failed[contender.name]}")
    made = [c for c in made if c.name not in failed]
    runs = {c.name: [] for c in made}
    for round_index in range(args.repeats):
        order = made[round_index % len(made):] + made[:round_index % len(made)]  # rotate who goes first
        for contender in order:
            runs[contender.name].append(contender.measure(args.seconds))
    row = {"family": family, "input": "x".join(map(str, CASES[family].input_shape)), "batch": batch_size,
           "parameters": sum(counts["genlab"].values()), "warm_up_s": warm, "failed": failed}
    for name, measurements in runs.items():
        row[name] = statistics.median(m.per_second for m in measurements)
        row[f"{name} cpu"] = statistics.median(m.per_cpu_second for m in measurements)
        row[f"{name} ms/step"] = statistics.median(m.ms_per_step for m in measurements)
        row[f"{name} spread"] = [round(min(m.per_second for m in measurements), 1),
                                 round(max(m.per_second for m in measurements), 1)]
    row["genlab/keras-io"] = row["genlab"] / row["keras-io"]
    row["genlab/keras-io cpu"] = row["genlab cpu"] / row["keras-io cpu"]
    best = max((v for v in args.variants if v in runs), key=lambda v: row[v])
    row["best genlab"] = best
    row["best/keras-io"] = row[best] / row["keras-io"]
    row["genlab/pytorch"] = row["genlab"] / row["pytorch"]
    row["runs"] = {name: [m.as_dict() for m in ms] for name, ms in runs.items()}
    say(f"{family:11s} " + "  ".join(f"{name} {row[name]:7.1f}" for name in runs)
        + f"  | genlab/keras-io {row['genlab/keras-io']:.2f} (cpu {row['genlab/keras-io cpu']:.2f}); warm-up s {warm}")
    return row


def tables(rows: list[dict], variants: list[str]) -> str:
    def number(value):
        if value is None:
            return "fails"
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"

    names = variants + ["keras-io", "pytorch"]
    head = ["family", "input", "batch"] + names + ["genlab/keras-io", "best genlab/keras-io", "genlab/pytorch"]
    lines = ["Images per second (wall clock, median of the rounds):", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["family"], row["input"], str(row["batch"])] + [number(row.get(n)) for n in names]
        cells += [f"{row['genlab/keras-io']:.2f}", f"{row['best/keras-io']:.2f} ({row['best genlab']})",
                  f"{row['genlab/pytorch']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    head = ["family"] + names + ["genlab/keras-io"]
    lines += ["", "Images per second of this process's CPU time (less sensitive to other jobs on the cores):", "",
              "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["family"]] + [number(row.get(f"{n} cpu")) for n in names] + [f"{row['genlab/keras-io cpu']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    head = ["family"] + names
    lines += ["", "Milliseconds per step (a keras-io WGAN-GP step is 5 critic updates):", "",
              "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append("| " + " | ".join([row["family"]] + [f"{row[f'{n} ms/step']:.1f}" if f"{n} ms/step" in row else "fails"
                                                          for n in names]) + " |")
    failures = [f"{row['family']} {name}: {reason}" for row in rows for name, reason in row["failed"].items()]
    if failures:
        lines += ["", "Could not train: " + "; ".join(failures) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated (default: all five)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement (default: 3)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of measurements (default: 3)")
    parser.add_argument("--batch-size", type=int, default=None, help="one batch size for every family")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"genlab variants, of {', '.join(VARIANTS)}")
    args = parser.parse_args()
    families = resolve_families(args.families)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if "genlab" not in args.variants or any(v not in VARIANTS for v in args.variants):
        raise SystemExit(f"--variants must include genlab and name only {', '.join(VARIANTS)}")
    started, load_before = time.perf_counter(), os.getloadavg()
    say(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, PyTorch {torch.__version__} "
        f"({torch.get_num_threads()} threads); {os.cpu_count()} CPUs, load average {load_before[0]:.1f}; "
        f"{args.repeats} x {args.seconds:g} s per contender")
    rows = [compare(family, args) for family in families if family != "detector"]
    load_after = os.getloadavg()
    minutes = (time.perf_counter() - started) / 60
    table = tables(rows, args.variants)
    notes = (f"\n\nTensorFlow {tf.__version__}, Keras {keras.__version__}, PyTorch {torch.__version__}; {os.cpu_count()} "
             f"CPU cores shared with other jobs (load average {load_before[0]:.1f} before, {load_after[0]:.1f} after); "
             f"{args.repeats} rounds x {args.seconds:g} s per contender; {minutes:.1f} minutes in all.\n")
    say("\n" + table + notes)
    out = results_dir("speed")
    (out / "table.md").write_text("# genlab training speed beside keras-io-style and PyTorch references\n\n" + table + notes)
    settings = {k: v for k, v in vars(args).items()}
    (out / "results.json").write_text(json.dumps({"settings": settings, "load_average": [load_before, load_after],
                                                  "minutes": minutes, "rows": rows}, indent=2))
    say(f"written {out / 'table.md'} and results.json")


if __name__ == "__main__":
    main()
