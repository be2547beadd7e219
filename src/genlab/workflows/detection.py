"""The file workflow behind ``genlab train detector``, ``genlab detect`` and ``genlab evaluate``.

``detect_file`` streams the table in chunks (memory bounded by the chunk size, not the file)
and writes ``row_id, score, flag[, top_features]``; each row's score is the one
``AnomalyDetector.decision_function`` gives in memory. The output is written to a temporary
file and renamed at the end, so a bad row halfway leaves no partial result.

How it keeps up (benchmarks/detect_throughput.py): a reader thread parses and checks the
next chunks (pyarrow's CSV reader, see :meth:`TableSource.numeric_chunks`; parsing is most
of the work) while the main thread preprocesses and scores the current one (one traced
forward pass, numpy for the rest) and writes it. The output lines are built by pyarrow's compute kernels when pyarrow is
installed: scores in the shortest text that reads back to the same float64 (``repr``'s
rule), each distinct top-features text formatted once; without pyarrow, by Python.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from genlab.core.config import TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_path, check_output_path
from genlab.data.tabular import (
    MISSING_FIX_SCORING,
    READ_ENGINES,
    TableSource,
    select_features,
)
from genlab.metrics.detection import detection_metrics
from genlab.plots.detection import save_detection_plots
from genlab.runs import RunDir, now
from genlab.tabular.detector import AnomalyDetector, check_labels, stratified_split

CHUNK_SIZE = 50_000


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


class _Prefetched:
    """Runs ``items`` in a background thread, at most ``depth`` items ahead of the consumer.

    An exception raised by ``items`` is raised again where the consumer asks for the next
    item; leaving the ``with`` block early stops the thread.
    """

    def __init__(self, items: Iterator, depth: int = 2):
        self._items = items
        self._queue: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="genlab-detect-reader", daemon=True)

    def __enter__(self) -> Iterator:
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(("item", item)):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(("error", error))
            return
        finally:
            getattr(self._items, "close", lambda: None)()
        self._put(("end", None))

    def _put(self, entry) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self) -> Iterator:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value


def _csv_field(text: str) -> str:
    """``text`` as one CSV field, quoted only where needed (as pandas' ``to_csv`` writes it)."""
    if not text:
        return text
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([text])
    return buffer.getvalue()[:-1]


class TopFeatureFields:
    """The ``top_features`` field (``name;name;name``, CSV-quoted) of each row, from the column
    order of its top features (:meth:`AnomalyDetector.top_feature_order`).

    Rows share few distinct ordered combinations (at most D^k), so each is formatted once, the
    first time it is seen, and a row gets the index of its combination's text.
    """

    def __init__(self, names: list[str]):
        self.names = list(names)
        self._index: dict[Any, int] = {}  # combination (code or tuple) -> position in fields
        self.fields: list[str] = []

    def __call__(self, order: np.ndarray) -> tuple[list[str], np.ndarray]:
        """(the texts of the chunk's distinct combinations, per row the index of its text)."""
        rows, k = order.shape
        if k == 0:
            return [""], np.zeros(rows, np.intp)
        radix = len(self.names)
        if radix**k < 2**62:
            codes = np.zeros(rows, np.int64)
            for i in range(k):
                codes = codes * radix + order[:, i]  # one integer per ordered combination
            distinct, first, which = np.unique(codes, return_index=True, return_inverse=True)
            keys = distinct.tolist()
        else:
            combos, first, which = np.unique(order, axis=0, return_index=True, return_inverse=True)
            keys = [tuple(c) for c in combos.tolist()]
        texts = []
        for key, row in zip(keys, first.tolist()):
            position = self._index.get(key)
            if position is None:
                position = self._index[key] = len(self.fields)
                self.fields.append(_csv_field(";".join(self.names[j] for j in order[row])))
            texts.append(self.fields[position])
        return texts, which.reshape(-1)


def _have_pyarrow() -> bool:
    try:
        import pyarrow.compute  # noqa: F401
    except ImportError:
        return False
    return True


def score_lines(first: int, scores: np.ndarray, flags: np.ndarray, fields: list[str] | None = None,
                which: np.ndarray | None = None, arrow: bool = True):
    """The CSV lines ``row_id,score,flag[,top_features]`` of one chunk, as bytes-like.

    ``fields[which[i]]`` is row i's top-features field (already CSV-quoted); None for no
    such column. Scores are written in the shortest text that reads back to the same float64.
    """
    count = len(scores)
    if not arrow:
        ids, values, marks = range(first, first + count), scores.tolist(), flags.astype(np.int8).tolist()
        if fields is None:
            lines = [f"{i},{v!r},{m}\n" for i, v, m in zip(ids, values, marks)]
        else:
            lines = [f"{i},{v!r},{m},{fields[w]}\n" for i, v, m, w in zip(ids, values, marks, which.tolist())]
        return "".join(lines).encode("utf-8")
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.large_string()
    flag_index = pa.array(flags.astype(np.int8))
    parts = [pc.cast(pa.array(np.arange(first, first + count)), text),
             pc.cast(pa.array(np.asarray(scores, np.float64)), text)]  # shortest round-trip digits
    if fields is None:
        parts.append(pc.take(pa.array(["0\n", "1\n"], text), flag_index))
    else:
        parts.append(pc.take(pa.array(["0", "1"], text), flag_index))
        parts.append(pc.take(pa.array([field + "\n" for field in fields], text), pa.array(which)))
    lines = pc.binary_join_element_wise(*parts, pa.scalar(",", text))
    if count == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], np.int64)[lines.offset : lines.offset + count + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]]


def detect_file(run_path: str | Path, data: str, out: str | Path | None = None, chunk_size: int = CHUNK_SIZE,
                top_features: int | None = None, drop: tuple[str, ...] = (), engine: str = "auto",
                overwrite: bool = False) -> dict[str, Any]:
    """Score every row of ``data`` with the run's detector; write the scores CSV; return a summary.

    ``engine``: how a CSV is read (``auto``: pyarrow when installed, else pandas; see
    :meth:`~genlab.data.tabular.TableSource.numeric_chunks`); the scores are the same.
    ``out`` (default ``RUN/detections.csv``) is never the table itself nor a file of a run, and
    replaces an existing file only if ``overwrite``.
    """

    started = time.perf_counter()
    if engine not in READ_ENGINES:
        raise GenlabError(f"engine must be one of {', '.join(READ_ENGINES)}, got {engine!r}")
    detector = AnomalyDetector.load(run_path)
    source = TableSource.parse(data)
    default = Path(run_path) / "detections.csv"
    out = check_output_path(out or default, inputs=(source.path,), overwrite=overwrite, default=default)
    preprocessor = detector.preprocessor_
    preprocessor.check_columns(source.columns(), extra_ignored=drop, where=source.spec)
    top = detector.config.top_features if top_features is None else top_features
    if top < 0:
        raise GenlabError(f"--top-features must be >= 0, got {top}")
    arrow = _have_pyarrow()
    chunks = source.numeric_chunks(chunk_size, preprocessor.features, allow_missing=preprocessor.impute == "median",
                                   missing_fix=MISSING_FIX_SCORING,
                                   where=source.spec, engine=engine)
    rows = flagged = 0
    top_fields = TopFeatureFields(preprocessor.features)
    with atomic_path(out) as temporary, open(temporary, "wb") as handle, _Prefetched(chunks) as pieces:
        handle.write(("row_id,score,flag" + (",top_features" if top else "") + "\n").encode("utf-8"))
        for first, values in pieces:
            z = preprocessor.transform_values(values, overwrite=True)
            contributions = detector.contributions_from_z(z)
            scores = contributions.mean(axis=1)  # the score decision_function gives
            flags = scores > detector.threshold_
            chunk_fields = which = None
            if top:
                chunk_fields, which = top_fields(detector.top_feature_order(contributions, top))
            handle.write(score_lines(first, scores, flags, chunk_fields, which, arrow=arrow))
            rows += len(z)
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
