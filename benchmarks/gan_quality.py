"""GAN quality at equal training steps: DCGAN and WGAN-GP over several seeds, and cGAN.

For each data set, a domain classifier (``genlab train classifier``) is trained on the real
training images first. It is the feature extractor of FID and KID (its penultimate
features; pass ``--extractor lite0`` for the offline EfficientNet-Lite0 instead, slower on
CPU), and its predicted classes of the generated images give mode coverage (classes
covered, KL of the class histogram to uniform) and, for the cGAN, conditional accuracy.

Every GAN run trains for the same number of batches (``--steps`` of ``--batch-size`` real
images: one epoch over a seeded subset of that size), with each paper's optimizer settings
and the same small DCGAN-layout networks. WGAN-GP updates its generator once every 5
critic updates, so at equal batches it makes 5x fewer generator updates. A run counts as
diverged when training stopped on a NaN/exploding loss, and as collapsed when its samples
cover at most half of the classes under the domain classifier.

    python benchmarks/gan_quality.py --steps 300 --seeds 3

Writes benchmarks/results/gan_quality/{result.json, <data>_<model>_seed<k>.png}. The
course's full comparison wants about an hour of training on this machine; the default here
is a few minutes in all, and the figures say so.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics

import numpy as np
from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.callbacks.nan_guard import TrainingDiverged
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data
from genlab.metrics.generative import generator_metrics
from genlab.plots.grids import save_image_grid
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir
from genlab.workflows.train import train

FILTERS = {"fashion_mnist": (32, 64), "cifar10": (32, 64, 128)}


def prepared_source(name: str, train_count: int, test_count: int, folder) -> str:
    """CIFAR-10 is decoded from JPEG once into an npz subset (decoding all 60k takes ~30 s per load)."""
    if name != "cifar10":
        return name
    path = folder / f"cifar10_{train_count}_{test_count}.npz"
    if not path.is_file():
        data = load_image_data("cifar10")
        np.savez(path, x_train=data.x_train[:train_count], y_train=data.y_train[:train_count],
                 x_test=data.x_test[:test_count], y_test=data.y_test[:test_count])
    return f"npz:{path}"


def train_classifier(source: str, args, out) -> str:
    run = out / "runs" / f"classifier_{source.split('/')[-1].replace(':', '_')}"
    if not (run / "weights").is_dir() or not any((run / "weights").iterdir()):
        train("classifier", run, data=DataConfig(source=source, limit=args.classifier_limit),
              train=TrainConfig(epochs=args.classifier_epochs, batch_size=128), verbose=0)
    return str(run)


def grid(model, path):
    if model.is_conditional:
        z = model.sample_latents(8, seed=1)
        rows = [model.decode_latents(z, [k] * 8) for k in range(model.config.num_classes)]
    else:
        rows = [model.generate(64, seed=1)]
    save_image_grid(path, rows, model.config.value_range, columns=None if model.is_conditional else 8)


def one_run(name: str, source: str, family: str, seed: int, classifier: str, args, out) -> dict:
    run_path = out / "runs" / f"{name}_{family}_seed{seed}"
    if run_path.exists():
        shutil.rmtree(run_path)
    model_values = {"seed": seed, "filters": FILTERS[name], "latent_dim": 64}
    row = {"data": name, "model": family, "seed": seed, "steps": args.steps}
    with Timer() as timer:
        try:
            train(family, run_path, model=model_values,
                  data=DataConfig(source=source, limit=args.steps * args.batch_size),
                  train=TrainConfig(epochs=1, batch_size=args.batch_size), verbose=0)
            row["status"] = "trained"
        except TrainingDiverged as error:
            row["status"] = "diverged"
            row["message"] = str(error)[:200]
    row["train_seconds"] = round(timer.seconds, 1)
    if row["status"] == "diverged" and not (run_path / "checkpoints" / "latest.json").is_file():
        return row
    _, config, model = load_run_model(run_path)
    row["generator_updates"] = args.steps // getattr(config.model, "critic_steps", 1)
    history = RunDir(run_path).history()
    if history:
        row.update({k: history[-1][k] for k in ("d_loss", "g_loss", "d_real", "d_fake", "wasserstein") if k in history[-1]})
    data = load_image_data(source)
    extractor = classifier if args.extractor == "classifier" else args.extractor
    result = generator_metrics(model, data, metrics=("fid", "kid"), n=args.n, extractor=extractor,
                               kid_subsets=20, kid_subset_size=min(500, args.n), baseline=False)
    figures = next(iter(result["table"].values()))
    row.update({k: v for k, v in figures.items() if isinstance(v, (int, float))})
    if row["status"] == "trained" and row.get("classes_covered", 10) <= max(model.config.num_classes, 2) // 2:
        row["status"] = "collapsed"
    if any(not math.isfinite(v) for v in row.values() if isinstance(v, float)):
        row["status"] = "diverged"
    grid(model, out / f"{name}_{family}_seed{seed}.png")
    say(f"  {name} {family} seed {seed}: {row['status']}, {row['train_seconds']} s, FID {row.get('fid', float('nan')):.2f}, "
        f"KID {row.get('kid', float('nan')):.4f}, classes {row.get('classes_covered')}, "
        f"KL {row.get('kl_to_uniform', float('nan')):.3f}"
        + (f", conditional accuracy {row['conditional_accuracy']:.3f}" if "conditional_accuracy" in row else ""))
    return row


def summary(rows: list[dict]) -> list[dict]:
    lines = []
    for key in dict.fromkeys((r["data"], r["model"]) for r in rows):
        group = [r for r in rows if (r["data"], r["model"]) == key]
        fids = [r["fid"] for r in group if "fid" in r]
        lines.append({
            "data": key[0], "model": key[1], "runs": len(group),
            "fid_median": statistics.median(fids) if fids else float("nan"),
            "fid_range": f"{min(fids):.2f}-{max(fids):.2f}" if fids else "",
            "classes_covered_mean": statistics.mean(r.get("classes_covered", 0) for r in group),
            "diverged": sum(r["status"] == "diverged" for r in group),
            "collapsed": sum(r["status"] == "collapsed" for r in group),
            "conditional_accuracy": statistics.mean(r["conditional_accuracy"] for r in group)
            if all("conditional_accuracy" in r for r in group) else "",
        })
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="fashion_mnist,cifar10")
    parser.add_argument("--steps", type=int, default=300, help="training batches per run, the same for every model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of DCGAN and WGAN-GP (cGAN: one)")
    parser.add_argument("--n", type=int, default=1000, help="generated images scored per run")
    parser.add_argument("--extractor", default="classifier", help="classifier (the domain classifier run) or lite0")
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--classifier-limit", type=int, default=20000)
    args = parser.parse_args()
    out = results_dir("gan_quality")
    say(f"budget: {args.steps} batches of {args.batch_size} per GAN run, {args.seeds} seeds for dcgan and wgan-gp, "
        f"1 for cgan; domain classifier: {args.classifier_epochs} epochs on {args.classifier_limit} images; "
        f"{args.n} samples scored per run; 2 shared CPU cores")
    rows = []
    with Timer() as total:
        for name in args.datasets.split(","):
            source = prepared_source(name, max(args.classifier_limit, args.steps * args.batch_size), 2000, out)
            with Timer() as timer:
                classifier = train_classifier(source, args, out)
            accuracy = _classifier_accuracy(classifier, source)
            say(f"{name}: domain classifier test accuracy {accuracy:.3f} ({timer.seconds:.0f} s)")
            for family in ("dcgan", "wgan-gp", "cgan"):
                for seed in range(args.seeds if family != "cgan" else 1):
                    rows.append(one_run(name, source, family, seed, classifier, args, out))
                    rows[-1]["classifier_accuracy"] = accuracy
    columns = ["data", "model", "seed", "status", "generator_updates", "train_seconds", "fid", "kid", "classes_covered", "kl_to_uniform",
               "conditional_accuracy", "d_real", "d_fake", "wasserstein"]
    say(markdown_table(rows, columns))
    lines = summary(rows)
    say(markdown_table(lines, list(lines[0])))
    say(f"total {total.seconds / 60:.1f} min")
    (out / "result.json").write_text(json.dumps({"settings": vars(args), "runs": rows, "summary": lines,
                                                 "minutes": total.seconds / 60}, indent=2, default=str))
    say(f"written {out / 'result.json'}")


def _classifier_accuracy(run: str, source: str) -> float:
    _, _, model = load_run_model(run)
    data = load_image_data(source)
    probabilities = model.class_probabilities(data.x_test[:2000].astype(np.float32) / 255.0, (0.0, 1.0))
    return float(np.mean(np.argmax(probabilities, axis=1) == data.y_test[:2000]))


if __name__ == "__main__":
    main()
