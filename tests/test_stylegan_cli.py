"""End to end through the command line: a tiny StyleGAN on 64 MNIST-shaped images (28x28 gray,
10 classes, trained at 32x32; made here, so no dataset file or download is needed), then sampling
with truncation, style mixing, fine-tuning with freezing, projection and editing."""

import json

import numpy as np
import pytest
from PIL import Image

from genlab.cli.main import main

TINY = ["--limit", "64", "--batch-size", "16", "--latent-dim", "8", "--w-dim", "8",
        "--mapping-layers", "2", "--channel-base", "64", "--channel-max", "8", "--quiet"]


def digit_like_npz(path, count: int, seed: int):
    """``count`` train and 20 test images (two per class), 28x28 gray, labels 0-9: a noisy bar per class."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28]
    patterns = [(np.abs(rows * np.cos(k) + cols * np.sin(k) - 14 - 4 * np.sin(3 * k)) < 3 + k % 3) for k in range(10)]
    labels = np.concatenate([np.arange(count) % 10, np.arange(20) % 10])
    images = np.stack([patterns[label] * 200 + rng.integers(0, 55, (28, 28)) for label in labels]).astype(np.uint8)
    np.savez(path, x_train=images[:count], y_train=labels[:count], x_test=images[count:], y_test=labels[count:])
    return f"npz:{path}"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    out = folder / "sg"
    data = digit_like_npz(folder / "digits28.npz", 64, seed=0)
    assert main(["train", "stylegan", "--data", data, *TINY, "--epochs", "1", "--out", str(out)]) == 0
    return out


def test_train_sample_and_style_mix(trained_run, tmp_path):
    config = json.loads((trained_run / "config.json").read_text())
    assert config["model"]["input_shape"] == [28, 28, 1] and config["model"]["value_range"] == [-1.0, 1.0]
    assert {p.name for p in (trained_run / "weights").iterdir()} >= {"mapping_ema.weights.h5", "synthesis_ema.weights.h5"}
    assert (trained_run / "samples" / "epoch_00001.png").is_file()
    assert main(["sample", str(trained_run), "--n", "4", "--truncation", "0.7", "--out", str(tmp_path / "s.png")]) == 0
    assert main(["sample", str(trained_run), "--n", "4", "--truncation", "0", "--out", str(tmp_path / "s.npz")]) == 0
    images = np.load(tmp_path / "s.npz")["x"]
    assert images.shape == (4, 28, 28, 1) and np.all(images == images[:1])  # psi = 0: one image
    mix = tmp_path / "mix.png"
    assert main(["style-mix", str(trained_run), "--rows", "3", "--cols", "2", "--crossover", "2", "--out", str(mix)]) == 0
    width, height = Image.open(mix).size
    assert width < height  # 3 columns (corner + 2 sources) by 4 rows (sources + 3 rows)
    assert main(["style-mix", str(trained_run), "--crossover", "99", "--out", str(mix), "--overwrite"]) == 2


@pytest.mark.slow
def test_project_and_edit(trained_run, tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (40, 1))).convert("RGB").save(photo)
    w_file = tmp_path / "w.npy"
    assert main(["project", str(trained_run), "--image", str(photo), "--steps", "5", "--perceptual", "none",
                 "--out", str(w_file)]) == 0
    report = json.loads(w_file.with_suffix(".json").read_text())
    assert report["final_loss"][0] < report["initial_loss"][0]
    assert np.load(w_file).shape == (1, 8) and w_file.with_suffix(".png").is_file()
    assert main(["project", str(trained_run), "--image", "test:3", "--steps", "3", "--perceptual", "none",
                 "--out", str(tmp_path / "w3.npy")]) == 0
    edited = tmp_path / "edit.png"
    assert main(["edit", str(trained_run), "--latent", str(w_file), "--direction", "class:3-class:5",
                 "--strength", "1.5", "--per-class", "2", "--steps", "2", "--perceptual", "none",
                 "--out", str(edited)]) == 0
    assert edited.is_file() and np.load(tmp_path / "edit.direction.npy").shape == (8,)
    capsys.readouterr()
    assert main(["project", str(trained_run), "--image", str(tmp_path / "missing.png")]) == 2
    assert main(["edit", str(trained_run), "--latent", str(w_file), "--direction", "class:3-class:77",
                 "--out", str(edited)]) == 2
    assert "out of range" in capsys.readouterr().err


@pytest.mark.slow
def test_finetune_with_frozen_blocks(trained_run, tmp_path):
    out = tmp_path / "ft"
    data = digit_like_npz(tmp_path / "other28.npz", 32, seed=1)
    assert main(["finetune", str(trained_run), "--data", data, "--limit", "32", "--freeze",
                 "mapping,g:2,d:2", "--lr-scale", "0.1", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    summary = (out / "transfer_summary.txt").read_text()
    assert "frozen" in summary and "generator" in summary and "mapping" in summary
    assert main(["sample", str(out), "--n", "2", "--truncation", "0.5", "--out", str(tmp_path / "ft.png")]) == 0
