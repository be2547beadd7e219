"""What a higher beta does: the same VAE trained with several betas on MNIST, side by side.

For each beta: reconstruction term and KL (nats, test split), the number of *active* latent
dimensions (variance of the posterior means over test images above 0.01, Burda et al.,
2016) and a latent traversal grid (``genlab traverse``: one row per dimension, most active
first). Higher beta trades reconstruction for a KL closer to 0 and fewer active dimensions.

    python benchmarks/beta_traversal.py --betas 1,4,16 --minutes 1.5

Writes benchmarks/results/beta_traversal/{result.json, traversal_beta<B>.png, samples_beta<B>.png}.
"""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np
from _budget import TimeBudget
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.workflows.loading import load_run_model
from genlab.workflows.sample import sample_run, traverse_run
from genlab.workflows.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--betas", default="1,4,16")
    parser.add_argument("--minutes", type=float, default=1.5, help="training budget per beta (default: 1.5)")
    parser.add_argument("--latent", type=int, default=10)
    args = parser.parse_args()
    out = results_dir("beta_traversal")
    test = scale_images(load_image_data("mnist").x_test[:2000], (0.0, 1.0))
    rows = []
    for beta in [float(b) for b in args.betas.split(",")]:
        run_path = out / "runs" / f"beta{beta:g}"
        shutil.rmtree(run_path, ignore_errors=True)
        budget = TimeBudget(args.minutes * 60)
        train("vae", run_path, model={"arch": "dense", "latent_dim": args.latent, "beta": beta},
              data=DataConfig("mnist"), train=TrainConfig(epochs=1000, batch_size=100, steps_per_execution=10),
              verbose=0, callbacks=[budget])
        _, _, model = load_run_model(run_path)
        mean, log_variance = model.encode(test)
        kl = 0.5 * np.sum(mean**2 + np.exp(log_variance) - 1.0 - log_variance, axis=1)
        activity = mean.var(axis=0)
        reconstruction = model.reconstruct(test)
        p = np.clip(reconstruction, 1e-7, 1 - 1e-7)
        bce = -np.sum(test * np.log(p) + (1 - test) * np.log(1 - p), axis=(1, 2, 3))
        rows.append({"beta": beta, "reconstruction_nats": float(bce.mean()), "kl_nats": float(kl.mean()),
                     "active_dims": int(np.sum(activity > 0.01)), "latent_dim": args.latent,
                     "steps": budget.steps})
        say(f"beta {beta:g}: {rows[-1]}")
        traverse_run(run_path, dims=args.latent, steps=9, out=out / f"traversal_beta{beta:g}.png")
        sample_run(run_path, n=32, out=out / f"samples_beta{beta:g}.png")
    say(markdown_table(rows, ["beta", "reconstruction_nats", "kl_nats", "active_dims", "latent_dim", "steps"]))
    say("(reconstruction: BCE of the posterior-mean reconstruction of 2,000 grey-level test images, summed over "
        f"pixels; budget {args.minutes:g} min of 2 shared CPU cores per beta)")
    (out / "result.json").write_text(json.dumps({"rows": rows, "minutes_per_beta": args.minutes}, indent=2))


if __name__ == "__main__":
    main()
