"""``build_report(run)``: one self-contained HTML page per run, made from the run directory alone.

Images are embedded as base64 data URIs and the page has no script and no external
resource, so it opens offline and can be mailed as one file. Sections: status and
environment, configuration, metrics with their protocol, training curves and the last
history rows, then every picture the run holds (evaluation figures, reconstructions,
samples, interpolations, ROC/PR curves...) and the per-epoch sample grids.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from genlab.core.io import atomic_write_text, check_output_path

from genlab.runs import RunDir

MAX_EPOCH_GRIDS = 8

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.15em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f5f5f5} td:first-child,th:first-child{text-align:left}
figure{display:inline-block;margin:.4em .8em .8em 0;vertical-align:top} figcaption{font-size:.85em;color:#555}
img{max-width:100%;image-rendering:pixelated;border:1px solid #eee} .status{font-weight:bold}
.finished{color:#1a7f37} .diverged,.interrupted,.failed{color:#b42318} .running{color:#9a6700}
table.summary td{text-align:left}
pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:.85em}
"""


def _image(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = "image/gif" if path.suffix.lower() == ".gif" else "image/png"
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    return html.escape(str(value)) if value is not None else ""


def _table(rows: list[dict[str, Any]], first: str) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>" if rows else f"<p>No {html.escape(first)}.</p>"


def _metrics_section(metrics: dict[str, Any]) -> str:
    parts = []
    for section, value in metrics.items():
        parts.append(f"<h3>{html.escape(section)}</h3>")
        table = value.get("table") if isinstance(value, dict) else None
        if isinstance(table, dict) and all(isinstance(v, dict) for v in table.values()):
            parts.append(_table([{"": name, **row} for name, row in table.items()], "metrics"))
            rest = {k: v for k, v in value.items() if k != "table"}
        else:
            rest = value
        if rest:
            parts.append(f"<pre>{html.escape(json.dumps(rest, indent=2, default=str))}</pre>")
    return "".join(parts) or "<p>No evaluation yet: run <code>genlab evaluate RUN</code>.</p>"


def _pictures(run: RunDir) -> list[Path]:
    """Every PNG/GIF of the run except the per-epoch grids, which get their own section."""
    found = []
    for folder in (run.path, run.plots_dir, run.path / "figures"):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".gif") and p.is_file())
    return found


def _epoch_grids(run: RunDir) -> list[Path]:
    grids = sorted(run.samples_dir.glob("epoch_*.png")) if run.samples_dir.is_dir() else []
    if len(grids) <= MAX_EPOCH_GRIDS:
        return grids
    step = (len(grids) - 1) / (MAX_EPOCH_GRIDS - 1)
    return [grids[round(i * step)] for i in range(MAX_EPOCH_GRIDS)]


def build_report(run_path: str | Path, out: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write ``RUN/report.html`` (or ``out``: not inside a run, an existing file only if ``overwrite``)
    and return its path."""
    run = RunDir.open(run_path)
    out = check_output_path(out or run.report_path, overwrite=overwrite, default=run.report_path)
    config = json.loads(run.config_path.read_text("utf-8"))
    metadata = run.metadata()
    history = run.history()
    status = metadata.get("status", "unknown")
    environment = metadata.get("environment", {})
    data = metadata.get("data", {})
    summary = [
        ("family", config.get("family")),
        ("status", f'<span class="status {html.escape(status)}">{html.escape(status)}</span>'),
        ("epochs", f"{metadata.get('epochs_done', len(history))} of {config.get('train', {}).get('epochs')}"),
        ("data", f"{html.escape(str(data.get('source')))} ({data.get('train_examples', '?')} train / "
                 f"{data.get('test_examples', '?')} test), fingerprint {html.escape(str(data.get('fingerprint', ''))[:12])}"),
        ("seed", metadata.get("seed")),
        ("created", metadata.get("created")), ("finished", metadata.get("finished")),
        ("versions", ", ".join(f"{k} {v}" for k, v in environment.items() if k in ("genlab", "keras", "tensorflow", "python"))),
        ("git revision", environment.get("git_revision")),
    ]
    if metadata.get("divergence"):
        summary.append(("divergence", metadata["divergence"]))
    if metadata.get("source_run"):
        summary.append(("fine-tuned from", json.dumps(metadata["source_run"], default=str)))
    summary_rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v if k == 'status' else _cell(v)}</td></tr>" for k, v in summary if v is not None
    )
    config_rows = "".join(
        f"<tr><th>{html.escape(section)}.{html.escape(key)}</th><td>{_cell(value)}</td></tr>"
        for section in ("model", "data", "train") for key, value in config.get(section, {}).items()
    )
    pictures = "".join(_image(p, p.stem.replace("_", " ")) for p in _pictures(run))
    grids = "".join(_image(p, p.stem.replace("_", " ")) for p in _epoch_grids(run))
    name = html.escape(run.path.resolve().name)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>genlab run {name}</title><style>{STYLE}</style></head>
<body>
<h1>genlab run <code>{name}</code></h1>
<table class="summary">{summary_rows}</table>
<h2>Metrics</h2>{_metrics_section(run.metrics())}
<h2>Pictures</h2>{pictures or "<p>No pictures yet.</p>"}
<h2>Samples across epochs</h2>{grids or "<p>No per-epoch grids.</p>"}
<h2>History (last 10 epochs)</h2>{_table(history[-10:], "history")}
<h2>Configuration</h2><table>{config_rows}</table>
</body></html>
"""
    atomic_write_text(out, page)
    return out
