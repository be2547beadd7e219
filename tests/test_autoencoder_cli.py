"""End to end through the command line: train a tiny run on digits, then use it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlab.cli.main import main

TINY = ["--data", "digits", "--limit", "64", "--batch-size", "16", "--latent-dim", "3", "--filters", "4,8", "--quiet"]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "ae"
    assert main(["train", "autoencoder", *TINY, "--epochs", "1", "--out", str(out)]) == 0
    return out


def test_train_reconstruct_evaluate(trained_run, capsys):
    assert (trained_run / "samples" / "epoch_00001.png").is_file()
    assert main(["reconstruct", str(trained_run), "--n", "6"]) == 0
    grid = Image.open(trained_run / "reconstructions.png")
    assert grid.size[0] > grid.size[1]  # 6 columns, 2 rows
    assert main(["evaluate", str(trained_run)]) == 0
    printed = capsys.readouterr().out
    assert "autoencoder (conv, bce)" in printed and "PCA (3 components)" in printed
    table = json.loads((trained_run / "metrics.json").read_text())["evaluation"]["table"]
    for row in table.values():
        assert set(row) == {"mse", "bce", "psnr"} and all(np.isfinite(v) for v in row.values())


def test_denoising_run_and_grid(tmp_path):
    out = tmp_path / "dae"
    assert main(["train", "ae", *TINY, "--epochs", "1", "--denoising", "--noise", "masking:0.4", "--out", str(out)]) == 0
    assert main(["denoise", str(out), "--noise", "gaussian:0.3", "--n", "4"]) == 0
    assert (out / "denoised.png").is_file()
    assert json.loads((out / "config.json").read_text())["model"]["noise"] == "masking:0.4"


def test_config_file_and_set_overrides(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[model]\narch = "dense"\nhidden_units = [8]\n[train]\nepochs = 1\n')
    out = tmp_path / "run"
    assert main(["train", "autoencoder", *TINY, "--config", str(config), "--set", "model.latent_dim=2",
                 "--out", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["model"]["arch"] == "dense" and saved["model"]["latent_dim"] == 2 and saved["train"]["epochs"] == 1


def test_resume_from_the_cli(trained_run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained_run, copy)
    assert main(["train", "autoencoder", "--resume", str(copy), "--epochs", "2", "--quiet"]) == 0
    epochs = [line.split(",")[0] for line in (copy / "history.csv").read_text().split()[1:]]
    assert epochs == ["1", "2"]
    assert main(["train", "autoencoder", "--resume", str(copy), "--latent-dim", "9"]) == 2
    assert "only --epochs may change" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "autoencoder", "--data", "nope", "--out", "{tmp}/x"], "unknown data source 'nope'"),
        (["evaluate", "{tmp}/missing"], "does not exist"),
        (["train", "autoencoder", "--latent-dim", "-1", "--out", "{tmp}/y"], "latent_dim must be > 0, got -1"),
        (["train", "autoencoder", "--config", "{tmp}/corrupt.json", "--out", "{tmp}/z"], "is not valid"),
        (["train", "autoencoder", "--arch", "dense", "--out", "{run}"], "already exists"),
        (["reconstruct", "{run}", "--data", "npz:{tmp}/rgb.npz"], "has shape (8, 8, 3) but this run was trained on (8, 8, 1)"),
        (["reconstruct", "{tmp}/notrun"], "not a genlab run directory"),
        (["train", "autoencoder", "--epochs", "zero", "--out", "{tmp}/w"], "epochs must be of type int"),
        (["train", "autoencoder", "--batch-size", "100", "--steps-per-execution", "9", "--out", "{tmp}/v"],
         "--steps-per-execution 9 must divide the 14 steps"),
    ],
    ids=["unknown-data", "missing-run", "bad-value", "corrupt-config", "existing-out", "shape-mismatch",
         "not-a-run", "bad-type", "steps-per-execution"],
)
def test_bad_input_gives_one_line_and_exit_code_2(arguments, message, trained_run, tmp_path, capsys):
    (tmp_path / "corrupt.json").write_text("{oops")
    (tmp_path / "notrun").mkdir()
    np.savez(tmp_path / "rgb.npz", x=np.zeros((10, 8, 8, 3), np.uint8))
    before = {p: p.read_bytes() for p in trained_run.rglob("*") if p.is_file()}
    arguments = [a.format(tmp=tmp_path, run=trained_run) for a in arguments]
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1 and "Traceback" not in error
    after = {p: p.read_bytes() for p in trained_run.rglob("*") if p.is_file() and p.name != "metrics.json"}
    assert after == {p: b for p, b in before.items() if p.name != "metrics.json"}


def test_the_installed_command_prints_no_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    result = subprocess.run([sys.executable, "-m", "genlab.cli.main", "evaluate", str(tmp_path / "nothing")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"genlab: error: run directory '{tmp_path / 'nothing'}' does not exist"
