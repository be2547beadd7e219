"""Scoring request bodies with a detector run, exactly as ``genlab detect`` scores a table.

A body is JSON ``{"rows": [{column: value, ...}, ...]}`` or CSV text (a header row, then data
rows). Both are checked like ``genlab detect`` checks a file: every feature the run was trained
on present, no column it has not seen (its ignored columns and label may be there), numbers
only (JSON numbers, or text that reads as one; not true/false, which ``genlab detect`` refuses
in a CSV too), no missing value unless the run imputes. A bad
body raises :class:`BadBody` (a GenlabError) naming the row (``row_id``, counted from 0 like
``genlab detect``'s output) and the reason; no row is ever dropped.

The CSV body is read by the same reader as ``genlab detect`` (:class:`TableSource` over a
temporary file), so both give the same numbers. A row's score is the mean of its per-feature
contributions, its flag ``score > threshold``, its top features the names of its ``k`` largest
contributions (:meth:`AnomalyDetector.top_feature_order`), as ``genlab detect`` writes them.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genlab.core.errors import GenlabError
from genlab.data.tabular import MISSING_FIX_SCORING, TableSource, check_values, numeric_values
from genlab.tabular import AnomalyDetector

BODY = "the request body"


class BadBody(GenlabError):
    """A request body that cannot be scored; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class DetectorScorer:
    """A loaded detector run: request bodies in, preprocessed rows ``z`` out; ``z`` in, scores out."""

    def __init__(self, run_path: str | Path):
        self.run_path = Path(run_path)
        self.detector = AnomalyDetector.load(run_path)
        self.preprocessor = self.detector.preprocessor_
        self.features = list(self.preprocessor.features)
        self.threshold = float(self.detector.threshold_)
        self.top = int(self.detector.config.top_features)

    def describe(self) -> dict[str, Any]:
        """What ``GET /v1/model`` answers."""
        return {"kind": "detector", "family": self.detector.model_.family, "run": str(self.run_path),
                "threshold": self.threshold, "features": self.features, "top_features": self.top,
                "score": self.detector.config.score, "ignored_columns": list(self.preprocessor.ignored),
                "label": self.preprocessor.label, "impute": self.preprocessor.impute}

    # bodies -> z -------------------------------------------------------------------------
    def rows_from_json(self, body: bytes) -> np.ndarray:
        """Preprocessed rows (float32, N x D) of a JSON body ``{"rows": [{...}, ...]}``."""
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise BadBody(f"the body is not valid JSON: {error}", 400) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("rows"), list):
            raise BadBody('the body must be a JSON object {"rows": [{column: value, ...}, ...]}', 422)
        rows = payload["rows"]
        if not rows:
            raise BadBody('"rows" is empty: nothing to score', 422)
        known = set(self.features) | set(self.preprocessor.ignored) | ({self.preprocessor.label} - {None})
        problems = []
        for row_id, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.append(f"row_id {row_id} is not an object of column: value")
                continue
            missing = [name for name in self.features if name not in row]
            extra = [name for name in row if name not in known]
            if missing:
                problems.append(f"row_id {row_id} lacks column(s) {', '.join(map(repr, missing))}")
            if extra:
                problems.append(f"row_id {row_id} has column(s) {', '.join(map(repr, extra))} this run was not "
                                f"trained on")
            for name in self.features:
                value = row.get(name)
                if isinstance(value, bool) or not (value is None or isinstance(value, (int, float, str))):
                    problems.append(f"row_id {row_id}: {name!r} is {json.dumps(value)[:40]}, not a number")
                elif isinstance(value, float) and not math.isfinite(value):
                    problems.append(f"row_id {row_id}: {name!r} is not finite")
            if len(problems) >= 10:
                break
        if problems:
            raise BadBody("; ".join(problems[:10]) + (" (and more)" if len(problems) > 10 else ""))
        allow_missing = self.preprocessor.impute == "median"
        table = [[row[name] for name in self.features] for row in rows]
        if all(type(value) in (int, float) for values in table for value in values):  # numbers only: no DataFrame
            values = check_values(np.array(table, np.float64), self.features, 0, allow_missing, BODY, MISSING_FIX_SCORING)
        else:  # text or null: pandas reads them as genlab detect does
            values = numeric_values(pd.DataFrame(table, columns=self.features, dtype=object), self.features, 0,
                                    allow_missing=allow_missing, where=BODY, missing_fix=MISSING_FIX_SCORING)
        return self._transform(values)

    def rows_from_csv(self, body: bytes) -> np.ndarray:
        """Preprocessed rows (float32, N x D) of a CSV body, read as ``genlab detect`` reads a file."""
        with tempfile.TemporaryDirectory(prefix="genlab-serve-") as folder:
            path = Path(folder) / "body.csv"
            path.write_bytes(body)
            source = TableSource.parse(f"csv:{path}")
            try:
                self.preprocessor.check_columns(source.columns(), where=BODY)
                chunks = [values for _, values in source.numeric_chunks(
                    1_000_000, self.features, allow_missing=self.preprocessor.impute == "median", where=BODY,
                    missing_fix=MISSING_FIX_SCORING)]
            except GenlabError as error:
                message = str(error).replace(f"csv:{path}", BODY).replace(repr(str(path)), BODY).replace(str(path), BODY)
                raise BadBody(message) from None
            except (UnicodeDecodeError, ValueError) as error:
                raise BadBody(f"cannot read {BODY} as CSV: {error}") from None
        if not chunks or not sum(len(c) for c in chunks):
            raise BadBody(f"{BODY} has a header but no data rows")
        return self._transform(np.concatenate(chunks))

    def _transform(self, values: np.ndarray) -> np.ndarray:
        return self.preprocessor.transform_values(values, overwrite=True)

    # z -> scores -------------------------------------------------------------------------
    def score_z(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores (N,), top feature column indices (N, k)) of preprocessed rows; row-wise, so
        a micro-batch of many requests gives each row what it would get alone."""
        contributions = self.detector.contributions_from_z(z)
        scores = contributions.mean(axis=1)  # the score decision_function gives
        return scores, self.detector.top_feature_order(contributions, self.top)

    def response(self, scores: np.ndarray, order: np.ndarray) -> dict[str, Any]:
        """The JSON answer of ``POST /v1/score``."""
        flags = scores > self.threshold
        names = self.features
        values = scores.tolist()
        if not np.isfinite(scores).all():  # a value so far out that its error overflows: "inf", as genlab detect writes it
            values = [v if math.isfinite(v) else repr(v) for v in values]
        rows = [{"row_id": i, "score": score, "flag": int(flag), "top_features": [names[j] for j in top]}
                for i, (score, flag, top) in enumerate(zip(values, flags.tolist(), order.tolist()))]
        return {"threshold": self.threshold, "rows": rows, "flagged": int(flags.sum())}
