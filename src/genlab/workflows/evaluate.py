"""``evaluate_run``: the figures each family reports on its test split, saved in metrics.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genlab.core.errors import GenlabError
from genlab.core.registry import is_tabular
from genlab.data.sources import load_image_data
from genlab.metrics.generative import generator_metrics
from genlab.models.capabilities import DescribesEvaluation, EvaluatesItself
from genlab.runs import RunDir, now
from genlab.workflows.detection import evaluate_detector
from genlab.workflows.loading import load_run_model


def evaluate_run(run_path: str | Path, data: str | None = None, limit: int | None = None,
                 label: str | None = None, distribution: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate a run on the test split of its data (or of ``data``); return and save the table.

    Generator runs get distribution metrics (FID, KID, IS, precision/recall, density/coverage,
    see :func:`genlab.metrics.generative.generator_metrics`, whose keyword options
    ``distribution`` holds); a generator family with a table of its own (a VAE's NLL) gets
    them only when ``distribution`` is given. Their protocol goes to metrics.json too.

    Runs of tabular families (the anomaly detector) are evaluated on a labelled table: ``data``
    ``csv:PATH`` with its ``label`` column (see :func:`genlab.workflows.detection.evaluate_detector`).
    """
    if is_tabular(RunDir.open(run_path).load_config().family):
        if distribution is not None:
            raise GenlabError("distribution metrics (--metrics, --features, --n) need a generator run, not a detector")
        return evaluate_detector(run_path, data=data, limit=limit, label=label)
    if label is not None:
        raise GenlabError("--label applies to runs trained on tables (genlab train detector)")
    run, config, model = load_run_model(run_path)
    source = data or config.data.source
    image_data = load_image_data(source)
    has_own_table = isinstance(model, EvaluatesItself)
    if distribution is not None and not model.is_generator:
        raise GenlabError(f"distribution metrics (--metrics, --features, --n) need a generator run, not family {config.family!r}")
    own_table = has_own_table or not model.is_generator
    table = model.evaluation_table(image_data, limit=limit) if own_table else {}
    figures = None
    if model.is_generator and (distribution is not None or not has_own_table):
        figures = generator_metrics(model, image_data, **(distribution or {}))
        table = {**table, **figures["table"]}
    result = {
        "table": table,
        "protocol": {
            "data": source,
            "split": "test",
            # the family's own table uses these; distribution metrics say their own sizes
            "examples": len(image_data.x_test[:limit]) if own_table else 0,
            "value_range": list(config.model.value_range),
            "evaluated": now(),
        },
    }
    # a family may describe how it computed its figures (a VAE: binarization, importance samples)
    if isinstance(model, DescribesEvaluation):
        result["protocol"].update(model.evaluation_protocol())
    if figures is not None:
        result["protocol"]["distribution"] = figures["protocol"]
        result["details"] = figures["details"]
    run.update_metrics("evaluation", result)
    return result


def format_table(table: dict[str, dict[str, float]]) -> str:
    """Rows = models, columns = metrics, aligned for a terminal."""
    columns: list[str] = []
    for row in table.values():
        columns += [c for c in row if c not in columns]
    name_width = max(len("model"), *(len(name) for name in table))
    widths = [max(12, len(c) + 2) for c in columns]  # long metric names keep their column aligned
    header = "model".ljust(name_width) + "".join(f"{c:>{w}}" for c, w in zip(columns, widths))
    lines = [header, "-" * len(header)]
    for name, row in table.items():
        cells = "".join(f"{row[c]:>{w}.5g}" if isinstance(row.get(c), (int, float)) else f"{'':>{w}}"
                        for c, w in zip(columns, widths))
        lines.append(name.ljust(name_width) + cells)
    return "\n".join(lines)
