"""Do the distribution metrics behave? FID/KID of real CIFAR-10 test images, clean and degraded.

N train images are the reference. Against them: N clean test images (FID(train, test) should
be small: the floor for this N), then the same test images with Gaussian noise of growing
standard deviation, and with Gaussian blur of growing radius. FID and KID must grow
monotonically with the level, coverage must fall; the script says whether they do. (k-NN
precision need not fall: slightly blurred images sit in dense regions of the real manifold
and can score higher precision than clean ones, while recall and coverage drop.)

    python benchmarks/metrics_sanity.py --n 500 [--extractor lite0] [--resolution 224]

With N below the feature size (1280 for lite0) the covariances are singular and FID carries a
large positive bias; compare levels with each other, not with published FIDs. Writes
benchmarks/results/metrics_sanity/table.md.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import Timer, markdown_table, results_dir, say
from scipy.ndimage import gaussian_filter

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.data import load_image_data
from genlab.metrics.distribution import fid, kid, manifold_metrics
from genlab.metrics.features import get_extractor

NOISE_LEVELS = (0.0, 0.02, 0.05, 0.1, 0.2)  # standard deviation, pixels in [0, 1]
BLUR_LEVELS = (0.5, 1.0, 1.5, 2.0)  # Gaussian sigma in pixels (32 x 32 images)


def noisy(images: np.ndarray, std: float, seed: int = 0) -> np.ndarray:
    unit = images / 255.0 + np.random.default_rng(seed).normal(scale=std, size=images.shape)
    return np.round(np.clip(unit, 0, 1) * 255).astype(np.uint8)


def blurred(images: np.ndarray, sigma: float) -> np.ndarray:
    smooth = gaussian_filter(images.astype(np.float64), sigma=(0, sigma, sigma, 0), mode="reflect")
    return np.round(np.clip(smooth, 0, 255)).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="images per set")
    parser.add_argument("--extractor", default="lite0")
    parser.add_argument("--resolution", type=int, default=None, help="extractor input size (default: its own)")
    args = parser.parse_args()
    out = results_dir("metrics_sanity")
    data = load_image_data("cifar10")
    rng = np.random.default_rng(0)
    train = data.x_train[rng.choice(len(data.x_train), args.n, replace=False)]
    test = data.x_test[rng.choice(len(data.x_test), args.n, replace=False)]
    extractor = get_extractor(args.extractor, resolution=args.resolution)
    say(f"CIFAR-10, N = {args.n} train (reference) vs N test images; extractor {extractor}")
    with Timer() as timer:
        reference = extractor.features(train)
    say(f"reference features: {timer.seconds:.0f} s")
    cases = [("noise", level, noisy(test, level)) for level in NOISE_LEVELS]
    cases += [("blur", level, blurred(test, level)) for level in BLUR_LEVELS]
    rows = []
    for kind, level, images in cases:
        features = extractor.features(images)
        row = {"degradation": "none (clean test)" if level == 0 else f"{kind} {level:g}", "kind": kind, "level": level,
               "fid": fid(reference, features),
               **kid(reference, features, subsets=50, subset_size=min(500, args.n // 2)),
               **manifold_metrics(reference, features)}
        rows.append(row)
        say(f"{row['degradation']:>18}: FID {row['fid']:.3f}  KID {row['kid']:.5f}  precision {row['precision']:.3f}")
    clean = rows[0]
    verdicts = []
    for kind in ("noise", "blur"):
        series = [clean] + [r for r in rows if r["kind"] == kind and r["level"] > 0]
        for metric, sign in (("fid", 1), ("kid", 1), ("coverage", -1)):
            values = [sign * r[metric] for r in series]
            increasing = all(b > a for a, b in zip(values, values[1:]))
            verdicts.append(f"{metric} {'grows' if sign > 0 else 'falls'} monotonically with {kind}: "
                            f"{'yes' if increasing else 'NO'}")
    display = [{"degradation": r["degradation"], "FID": f"{r['fid']:.3f}", "KID": f"{r['kid']:.5f}",
                "KID std": f"{r['kid_std']:.5f}", "precision": f"{r['precision']:.3f}", "recall": f"{r['recall']:.3f}",
                "density": f"{r['density']:.3f}", "coverage": f"{r['coverage']:.3f}"} for r in rows]
    table = markdown_table(display, ["degradation", "FID", "KID", "KID std", "precision", "recall", "density", "coverage"])
    protocol = (f"N = {args.n} CIFAR-10 train images (reference) vs N test images; extractor {extractor.name} "
                f"({extractor.size[0]}x{extractor.size[1]}, sha256 {extractor.weights_sha256[:12]}); "
                f"KID: 50 subsets of {min(500, args.n // 2)}; noise std in [0, 1] pixel units; blur sigma in pixels.")
    text = table + "\n\n" + "\n".join(verdicts) + "\n\n" + protocol
    say(text)
    (out / "table.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
