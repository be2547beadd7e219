"""``evaluate_run``: the figures each family reports on its test split, saved in metrics.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genlab.data.sources import load_image_data
from genlab.runs import load_run_model, now


def evaluate_run(run_path: str | Path, data: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Evaluate a run on the test split of its data (or of ``data``); return and save the table."""
    run, config, model = load_run_model(run_path)
    source = data or config.data.source
    image_data = load_image_data(source)
    table = model.evaluation_table(image_data, limit=limit)
    result = {
        "table": table,
        "protocol": {
            "data": source,
            "split": "test",
            "examples": len(image_data.x_test[:limit]),
            "value_range": list(config.model.value_range),
            "evaluated": now(),
        },
    }
    run.update_metrics("evaluation", result)
    return result


def format_table(table: dict[str, dict[str, float]]) -> str:
    """Rows = models, columns = metrics, aligned for a terminal."""
    columns: list[str] = []
    for row in table.values():
        columns += [c for c in row if c not in columns]
    name_width = max(len("model"), *(len(name) for name in table))
    header = "model".ljust(name_width) + "".join(f"{c:>12}" for c in columns)
    lines = [header, "-" * len(header)]
    for name, row in table.items():
        cells = "".join(f"{row[c]:>12.5g}" if isinstance(row.get(c), (int, float)) else f"{'':>12}" for c in columns)
        lines.append(name.ljust(name_width) + cells)
    return "\n".join(lines)
