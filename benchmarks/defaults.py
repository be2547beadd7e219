"""Which execution settings should genlab default to? Images/s per family for each candidate.

Every setting trains the real genlab model class through ``fit`` as ``genlab train`` does
(``compile_for_training(TrainConfig(...))``, the per-step NanGuard), on random images in
memory, at the sizes of speed.py (autoencoder dense and conv, VAE conv on 28x28x1, batch 128;
DCGAN, WGAN-GP on 32x32x3, batch 128; StyleGAN small on 32x32x3, batch 32). Settings:

* ``tf.function``: genlab's defaults today (one traced ``train_step`` per call, no XLA, float32,
  genlab's pipeline: uint8 in memory, stateless shuffle, gather + scale in a parallel map, prefetch);
* ``jit``: ``jit_compile=True`` (XLA); ``spe 4`` / ``spe 16``: ``steps_per_execution``
  (several steps per graph call, callbacks every k steps); ``jit+spe16`` both;
* ``bf16``: ``precision=mixed_bfloat16`` (this CPU has AVX-512 BF16); ``bf16+spe16``;
* ``no prefetch``: genlab's pipeline without its final ``prefetch``;
* ``cached``: float32 batches already scaled, ``cache()`` + ``prefetch`` (no per-epoch shuffle,
  so an upper bound for any input pipeline);
* ``no guard``: no per-step callback (NanGuard reads the logs every step, which waits for the
  step to finish before the next is dispatched);
* ``threads I/J`` (``--threads``): TensorFlow's intra-op / inter-op thread pools, in a child
  process per setting because they must be set before TensorFlow starts (default: 2/2 here).

Each measurement excludes the warm-up (tracing, XLA compilation) and runs ``--seconds`` and
whole step cycles (5 WGAN-GP steps; 16 StyleGAN steps for its lazy R1). The cores are shared
with other jobs: the load average is recorded, and rates per second of this process's CPU
time are saved beside the wall-clock ones.

    python benchmarks/defaults.py                    # about 15 minutes on 2 shared cores
    python benchmarks/defaults.py --families ae-conv,dcgan --settings tf.function,jit,spe16 --seconds 3

Writes benchmarks/results/defaults/{table.md,results.json}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

FAMILIES = {  # name: (genlab family, input shape, model values, batch size)
    "ae-dense": ("autoencoder", (28, 28, 1), {"arch": "dense"}, 128),
    "ae-conv": ("autoencoder", (28, 28, 1), {"arch": "conv"}, 128),
    "vae": ("vae", (28, 28, 1), {"arch": "conv"}, 128),
    "dcgan": ("dcgan", (32, 32, 3), {}, 128),
    "wgan-gp": ("wgan-gp", (32, 32, 3), {}, 128),
    "stylegan": ("stylegan", (32, 32, 3), {}, 32),
}
SETTINGS = {  # name: (TrainConfig fields, pipeline, NanGuard)
    "tf.function": ({}, "genlab", True),
    "jit": ({"jit_compile": True}, "genlab", True),
    "spe4": ({"steps_per_execution": 4}, "genlab", True),
    "spe16": ({"steps_per_execution": 16}, "genlab", True),
    "jit+spe16": ({"jit_compile": True, "steps_per_execution": 16}, "genlab", True),
    "bf16": ({"precision": "mixed_bfloat16"}, "genlab", True),
    "bf16+spe16": ({"precision": "mixed_bfloat16", "steps_per_execution": 16}, "genlab", True),
    "no prefetch": ({}, "no prefetch", True),
    "cached": ({}, "cached", True),
    "no guard": ({}, "genlab", False),
}
THREADS = ("1,1", "2,1", "1,2", "2,2")
THREAD_FAMILIES = ("ae-conv", "dcgan")
IN_MEMORY_BATCHES = 32


def parse_threads(text: str | None):
    if not text:
        return None
    intra, inter = (int(v) for v in text.split(","))
    return intra, inter


def pipeline(kind: str, images, batch_size: int, value_range, seed: int = 0):
    """Endless ``(images, labels)`` batches: genlab's pipeline, it without prefetch, or cached floats."""
    import numpy as np
    import tensorflow as tf

    from genlab.workflows.bench import synthetic_batches
    from genlab.data.pipeline import scale_images

    if kind == "genlab":
        return synthetic_batches(images.shape[1:], batch_size, value_range, seed, images=images)
    if kind == "cached":
        floats = scale_images(images, value_range)
        labels = np.zeros(len(images), np.int32)
        dataset = tf.data.Dataset.from_tensor_slices((floats, labels)).batch(batch_size, drop_remainder=True)
        return dataset.cache().repeat().prefetch(tf.data.AUTOTUNE)
    # genlab.data.pipeline.epoch_batches step by step, without the final prefetch
    count, low, high = len(images), float(value_range[0]), float(value_range[1])
    images_tensor, labels_tensor = tf.constant(images), tf.zeros(count, tf.int32)

    def epoch_indices(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64),
                                                         seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    def gather(indices):
        batch = tf.cast(tf.gather(images_tensor, indices), tf.float32) / 255.0 * (high - low) + low
        return batch, tf.gather(labels_tensor, indices)

    return (tf.data.Dataset.range(0, 10**9).flat_map(epoch_indices)
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True))


def measure(family: str, setting: str, seconds: float) -> dict:
    import keras

    from genlab.workflows.bench import build_family_model, measure_fit, steps_per_update_cycle, synthetic_images
    from genlab.callbacks import NanGuard
    from genlab.core.config import TrainConfig

    name, shape, values, batch_size = FAMILIES[family]
    fields, kind, guarded = SETTINGS[setting]
    train = TrainConfig(batch_size=batch_size, **fields)
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy(train.precision)
    try:
        start = time.perf_counter()
        model = build_family_model(name, shape, values, train)
        data = pipeline(kind, synthetic_images(shape, IN_MEMORY_BATCHES * batch_size), batch_size, model.config.value_range)
        callbacks = [NanGuard(type(model).divergence_hint, type(model).divergence_limit)] if guarded else []
        result = measure_fit(model, data, batch_size, seconds, warmup_steps=2,
                             step_multiple=steps_per_update_cycle(model), callbacks=callbacks)
        total = time.perf_counter() - start
    finally:
        keras.mixed_precision.set_global_policy("float32")
        keras.backend.clear_session()
    return {"family": family, "setting": setting, **result.as_dict(),
            "warm_up_s": round(total - result.seconds, 1)}


def measure_threads(families, threads: str, seconds: float) -> list[dict]:
    """Run this script in a child process with TensorFlow's thread pools set; its rows."""
    command = [sys.executable, __file__, "--child-threads", threads, "--families", ",".join(families),
               "--settings", "tf.function", "--seconds", str(seconds)]
    result = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("ROWS ")]
    if result.returncode != 0 or not lines:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return [{"family": family, "setting": f"threads {threads.replace(',', '/')}", "failed": f"fails: {reason}"}
                for family in families]
    rows = json.loads(lines[-1][5:])
    for row in rows:
        row["setting"] = f"threads {threads.replace(',', '/')}"
    return rows


def table(rows: list[dict], families: list[str], settings: list[str]) -> str:
    by_key = {(r["family"], r["setting"]): r for r in rows}
    lines = ["| family | " + " | ".join(settings) + " | best | best / tf.function |", "|" + "---|" * (len(settings) + 3)]
    for family in families:
        rates = {s: by_key[(family, s)]["per_second"] for s in settings
                 if (family, s) in by_key and "per_second" in by_key[(family, s)]}
        best = max(rates, key=rates.get)
        base = rates.get("tf.function")
        cells = [f"{rates[s]:.0f}" if s in rates else ("fails" if (family, s) in by_key else "") for s in settings]
        ratio = f"{rates[best] / base:.2f}" if base else ""
        lines.append(f"| {family} | " + " | ".join(cells) + f" | {best} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"of {', '.join(FAMILIES)}")
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"of {', '.join(SETTINGS)}")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measurement (default: 5)")
    parser.add_argument("--threads", default=";".join(THREADS),
                        help="intra,inter thread settings to try, ';'-separated pairs or 'none' (default: "
                             f"{';'.join(THREADS)}; on {', '.join(THREAD_FAMILIES)})")
    parser.add_argument("--child-threads", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [f for f in families if f not in FAMILIES] + [s for s in settings if s not in SETTINGS]
    if unknown:
        raise SystemExit(f"unknown families or settings: {', '.join(unknown)}")

    child = parse_threads(args.child_threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import failure, results_dir, say

    import genlab  # noqa: F401
    import tensorflow as tf

    if child is not None:
        tf.config.threading.set_intra_op_parallelism_threads(child[0])
        tf.config.threading.set_inter_op_parallelism_threads(child[1])
        rows = [measure(family, "tf.function", args.seconds) for family in families]
        print("ROWS " + json.dumps(rows))
        return

    started, load_before = time.perf_counter(), os.getloadavg()
    say(f"TensorFlow {tf.__version__}; {os.cpu_count()} CPUs, load average {load_before[0]:.1f}; {args.seconds:g} s each")
    rows = []
    for family in families:
        for setting in settings:
            try:
                row = measure(family, setting, args.seconds)
            except Exception as error:  # noqa: BLE001 - a setting a family cannot train with is a result
                reason = failure(error)
                rows.append({"family": family, "setting": setting, "failed": reason})
                say(f"{family:9s} {setting:12s} {reason}")
                continue
            rows.append(row)
            say(f"{family:9s} {setting:12s} {row['per_second']:8.1f} images/s  {row['ms_per_step']:8.1f} ms/step  "
                f"(cpu-time rate {row['per_cpu_second']:.0f}; warm-up {row['warm_up_s']} s)")
    thread_settings = [] if args.threads == "none" else [t for t in args.threads.split(";") if t]
    thread_families = [f for f in families if f in THREAD_FAMILIES]
    for threads in thread_settings if thread_families else []:
        for row in measure_threads(thread_families, threads, args.seconds):
            rows.append(row)
            if "failed" in row:
                say(f"{row['family']:9s} {row['setting']:12s} {row['failed']}")
            else:
                say(f"{row['family']:9s} {row['setting']:12s} {row['per_second']:8.1f} images/s  "
                    f"{row['ms_per_step']:8.1f} ms/step  (cpu-time rate {row['per_cpu_second']:.0f})")
    load_after = os.getloadavg()
    columns = settings + [f"threads {t.replace(',', '/')}" for t in thread_settings if thread_families]
    text = table(rows, families, columns)
    cpu_rows = [{**r, "per_second": r["per_cpu_second"]} if "per_second" in r else r for r in rows]
    failures = [f"{r['family']} {r['setting']}: {r['failed']}" for r in rows if "failed" in r]
    cpu_text = table(cpu_rows, families, columns)
    minutes = (time.perf_counter() - started) / 60
    notes = (f"TensorFlow {tf.__version__}; {os.cpu_count()} CPU cores shared with other jobs (load average "
             f"{load_before[0]:.1f} before, {load_after[0]:.1f} after); {args.seconds:g} s per measurement, one each; "
             f"{minutes:.1f} minutes in all. Thread rows ran in child processes (fresh TensorFlow)."
             + (f" Could not train: {'; '.join(failures)}." if failures else ""))
    body = (f"Images per second (wall clock):\n\n{text}\n\nImages per second of this process's CPU time:\n\n"
            f"{cpu_text}\n\n{notes}\n")
    say("\n" + body)
    out = results_dir("defaults")
    (out / "table.md").write_text("# Execution settings genlab could default to\n\n" + body)
    (out / "results.json").write_text(json.dumps({"settings": vars(args), "load_average": [load_before, load_after],
                                                  "minutes": minutes, "rows": rows}, indent=2))
    say(f"written {out / 'table.md'} and results.json")


if __name__ == "__main__":
    main()
