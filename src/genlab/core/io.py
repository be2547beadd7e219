"""Atomic file I/O: every genlab file is written to a temporary name beside its target, then
renamed over it (``os.replace``), so a crash leaves either the old file or the new one.

JSON and CSV helpers read back what they write (numbers as numbers); a corrupt or missing
file raises :class:`~genlab.core.errors.GenlabError` naming it.

:func:`check_output_path` is the one rule every command applies to a file the user names
with ``--out``: it never replaces an existing file unless asked, never lands among a run
directory's own files, and is never one of the command's inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import csv
import io
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from genlab.core.errors import GenlabError


#: a folder holding both of these is a run directory (see :mod:`genlab.runs`)
RUN_MARKERS = ("config.json", "metadata.json")


def run_directory_holding(path: str | Path) -> Path | None:
    """The run directory that ``path`` (resolved) lies inside, at any depth; None outside every run."""
    for folder in Path(path).resolve().parents:
        if all((folder / name).is_file() for name in RUN_MARKERS):
            return folder
    return None


def _same_file(a: Path, b: Path) -> bool:
    if a == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links, case-insensitive file systems
    except OSError:  # one of them does not exist
        return False


def source_path(spec: str | Path | None) -> Path | None:
    """The file or folder a data spec reads (``npz:PATH``, ``csv:PATH``, ``folder:PATH``, or a path
    that exists), for :func:`check_output_path`'s ``inputs``; None for a named data set (``digits``)."""
    if spec is None:
        return None
    prefix, _, rest = str(spec).partition(":")
    if rest and prefix.isalpha() and len(prefix) > 1:  # kind:PATH (not a Windows drive letter)
        return Path(rest).expanduser()
    path = Path(spec).expanduser()
    return path if path.exists() else None


def check_output_path(path: str | Path, inputs=(), overwrite: bool = False, default: str | Path | None = None,
                      flag: str = "--out") -> Path:
    """``path``, once it is safe to write; GenlabError (one line naming the path and the fix) otherwise.

    An output file is never one of ``inputs`` (files the command reads; ``--overwrite`` does not
    change that), never lies inside a run directory (a folder holding ``config.json`` and
    ``metadata.json``), and never replaces an existing file unless ``overwrite``. ``default`` is
    the command's own documented output inside the run it acts on (``RUN/samples.png``): that
    one is the command's to rewrite, so only the inputs rule applies to it.
    """
    path = Path(path).expanduser()
    resolved = path.resolve()
    for source in inputs:
        if source is not None and _same_file(resolved, Path(source).expanduser()):
            raise GenlabError(f"{flag} {str(path)!r} is the input {str(source)!r}; choose another {flag}")
    if default is not None and resolved == Path(default).expanduser().resolve():
        return path
    if path.is_dir():
        raise GenlabError(f"{flag} {str(path)!r} is a directory; give a file path")
    run = run_directory_holding(resolved)
    if run is not None:
        raise GenlabError(f"{flag} {str(path)!r} lies inside run directory {str(run)!r}, where genlab writes no "
                          f"output it is given; choose another {flag}")
    if path.exists() and not overwrite:
        raise GenlabError(f"{flag} {str(path)!r} already exists; pass --overwrite to replace it, or choose another {flag}")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        yield temporary
        if temporary.exists():
            os.replace(temporary, path)
    except OSError as error:
        raise GenlabError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    finally:
        if temporary.exists():
            if temporary.is_dir():
                shutil.rmtree(temporary, ignore_errors=True)
            else:
                temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def read_json(path: str | Path, what: str = "file") -> Any:
    path = Path(path)
    if not path.is_file():
        raise GenlabError(f"{what} {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GenlabError(f"{what} {str(path)!r} is corrupt (not valid JSON: {error})") from None


def write_csv_rows(path: str | Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def read_csv_rows(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: _number(v) for k, v in row.items()} for row in rows]


def _number(text: str | None) -> Any:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def sha256_of_files(paths) -> str:
    """SHA-256 of the bytes of ``paths`` read one after another (one file: that file's digest)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
