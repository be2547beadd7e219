"""Denoising on the real MNIST test set: PSNR of the noisy input, of a denoising
autoencoder (genlab, conv, trained on Gaussian-corrupted input against the clean target)
and of classical denoisers (median filter, non-local means from scikit-image).

    python benchmarks/denoise.py --epochs 5 --noise gaussian:0.5

Writes benchmarks/results/denoise/{table.md, examples.png}.
"""

from __future__ import annotations

import argparse
import shutil

import numpy as np
from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401
from genlab.core.config import DataConfig, TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.metrics.reconstruction import psnr_per_image
from genlab.plots import save_image_grid
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train


def median_filter(images: np.ndarray) -> np.ndarray:
    from scipy.ndimage import median_filter as scipy_median

    return np.stack([scipy_median(image[..., 0], size=3)[..., None] for image in images])


def non_local_means(images: np.ndarray, sigma: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means

    return np.stack([
        denoise_nl_means(image[..., 0], h=0.8 * sigma, sigma=sigma, patch_size=3, patch_distance=4, fast_mode=True)[..., None]
        for image in images
    ]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--noise", default="gaussian:0.5")
    parser.add_argument("--limit", type=int, default=None, help="training images (default: all 60,000)")
    parser.add_argument("--test", type=int, default=2000, help="test images scored (non-local means is slow)")
    args = parser.parse_args()
    out = results_dir("denoise")
    data = load_image_data("mnist", limit=args.limit)
    run_path = out / "runs/dae"
    shutil.rmtree(run_path, ignore_errors=True)
    with Timer() as timer:
        train("autoencoder", run_path, model={"arch": "conv", "latent_dim": 32, "denoising": True, "noise": args.noise},
              data=DataConfig("mnist", args.limit), train=TrainConfig(epochs=args.epochs), verbose=0)
    _, _, model = load_run_model(run_path)
    clean = scale_images(data.x_test[: args.test], (0, 1))
    noisy = model.corrupt(clean, args.noise, seed=123)
    kind, level = args.noise.split(":")
    sigma = float(level) if kind == "gaussian" else 0.3
    outputs = {
        "noisy input": noisy,
        "median filter 3x3": median_filter(noisy),
        "non-local means (skimage)": non_local_means(noisy, sigma),
        f"genlab denoising AE (conv, {args.epochs} epochs, {timer.seconds:.0f} s)": model.reconstruct(noisy),
    }
    rows = [{"method": name, "psnr_db": float(np.mean(psnr_per_image(clean, output)))} for name, output in outputs.items()]
    table = markdown_table(rows, ["method", "psnr_db"])
    header = f"MNIST test ({len(clean)} images), noise {args.noise}, PSNR in dB against the clean images"
    (out / "table.md").write_text(header + "\n\n" + table + "\n")
    say(header + "\n\n" + table)
    save_image_grid(out / "examples.png", [output[:10] for output in (clean, *outputs.values())],
                    titles=["clean", "noisy", "median", "NL-means", "DAE"])
    say(f"written: {out}/table.md, examples.png")


if __name__ == "__main__":
    main()
