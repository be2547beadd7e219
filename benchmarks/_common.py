"""Helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
os.environ.setdefault("GENLAB_DATA", str(ROOT.parent / "shared" / "data"))
os.environ["KERAS_BACKEND"] = "tensorflow"


def results_dir(name: str) -> Path:
    folder = RESULTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    def cell(value):
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def say(text: str) -> None:
    print(text, flush=True)
    sys.stdout.flush()


def failure(error: Exception) -> str:
    """A short reason for a contender or setting that cannot train (e.g. an op XLA cannot compile)."""
    text = str(error)
    missing = re.search(r"No registered '(\w+)' OpKernel for (\w+)", text)
    if missing:
        return f"fails: no {missing.group(2)} kernel for {missing.group(1)}"
    return f"fails: {type(error).__name__}: {text.strip().splitlines()[0][:80] if text.strip() else ''}"
