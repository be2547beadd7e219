"""Writing a matplotlib figure into a run: one PNG, written atomically, the figure closed."""

from __future__ import annotations

import io
from pathlib import Path

from genlab.core.io import atomic_write_bytes


def save_figure(figure, path: str | Path) -> Path:
    """Lay out ``figure``, write it to ``path`` as a PNG (atomically) and close it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)
