"""Issue 21, data loss: a command that is refused exits 2 with one line and leaves every file as
it was (same names, same SHA-256): outputs never replace inputs, run files or existing files
(unless --overwrite), one process writes a run, a refused --resume writes nothing, weights
changed after saving are refused."""

import hashlib
import json
import os
import platform
import shutil

import pytest

from genlab.cli.main import main
from genlab.data.tabular import synthetic_table

TRAIN = ["--data", "digits", "--limit", "64", "--batch-size", "16", "--latent-dim", "3", "--filters", "4,8",
         "--deterministic", "--quiet"]
DETECTOR = ["--hidden-units", "8", "--latent-dim", "2", "--epochs", "2", "--batch-size", "32", "--quiet"]


def snapshot(root):
    """Relative path -> SHA-256 of every file under ``root``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def refused(argv, capsys, *words):
    """Run the CLI; it exits 2 with one line on stderr (no traceback) holding ``words``."""
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("genlab: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert str(word) in err, (word, err)
    return err


@pytest.fixture(scope="module")
def ae_run(tmp_path_factory):
    """A finished 2-epoch autoencoder run (a few seconds)."""
    out = tmp_path_factory.mktemp("ae") / "run"
    assert main(["train", "autoencoder", *TRAIN, "--epochs", "2", "--out", str(out)]) == 0
    return out


@pytest.fixture
def workspace(ae_run, tmp_path):
    """A private copy of the run, a user's existing files beside it; the snapshot covers both."""
    run = tmp_path / "run"
    shutil.copytree(ae_run, run)
    (tmp_path / "existing.png").write_bytes(b"the user's picture")
    (tmp_path / "existing.npz").write_bytes(b"the user's data set")
    (tmp_path / "w.json").write_text("{}")
    return tmp_path, run


def test_outputs_never_replace_existing_files_or_run_files(workspace, capsys):
    root, run = workspace
    before = snapshot(root)
    fix = "pass --overwrite to replace it, or choose another --out"
    for argv in (["reconstruct", run, "--n", "2", "--out", root / "existing.png"],
                 ["denoise", run, "--n", "2", "--out", root / "existing.png"],
                 ["sample", run, "--format", "npz", "--out", root / "existing.npz"],
                 ["interpolate", run, "--out", root / "existing.png"],
                 ["traverse", run, "--out", root / "existing.png"],
                 ["latent-map", run, "--out", root / "existing.png"],
                 ["style-mix", run, "--out", root / "existing.png"],
                 ["report", run, "--out", root / "existing.png"]):
        refused(argv, capsys, root / "existing", fix)
    # a companion file (project writes w.npy, w.png and w.json) is protected too
    refused(["project", run, "--image", "test:0", "--out", root / "w.npy"], capsys, root / "w.json", fix)
    # --overwrite never reaches inside a run directory, this run's or another's
    for target in (run / "config.json", run / "weights" / "encoder.weights.h5", run / "samples" / "new.png"):
        refused(["reconstruct", run, "--n", "2", "--out", target, "--overwrite"], capsys, target, "inside run directory")
    refused(["report", run, "--out", run / "metadata.json", "--overwrite"], capsys, "inside run directory")
    assert snapshot(root) == before


def test_overwrite_replaces_only_what_it_is_asked_to(workspace, capsys):
    root, run = workspace
    assert main(["reconstruct", str(run), "--n", "2", "--out", str(root / "existing.png"), "--overwrite"]) == 0
    assert (root / "existing.png").read_bytes().startswith(b"\x89PNG")
    assert main(["reconstruct", str(run), "--n", "2"]) == 0  # the run's own default output: rewritten freely
    assert main(["reconstruct", str(run), "--n", "2", "--out", str(run / "reconstructions.png")]) == 0


def test_bench_refuses_an_existing_json_before_measuring(tmp_path, capsys):
    (tmp_path / "rows.json").write_text("[]")
    before = snapshot(tmp_path)
    refused(["bench", "--families", "ae", "--seconds", "60", "--json", tmp_path / "rows.json"], capsys,
            "--json", "pass --overwrite")
    assert snapshot(tmp_path) == before


@pytest.fixture(scope="module")
def detector_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("detector")
    synthetic_table(120, 12, seed=0).to_csv(folder / "train.csv", index=False)
    assert main(["train", "detector", "--data", f"csv:{folder / 'train.csv'}", "--label", "label", *DETECTOR,
                 "--out", str(folder / "run")]) == 0
    return folder / "run"


def test_detect_never_replaces_its_input_or_the_run(detector_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(detector_run, run)
    synthetic_table(20, 2, seed=1).drop(columns="label").to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "scores.csv").write_text("row_id,score,flag\n")
    before = snapshot(tmp_path)
    data = f"csv:{tmp_path / 'in.csv'}"
    refused(["detect", run, "--data", data, "--out", tmp_path / "in.csv"], capsys, "is the input")
    refused(["detect", run, "--data", data, "--out", tmp_path / "in.csv", "--overwrite"], capsys, "is the input")
    refused(["detect", run, "--data", data, "--out", run / "preprocessing.json", "--overwrite"], capsys,
            "inside run directory")
    refused(["detect", run, "--data", data, "--out", tmp_path / "scores.csv"], capsys, "already exists", "--overwrite")
    os.link(tmp_path / "in.csv", tmp_path / "alias.csv")  # another name of the same file is the same input
    before["alias.csv"] = before["in.csv"]
    refused(["detect", run, "--data", data, "--out", tmp_path / "alias.csv", "--overwrite"], capsys, "is the input")
    assert snapshot(tmp_path) == before
    assert main(["detect", str(run), "--data", data, "--out", str(tmp_path / "scores.csv"), "--overwrite"]) == 0


def test_a_refused_resume_writes_nothing(workspace, capsys):
    root, run = workspace
    before = snapshot(root)
    refused(["train", "autoencoder", "--resume", run, "--epochs", "1"], capsys, "already finished 2 of 1 epochs")
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 2
    refused(["train", "vae", "--resume", run, "--epochs", "3"], capsys, "holds family 'autoencoder', not 'vae'",
            "genlab train autoencoder --resume")
    assert snapshot(root) == before


def test_a_second_writer_is_refused_naming_the_first(workspace, capsys):
    root, run = workspace
    holder = {"pid": os.getppid(), "host": platform.node(), "since": "2026-01-01T00:00:00+00:00", "token": "t"}
    (run / ".lock").write_text(json.dumps(holder))  # a live process (pytest's parent) holds the run
    before = snapshot(root)
    refused(["train", "autoencoder", "--resume", run, "--epochs", "3"], capsys, f"genlab process {os.getppid()}")
    refused(["finetune", "--resume", run, "--epochs", "3"], capsys, f"genlab process {os.getppid()}")
    refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--out", run], capsys, "already exists",
            f"genlab process {os.getppid()}")
    assert snapshot(root) == before


def test_weights_changed_since_saving_are_refused(workspace, capsys):
    root, run = workspace
    weights = run / "weights" / "decoder.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # the last byte changed: h5py may still read the file; its digest differs
    weights.write_bytes(bytes(data))
    before = snapshot(root)
    refused(["reconstruct", run, "--n", "2"], capsys, str(weights), "SHA-256")
    assert snapshot(root) == before
