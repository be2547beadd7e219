"""How fast are genlab's distribution metrics on this machine? Feature extraction and FID per extractor.

For each feature extractor: images/s of feature extraction on N CIFAR-10 test images
(32x32 RGB, resized to the extractor's input), and the total seconds of one FID figure on N
images (extracting N test and N train images, then the float64 statistics), plus the seconds
of KID (100 subsets of min(1000, N)) and of precision/recall + density/coverage. Beside our
FID: the same figure by the textbook formula with ``scipy.linalg.sqrtm`` (value and time).
The issue asks for N = 10,000; on 2 shared CPU cores run with a smaller N and read the
"10k est." column (extraction scales linearly with N).

    python benchmarks/metrics_speed.py --n 1000 [--extractors lite0,mobilenet,random] [--inception-weights PATH]

Prints a markdown table and writes benchmarks/results/metrics_speed/table.md.
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.linalg
from _common import Timer, markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.data import load_image_data
from genlab.core.errors import GenlabError
from genlab.metrics.distribution import fid, kid, manifold_metrics
from genlab.metrics.features import get_extractor


def scipy_fid(x: np.ndarray, y: np.ndarray) -> float:
    mu_x, mu_y = x.mean(0), y.mean(0)
    s_x, s_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    return float(np.sum((mu_x - mu_y) ** 2) + np.trace(s_x + s_y - 2 * np.real(scipy.linalg.sqrtm(s_x @ s_y))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="images per set (the issue's figure: 10000)")
    parser.add_argument("--extractors", default="random,mobilenet,lite0,inception")
    parser.add_argument("--inception-weights", default=None, help="InceptionV3 .h5 (offline there is none)")
    args = parser.parse_args()
    out = results_dir("metrics_speed")
    data = load_image_data("cifar10")
    rng = np.random.default_rng(0)
    test = data.x_test[rng.choice(len(data.x_test), min(args.n, len(data.x_test)), replace=False)]
    train = data.x_train[rng.choice(len(data.x_train), min(args.n, len(data.x_train)), replace=False)]
    say(f"CIFAR-10: N = {len(test)} test and {len(train)} train images per extractor (the issue's N is 10,000)")
    rows = []
    for name in args.extractors.split(","):
        weights = args.inception_weights if name == "inception" else None
        try:
            with Timer() as build:
                extractor = get_extractor(name, weights=weights)
        except GenlabError as error:
            say(f"{name}: not available here ({error})")
            rows.append({"extractor": name, "input": "not available offline"})
            continue
        with Timer() as extract_test:
            real = extractor.features(test)
        with Timer() as extract_train:
            fake = extractor.features(train)
        with Timer() as fid_timer:
            ours = fid(real, fake)
        with Timer() as scipy_timer:
            reference = scipy_fid(real, fake)
        with Timer() as kid_timer:
            kid(real, fake)
        with Timer() as knn_timer:
            manifold_metrics(real, fake)
        images_per_second = len(test) / extract_test.seconds
        fid_total = extract_test.seconds + extract_train.seconds + fid_timer.seconds
        rows.append({
            "extractor": name,
            "input": f"{extractor.size[0]}x{extractor.size[1]}, {extractor.feature_dim}-d",
            "build_s": f"{build.seconds:.1f}",
            "images_per_s": f"{images_per_second:.1f}",
            "fid_total_s": f"{fid_total:.1f}",
            "10k est. fid_total_s": f"{2 * 10_000 / images_per_second + fid_timer.seconds:.0f}",
            "fid_statistics_s": f"{fid_timer.seconds:.2f}",
            "scipy_sqrtm_fid_s": f"{scipy_timer.seconds:.2f}",
            "fid (train vs test)": f"{ours:.6g}",
            "scipy fid": f"{reference:.6g}",
            "kid_s": f"{kid_timer.seconds:.1f}",
            "pr_dc_s": f"{knn_timer.seconds:.1f}",
        })
        say(str(rows[-1]))
    columns = ["extractor", "input", "build_s", "images_per_s", "fid_total_s", "10k est. fid_total_s", "fid_statistics_s",
               "scipy_sqrtm_fid_s", "fid (train vs test)", "scipy fid", "kid_s", "pr_dc_s"]
    table = markdown_table(rows, columns)
    note = (f"N = {len(test)} CIFAR-10 images per set (test vs train), 2 shared CPU cores; "
            f"'10k est.' extrapolates the extraction linearly to the issue's N = 10,000.")
    say(table + "\n\n" + note)
    (out / "table.md").write_text(table + "\n\n" + note + "\n")


if __name__ == "__main__":
    main()
