"""Image-to-image translation with known ground truth: CycleGAN (unpaired) and pix2pix (paired).

    python benchmarks/translation.py --budget 360

Domain A is MNIST (28x28 grayscale). Domain B is a fixed, non-trivial transform T of A: a
3x3 binomial blur (a spatial filter), then matplotlib's ``viridis`` colour map (grayscale
intensity -> RGB; dark blue background, yellow strokes). Because T is known, a translation
can be scored against the truth:

* A->B PSNR: PSNR(G(a), T(a)) on 500 test images (RGB, [0, 1]);
* cycle error: mean |F(G(a)) - a| on [0, 1] (CycleGAN only: pix2pix has no B->A generator).

CycleGAN trains on *disjoint halves*: A images from the first half of 10,000 training images,
B images made from the second half, so it never sees a pair. pix2pix trains on the pairs
(a, T(a)) of the first half. Baselines: the mean training B image for every input, and the
colour map alone (T without the blur). Small networks (16 filters); CycleGAN, whose step runs
four networks six times (several times the cost of a pix2pix step here), gets 2/3 of the
wall-clock budget, pix2pix 1/3. CycleGAN's identity loss is off (``identity_weight=0``): the
domains have different channels (1 and 3).

Why MNIST and not CIFAR-10: CycleGAN's generator normalizes every channel of every image right
after its first convolution (instance normalization), so it cannot see an image's overall
brightness or colour and has to infer them from content; for CIFAR-10 photos under a global
colour mapping that takes far longer than a CPU budget of minutes (a first run here reached
9 dB A->B PSNR after 1,559 steps, below the identity's 15.7 dB, while pix2pix reached 32.8 dB).
"""

from __future__ import annotations

import argparse
import time

from _common import markdown_table, results_dir, say  # (sets GENLAB_DATA, KERAS_BACKEND)
from _image_to_image import StepBudget

import numpy as np

from genlab.core.config import DataConfig, TrainConfig
from genlab.data.pipeline import scale_images, to_uint8
from genlab.data.sources import load_image_data
from genlab.metrics.image_quality import psnr
from genlab.plots.grids import save_image_grid
from genlab.core.io import write_json
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train

HALF = 5000
TEST = 500
CYCLEGAN = {"filters": 16, "residual_blocks": 3, "discriminator_filters": 16, "discriminator_downsamplings": 2,
            "history_size": 50, "identity_weight": 0.0}
PIX2PIX = {"filters": 16, "depth": 0, "discriminator_filters": 16, "discriminator_downsamplings": 2}


def colour_map(images: np.ndarray) -> np.ndarray:
    """matplotlib's viridis: (N, H, W, 1) intensities in [0, 1] -> (N, H, W, 3) RGB in [0, 1]."""
    import matplotlib

    table = matplotlib.colormaps["viridis"](np.linspace(0.0, 1.0, 256))[:, :3]
    return table[np.round(np.clip(images[..., 0], 0.0, 1.0) * 255).astype(int)]


def blur(images: np.ndarray) -> np.ndarray:
    """3x3 binomial filter [1 2 1]^T [1 2 1] / 16, reflected borders."""
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    rows = (padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]) / 4.0
    return (rows[:, :, :-2] + 2 * rows[:, :, 1:-1] + rows[:, :, 2:]) / 4.0


def true_transform(images: np.ndarray) -> np.ndarray:
    """T: uint8 domain-A images -> uint8 domain-B images."""
    unit = images.astype(np.float64) / 255.0
    return np.round(colour_map(blur(unit)) * 255.0).astype(np.uint8)


def save_domain(path, train_images, test_images):
    np.savez(path, x_train=train_images, x_test=test_images)
    return f"npz:{path}"


def mean_psnr(reference: np.ndarray, output: np.ndarray) -> float:
    return float(np.mean([psnr(r / 255.0, o / 255.0) for r, o in zip(reference.astype(float), output.astype(float))]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=360, help="training seconds in all (default 360)")
    parser.add_argument("--cyclegan-share", type=float, default=2 / 3, help="share of the budget for CycleGAN")
    args = parser.parse_args()
    out = results_dir("translation")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    mnist = load_image_data("mnist")
    first, second = mnist.x_train[:HALF], mnist.x_train[HALF : 2 * HALF]
    test_a = mnist.x_test[:TEST]
    test_b = true_transform(test_a)
    source_a = save_domain(out / "domain_a.npz", first, test_a)
    source_b_unpaired = save_domain(out / "domain_b_second_half.npz", true_transform(second), test_b)
    source_b_paired = save_domain(out / "domain_b_first_half.npz", true_transform(first), test_b)
    say(f"MNIST: A = train[0:{HALF}], B = T(train[{HALF}:{2 * HALF}]) for CycleGAN, (a, T(a)) of the first half "
        f"for pix2pix; test: {TEST} images; budget {args.budget:.0f} s ({args.cyclegan_share:.0%} CycleGAN)")

    runs, steps = {}, {}
    for family, model, data, share in (
        ("cyclegan", CYCLEGAN, DataConfig(source=source_a, source_b=source_b_unpaired), args.cyclegan_share),
        ("pix2pix", PIX2PIX, DataConfig(source=source_a, source_b=source_b_paired, paired=True), 1 - args.cyclegan_share),
    ):
        budget = StepBudget(args.budget * share)
        runs[family] = out / f"{family}-{stamp}"
        train(family, runs[family], model=model, data=data, verbose=0, callbacks=[budget],
              train=TrainConfig(epochs=10**6, batch_size=16, learning_rate=2e-4))
        steps[family] = budget.steps
        say(f"{family}: {budget.steps} steps of batch 16 in {budget.elapsed:.0f} s (Adam 2e-4, beta_1 0.5)")

    value_range = (-1.0, 1.0)
    a = scale_images(test_a, value_range)
    mean_b = np.round(true_transform(first).mean(axis=0, keepdims=True)).astype(np.uint8)
    rows = [
        {"method": "mean training B image", "a2b_psnr": mean_psnr(test_b, np.repeat(mean_b, len(test_b), axis=0))},
        {"method": "colour map alone (no blur)", "a2b_psnr": mean_psnr(test_b, np.round(colour_map(test_a / 255.0) * 255))},
    ]
    grid = [np.repeat(test_a[:8], 3, axis=-1), test_b[:8]]
    for family, run in runs.items():
        _, _, model = load_run_model(run)
        fake_b = model.translate(a)
        row = {"method": f"genlab {family}" + (" (unpaired halves)" if family == "cyclegan" else " (pairs)"),
               "a2b_psnr": mean_psnr(test_b, to_uint8(fake_b, value_range)), "steps": steps[family]}
        if family == "cyclegan":
            cycled = model.translate(fake_b, "b2a")
            row["cycle_error"] = float(np.mean(np.abs(cycled - a)) / 2.0)  # on [0, 1]
            row["cycle_psnr"] = mean_psnr(test_a, to_uint8(cycled, value_range))
        rows.append(row)
        grid.append(to_uint8(fake_b[:8], value_range))
    say(markdown_table(rows, ["method", "a2b_psnr", "cycle_error", "cycle_psnr", "steps"]))
    say("a2b_psnr: PSNR (dB, RGB in [0, 1]) of the translation against the true T(a); cycle_error: mean |F(G(a)) - a|")
    save_image_grid(out / f"translations-{stamp}.png", [g.astype(np.float32) / 255.0 for g in grid], (0.0, 1.0))
    write_json(out / f"results-{stamp}.json", {"rows": rows, "budget_seconds": args.budget, "half": HALF, "test": TEST,
                                               "cyclegan": CYCLEGAN, "pix2pix": PIX2PIX})
    say(f"results: {out / f'results-{stamp}.json'}; rows of {out / f'translations-{stamp}.png'}: A, T(A), "
        f"CycleGAN G(A), pix2pix G(A)")


if __name__ == "__main__":
    main()
