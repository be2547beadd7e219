"""End to end through the command line: tiny VAE and CVAE runs on digits, then every generator verb."""

import json

import numpy as np
import pytest

from genlab.cli.main import main
from genlab.core.config import DataConfig, TrainConfig
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir
from genlab.workflows.train import resume, train

TINY = ["--data", "digits", "--limit", "64", "--batch-size", "16", "--latent-dim", "2", "--filters", "4,8",
        "--iw-samples", "8", "--quiet"]


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "vae"
    assert main(["train", "vae", *TINY, "--epochs", "1", "--kl-warmup-steps", "8", "--out", str(out)]) == 0
    return out


def test_vae_train_sample_interpolate_map_evaluate(vae_run, capsys):
    history = RunDir(vae_run).history()
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(history[0])
    assert (vae_run / "samples" / "epoch_00001.png").is_file()
    assert main(["sample", str(vae_run), "--n", "16"]) == 0
    assert main(["sample", str(vae_run), "--n", "300", "--format", "npz", "--seed", "3"]) == 0
    with np.load(vae_run / "samples.npz") as archive:
        assert archive["x"].shape == (300, 8, 8, 1) and archive["x"].dtype == np.uint8
    assert main(["interpolate", str(vae_run), "--from", "12", "--to", "34", "--steps", "5", "--slerp"]) == 0
    assert main(["latent-map", str(vae_run), "--n", "100"]) == 0
    assert main(["traverse", str(vae_run), "--steps", "5"]) == 0
    assert main(["reconstruct", str(vae_run), "--n", "4"]) == 0
    for name in ("samples.png", "interpolation_slerp.png", "latent_map.png", "latent_map_manifold.png",
                 "traversal.png", "reconstructions.png"):
        assert (vae_run / name).is_file(), name
    capsys.readouterr()
    assert main(["evaluate", str(vae_run), "--limit", "20"]) == 0
    assert "nll_iw" in capsys.readouterr().out
    evaluation = json.loads((vae_run / "metrics.json").read_text())["evaluation"]
    assert evaluation["protocol"]["importance_samples"] == 8
    nats = next(row for name, row in evaluation["table"].items() if "nats" in name)
    assert nats["nll_iw"] <= nats["neg_elbo"]


def test_user_errors_exit_with_code_2(vae_run, capsys):
    assert main(["sample", str(vae_run), "--label", "3"]) == 2
    assert "not conditional" in capsys.readouterr().err
    assert main(["interpolate", str(vae_run), "--from", "0", "--to", "99999"]) == 2
    assert main(["sample", str(vae_run) + "-missing"]) == 2


def test_cvae_samples_by_class_and_rejects_unknown_classes(tmp_path, capsys):
    out = tmp_path / "cvae"
    assert main(["train", "cvae", *TINY, "--epochs", "1", "--arch", "dense", "--hidden-units", "16",
                 "--out", str(out)]) == 0
    assert main(["sample", str(out), "--n", "8", "--label", "7"]) == 0
    assert (out / "samples_class7.png").is_file()
    assert main(["sample", str(out), "--n", "30", "--format", "npz", "--out", str(tmp_path / "synthetic.npz")]) == 0
    with np.load(tmp_path / "synthetic.npz") as archive:
        np.testing.assert_array_equal(archive["y"], np.arange(30) % 10)
    capsys.readouterr()
    assert main(["sample", str(out), "--label", "10"]) == 2
    assert "label 10 is out of range" in capsys.readouterr().err
    assert main(["interpolate", str(out), "--steps", "4"]) == 0
    assert main(["reconstruct", str(out), "--n", "4"]) == 0
    # the synthetic set trains a new run as it is
    assert main(["train", "vae", *TINY, "--data", f"npz:{tmp_path / 'synthetic.npz'}", "--epochs", "1",
                 "--out", str(tmp_path / "from-synthetic")]) == 0


@pytest.mark.slow
def test_kl_warmup_resumes_exactly(tmp_path):
    """The beta schedule lives in the optimizer step: 1 epoch + resume == 2 epochs straight."""
    model = {"latent_dim": 2, "filters": (4, 8), "kl_warmup_steps": 6, "beta": 2.0, "binarize": "dynamic"}
    settings = dict(data=DataConfig("digits", limit=48), verbose=0)
    straight = train("vae", tmp_path / "straight", model=model,
                     train=TrainConfig(epochs=2, batch_size=16, deterministic=True), **settings)
    stopped = train("vae", tmp_path / "stopped", model=model,
                    train=TrainConfig(epochs=1, batch_size=16, deterministic=True), **settings)
    resume(stopped.path, epochs=2, verbose=0)
    _, _, a = load_run_model(straight.path)
    _, _, b = load_run_model(stopped.path)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)
    rows_a, rows_b = straight.history(), RunDir(stopped.path).history()
    assert [r["kl"] for r in rows_a] == pytest.approx([r["kl"] for r in rows_b], rel=1e-5)
