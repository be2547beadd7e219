"""Scoring throughput and peak memory of ``genlab detect`` on a 1,000,000-row CSV.

The CSV is made by resampling (with replacement, seeded) the real rows of
``creditcard_fraud_subset.npz`` (columns Time, V1..V28, Amount, Class; float32 values
written with 9 significant digits). A detector is trained on the subset's unbiased normals,
then ``genlab detect`` runs as a separate process on the big file; wall time and the
process's peak resident memory (``ru_maxrss``) are measured. Running it also on a 10x
smaller file, on a 1,000-row file and with a smaller chunk shows that memory follows the
chunk size, not the file size.

    python benchmarks/detect_throughput.py --rows 1000000

Files go to benchmarks/results/detect_throughput/ (not in git); the CSVs are reused when present.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.anomaly import train_detector
from genlab.data.sources import find_data_file


def real_rows() -> pd.DataFrame:
    path = find_data_file("creditcard_fraud_subset.npz")
    if path is None:
        raise SystemExit("creditcard_fraud_subset.npz not found: set GENLAB_DATA to the shared data folder")
    with np.load(path) as archive:
        x, y, source, columns = archive["X"], archive["y"], archive["source"], archive["columns"]
    keep = np.isin(source, (0, 1, 4, 5)) | (y == 1)
    frame = pd.DataFrame(x[keep], columns=[str(c) for c in columns])
    frame["Class"] = y[keep].astype(np.int64)
    return frame


def write_resampled(frame: pd.DataFrame, rows: int, path, seed: int = 0, block: int = 200_000) -> None:
    """``rows`` rows drawn with replacement from ``frame``, written block by block."""
    if path.is_file() and sum(1 for _ in open(path, "rb")) == rows + 1:
        say(f"reusing {path}")
        return
    rng = np.random.default_rng(seed)
    temporary = path.with_suffix(".partial")
    with open(temporary, "w", newline="") as handle:
        for start in range(0, rows, block):
            picked = frame.iloc[rng.integers(0, len(frame), min(block, rows - start))]
            picked.to_csv(handle, header=start == 0, index=False, float_format="%.9g")
    os.replace(temporary, path)


def timed_detect(run, data, out, chunk_size: int) -> dict:
    """Run ``genlab detect`` in a child process; wall seconds and its peak resident memory."""
    command = [sys.executable, "-m", "genlab.cli.main", "detect", str(run), "--data", f"csv:{data}",
               "--out", str(out), "--chunk-size", str(chunk_size)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read() + process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"genlab detect failed:\n{output}")
    rows = sum(1 for _ in open(out, "rb")) - 1
    return {"rows": rows, "chunk_size": chunk_size, "wall_s": round(seconds, 1), "rows_per_s": round(rows / seconds),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "detect_says": output.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the detector (its quality is not measured here)")
    args = parser.parse_args()
    out = results_dir("detect_throughput")
    frame = real_rows()
    big, small = out / f"transactions_{args.rows}.csv", out / f"transactions_{args.rows // 10}.csv"
    tiny = out / "transactions_1000.csv"
    started = time.perf_counter()
    write_resampled(frame, args.rows, big)
    write_resampled(frame, args.rows // 10, small, seed=1)
    write_resampled(frame, 1000, tiny, seed=2)
    say(f"CSVs ready in {time.perf_counter() - started:.0f} s: {big.stat().st_size / 1e6:.0f} MB, "
        f"{small.stat().st_size / 1e6:.0f} MB")
    training = out / "train.csv"
    frame.to_csv(training, index=False, float_format="%.9g")
    run = out / "run"
    shutil.rmtree(run, ignore_errors=True)
    train_detector(f"csv:{training}", run, model={"label": "Class", "drop": ["Time"]}, train={"epochs": args.epochs},
                   verbose=0)
    rows = []
    for data, chunk in ((big, 100_000), (big, 20_000), (small, 100_000), (tiny, 100_000)):
        result = timed_detect(run, data, out / "scores.csv", chunk)
        rows.append(result)
        say(f"  {result}")
    table = markdown_table([{k: v for k, v in r.items() if k != "detect_says"} for r in rows],
                           ["rows", "chunk_size", "wall_s", "rows_per_s", "peak_rss_mb"])
    self_usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = (f"genlab detect on resampled real credit-card rows (31 columns, top_features on); wall time includes "
            f"process start-up (TensorFlow import) and writing the scores CSV; the 1,000-row file shows the fixed "
            f"cost of a process with TensorFlow and the model loaded.\n\n{table}\n")
    (out / "table.md").write_text(text)
    say("\n" + text + f"(this driver process peaked at {self_usage:.0f} MB)")
    (out / "scores.csv").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
