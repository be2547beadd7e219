"""Run directories: the unit users keep, share and resume.

Layout of a run directory::

    config.json          RunConfig: family + model/data/train sections (rebuilds the model)
    metadata.json        versions, seed, data fingerprint, git revision, status, timestamps
    history.csv          one row per finished epoch (losses, validation losses, diagnostics)
    weights/NAME.weights.h5   one file per sub-network (encoder, decoder, generator, ...)
    model.keras          the whole model, loadable with keras.saving.load_model(safe_mode=True)
    checkpoints/epoch-NNNNN/state.npz + state.json, checkpoints/latest.json
                         (epoch-NNNNN-step-NNNNNN: saved mid-epoch by Ctrl-C)
    samples/             per-epoch preview grids; plots/ loss curves; logs/ TensorBoard

Every file is written atomically (temporary name in the same folder, then ``os.replace``),
so a crash leaves either the old file or the new one, never half of one.

One writer per run: :meth:`RunDir.create` makes the directory with one atomic rename (of two
processes creating the same run, exactly one succeeds), and training holds ``RUN/.lock``
(:class:`RunLock`: the writer's pid and host) for as long as it writes. ``metadata.json``
records the SHA-256 of every file in ``weights/``; :meth:`RunDir.load_weights` refuses a file
that no longer matches.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import genlab
from genlab.core.config import RunConfig
from genlab.core.errors import GenlabError
from genlab.core.io import (
    atomic_path,
    read_csv_rows,
    read_json,
    sha256_of_files,
    write_csv_rows,
    write_json,
)

STATUS_RUNNING, STATUS_FINISHED, STATUS_INTERRUPTED, STATUS_DIVERGED = "running", "finished", "interrupted", "diverged"
#: a run stopped by an error it could not go on from (a full disk); metadata ``failure`` says which
STATUS_FAILED = "failed"


# --------------------------------------------------------------------------------------
# Run directory
# --------------------------------------------------------------------------------------


def _git_revision() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=False
        )
        return result.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment_metadata() -> dict[str, Any]:
    import keras
    import tensorflow as tf

    return {
        "genlab": genlab.__version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_revision": _git_revision(),
    }


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class RunDir:
    """A run directory on disk. ``create`` makes a new one; ``open`` an existing one."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # layout -------------------------------------------------------------------------
    config_path = property(lambda self: self.path / "config.json")
    metadata_path = property(lambda self: self.path / "metadata.json")
    history_path = property(lambda self: self.path / "history.csv")
    metrics_path = property(lambda self: self.path / "metrics.json")
    weights_dir = property(lambda self: self.path / "weights")
    checkpoints_dir = property(lambda self: self.path / "checkpoints")
    samples_dir = property(lambda self: self.path / "samples")
    plots_dir = property(lambda self: self.path / "plots")
    logs_dir = property(lambda self: self.path / "logs")
    model_path = property(lambda self: self.path / "model.keras")
    report_path = property(lambda self: self.path / "report.html")

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    @classmethod
    def create(cls, path: str | Path) -> "RunDir":
        """Make a new run directory; refuse one that already holds a run (nothing is overwritten).

        The directory is laid out under a temporary name beside ``path`` and renamed to it in one
        step: a rename onto a path that exists and is not empty fails, so of several processes
        creating the same run exactly one succeeds. An existing empty directory is replaced.
        """
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise GenlabError(f"--out {str(run.path)!r} exists and is not a directory")
        if run.path.is_dir() and any(run.path.iterdir()):
            raise run._exists_error()
        final = run.path.resolve() if run.path.is_symlink() else run.path  # a link to an empty folder: that folder
        staging = cls(final.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{final.name}"))
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            for folder in (staging.path, staging.weights_dir, staging.checkpoints_dir, staging.samples_dir,
                           staging.plots_dir):
                folder.mkdir()
            with contextlib.suppress(OSError):
                final.rmdir()  # an empty directory (Windows cannot rename onto one); a full one stays
            os.rename(staging.path, final)
        except OSError as error:
            shutil.rmtree(staging.path, ignore_errors=True)
            if run.path.is_dir() and any(run.path.iterdir()):  # another process created it first
                raise run._exists_error() from None
            raise GenlabError(f"cannot create run directory {str(run.path)!r}: {error.strerror or error}") from None
        return run

    def _exists_error(self) -> GenlabError:
        holder = RunLock(self.path).holder()
        writer = f" (genlab process {holder.get('pid')} on {holder.get('host')} is writing it)" if holder else ""
        return GenlabError(
            f"run directory {str(self.path)!r} already exists and is not empty{writer}; "
            f"use --resume {self.path} to continue it, or choose another --out"
        )

    def lock(self) -> "RunLock":
        """This run's writer lock, taken: ``with run.lock(): ...`` (see :class:`RunLock`)."""
        return RunLock(self.path).acquire()

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        run = cls(path)
        if not run.path.is_dir():
            raise GenlabError(f"run directory {str(run.path)!r} does not exist")
        if not run.config_path.is_file():
            raise GenlabError(f"{str(run.path)!r} is not a genlab run directory (no config.json)")
        return run

    # config and metadata ---------------------------------------------------------------
    def save_config(self, config) -> None:
        write_json(self.config_path, config.to_dict())

    def load_config(self):
        values = read_json(self.config_path, "run config")
        try:
            return RunConfig.from_dict(values)
        except GenlabError as error:
            raise GenlabError(f"run config {str(self.config_path)!r} is invalid: {error}") from None

    def metadata(self) -> dict[str, Any]:
        if not self.metadata_path.is_file():
            return {}
        return read_json(self.metadata_path, "run metadata")

    def update_metadata(self, **values: Any) -> dict[str, Any]:
        metadata = self.metadata()
        metadata.update(values)
        metadata["updated"] = now()
        write_json(self.metadata_path, metadata)
        return metadata

    def history(self) -> list[dict[str, Any]]:
        return read_csv_rows(self.history_path)

    def write_history(self, rows: list[dict[str, Any]]) -> None:
        write_csv_rows(self.history_path, rows)

    def metrics(self) -> dict[str, Any]:
        return read_json(self.metrics_path, "metrics") if self.metrics_path.is_file() else {}

    def update_metrics(self, section: str, values: dict[str, Any]) -> None:
        metrics = self.metrics()
        metrics[section] = values
        write_json(self.metrics_path, metrics)

    # checkpoints --------------------------------------------------------------------------
    def save_checkpoint(self, model, epoch: int, keep: int = 2, step: int = 0) -> Path:
        """Save model variables, optimizer state and RNG state after ``epoch`` finished epochs
        and ``step`` steps of the next one.

        ``step > 0`` is a mid-epoch checkpoint (Ctrl-C, :mod:`genlab.callbacks.interrupt`), kept in
        ``epoch-NNNNN-step-NNNNNN``; it does not count towards ``keep`` and is deleted as soon as a
        later checkpoint is saved. Of the end-of-epoch checkpoints the latest ``keep`` stay.
        """
        state = model.training_state()
        final = self.checkpoints_dir / (f"epoch-{epoch:05d}" + (f"-step-{step:06d}" if step else ""))
        with atomic_path(final) as temporary:
            temporary.mkdir(parents=True)
            with open(temporary / "state.npz", "wb") as handle:
                np.savez(handle, **state)
                handle.flush()
                os.fsync(handle.fileno())
            write_json(temporary / "state.json", {"epoch": epoch, "step": step, "saved": now(), "family": model.family})
            if final.exists():
                shutil.rmtree(final)
        write_json(self.checkpoints_dir / "latest.json", {"epoch": epoch, "step": step, "path": final.name})
        folders = sorted(self.checkpoints_dir.glob("epoch-*"))
        superseded = [folder for folder in folders if "-step-" in folder.name and folder != final]
        whole_epochs = [folder for folder in folders if "-step-" not in folder.name]
        for old in superseded + whole_epochs[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
        return final

    def latest_checkpoint_position(self) -> tuple[int, int, Path] | None:
        """``(epochs finished, steps done in the next epoch, folder)`` of the newest complete
        checkpoint, or None. Checkpoints written before mid-epoch saving existed have step 0."""
        pointer = self.checkpoints_dir / "latest.json"
        candidates = []
        if pointer.is_file():
            try:
                latest = json.loads(pointer.read_text("utf-8"))
                candidates.append(self.checkpoints_dir / latest["path"])
            except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                pass
        candidates += sorted(self.checkpoints_dir.glob("epoch-*"), reverse=True)
        for folder in candidates:
            if (folder / "state.npz").is_file() and (folder / "state.json").is_file():
                try:
                    saved = json.loads((folder / "state.json").read_text("utf-8"))
                    return int(saved["epoch"]), int(saved.get("step", 0)), folder
                except (json.JSONDecodeError, KeyError, TypeError, ValueError, UnicodeDecodeError):
                    continue
        return None

    def latest_checkpoint(self) -> tuple[int, Path] | None:
        """``(epochs finished, folder)`` of the newest complete checkpoint, or None."""
        found = self.latest_checkpoint_position()
        return None if found is None else (found[0], found[2])

    def restore_checkpoint_position(self, model) -> tuple[int, int]:
        """Load the latest checkpoint into a built model; return ``(epochs finished, steps done
        in the next epoch)``: the step is 0 except for a checkpoint saved mid-epoch by Ctrl-C."""
        found = self.latest_checkpoint_position()
        if found is None:
            raise GenlabError(f"run {str(self.path)!r} has no complete checkpoint to resume from")
        epoch, step, folder = found
        try:
            with np.load(folder / "state.npz", allow_pickle=False) as archive:
                state = {key: archive[key] for key in archive.files}
        except Exception as error:  # noqa: BLE001
            raise GenlabError(f"checkpoint {str(folder)!r} cannot be read: {error}") from None
        model.restore_training_state(state)
        return epoch, step

    def restore_checkpoint(self, model) -> int:
        """Load the latest checkpoint into a built model; return the number of finished epochs."""
        return self.restore_checkpoint_position(model)[0]

    # final weights ----------------------------------------------------------------------
    def save_weights(self, model) -> None:
        """One file per sub-network in ``weights/``; their SHA-256 go to ``metadata.json``.

        The old digests are dropped before any file is replaced, so a crash in between leaves
        weights that are not checked rather than weights that look corrupt."""
        metadata = self.metadata()
        if "weights_sha256" in metadata:
            metadata.pop("weights_sha256")
            write_json(self.metadata_path, metadata)
        digests = {}
        for name, network in model.networks().items():
            with atomic_path(self.weights_dir / f"{name}.weights.h5") as temporary:
                network.save_weights(temporary)
                digests[f"{name}.weights.h5"] = sha256_of_files([temporary])
        self.update_metadata(weights_sha256=digests)

    def save_model_file(self, model) -> None:
        with atomic_path(self.model_path) as temporary:
            model.save(temporary)

    def load_weights(self, model) -> None:
        """Load ``weights/`` into a built model; a file whose SHA-256 differs from the one recorded
        when it was saved (changed or corrupted since) is refused, naming it."""
        recorded = self.metadata().get("weights_sha256") or {}
        for name, network in model.networks().items():
            path = self.weights_dir / f"{name}.weights.h5"
            if not path.is_file():
                raise GenlabError(f"run {str(self.path)!r} has no weights for {name!r} ({path.name} missing)")
            if path.name in recorded and sha256_of_files([path]) != recorded[path.name]:
                raise GenlabError(f"weights file {str(path)!r} does not match the SHA-256 recorded in metadata.json "
                                  f"when it was saved: it was changed or corrupted since")
            try:
                with warnings.catch_warnings(record=True) as noticed:  # Keras warns before it fails
                    warnings.simplefilter("always")
                    network.load_weights(path)
                for notice in noticed:  # loaded: its warnings are the caller's to see
                    warnings.warn_explicit(notice.message, notice.category, notice.filename, notice.lineno)
            except Exception as error:  # noqa: BLE001 - shape mismatch, corrupt file
                raise GenlabError(
                    f"weights {str(path)!r} do not match the run's config ({_load_failure(error)}); was config.json "
                    f"edited since training? Put back the config the run was trained with"
                ) from None


def _load_failure(error: Exception) -> str:
    """Why Keras could not load a weights file, in one short line: the first shape mismatch it
    names, else its first line (Keras' message goes on with every tensor's values)."""
    text = str(error)
    shapes = re.search(r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))", text)
    layer = re.search(r"Target variable: <Variable path=([^,]+),", text)
    if shapes:
        where = f"variable {layer.group(1)}" if layer else "a variable"
        return f"{where} has shape {shapes.group(1)} but the file holds {shapes.group(2)}"
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return f"{type(error).__name__}: {first[:200]}"


# --------------------------------------------------------------------------------------
# One writer per run
# --------------------------------------------------------------------------------------


def _process_alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs on this host (``os.kill(pid, 0)`` would end it on Windows)."""
    if not pid:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, int(pid))  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        try:
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class RunLock:
    """``RUN/.lock``: the one process that writes a run (train, ``--resume``, finetune).

    Taken by creating the file exclusively (``O_CREAT | O_EXCL``) with the holder's pid, host
    and a random token; released (the file removed) when the ``with`` block ends, on an
    exception or Ctrl-C too. A lock whose process no longer runs on this host (killed, power
    cut) is stale and taken over: it is renamed away first, so of two processes taking it over
    one wins. A second writer gets a GenlabError naming the holder.
    """

    NAME = ".lock"
    FRESH_SECONDS = 10.0  # an unreadable lock younger than this is being written, not abandoned

    def __init__(self, run_path: str | Path):
        self.path = Path(run_path) / self.NAME
        self.token: str | None = None

    def holder(self) -> dict[str, Any] | None:
        """The holder's record (pid, host, since, token); ``{}`` if unreadable; None if unlocked."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            return {}
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return record if isinstance(record, dict) else {}

    def _stale(self, holder: dict[str, Any]) -> bool:
        if not holder:  # empty or unreadable: the holder died between creating and writing it
            try:
                return time.time() - self.path.stat().st_mtime > self.FRESH_SECONDS
            except FileNotFoundError:
                return True
        return holder.get("host") == platform.node() and not _process_alive(holder.get("pid"))

    def acquire(self) -> "RunLock":
        token = uuid.uuid4().hex
        record = json.dumps({"pid": os.getpid(), "host": platform.node(), "since": now(), "token": token})
        deadline = time.monotonic() + 2 * self.FRESH_SECONDS
        while time.monotonic() < deadline:
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder is None:  # released meanwhile
                    continue
                if self._stale(holder):
                    self._remove_stale(holder)
                elif holder:
                    raise self._held_error(holder) from None
                else:  # its holder is between creating and writing it: read it again
                    time.sleep(0.01)
                continue
            except OSError as error:
                raise GenlabError(f"cannot lock run directory {str(self.path.parent)!r}: {error.strerror or error}") from None
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(record)
                handle.flush()
                os.fsync(handle.fileno())
            self.token = token
            return self
        raise GenlabError(f"cannot lock run directory {str(self.path.parent)!r}: its lock keeps changing hands")

    def _remove_stale(self, stale: dict[str, Any]) -> None:
        """Move the stale lock aside; if what was moved is not it (another process took it over in
        between), put that one back."""
        aside = self.path.with_name(f"{self.NAME}.stale-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return
        try:
            moved = json.loads(aside.read_text("utf-8") or "{}")
        except (OSError, json.JSONDecodeError):
            moved = {}
        if moved != stale:
            with contextlib.suppress(OSError):
                os.link(aside, self.path)  # fails if a third process locked it meanwhile
        aside.unlink(missing_ok=True)

    def _held_error(self, holder: dict[str, Any]) -> GenlabError:
        run = str(self.path.parent)
        where = "this process" if holder.get("pid") == os.getpid() and holder.get("host") == platform.node() \
            else f"genlab process {holder.get('pid')} on {holder.get('host')}"
        return GenlabError(
            f"run directory {run!r} is being written by {where} (since {holder.get('since')}); wait for it to "
            f"finish or stop it (if that process is gone, delete {str(self.path)!r})"
        )

    def release(self) -> None:
        """Remove the lock if this object still holds it."""
        if self.token is None:
            return
        holder = self.holder()
        if holder and holder.get("token") == self.token:
            with contextlib.suppress(OSError):
                self.path.unlink()
        self.token = None

    def __enter__(self) -> "RunLock":
        if self.token is None:
            self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


# --------------------------------------------------------------------------------------
# Overview of many runs
# --------------------------------------------------------------------------------------


def run_status(metadata: dict[str, Any]) -> str:
    """finished / diverged / interrupted / running; a 'running' run whose process is gone was killed."""
    status = metadata.get("status", "unknown")
    if status == STATUS_RUNNING:
        same_host = metadata.get("host") in (None, platform.node())
        if same_host and not _process_alive(metadata.get("pid")):
            return "killed"
    return status


def _model_row(table: dict[str, Any], family: str) -> tuple[str, Any]:
    """The row of the run's own model (named after its family), not a baseline's (bicubic, PCA,
    noisy input, real images); the first row when none is."""
    for name, row in table.items():
        if name.lower().startswith(family.lower()):
            return name, row
    return next(iter(table.items()))


def _headline(run: RunDir, family: str = "") -> str:
    metrics = run.metrics()
    for section in metrics.values():
        table = section.get("table") if isinstance(section, dict) else None
        if isinstance(table, dict) and table:
            name, row = _model_row(table, family)
            figures = ", ".join(f"{k} {v:.4g}" for k, v in list(row.items())[:3] if isinstance(v, (int, float)))
            return f"{name}: {figures}"
    history = run.history()
    if history:
        last = history[-1]
        return ", ".join(f"{k} {last[k]:.4g}" for k in ("loss", "val_loss") if isinstance(last.get(k), (int, float)))
    return ""


def list_runs(root: str | Path) -> list[dict[str, Any]]:
    """One summary per run directory found under ``root`` (searched two levels deep)."""
    root = Path(root)
    if not root.is_dir():
        raise GenlabError(f"runs folder {str(root)!r} does not exist")
    candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir())
    candidates += sorted(q for p in root.iterdir() if p.is_dir() for q in p.iterdir() if q.is_dir())
    rows = []
    runs_found: list[Path] = []
    for folder in candidates:
        if not (folder / "config.json").is_file():
            continue
        if any(parent in runs_found for parent in folder.parents):
            continue  # a folder inside a run (a fine-tune run's source/ copy) is part of that run
        runs_found.append(folder)
        run = RunDir(folder)
        try:
            config = json.loads(run.config_path.read_text("utf-8"))
            metadata = run.metadata()
        except (json.JSONDecodeError, UnicodeDecodeError, GenlabError):
            rows.append({"run": str(folder), "family": "?", "data": "?", "epochs": "?", "status": "corrupt", "metrics": ""})
            continue
        rows.append({
            "run": str(folder),
            "family": config.get("family", "?"),
            "data": config.get("data", {}).get("source", "?"),
            "epochs": f"{metadata.get('epochs_done', 0)}/{config.get('train', {}).get('epochs', '?')}",
            "status": run_status(metadata),
            "metrics": _headline(run, str(config.get("family", ""))),
        })
    return rows


def format_runs(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs found"
    columns = ["run", "family", "data", "epochs", "status", "metrics"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(line.rstrip() for line in lines)
