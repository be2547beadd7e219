"""Does CVAE-synthetic data help a classifier that has only 1% of the MNIST labels?

1. Keep a seeded random 1% of the MNIST training set (600 labelled images).
2. Train a CVAE with genlab on those 600 images only (``npz:`` data source, wall-clock budget).
3. ``genlab sample --format npz``: synthetic images for every class.
4. Train the same small CNN (benchmarks/_classifier.py) for the same number of steps on
   (a) the 600 real images, (b) real + synthetic, (c) synthetic only; test accuracy on the
   10,000 real MNIST test images, mean and spread over classifier seeds.

    python benchmarks/augmentation.py --cvae-minutes 3

Writes benchmarks/results/augmentation/result.json.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil

import numpy as np
from _budget import TimeBudget
from _classifier import accuracy, build_classifier
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.workflows.sample import sample_run
from genlab.workflows.train import train


def fit_steps(x, y, steps: int, seed: int, batch_size: int = 64):
    """The benchmark CNN trained for a fixed number of optimizer steps (fair across set sizes)."""
    model = build_classifier(x.shape[1:], 10, seed)
    per_epoch = math.ceil(len(x) / batch_size)
    order = np.random.default_rng(seed).permutation(len(x))
    model.fit(x[order], y[order], batch_size=batch_size, epochs=math.ceil(steps / per_epoch), verbose=0)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fraction", type=float, default=0.01, help="share of labelled training images (default: 1%%)")
    parser.add_argument("--cvae-minutes", type=float, default=3.0)
    parser.add_argument("--synthetic-per-class", type=int, default=600)
    parser.add_argument("--classifier-steps", type=int, default=600)
    parser.add_argument("--seeds", type=int, default=3, help="classifier seeds per setting")
    args = parser.parse_args()
    out = results_dir("augmentation")
    data = load_image_data("mnist")
    keep = np.sort(np.random.default_rng(0).permutation(len(data.x_train))[: int(round(args.fraction * len(data.x_train)))])
    x_small, y_small = data.x_train[keep], data.y_train[keep]
    subset = out / "mnist_labelled_subset.npz"
    # the 600 images repeated 10 times: one "epoch" of the run is 10 passes, which keeps the
    # per-epoch work of a run (validation, checkpoint, grids) from dominating; no image is added
    np.savez(subset, x_train=np.tile(x_small, (10, 1, 1, 1)), y_train=np.tile(y_small, 10), x_test=data.x_test,
             y_test=data.y_test, class_names=np.array(data.class_names))
    say(f"{len(keep)} labelled images (per class {np.bincount(y_small, minlength=10).tolist()})")

    run_path = out / "runs" / "cvae"
    shutil.rmtree(run_path, ignore_errors=True)
    budget = TimeBudget(args.cvae_minutes * 60)
    train("cvae", run_path, model={"arch": "dense", "latent_dim": 8, "hidden_units": (256, 128)},
          data=DataConfig(f"npz:{subset}"), train=TrainConfig(epochs=100000, batch_size=50, steps_per_execution=4),
          verbose=0, callbacks=[budget])
    say(f"CVAE trained on the {len(keep)} images: {budget.steps} steps in {budget.elapsed / 60:.1f} min")
    synthetic_path = sample_run(run_path, n=10 * args.synthetic_per_class, fmt="npz", out=out / "synthetic.npz")
    with np.load(synthetic_path) as archive:
        x_synthetic, y_synthetic = archive["x"], archive["y"]

    test_x = scale_images(data.x_test, (0, 1))
    settings = {
        f"real only ({len(x_small)})": (x_small, y_small),
        f"real + synthetic ({len(x_small)} + {len(x_synthetic)})": (np.concatenate([x_small, x_synthetic]),
                                                                 np.concatenate([y_small, y_synthetic])),
        f"synthetic only ({len(x_synthetic)})": (x_synthetic, y_synthetic),
    }
    rows = []
    for name, (x, y) in settings.items():
        scores = [accuracy(fit_steps(scale_images(x, (0, 1)), y, args.classifier_steps, seed), test_x, data.y_test)
                  for seed in range(args.seeds)]
        rows.append({"training set": name, "test accuracy": float(np.mean(scores)), "std": float(np.std(scores)),
                     "seeds": args.seeds})
        say(f"{name}: {np.mean(scores):.4f} ± {np.std(scores):.4f}")
    say(markdown_table(rows, ["training set", "test accuracy", "std", "seeds"]))
    result = {"rows": rows, "labelled_images": int(len(keep)), "synthetic_images": int(len(x_synthetic)),
              "classifier_steps": args.classifier_steps, "cvae_steps": budget.steps,
              "cvae_minutes": budget.elapsed / 60, "machine": "2 shared CPU cores"}
    (out / "result.json").write_text(json.dumps(result, indent=2))
    say(f"wrote {out / 'result.json'}")


if __name__ == "__main__":
    main()
