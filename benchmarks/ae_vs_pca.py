"""Why can an autoencoder beat PCA? Reconstruction error on the real MNIST test set.

For latent sizes 2, 8 and 32: PCA with that many components, a dense autoencoder and a
convolutional autoencoder (genlab's own training loop, MSE loss), all scored by the same
metric code (genlab.metrics.reconstruction) on the 10,000 MNIST test images.

    python benchmarks/ae_vs_pca.py --epochs 5

Prints a markdown table and writes benchmarks/results/ae_vs_pca/{table.md, mse_vs_latent.png,
examples.png}.
"""

from __future__ import annotations

import argparse
import shutil

from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.models.baselines import PCABaseline
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.metrics.reconstruction import reconstruction_metrics
from genlab.plots import save_image_grid
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--latent", default="2,8,32")
    parser.add_argument("--limit", type=int, default=None, help="training images (default: all 60,000)")
    parser.add_argument("--loss", default="mse", choices=["mse", "bce"])
    args = parser.parse_args()
    out = results_dir("ae_vs_pca")
    data = load_image_data("mnist", limit=args.limit)
    train_x, test_x = scale_images(data.x_train, (0, 1)), scale_images(data.x_test, (0, 1))
    say(f"MNIST: {len(train_x)} train / {len(test_x)} test images; {args.epochs} epochs per autoencoder, loss {args.loss}")
    rows, examples = [], [test_x[:10]]
    for latent in [int(v) for v in args.latent.split(",")]:
        with Timer() as timer:
            pca = PCABaseline(latent).fit(train_x)
            reconstruction = pca.reconstruct(test_x)
        rows.append({"latent": latent, "model": "PCA", **reconstruction_metrics(test_x, reconstruction),
                     "train_s": round(timer.seconds, 1)})
        if latent == 8:
            examples.append(reconstruction[:10])
        for arch in ("dense", "conv"):
            run_path = out / f"runs/{arch}-{latent}"
            shutil.rmtree(run_path, ignore_errors=True)
            with Timer() as timer:
                train("autoencoder", run_path, model={"arch": arch, "latent_dim": latent, "loss": args.loss},
                      data=DataConfig("mnist", args.limit), train=TrainConfig(epochs=args.epochs, batch_size=128), verbose=0)
            _, _, model = load_run_model(run_path)
            reconstruction = model.reconstruct(test_x)
            rows.append({"latent": latent, "model": f"{arch} AE", **reconstruction_metrics(test_x, reconstruction),
                         "train_s": round(timer.seconds, 1)})
            if latent == 8:
                examples.append(reconstruction[:10])
            say(markdown_table(rows[-1:], ["latent", "model", "mse", "bce", "psnr", "train_s"]).splitlines()[-1])
    table = markdown_table(rows, ["latent", "model", "mse", "bce", "psnr", "train_s"])
    (out / "table.md").write_text(table + "\n")
    say("\n" + table)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 3.5))
    for model in ("PCA", "dense AE", "conv AE"):
        points = [(r["latent"], r["mse"]) for r in rows if r["model"] == model]
        axis.plot(*zip(*points), marker="o", label=model)
    axis.set(xscale="log", xlabel="latent size / components", ylabel="test MSE per pixel", title="MNIST reconstruction")
    axis.set_xticks([r["latent"] for r in rows if r["model"] == "PCA"], labels=[str(r["latent"]) for r in rows if r["model"] == "PCA"])
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "mse_vs_latent.png", dpi=100)
    save_image_grid(out / "examples.png", examples, titles=["original", "PCA 8", "dense 8", "conv 8"][: len(examples)])
    say(f"\nwritten: {out}/table.md, mse_vs_latent.png, examples.png")


if __name__ == "__main__":
    main()
