"""What op determinism costs: the same training with and without `--deterministic`.

    python benchmarks/determinism_cost.py --epochs 5 --data mnist --limit 10000

Prints seconds per epoch for each mode and whether two deterministic runs gave an
identical loss history (they must) and two non-deterministic ones did.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from _common import ROOT, markdown_table, results_dir, say

SCRIPT = """
import sys, time
import genlab
from genlab.core.config import DataConfig, TrainConfig
from genlab.workflows.train import train
out, deterministic, epochs, data, limit = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
start = time.perf_counter()
run = train("autoencoder", out, model={"arch": "conv", "latent_dim": 16}, data=DataConfig(data, limit),
            train=TrainConfig(epochs=epochs, batch_size=128, deterministic=deterministic), verbose=0)
print(time.perf_counter() - start)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--limit", type=int, default=10000)
    args = parser.parse_args()
    out = results_dir("determinism")
    rows, histories = [], {}
    for deterministic in (False, True):
        for repeat in (1, 2):
            path = out / f"run-{int(deterministic)}-{repeat}"
            shutil.rmtree(path, ignore_errors=True)
            # each run in a fresh process: op determinism cannot be switched off once on
            result = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(int(deterministic)), str(args.epochs),
                                     args.data, str(args.limit)], capture_output=True, text=True, cwd=ROOT, check=True)
            seconds = float(result.stdout.strip().splitlines()[-1])
            histories[(deterministic, repeat)] = (path / "history.csv").read_text()
            rows.append({"deterministic": deterministic, "repeat": repeat, "seconds": round(seconds, 1),
                         "s_per_epoch": round(seconds / args.epochs, 2)})
    for deterministic in (False, True):
        same = histories[(deterministic, 1)] == histories[(deterministic, 2)]
        say(f"deterministic={deterministic}: identical loss history in two runs: {same}")
    say(f"conv autoencoder, {args.data} ({args.limit} images), {args.epochs} epochs, batch 128, this machine")
    say(markdown_table(rows, ["deterministic", "repeat", "seconds", "s_per_epoch"]))


if __name__ == "__main__":
    main()
