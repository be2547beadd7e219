"""Do conditional-VAE samples show the class they were asked for?

For each data set: a small CNN (benchmarks/_classifier.py) is trained on the real training
set; a CVAE is trained with genlab within a wall-clock budget; ``genlab sample --format npz``
draws the same number of samples for every class (latents from the prior); the classifier
labels them. Reported per class: the share classified as the requested class (aim: 95% or
more on MNIST and on Fashion-MNIST's easy classes), beside the classifier's accuracy on the
real test set (its ceiling).

    python benchmarks/cvae_accuracy.py --minutes 3 --datasets mnist,fashion_mnist

Writes benchmarks/results/cvae_accuracy/{result.json, samples_<data>.png}.
"""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
from _budget import TimeBudget
from _classifier import accuracy, train_classifier
from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.workflows.sample import sample_run
from genlab.workflows.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="mnist,fashion_mnist")
    parser.add_argument("--minutes", type=float, default=3.0, help="CVAE training budget per data set (default: 3)")
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--per-class", type=int, default=500, help="samples drawn per class (default: 500)")
    parser.add_argument("--arch", default="dense", choices=["dense", "conv"])
    parser.add_argument("--latent", type=int, default=16)
    args = parser.parse_args()
    out = results_dir("cvae_accuracy")
    result = {"budget": {"cvae_minutes": args.minutes, "classifier_epochs": args.classifier_epochs,
                         "machine": "2 shared CPU cores"}, "datasets": {}}
    for name in args.datasets.split(","):
        data = load_image_data(name)
        classes = data.num_classes
        with Timer() as timer:
            classifier = train_classifier(scale_images(data.x_train, (0, 1)), data.y_train, classes,
                                          args.classifier_epochs)
        real_accuracy = accuracy(classifier, scale_images(data.x_test, (0, 1)), data.y_test)
        say(f"{name}: classifier trained in {timer.seconds:.0f} s, real test accuracy {real_accuracy:.4f}")
        run_path = out / "runs" / name
        shutil.rmtree(run_path, ignore_errors=True)
        budget = TimeBudget(args.minutes * 60)
        train("cvae", run_path, model={"arch": args.arch, "latent_dim": args.latent},
              data=DataConfig(name), train=TrainConfig(epochs=1000, batch_size=100, steps_per_execution=10),
              verbose=0, callbacks=[budget])
        say(f"{name}: CVAE trained {budget.steps} steps (~{budget.steps * 100 / len(data.x_train):.1f} epochs) "
            f"in {budget.elapsed / 60:.1f} min")
        synthetic = sample_run(run_path, n=args.per_class * classes, fmt="npz", out=out / f"synthetic_{name}.npz")
        with np.load(synthetic) as archive:
            images, requested = scale_images(archive["x"], (0, 1)), archive["y"]
        predicted = np.argmax(classifier.predict(images, batch_size=512, verbose=0), axis=1)
        rows = []
        for c in range(classes):
            chosen = requested == c
            rows.append({"class": c, "name": data.class_names[c] if data.class_names else str(c),
                         "share_as_requested": float(np.mean(predicted[chosen] == c))})
        overall = float(np.mean(predicted == requested))
        rows.append({"class": "all", "name": "", "share_as_requested": overall})
        say(markdown_table(rows, ["class", "name", "share_as_requested"]))
        sample_run(run_path, n=10 * classes, out=out / f"samples_{name}.png")
        result["datasets"][name] = {
            "classifier_real_test_accuracy": real_accuracy, "overall_share": overall, "per_class": rows[:-1],
            "cvae_steps": budget.steps, "cvae_minutes": budget.elapsed / 60, "samples_per_class": args.per_class,
            "model": {"arch": args.arch, "latent_dim": args.latent},
        }
    (out / "result.json").write_text(json.dumps(result, indent=2))
    say(f"wrote {out / 'result.json'}")


if __name__ == "__main__":
    main()
