"""Tabular data for the anomaly detector: CSV/Parquet tables, strict column checks, and a
fitted preprocessing that is saved with a run as JSON.

A table source is ``csv:PATH`` or ``parquet:PATH`` (a bare path ending in ``.csv``,
``.parquet`` or ``.pq`` works too). The first row of a CSV is its header.

Which columns are used: the ``features`` named, or every column except the ``label`` and
the ``drop`` columns. Nothing is dropped silently: text in a numeric column (``true`` and
``false`` included: they are never read as 1 and 0), a missing value, an infinite value, a
missing column, an extra column, or a row with more fields than the header raises a
:class:`~genlab.core.errors.GenlabError` naming the columns and the rows, given as ``row_id``
(data rows counted from 0, header excluded), the same ids ``genlab detect`` writes. A
trailing comma that ends every row (an empty last field) is ignored. Missing values are
filled with the training median only when ``impute="median"`` is asked for. Training,
``genlab evaluate`` and ``genlab detect`` read a file through the same reader
(:meth:`TableSource.chunks`), so they see the same values in the same columns.

Scoring reads numbers only (:meth:`TableSource.numeric_chunks`): a CSV goes through pyarrow's
streaming reader with every feature typed float64 when pyarrow is installed, and through
pandas' C parser otherwise. Anything pyarrow will not parse (text in a number column, a
ragged row, odd quoting) sends the rest of the file to pandas, so the error names the same
cells and rows either way.

:class:`TabularPreprocessor` is fitted on the training normals only, then applied unchanged
to everything scored later:

* columns that are non-negative and right-skewed (skewness > 1, e.g. ``Amount``) get
  ``x' = sign(x) log(1 + |x|)`` (log1p; the sign keeps a negative value at scoring time
  defined instead of failing);
* every column is standardized, ``z = (x' - mean) / std`` with the mean and standard
  deviation of the training normals (a constant column keeps std 1);
* with ``scaling="minmax"``, z is then mapped so that the training normals span [0, 1],
  ``u = (z - min) / (max - min)``: the value range of a sigmoid-output model. Rows scored
  later may fall outside [0, 1]; such a model cannot reconstruct them, which is the point.
"""

from __future__ import annotations

import csv
import dataclasses
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from genlab.core.errors import GenlabError
from genlab.core.io import read_json, write_json

TABLE_KINDS = {"csv": ".csv", "parquet": ".parquet"}
READ_ENGINES = ("auto", "pyarrow", "pandas")
#: pandas' default missing-value markers, given to pyarrow too so both readers agree on them
NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
#: bytes pyarrow parses at a time (it returns one record batch per block)
ARROW_BLOCK_BYTES = 1 << 20
SKEW_THRESHOLD = 1.0
IMPUTE_CHOICES = ("none", "median")
LOG_CHOICES = ("auto", "none")
SCALINGS = ("standard", "minmax")
MAX_LISTED = 5
FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------
# Reading tables
# --------------------------------------------------------------------------------------


#: what to do about missing cells: when training, and when scoring with a run trained without imputation
MISSING_FIX_TRAINING = "fill them, or pass --impute median"
MISSING_FIX_SCORING = ("fill them, or train a new detector with imputation (genlab train detector ... --impute median; "
                       "AnomalyDetector(impute='median') in Python): this one was trained without it")


@dataclasses.dataclass(frozen=True)
class TableSource:
    """A CSV or Parquet file with a header row."""

    kind: str
    path: Path

    @classmethod
    def parse(cls, spec: str) -> "TableSource":
        if not isinstance(spec, str) or not spec.strip():
            raise GenlabError(f"table source must be csv:PATH or parquet:PATH, got {spec!r}")
        prefix, _, rest = spec.partition(":")
        if rest and prefix in TABLE_KINDS:
            kind, path = prefix, Path(rest).expanduser()
        elif rest and prefix.isalpha() and len(prefix) > 1 and not Path(spec).exists():
            raise GenlabError(f"unknown table kind {prefix!r} in {spec!r}: use csv:PATH or parquet:PATH")
        else:
            path = Path(spec).expanduser()
            suffix = path.suffix.lower()
            kind = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix)
            if kind is None:
                raise GenlabError(f"table source must be csv:PATH or parquet:PATH, got {spec!r}")
        if not path.is_file():
            raise GenlabError(f"{kind} file {str(path)!r} does not exist")
        return cls(kind, path)

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.path}"

    def _parquet(self):
        try:
            import pyarrow.parquet as parquet
        except ImportError:
            raise GenlabError("reading Parquet needs pyarrow: pip install 'genlab[parquet]'") from None
        try:
            return parquet.ParquetFile(self.path)
        except Exception as error:  # noqa: BLE001 - corrupt or not Parquet
            raise GenlabError(f"cannot read {str(self.path)!r} as Parquet: {error}") from None

    def columns(self) -> list[str]:
        """The header, checked: present, no duplicate or numeric-looking names."""
        if self.kind == "parquet":
            names = list(self._parquet().schema_arrow.names)
        else:
            try:
                with open(self.path, newline="", encoding="utf-8-sig") as handle:
                    names = next(csv.reader(handle), None)  # raw header: pandas would rename duplicates
            except (UnicodeDecodeError, csv.Error) as error:
                raise GenlabError(f"cannot read {str(self.path)!r} as CSV: {error}") from None
            if not names:
                raise GenlabError(f"csv file {str(self.path)!r} is empty")
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise GenlabError(f"{str(self.path)!r} has duplicate column names: {', '.join(duplicated)}")
        if names and all(_looks_numeric(n) for n in names):
            raise GenlabError(f"{str(self.path)!r} has no header row (its first row is numbers); add column names")
        return names

    def chunks(self, chunk_size: int, columns: Sequence[str] | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
        """``(first row_id, DataFrame)`` pieces of at most ``chunk_size`` rows, in file order."""
        if chunk_size <= 0:
            raise GenlabError(f"chunk size must be > 0, got {chunk_size}")
        first = 0
        if self.kind == "parquet":
            for batch in self._parquet().iter_batches(batch_size=chunk_size, columns=list(columns) if columns else None):
                frame = batch.to_pandas()
                yield first, frame
                first += len(frame)
            return
        # Every column is parsed (no usecols: pandas would drop the extra fields of a row silently),
        # and index_col=False: rows with a field more than the header are never read with their
        # first field as an index (shifting every column by one); see _ragged_error.
        try:
            reader = pd.read_csv(self.path, chunksize=chunk_size, index_col=False, low_memory=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise GenlabError(f"cannot read {str(self.path)!r} as CSV: {error}") from None
        with reader:
            while True:
                try:
                    with warnings.catch_warnings():  # "loss of data": a row with more fields than the header
                        warnings.simplefilter("error", pd.errors.ParserWarning)
                        frame = next(reader)
                except StopIteration:
                    return
                except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
                    raise self._ragged_error(first, error) from None
                if columns:
                    missing = [c for c in columns if c not in frame.columns]
                    if missing:
                        raise GenlabError(f"column(s) {_names(missing)} not in {self.spec}")
                    frame = frame[list(columns)]
                frame = _booleans_as_text(frame)
                yield first, frame
                first += len(frame)

    def _ragged_error(self, first: int, error: Exception) -> GenlabError:
        """The row with more fields than the header (found by reading the file again with the csv
        module, which counts fields as pandas does); pandas' own message if there is none."""
        try:
            with open(self.path, newline="", encoding="utf-8-sig") as handle:
                rows = csv.reader(handle)
                width = len(next(rows, []))
                longer = None
                for row_id, row in enumerate(r for r in rows if r):  # pandas and pyarrow skip blank lines
                    if len(row) > width and any(field.strip() for field in row[width:]):
                        longer = (row_id, len(row))
                        break
                    if len(row) > width and longer is None:
                        longer = (row_id, len(row))
        except (OSError, UnicodeDecodeError, csv.Error):
            longer = None
        if longer is None:
            reason = " ".join(str(error).split())
            return GenlabError(f"cannot read {str(self.path)!r} as CSV near row_id {first}: {reason}")
        row_id, count = longer
        return GenlabError(
            f"{self.spec}: row_id {row_id} has {count} fields but the header names {width} columns; remove the "
            f"extra field(s) (a trailing comma that ends every row is ignored)"
        )

    def numeric_chunks(self, chunk_size: int, columns: Sequence[str], allow_missing: bool = False,
                       where: str | None = None, engine: str = "auto",
                       missing_fix: str = MISSING_FIX_TRAINING) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row_id, float64 array (N, len(columns)))`` pieces of exactly ``chunk_size`` rows
        (the last may be shorter), checked as :func:`numeric_values` checks them.

        ``engine="auto"`` reads a CSV with pyarrow when it is installed and falls back to pandas
        (from the chunk pyarrow failed on) for anything pyarrow refuses; ``"pandas"`` never uses
        pyarrow; ``"pyarrow"`` fails without it. Parquet is read with pyarrow in any case.
        """
        if engine not in READ_ENGINES:
            raise GenlabError(f"engine must be one of {', '.join(READ_ENGINES)}, got {engine!r}")
        if chunk_size <= 0:
            raise GenlabError(f"chunk size must be > 0, got {chunk_size}")
        columns, where = list(columns), where or self.spec
        resume = 0
        if self.kind == "csv" and engine != "pandas":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                if engine == "pyarrow":
                    raise GenlabError("engine pyarrow needs pyarrow: pip install 'genlab[parquet]'") from None
            else:
                resume = yield from self._arrow_chunks(chunk_size, columns, allow_missing, where, missing_fix)
                if resume is None:
                    return
        for first, frame in self.chunks(chunk_size, columns):
            if first >= resume:  # rows before ``resume`` were read by pyarrow and already given out
                yield first, numeric_values(frame, columns, first, allow_missing=allow_missing, where=where,
                                            missing_fix=missing_fix)

    def _arrow_chunks(self, chunk_size: int, columns: list[str], allow_missing: bool, where: str,
                      missing_fix: str = MISSING_FIX_TRAINING):
        """pyarrow's streaming CSV reader (one thread: ``genlab detect`` reads in a thread of its
        own) cut into chunks; returns None at the end of the file, or the row_id to resume from
        with pandas when pyarrow cannot parse what follows."""
        import pyarrow as pa
        import pyarrow.csv as arrow_csv

        first, pending, pending_rows = 0, [], 0
        try:
            reader = arrow_csv.open_csv(
                self.path, read_options=arrow_csv.ReadOptions(block_size=ARROW_BLOCK_BYTES, use_threads=False),
                convert_options=arrow_csv.ConvertOptions(column_types={c: pa.float64() for c in columns},
                                                         include_columns=columns, null_values=list(NA_VALUES)))
            for batch in reader:
                block = np.empty((batch.num_rows, len(columns)), np.float64)
                for j, column in enumerate(batch.columns):
                    block[:, j] = column.to_numpy(zero_copy_only=False)  # nulls become NaN
                pending.append(block)
                pending_rows += len(block)
                while pending_rows >= chunk_size:
                    values, pending = _split_rows(pending, chunk_size)
                    pending_rows -= chunk_size
                    yield first, check_values(values, columns, first, allow_missing, where, missing_fix)
                    first += chunk_size
        except pa.ArrowException:
            return first
        if pending_rows:
            values, _ = _split_rows(pending, pending_rows)
            yield first, check_values(values, columns, first, allow_missing, where, missing_fix)
        return None

    def read(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The whole table (or the named columns)."""
        frames = [frame for _, frame in self.chunks(1_000_000, columns)]
        if not sum(len(frame) for frame in frames):
            raise GenlabError(f"{str(self.path)!r} has a header but no data rows")
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _booleans_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the cells pandas parsed as booleans (``true``, ``False``, ...) turned back into
    text, so that a CSV's numeric columns take numbers only, as pyarrow reads them: true/false in
    a numeric column is text, never 1/0."""
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            frame = frame.assign(**{name: column.map({True: "True", False: "False"}).astype(object)})
        elif column.dtype == object:
            flags = column.map(lambda v: isinstance(v, (bool, np.bool_)))
            if flags.any():
                frame = frame.assign(**{name: column.where(~flags, column.astype(str))})
    return frame


def _split_rows(blocks: list[np.ndarray], count: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """The first ``count`` rows of the stacked ``blocks``, and the blocks left over."""
    taken, rest, needed = [], list(blocks), count
    while needed:
        block = rest.pop(0)
        if len(block) > needed:
            taken.append(block[:needed])
            rest.insert(0, block[needed:])
            needed = 0
        else:
            taken.append(block)
            needed -= len(block)
    return (taken[0] if len(taken) == 1 else np.concatenate(taken)), rest


def _looks_numeric(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


def _rows(row_ids: np.ndarray) -> str:
    listed = ", ".join(str(int(r)) for r in row_ids[:MAX_LISTED])
    more = f" and {len(row_ids) - MAX_LISTED} more" if len(row_ids) > MAX_LISTED else ""
    return f"row_id {listed}{more}"


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def select_features(header: Sequence[str], features: Sequence[str] = (), label: str | None = None,
                    drop: Sequence[str] = (), where: str = "the data") -> list[str]:
    """The feature columns: ``features`` if given, else every column but ``label`` and ``drop``."""
    header = list(header)
    named = list(features) + ([label] if label else []) + list(drop)
    missing = [n for n in named if n not in header]
    if missing:
        raise GenlabError(f"column(s) {_names(missing)} not in {where}; its columns are: {', '.join(header)}")
    if label and label in features:
        raise GenlabError(f"column {label!r} is the label; it cannot also be a feature")
    overlap = [n for n in features if n in drop]
    if overlap:
        raise GenlabError(f"column(s) {_names(overlap)} are both in --features and --drop")
    chosen = list(features) if features else [c for c in header if c != label and c not in drop]
    if not chosen:
        raise GenlabError(f"no feature columns left in {where} after removing the label and --drop columns")
    return chosen


def numeric_values(frame: pd.DataFrame, columns: Sequence[str], first_row: int = 0,
                   allow_missing: bool = False, where: str = "the data",
                   missing_fix: str = MISSING_FIX_TRAINING) -> np.ndarray:
    """The named columns as float64 (N, D); GenlabError naming the cells with text or infinities,
    and with missing values unless ``allow_missing`` (they stay NaN for the imputer)."""
    values = np.empty((len(frame), len(columns)), np.float64)
    text = []
    row_ids = np.arange(first_row, first_row + len(frame))
    for j, name in enumerate(columns):
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            numbers = column.to_numpy(np.float64, na_value=np.nan)
        else:
            converted = pd.to_numeric(column, errors="coerce")
            bad = (converted.isna() & column.notna()).to_numpy()
            if bad.any():
                samples = ", ".join(repr(v) for v in column[bad].astype(str).unique()[:3])
                text.append(f"{name!r} at {_rows(row_ids[bad])} ({samples})")
            numbers = converted.to_numpy(np.float64, na_value=np.nan)
        values[:, j] = numbers
    if text:
        raise GenlabError(f"text in numeric column(s) of {where}: {'; '.join(text)}")
    return check_values(values, columns, first_row, allow_missing, where, missing_fix)


def check_values(values: np.ndarray, columns: Sequence[str], first_row: int = 0, allow_missing: bool = False,
                 where: str = "the data", missing_fix: str = MISSING_FIX_TRAINING) -> np.ndarray:
    """``values`` (N, D float) unchanged if finite; GenlabError naming the cells that are infinite,
    or missing (NaN) unless ``allow_missing``. One pass over the array when all is well."""
    if np.isfinite(values).all():
        return values
    row_ids = np.arange(first_row, first_row + len(values))
    missing, infinite = [], []
    for j, name in enumerate(columns):
        empty, endless = np.isnan(values[:, j]), np.isinf(values[:, j])
        if empty.any() and not allow_missing:
            missing.append(f"{name!r} at {_rows(row_ids[empty])}")
        if endless.any():
            infinite.append(f"{name!r} at {_rows(row_ids[endless])}")
    if infinite:
        raise GenlabError(f"infinite values in {where}: {'; '.join(infinite)}")
    if missing:
        raise GenlabError(f"missing values in {where}: {'; '.join(missing)}; {missing_fix}")
    return values


# --------------------------------------------------------------------------------------
# The fitted preprocessing
# --------------------------------------------------------------------------------------


def signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))  # x' = sign(x) log(1 + |x|)


def _skewness(x: np.ndarray) -> float:
    centred = x - x.mean()
    spread = np.sqrt(np.mean(centred**2))
    return 0.0 if spread == 0 else float(np.mean(centred**3) / spread**3)


@dataclasses.dataclass
class TabularPreprocessor:
    """Column schema + log1p + standardization, fitted on training normals (see module docstring)."""

    features: list[str]
    label: str | None = None
    ignored: list[str] = dataclasses.field(default_factory=list)
    impute: str = "none"
    log1p: list[str] = dataclasses.field(default_factory=list)
    mean: list[float] = dataclasses.field(default_factory=list)
    std: list[float] = dataclasses.field(default_factory=list)
    median: list[float] = dataclasses.field(default_factory=list)
    scaling: str = "standard"
    low: list[float] = dataclasses.field(default_factory=list)
    high: list[float] = dataclasses.field(default_factory=list)

    @classmethod
    def fit(cls, values: np.ndarray, features: Sequence[str], label: str | None = None,
            ignored: Sequence[str] = (), impute: str = "none", log_transform: str = "auto",
            scaling: str = "standard") -> "TabularPreprocessor":
        """Fit on ``values`` (N, D) float, the training normals; NaN allowed only with impute median."""
        if impute not in IMPUTE_CHOICES:
            raise GenlabError(f"impute must be one of {', '.join(IMPUTE_CHOICES)}, got {impute!r}")
        if log_transform not in LOG_CHOICES:
            raise GenlabError(f"log_transform must be one of {', '.join(LOG_CHOICES)}, got {log_transform!r}")
        if scaling not in SCALINGS:
            raise GenlabError(f"scaling must be one of {', '.join(SCALINGS)}, got {scaling!r}")
        values = np.asarray(values, np.float64)
        if values.ndim != 2 or values.shape[1] != len(features):
            raise GenlabError(f"expected {len(features)} feature columns, got an array shaped {values.shape}")
        if len(values) < 2:
            raise GenlabError(f"need at least 2 normal training rows to fit the scaling, got {len(values)}")
        log_columns, means, stds, medians = [], [], [], []
        for j, name in enumerate(features):
            observed = values[:, j][~np.isnan(values[:, j])]
            if len(observed) == 0:
                raise GenlabError(f"column {name!r} has no values in the training rows")
            if log_transform == "auto" and observed.min() >= 0 and _skewness(observed) > SKEW_THRESHOLD:
                log_columns.append(name)
                observed = signed_log1p(observed)
            std = float(observed.std())
            means.append(float(observed.mean()))
            stds.append(std if std > 1e-12 else 1.0)
            medians.append(float(np.median(values[:, j][~np.isnan(values[:, j])])))
        processor = cls(list(features), label, list(ignored), impute, log_columns, means, stds, medians)
        if scaling == "minmax":
            z = processor.transform_values(values)
            low, high = np.nanmin(z, axis=0), np.nanmax(z, axis=0)
            processor.low, processor.high = low.tolist(), np.where(high > low, high, low + 1.0).tolist()
            processor.scaling = scaling
        return processor

    # applying -----------------------------------------------------------------------------
    def transform_values(self, values: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """Raw feature values (N, D) -> standardized float32, filling NaN with medians if asked.

        With ``overwrite`` a float64 ``values`` is used as the work space (and left changed)
        instead of being copied; the result is the same to the bit.
        """
        if not (overwrite and isinstance(values, np.ndarray) and values.dtype == np.float64
                and values.flags.writeable):
            values = np.array(values, np.float64)
        if self.impute == "median" and np.isnan(values).any():
            rows, cols = np.nonzero(np.isnan(values))
            values[rows, cols] = np.asarray(self.median)[cols]
        logged = [self.features.index(name) for name in self.log1p]
        if logged:
            values[:, logged] = signed_log1p(values[:, logged])
        np.subtract(values, np.asarray(self.mean), out=values)
        np.divide(values, np.asarray(self.std), out=values)  # z = (x' - mean) / std
        if self.scaling == "minmax":
            low, high = np.asarray(self.low), np.asarray(self.high)
            np.subtract(values, low, out=values)
            np.divide(values, high - low, out=values)  # u = (z - min) / (max - min): training normals in [0, 1]
        return values.astype(np.float32)

    def check_columns(self, header: Sequence[str], extra_ignored: Sequence[str] = (), where: str = "the data") -> None:
        """Scoring-time schema check: every feature present, no column the run has not seen."""
        missing = [c for c in self.features if c not in header]
        if missing:
            raise GenlabError(f"{where} lacks column(s) {_names(missing)} that this run was trained on")
        known = set(self.features) | set(self.ignored) | set(extra_ignored) | ({self.label} if self.label else set())
        extra = [c for c in header if c not in known]
        if extra:
            raise GenlabError(
                f"{where} has column(s) {_names(extra)} this run was not trained on; remove them or pass --drop "
                f"{','.join(extra)} (the run reads {len(self.features)} features"
                f"{', label ' + repr(self.label) if self.label else ''})"
            )

    def transform_frame(self, frame: pd.DataFrame, first_row: int = 0, where: str = "the data") -> np.ndarray:
        """Checked and transformed features of one table (or chunk) whose first row is ``first_row``."""
        values = numeric_values(frame, self.features, first_row, allow_missing=self.impute == "median", where=where,
                                missing_fix=MISSING_FIX_SCORING)
        return self.transform_values(values)

    # saving -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TabularPreprocessor":
        values = dict(values)
        if values.pop("format_version", None) != FORMAT_VERSION:
            raise GenlabError(f"preprocessing format is not version {FORMAT_VERSION}; retrain with this genlab")
        try:
            processor = cls(**values)
        except TypeError as error:
            raise GenlabError(f"preprocessing file is invalid: {error}") from None
        count = len(processor.features)
        if not (len(processor.mean) == len(processor.std) == len(processor.median) == count):
            raise GenlabError("preprocessing file is invalid: statistics do not match the feature list")
        if processor.scaling not in SCALINGS or (processor.scaling == "minmax" and
                                                 not len(processor.low) == len(processor.high) == count):
            raise GenlabError(f"preprocessing file is invalid: scaling {processor.scaling!r}")
        return processor

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> "TabularPreprocessor":
        return cls.from_dict(read_json(path, "preprocessing"))


def as_frame(x: Any, features: Sequence[str] | None = None) -> pd.DataFrame:
    """A DataFrame from a DataFrame or a 2-D array (columns named x0, x1, ... unless ``features``)."""
    if isinstance(x, pd.DataFrame):
        return x
    array = np.asarray(x)
    if array.ndim != 2:
        raise GenlabError(f"expected a 2-D table (rows, features), got an array shaped {array.shape}")
    names = list(features) if features else [f"x{j}" for j in range(array.shape[1])]
    if len(names) != array.shape[1]:
        raise GenlabError(f"expected {len(names)} feature columns, got {array.shape[1]}")
    return pd.DataFrame(array, columns=names)


def fingerprint(values: np.ndarray) -> str:
    import hashlib

    digest = hashlib.sha256(str(values.shape).encode())
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def synthetic_table(n_normal: int = 300, n_anomalous: int = 15, seed: int = 0, planted: str = "f3") -> pd.DataFrame:
    """A small table with planted anomalies, for tests and examples.

    Normal rows lie near a 2-D plane in 5 features ``f0..f4`` (plus noise), with a skewed
    non-negative ``amount`` column tied to the plane (the plane is the same for every ``seed``,
    so tables of several seeds are train and test splits of one population); anomalous rows
    (``label`` 1) are normal rows whose ``planted`` feature is pushed 5 to 8 standard
    deviations off the plane.
    """
    mixing = np.random.default_rng(1234).normal(size=(2, 5))  # the same plane for every seed
    rng = np.random.default_rng(seed)
    count = n_normal + n_anomalous
    latent = rng.normal(size=(count, 2))
    features = latent @ mixing + 0.1 * rng.normal(size=(count, 5))
    frame = pd.DataFrame(features, columns=[f"f{j}" for j in range(5)])
    frame["amount"] = np.exp(1.0 + 0.8 * latent[:, 0] + 0.2 * rng.normal(size=count))
    frame["label"] = np.r_[np.zeros(n_normal, np.int64), np.ones(n_anomalous, np.int64)]
    anomalous = frame.index[n_normal:]
    spread = frame.loc[: n_normal - 1, planted].std()
    frame.loc[anomalous, planted] += rng.choice([-1.0, 1.0], n_anomalous) * rng.uniform(5, 8, n_anomalous) * spread
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
