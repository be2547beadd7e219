"""Scoring throughput and peak memory of the anomaly detector, in memory and through ``genlab detect``.

The CSV is made by resampling (with replacement, seeded) the real rows of
``creditcard_fraud_subset.npz`` (columns Time, V1..V28, Amount, Class; float32 values
written with 9 significant digits). A detector is trained on the subset's unbiased normals
(``Time`` dropped: 29 features), then two things are timed, each in a child process whose
peak resident memory (``ru_maxrss``) and CPU seconds are read from ``wait4``:

* in memory: ``decision_function`` on the 1,000,000 x 29 float64 array of the big file's
  features (read before the clock starts; best of ``--repeats`` calls after a warm-up);
* end to end: ``genlab detect RUN --data csv:FILE --out scores.csv`` (top features on), as a
  user runs it. ``wall rows/s`` counts the whole process, Python and TensorFlow start-up
  included; ``scoring rows/s`` is what ``genlab detect`` prints, from loading the run to
  the last line written (no interpreter start-up, no TensorFlow import).

The target is 200,000 rows/s on 2 cores (issue 11). Runs on a 10x smaller file, a 1,000-row
file and a smaller chunk show that memory follows the chunk size, not the file size, and
what the fixed start-up costs. ``--baseline-rev REV`` times the same two measurements with
the ``src/`` of git revision ``REV`` (before/after in one table). The machine's load average
is printed beside the figures: on a shared machine, wall times are only as good as it.

    python benchmarks/detect_throughput.py --rows 1000000 --baseline-rev 680843f

(680843f: the last revision before the faster scoring; the baseline runs at its own default chunk, 100,000.)

Files go to benchmarks/results/detect_throughput/ (not in git); the CSVs are reused when present.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import ROOT, markdown_table, results_dir, say

TARGET_ROWS_PER_S = 200_000
CHUNK_SIZE = 50_000  # genlab detect's default


def real_rows() -> pd.DataFrame:
    from genlab.data.sources import find_data_file

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


def child(command: list[str], source: Path) -> tuple[str, float, float, int]:
    """Run ``command`` with ``source`` (a ``src`` folder) first on the path: (output, wall s, cpu s, peak MB)."""
    import tempfile

    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryFile("w+") as log:  # a file, not a pipe: wait4 reaps the child itself
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=environment)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return output, seconds, usage.ru_utime + usage.ru_stime, round(usage.ru_maxrss / 1024)


def timed_detect(version: str, source: Path, run, data, out, chunk_size: int) -> dict:
    command = [sys.executable, "-m", "genlab.cli.main", "detect", str(run), "--data", f"csv:{data}",
               "--out", str(out), "--chunk-size", str(chunk_size)]
    output, seconds, cpu, peak = child(command, source)
    rows = sum(1 for _ in open(out, "rb")) - 1
    said = re.search(r"\((\d+) rows/s\)", output)
    return {"version": version, "measure": "genlab detect", "rows": rows, "chunk_size": chunk_size,
            "wall_s": round(seconds, 2), "cpu_s": round(cpu, 1), "wall_rows_per_s": round(rows / seconds),
            "scoring_rows_per_s": int(said.group(1)) if said else "", "peak_rss_mb": peak}


def timed_in_memory(version: str, source: Path, run, data, repeats: int) -> dict:
    command = [sys.executable, __file__, "--child-in-memory", str(run), str(data), "--repeats", str(repeats)]
    output, _, cpu, peak = child(command, source)
    result = json.loads(output.strip().splitlines()[-1])
    return {"version": version, "measure": "decision_function (array)", "rows": result["rows"], "chunk_size": "",
            "wall_s": round(result["seconds"], 2), "cpu_s": round(cpu, 1), "wall_rows_per_s": "",
            "scoring_rows_per_s": round(result["rows"] / result["seconds"]), "peak_rss_mb": peak}


def in_memory_child(run: str, data: str, repeats: int) -> None:
    """In the child: best wall time of ``decision_function`` on the file's features as one float64 array."""
    import genlab  # noqa: F401  (pins the TensorFlow backend)
    from genlab.tabular import AnomalyDetector

    detector = AnomalyDetector.load(run)
    features = detector.feature_names_
    values = pd.read_csv(data, usecols=features)[features].to_numpy(np.float64)
    detector.decision_function(values[:1000])  # warm-up: traces, allocates
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        scores = detector.decision_function(values)
        best = min(best, time.perf_counter() - started)
    assert len(scores) == len(values)
    print(json.dumps({"rows": len(values), "seconds": best}))


def baseline_source(revision: str, out: Path) -> Path:
    """``src/`` of git revision ``revision``, unpacked once under ``out``."""
    folder = out / f"baseline_{revision}"
    if not (folder / "src" / "genlab").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the detector (its quality is not measured here)")
    parser.add_argument("--repeats", type=int, default=3, help="decision_function calls timed in memory (best kept)")
    parser.add_argument("--baseline-rev", default=None, help="git revision whose src/ is timed too (before/after)")
    parser.add_argument("--child-in-memory", nargs=2, metavar=("RUN", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_in_memory:
        in_memory_child(*args.child_in_memory, args.repeats)
        return
    from genlab.workflows.detection import train_detector

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
    current = ROOT / "src"
    versions = [("current", current, CHUNK_SIZE)]
    if args.baseline_rev:
        revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline_rev],
                                  capture_output=True, text=True, check=True).stdout.strip()
        versions.insert(0, (f"baseline {revision}", baseline_source(revision, out), 100_000))  # its default chunk
    load_before = os.getloadavg()
    rows = []
    for version, source, chunk in versions:
        rows.append(timed_in_memory(version, source, run, big, args.repeats))
        say(f"  {rows[-1]}")
        rows.append(timed_detect(version, source, run, big, out / "scores.csv", chunk))
        say(f"  {rows[-1]}")
    for data, chunk in ((big, 100_000), (big, 10_000), (small, CHUNK_SIZE), (tiny, CHUNK_SIZE)):
        rows.append(timed_detect("current", current, run, data, out / "scores.csv", chunk))
        say(f"  {rows[-1]}")
    load_after = os.getloadavg()
    for row in rows:
        row["target_rows_per_s"] = TARGET_ROWS_PER_S
    columns = ["version", "measure", "rows", "chunk_size", "wall_s", "cpu_s", "wall_rows_per_s", "scoring_rows_per_s",
               "target_rows_per_s", "peak_rss_mb"]
    table = markdown_table(rows, columns)
    text = (f"Anomaly detector scoring on resampled real credit-card rows (31 columns, 29 features, top_features 3), "
            f"{os.cpu_count()} CPU cores visible, 1-minute load average {load_before[0]:.1f} before and "
            f"{load_after[0]:.1f} after. wall_rows_per_s: rows / the child process's wall time, start-up (Python, TensorFlow import, "
            f"about 3-4 s) included; scoring_rows_per_s: decision_function's rows/s in memory, or what genlab detect "
            f"prints (from loading the run to the last line written); cpu_s: the child's user + system CPU "
            f"seconds; peak_rss_mb: its peak resident memory (TensorFlow alone takes about 0.7 GB; the in-memory "
            f"child holds the 1M x 29 float64 input, 0.23 GB).\n\n{table}\n")
    (out / "table.md").write_text(text)
    say("\n" + text)
    (out / "scores.csv").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
