"""Test NLL of a VAE on binarized MNIST, beside published figures.

Protocol (as in Burda et al., 2016, "Importance Weighted Autoencoders"): training images
are binarized dynamically (x ~ Bernoulli(pixel) at every step, ``binarize=dynamic``); the
test images are binarized once, stochastically, with a fixed seed; the NLL is the k-sample
importance-weighted estimate -log 1/k sum_i p(x|z_i) p(z_i) / q(z_i|x), in nats, averaged
over the test images. References:

* pythae's reproduced VAE on binary MNIST: 89.8 nats (pythae README, "Reproducibility" table;
  Chadebec et al., 2022);
* IWAE paper, one stochastic layer VAE (k=1 training), NLL with k=5000: 86.76 nats (table 1).

Training stops at a wall-clock budget (``--minutes``); the figure depends on it. Run:

    python benchmarks/vae_nll.py --minutes 8 --iw-samples 1000 --test-limit 1000
    python benchmarks/vae_nll.py --reuse --iw-samples 1000      # the same run, on all 10,000 test images

Writes benchmarks/results/vae_nll/{result.json, samples.png} and keeps the run in runs/.
"""

from __future__ import annotations

import argparse
import json
import shutil

from _budget import TimeBudget
from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.plots import save_image_grid
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train

REFERENCES = [
    {"model": "pythae VAE (reproduced, binary MNIST)", "nll": 89.8, "note": "pythae README reproducibility table"},
    {"model": "IWAE paper: VAE, 1 stochastic layer, k=5000", "nll": 86.76, "note": "Burda et al. 2016, table 1; 3,280 epochs"},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="training budget, wall clock (default: 5)")
    parser.add_argument("--arch", default="dense", choices=["dense", "conv"])
    parser.add_argument("--latent", type=int, default=32)
    parser.add_argument("--hidden-units", default="512,256")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--kl-warmup-steps", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=1000, help="epoch cap (the time budget usually stops first)")
    parser.add_argument("--iw-samples", type=int, default=1000, help="k of the NLL estimate (IWAE paper: 5000)")
    parser.add_argument("--test-limit", type=int, default=None, help="test images for the NLL (default: all 10,000)")
    parser.add_argument("--reuse", action="store_true",
                        help="evaluate the run the last invocation trained (its budget is read back) instead of training")
    args = parser.parse_args()
    out = results_dir("vae_nll")
    run_path = out / "runs" / "vae"
    model_config = {"arch": args.arch, "latent_dim": args.latent, "hidden_units": args.hidden_units, "loss": "bce",
                    "binarize": "dynamic", "kl_warmup_steps": args.kl_warmup_steps, "iw_samples": args.iw_samples}
    if args.reuse:
        previous = json.loads((out / "result.json").read_text())
        trained = previous["budget"]
        model_config = previous["model"]
        say(f"reusing {run_path}: trained {trained['steps']} steps in {trained['minutes']:g} min")
    else:
        shutil.rmtree(run_path, ignore_errors=True)
        budget = TimeBudget(args.minutes * 60)
        say(f"training a {args.arch} VAE (latent {args.latent}) on dynamically binarized MNIST for at most {args.minutes:g} min")
        train("vae", run_path, model=model_config, data=DataConfig("mnist"),
              train=TrainConfig(epochs=args.max_epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                                steps_per_execution=10),
              verbose=0, callbacks=[budget])
        trained = {"minutes": args.minutes, "steps": budget.steps, "epochs_equivalent": budget.steps * args.batch_size / 60000,
                   "stopped_by_budget": budget.stopped_by_budget, "machine": "2 shared CPU cores"}
        say(f"trained {budget.steps} steps (~{trained['epochs_equivalent']:.1f} epochs) in {budget.elapsed / 60:.1f} min")
    _, _, model = load_run_model(run_path)
    data = load_image_data("mnist")
    test = scale_images(data.x_test[: args.test_limit], (0.0, 1.0))
    binary = model.binarize_for_evaluation(test)
    with Timer() as timer:
        bound = model.importance_weighted_bound(binary, samples=args.iw_samples, seed=0)
    nll, negative_elbo = float(bound["nll"].mean()), float(bound["negative_elbo"].mean())
    standard_error = float(bound["nll"].std(ddof=1) / len(binary) ** 0.5) if len(binary) > 1 else float("nan")
    say(f"NLL estimate on {len(binary)} test images with k={args.iw_samples}: {timer.seconds:.0f} s")
    rows = [
        {"model": f"genlab VAE ({model_config['arch']}, latent {model_config['latent_dim']}), "
                  f"{trained['minutes']:g} min CPU, {trained['epochs_equivalent']:.0f} epochs", "nll": nll,
         "note": f"± {standard_error:.2f} (s.e. over test images); -ELBO {negative_elbo:.2f}, KL {float(bound['kl'].mean()):.2f}; "
                 f"k={args.iw_samples}, {len(binary)} test images"},
        *REFERENCES,
    ]
    say(markdown_table(rows, ["model", "nll", "note"]))
    samples = model.generate(64, seed=0)
    save_image_grid(out / "samples.png", [samples], columns=8)
    result = {
        "nll_nats": nll, "nll_standard_error": standard_error, "negative_elbo_nats": negative_elbo, "kl_nats": float(bound["kl"].mean()),
        "reconstruction_nats": float(bound["reconstruction"].mean()),
        "protocol": {**model.evaluation_protocol(), "test_images": len(binary), "importance_samples": args.iw_samples},
        "budget": trained,
        "model": model_config, "references": REFERENCES,
    }
    (out / "result.json").write_text(json.dumps(result, indent=2))
    say(f"wrote {out / 'result.json'}")


if __name__ == "__main__":
    main()
