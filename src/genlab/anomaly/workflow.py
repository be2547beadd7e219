"""The file workflow behind ``genlab train detector``, ``genlab detect`` and ``genlab evaluate``.

``detect_file`` streams the table in chunks (memory bounded by the chunk size, not the file)
and writes ``row_id, score, flag[, top_features]``; each row's score is the one
``AnomalyDetector.decision_function`` gives in memory. The output is written to a temporary
file and renamed at the end, so a bad row halfway leaves no partial result.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from genlab.anomaly.detector import AnomalyDetector, check_labels, stratified_split
from genlab.config import TrainConfig
from genlab.data.tabular import TableSource, select_features
from genlab.errors import GenlabError

CHUNK_SIZE = 100_000


def train_detector(data: str, out: str | Path, model: dict[str, Any] | None = None,
                   train: TrainConfig | dict | None = None, verbose: int | str = "auto") -> Any:
    """Fit a detector on the table ``data`` (``csv:PATH`` / ``parquet:PATH``) and save it as run ``out``."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GenlabError(f"run directory {str(out)!r} already exists and is not empty; choose another --out")
    detector = AnomalyDetector(model, train)
    config = detector.config
    source = TableSource.parse(data)
    header = source.columns()
    features = select_features(header, config.features, config.label, config.drop, where=source.spec)
    frame = source.read(features + ([config.label] if config.label else []))
    detector.data_source = source.spec
    detector.fit(frame, verbose=_verbosity(verbose))
    return detector.save(out)


def _verbosity(verbose: int | str) -> int:
    import sys

    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def _top_feature_text(detector: AnomalyDetector, contributions: np.ndarray, k: int) -> list[str]:
    return [";".join(names) for names in detector.top_feature_names(contributions, k)]


def detect_file(run_path: str | Path, data: str, out: str | Path | None = None, chunk_size: int = CHUNK_SIZE,
                top_features: int | None = None, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """Score every row of ``data`` with the run's detector; write the scores CSV; return a summary."""
    import pandas as pd

    from genlab.runs import atomic_path

    started = time.perf_counter()
    detector = AnomalyDetector.load(run_path)
    source = TableSource.parse(data)
    detector.preprocessor_.check_columns(source.columns(), extra_ignored=drop, where=source.spec)
    top = detector.config.top_features if top_features is None else top_features
    if top < 0:
        raise GenlabError(f"--top-features must be >= 0, got {top}")
    out = Path(out) if out else Path(run_path) / "detections.csv"
    rows = flagged = 0
    with atomic_path(out) as temporary, open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write("row_id,score,flag" + (",top_features" if top else "") + "\n")
        for first, frame in source.chunks(chunk_size, detector.feature_names_):
            z = detector.preprocessor_.transform_frame(frame, first, where=source.spec)
            contributions = detector.contributions_from_z(z)
            scores = contributions.mean(axis=1)  # the score decision_function gives
            flags = scores > detector.threshold_
            columns = {"row_id": np.arange(first, first + len(frame)), "score": scores, "flag": flags.astype(np.int8)}
            if top:
                columns["top_features"] = _top_feature_text(detector, contributions, top)
            pd.DataFrame(columns).to_csv(handle, header=False, index=False, float_format="%.17g")
            rows += len(frame)
            flagged += int(flags.sum())
    if rows == 0:
        raise GenlabError(f"{source.spec} has no data rows")
    seconds = time.perf_counter() - started
    return {"rows": rows, "flagged": flagged, "threshold": detector.threshold_, "out": str(out),
            "seconds": seconds, "rows_per_second": rows / seconds}


def _scored_rows(detector: AnomalyDetector, source: TableSource, label: str, limit: int | None,
                 rows: np.ndarray | None, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and labels of the table's rows (all, the first ``limit``, or the row ids ``rows``)."""
    scores, labels = [], []
    for first, frame in source.chunks(chunk_size, detector.feature_names_ + [label]):
        if rows is not None:
            keep = rows[(rows >= first) & (rows < first + len(frame))] - first
            frame = frame.iloc[keep]
        if limit is not None:
            frame = frame.iloc[: max(0, limit - sum(len(s) for s in scores))]
        if len(frame) == 0:
            continue
        z = detector.preprocessor_.transform_frame(frame, first, where=source.spec)
        scores.append(detector.contributions_from_z(z).mean(axis=1))
        labels.append(check_labels(frame[label], len(frame), first))
    if not scores:
        raise GenlabError(f"{source.spec} has no rows to evaluate")
    return np.concatenate(scores), np.concatenate(labels)


def evaluate_detector(run_path: str | Path, data: str | None = None, limit: int | None = None,
                      label: str | None = None, chunk_size: int = CHUNK_SIZE) -> dict[str, Any]:
    """Detection metrics of the run's detector on a labelled table; ROC, PR and histogram PNGs in
    ``RUN/plots``; the result is saved as the ``evaluation`` section of ``metrics.json``.

    Without ``data``, the held-out validation split of the run's own training table is used.
    """
    from genlab.metrics.detection import detection_metrics
    from genlab.plots.detection import save_detection_plots
    from genlab.runs import RunDir, now

    detector = AnomalyDetector.load(run_path)
    run = RunDir.open(run_path)
    config = detector.config
    label = label or config.label
    if not label:
        raise GenlabError("evaluation needs labels: pass --label COLUMN (0 normal, 1 anomaly)")
    rows, split = None, "all rows"
    if data is None:
        if config.validation_fraction == 0 or not config.label or detector.data_source == "in-memory":
            raise GenlabError("this run has no held-out validation split on file; pass --data csv:FILE --label COLUMN")
        data, split = detector.data_source, "validation split of the training table"
    source = TableSource.parse(data)
    if label not in source.columns():
        raise GenlabError(f"label column {label!r} is not in {source.spec}")
    detector.preprocessor_.check_columns(source.columns(), extra_ignored=[label], where=source.spec)
    if split != "all rows":
        column = source.read([label])[label]
        rows = stratified_split(check_labels(column, len(column)), config.validation_fraction, config.seed)[1]
    scores, labels = _scored_rows(detector, source, label, limit, rows, chunk_size)
    metrics = detection_metrics(labels, scores, detector.threshold_)
    name = f"detector ({detector.model_.family}, {config.score})"
    plots = save_detection_plots(run.plots_dir, labels, scores, detector.threshold_, title=name)
    result = {
        "table": {name: metrics},
        "confusion_matrix": {"rows": "true normal, true anomaly", "columns": "flagged normal, flagged anomaly",
                             "values": [[metrics["tn"], metrics["fp"]], [metrics["fn"], metrics["tp"]]]},
        "plots": {key: str(path.relative_to(run.path)) for key, path in plots.items()},
        "protocol": {"data": source.spec, "split": split, "label": label, "examples": int(len(labels)),
                     "anomalies": int(labels.sum()), "threshold": detector.threshold_,
                     "threshold_rule": detector.threshold_info_, "evaluated": now()},
    }
    run.update_metrics("evaluation", result)
    return result
