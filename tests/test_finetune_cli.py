"""End to end: genlab train a tiny autoencoder, then genlab finetune it with each strategy."""

import json

import numpy as np
import pytest

from genlab.cli.main import main


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ae-digits"
    code = main(["train", "autoencoder", "--data", "digits", "--limit", "256", "--epochs", "1", "--batch-size", "64",
                 "--latent-dim", "3", "--filters", "4,8", "--quiet", "--out", str(out)])
    assert code == 0
    return out


@pytest.mark.parametrize("strategy, extra", [
    ("feature-extraction", ["--reinit", "decoder"]),
    ("fine-tune", ["--lr-scale", "0.1", "--unfreeze", "gradual", "--block-lr-decay", "0.5", "--warmup-steps", "2"]),
])
def test_finetune_each_strategy(source, tmp_path, strategy, extra, capsys):
    out = tmp_path / strategy
    code = main(["finetune", str(source), "--data", "digits", "--limit", "128", "--strategy", strategy, "--epochs", "1",
                 "--quiet", "--out", str(out), *extra])
    assert code == 0
    metadata = json.loads((out / "metadata.json").read_text())
    assert metadata["status"] == "finished"
    assert metadata["transfer"]["source"]["path"] == str(source.resolve())
    assert metadata["transfer"]["plan"]["strategy"] == strategy
    assert (out / "weights" / "decoder.weights.h5").is_file()
    assert "frozen:" in capsys.readouterr().err  # the freeze summary is printed


def test_incompatible_data_fails_with_one_line(source, tmp_path, capsys):
    images = np.random.default_rng(0).integers(0, 255, (20, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "rgb.npz", x_train=images[:16], x_test=images[16:])
    code = main(["finetune", str(source), "--data", f"npz:{tmp_path / 'rgb.npz'}", "--out", str(tmp_path / "x")])
    error = capsys.readouterr().err
    assert code == 2 and "layer encoder/conv_0 does not fit" in error and "--reinit encoder" in error
    assert not (tmp_path / "x").exists()
    assert main(["finetune", str(source), "--data", "digits", "--freeze", "d:9", "--out", str(tmp_path / "y")]) == 2
    assert "more blocks" in capsys.readouterr().err


def test_train_with_a_frozen_part_and_resume(tmp_path):
    out = tmp_path / "frozen"
    assert main(["train", "autoencoder", "--data", "digits", "--limit", "128", "--epochs", "1", "--batch-size", "64",
                 "--latent-dim", "3", "--filters", "4,8", "--freeze", "encoder:1", "--quiet", "--out", str(out)]) == 0
    assert json.loads((out / "metadata.json").read_text())["transfer"]["plan"]["freeze"] == "encoder:1"
    assert main(["finetune", "--resume", str(out), "--epochs", "2", "--quiet"]) == 0
    assert len((out / "history.csv").read_text().strip().splitlines()) == 3
