"""End to end through the command line: tiny GAN-family runs on digits, resume, sample, interpolate."""

import numpy as np
import pytest

from genlab.cli.main import main
from genlab.core.config import DataConfig, TrainConfig
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir
from genlab.workflows.train import resume, train

TINY = ["--data", "digits", "--limit", "64", "--batch-size", "16", "--latent-dim", "4", "--filters", "4,8", "--quiet"]


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "dcgan"
    assert main(["train", "dcgan", *TINY, "--epochs", "1", "--ema-decay", "0.9", "--out", str(out)]) == 0
    assert main(["train", "dcgan", "--resume", str(out), "--epochs", "2", "--quiet"]) == 0
    return out


def test_dcgan_trains_resumes_and_logs_the_diagnostics(dcgan_run):
    history = RunDir(dcgan_run).history()
    assert [row["epoch"] for row in history] == [1, 2]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm", "val_d_loss", "val_d_real"} <= set(history[0])
    assert (dcgan_run / "samples" / "epoch_00002.png").is_file()
    assert (dcgan_run / "samples" / "progress.gif").is_file()  # the grids of both epochs, animated
    assert {p.name for p in (dcgan_run / "weights").iterdir()} >= {
        "generator.weights.h5", "discriminator.weights.h5", "generator_ema.weights.h5"}
    _, config, model = load_run_model(dcgan_run)
    assert config.family == "dcgan" and model.generate(3).shape == (3, 8, 8, 1)


def test_sample_and_interpolate_a_gan_run(dcgan_run):
    assert main(["sample", str(dcgan_run), "--n", "20", "--format", "npz"]) == 0
    with np.load(dcgan_run / "samples.npz") as archive:
        assert archive["x"].shape == (20, 8, 8, 1) and archive["x"].dtype == np.uint8
    assert main(["interpolate", str(dcgan_run), "--steps", "5"]) == 0
    assert any(p.name.startswith("interpolation") for p in dcgan_run.iterdir())
    assert main(["sample", str(dcgan_run), "--label", "3"]) == 2  # not conditional


@pytest.mark.slow
def test_resume_continues_exactly_as_a_straight_run(tmp_path):
    """Both optimizers, the RNG and the BatchNorm statistics come back from the checkpoint."""
    model = {"latent_dim": 4, "filters": (4, 8)}
    data = DataConfig(source="digits", limit=32)
    settings = TrainConfig(epochs=2, batch_size=16, deterministic=True)
    train("wgan-gp", tmp_path / "straight", model=dict(model, critic_steps=2), data=data, train=settings, verbose=0)
    train("wgan-gp", tmp_path / "split", model=dict(model, critic_steps=2), data=data, train=settings.replace(epochs=1),
          verbose=0)
    resume(tmp_path / "split", epochs=2, verbose=0)
    straight, split = RunDir(tmp_path / "straight").history(), RunDir(tmp_path / "split").history()
    for key in ("d_loss", "g_loss", "wasserstein", "gradient_penalty"):
        assert split[1][key] == pytest.approx(straight[1][key], rel=1e-5, abs=1e-6), key
    z = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(load_run_model(tmp_path / "split")[2].decode_latents(z),
                               load_run_model(tmp_path / "straight")[2].decode_latents(z), atol=1e-5)


def test_cgan_samples_the_requested_class_and_refuses_others(tmp_path, capsys):
    out = tmp_path / "cgan"
    assert main(["train", "cgan", *TINY, "--epochs", "1", "--condition", "hidden", "--out", str(out)]) == 0
    assert len(RunDir(out).history()) == 1
    assert main(["sample", str(out), "--n", "8", "--label", "3", "--format", "npz"]) == 0
    with np.load(out / "samples.npz") as archive:
        assert archive["x"].shape == (8, 8, 8, 1) and set(archive["y"].tolist()) == {3}
    capsys.readouterr()
    assert main(["sample", str(out), "--n", "8", "--label", "12"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_user_errors_exit_with_code_2_before_anything_is_written(tmp_path, capsys):
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x=np.zeros((20, 8, 8, 1), np.uint8))
    assert main(["train", "cgan", "--data", f"npz:{unlabelled}", "--quiet", "--out", str(tmp_path / "c")]) == 2
    assert "labelled data" in capsys.readouterr().err
    assert main(["train", "wgan-gp", "--data", "digits", "--discriminator-norm", "batch", "--out", str(tmp_path / "w")]) == 2
    assert "BatchNorm" in capsys.readouterr().err
    assert main(["train", "gan", "--data", "digits", "--loss", "hinge", "--out", str(tmp_path / "g")]) == 2
    assert not any((tmp_path / name).exists() for name in ("c", "w", "g"))
