"""Progress of long work on stderr: one line every few seconds ("genlab: importance-weighted NLL:
40% (4000/10000 images, 12 s, about 18 s left)"), nothing for work that ends quickly."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``update(done)`` as work advances; ``close()`` at the end (also as a context manager)."""

    def __init__(self, total: int, what: str, unit: str = "images", every: float = 5.0,
                 stream: TextIO | None = None, clock=time.monotonic):
        self.total, self.what, self.unit, self.every = max(1, int(total)), what, unit, every
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = self.last = clock()
        self.printed = False

    def update(self, done: int) -> None:
        now = self.clock()
        if now - self.last < self.every or done >= self.total:
            return
        self.last = now
        elapsed = now - self.started
        left = elapsed * (self.total - done) / max(done, 1)
        self._print(f"{100 * done // self.total}% ({done}/{self.total} {self.unit}, {elapsed:.0f} s, about {left:.0f} s left)")

    def close(self) -> None:
        if self.printed:
            self._print(f"done ({self.total} {self.unit} in {self.clock() - self.started:.0f} s)")

    def _print(self, text: str) -> None:
        self.printed = True
        print(f"genlab: {self.what}: {text}", file=self.stream, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
