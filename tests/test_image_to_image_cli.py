"""End to end through the command line: cyclegan, pix2pix and srgan on tiny folders of PNGs,
then translate, upscale, resume and finetune."""

import json

import numpy as np
import pytest
from PIL import Image

from genlab.cli.main import main
from genlab.runs import RunDir

RNG = np.random.default_rng(0)
TRANSLATOR = ["--epochs", "1", "--batch-size", "2", "--filters", "4", "--discriminator-filters", "4",
              "--discriminator-downsamplings", "2", "--quiet"]


def _write_folder(folder, images, mode="RGB"):
    folder.mkdir(parents=True)
    for i, image in enumerate(images):
        Image.fromarray(image.squeeze() if mode == "L" else image, mode).save(folder / f"{i:03d}.png")
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    photos = RNG.integers(0, 256, size=(10, 16, 16, 3), dtype=np.uint8)
    return {
        "a": _write_folder(root / "a", photos),
        "b": _write_folder(root / "b", 255 - photos),  # paired with a, image by image
        "gray": _write_folder(root / "gray", RNG.integers(0, 256, size=(7, 16, 16, 1), dtype=np.uint8), "L"),
        "root": root,
    }


@pytest.fixture(scope="module")
def cyclegan_run(folders, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cg"
    code = main(["train", "cyclegan", "--data-a", f"folder:{folders['a']}", "--data-b", f"folder:{folders['gray']}",
                 "--identity-weight", "0", "--residual-blocks", "1", "--history-size", "4", *TRANSLATOR, "--out", str(out)])
    assert code == 0
    return out


def test_cyclegan_trains_on_unpaired_folders(cyclegan_run):
    history = RunDir(cyclegan_run).history()
    assert {"generator_loss", "discriminator_loss", "cycle_loss", "val_cycle_loss"} <= set(history[0])
    assert {p.name for p in (cyclegan_run / "weights").iterdir()} >= {
        "generator_ab.weights.h5", "generator_ba.weights.h5", "discriminator_a.weights.h5", "discriminator_b.weights.h5"}
    metadata = json.loads((cyclegan_run / "metadata.json").read_text())
    assert metadata["data"]["train_examples"] == [9, 6] and metadata["data"]["paired"] is False


def test_translate_both_directions_and_refuse_the_wrong_mode(cyclegan_run, folders, tmp_path, capsys):
    color = tmp_path / "color.png"
    Image.fromarray(RNG.integers(0, 256, size=(12, 20, 3), dtype=np.uint8)).save(color)
    assert main(["translate", str(cyclegan_run), "--input", str(color), "--direction", "a2b", "--out", str(tmp_path / "g.png")]) == 0
    with Image.open(tmp_path / "g.png") as image:
        assert image.mode == "L" and image.size == (20, 12)  # domain B is grayscale here
    assert main(["translate", str(cyclegan_run), "--input", str(tmp_path / "g.png"), "--direction", "b2a",
                 "--out", str(tmp_path / "back.jpg")]) == 0
    with Image.open(tmp_path / "back.jpg") as image:
        assert image.mode == "RGB" and image.size == (20, 12)
    capsys.readouterr()
    assert main(["translate", str(cyclegan_run), "--input", str(tmp_path / "g.png"), "--direction", "a2b"]) == 2
    message = capsys.readouterr().err
    assert "grayscale image (mode L)" in message and "RGB colour images" in message and "convert" in message
    assert main(["translate", str(cyclegan_run), "--input", str(tmp_path / "missing.png")]) == 2


def test_pix2pix_needs_paired_data_and_translates(folders, tmp_path, capsys):
    data = ["--data-a", f"folder:{folders['a']}", "--data-b", f"folder:{folders['b']}"]
    assert main(["train", "pix2pix", *data, *TRANSLATOR, "--out", str(tmp_path / "unpaired")]) == 2
    assert "--paired" in capsys.readouterr().err
    unequal = ["--data-a", f"folder:{folders['a']}", "--data-b", f"folder:{folders['gray']}", "--paired"]
    assert main(["train", "pix2pix", *unequal, *TRANSLATOR, "--out", str(tmp_path / "unequal")]) == 2
    assert "as many images" in capsys.readouterr().err
    out = tmp_path / "p2p"
    assert main(["train", "pix2pix", *data, "--paired", "--crop-size", "8", *TRANSLATOR, "--out", str(out)]) == 0
    assert {"l1_loss", "val_l1_loss"} <= set(RunDir(out).history()[0])
    assert (out / "samples" / "epoch_00001.png").is_file()
    source = tmp_path / "in.png"
    Image.fromarray(RNG.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)).save(source)
    assert main(["translate", str(out), "--input", str(source)]) == 0
    assert (tmp_path / "in_a2b.png").is_file()
    assert main(["translate", str(out), "--input", str(source), "--direction", "b2a"]) == 2


def test_one_source_families_refuse_a_second_domain(folders, tmp_path, capsys):
    assert main(["train", "srgan", "--data", f"folder:{folders['a']}", "--data-b", f"folder:{folders['b']}",
                 "--out", str(tmp_path / "x")]) == 2
    assert "--data-b is for image-to-image families" in capsys.readouterr().err
    assert main(["train", "cyclegan", "--data", f"folder:{folders['a']}", "--out", str(tmp_path / "y")]) == 2
    assert "--data-b" in capsys.readouterr().err


SRGAN = ["--scale", "2", "--crop-size", "8", "--content-network", "pixel", "--filters", "4", "--residual-blocks", "1",
         "--discriminator-filters", "2", "--pretrain-epochs", "1", "--batch-size", "3", "--deterministic", "--quiet"]


@pytest.fixture(scope="module")
def srgan_pretrained(folders, tmp_path_factory):
    """One epoch: the MSE pretraining phase only."""
    out = tmp_path_factory.mktemp("runs") / "sr"
    assert main(["train", "srgan", "--data", f"folder:{folders['a']}", *SRGAN, "--epochs", "1", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def srgan_run(folders, tmp_path_factory):
    """A run resumed from its pretraining epoch into the adversarial phase (epoch 2)."""
    out = tmp_path_factory.mktemp("runs") / "sr"
    assert main(["train", "srgan", "--data", f"folder:{folders['a']}", *SRGAN, "--epochs", "1", "--out", str(out)]) == 0
    assert main(["train", "srgan", "--resume", str(out), "--epochs", "2", "--quiet"]) == 0  # into the adversarial phase
    return out


@pytest.mark.slow
def test_srgan_pretrains_then_trains_adversarially(srgan_run):
    history = RunDir(srgan_run).history()
    assert [row["epoch"] for row in history] == [1, 2]
    assert history[0]["discriminator_loss"] == 0.0 and history[1]["discriminator_loss"] > 0.0  # phase 1, then 2


@pytest.mark.slow
def test_srgan_resumed_into_the_adversarial_phase_equals_a_straight_run(srgan_run, folders, tmp_path):
    history = RunDir(srgan_run).history()
    straight = tmp_path / "straight"
    assert main(["train", "srgan", "--data", f"folder:{folders['a']}", *SRGAN, "--epochs", "2", "--out", str(straight)]) == 0
    for key in ("generator_loss", "discriminator_loss", "mse", "val_mse"):
        assert history[1][key] == pytest.approx(RunDir(straight).history()[1][key], rel=1e-5, abs=1e-7), key


def test_upscale_any_size_and_refuse_the_wrong_mode(srgan_pretrained, tmp_path, capsys):
    small = tmp_path / "small.png"
    Image.fromarray(RNG.integers(0, 256, size=(11, 23, 3), dtype=np.uint8)).save(small)
    assert main(["upscale", str(srgan_pretrained), "--input", str(small), "--out", str(tmp_path / "big.png"),
                 "--tile", "8", "--overlap", "4"]) == 0
    with Image.open(tmp_path / "big.png") as image:
        assert image.mode == "RGB" and image.size == (46, 22)
    rgba = tmp_path / "rgba.png"
    Image.fromarray(RNG.integers(0, 256, size=(8, 8, 4), dtype=np.uint8), "RGBA").save(rgba)
    capsys.readouterr()
    assert main(["upscale", str(srgan_pretrained), "--input", str(rgba)]) == 2
    assert "RGB with alpha image (mode RGBA)" in capsys.readouterr().err
    assert main(["upscale", str(srgan_pretrained), "--input", str(small), "--out", str(tmp_path / "big.gif")]) == 2


@pytest.mark.slow
def test_finetune_an_srgan_run_on_a_new_domain(srgan_run, folders, tmp_path):
    new_domain = _write_folder(folders["root"] / "new", RNG.integers(0, 128, size=(6, 12, 12, 3), dtype=np.uint8))
    out = tmp_path / "sr-ft"
    assert main(["finetune", str(srgan_run), "--data", f"folder:{new_domain}", "--epochs", "1", "--quiet",
                 "--out", str(out)]) == 0
    assert (out / "weights" / "generator.weights.h5").is_file()
    assert json.loads((out / "metadata.json").read_text())["transfer"]["source"]["family"] == "srgan"


def test_a_run_keeps_one_copy_of_the_weights_per_file(cyclegan_run):
    """model.keras holds the networks without optimizer state, and one checkpoint is kept."""
    import zipfile

    weights = sum(p.stat().st_size for p in (cyclegan_run / "weights").glob("*.weights.h5"))
    with zipfile.ZipFile(cyclegan_run / "model.keras") as archive:
        saved = sum(info.file_size for info in archive.infolist() if info.filename.endswith(".h5"))
    assert saved < 1.3 * weights, (saved, weights)  # two Adam states would make it about 3x
    assert len(list((cyclegan_run / "checkpoints").glob("epoch-*"))) == 1
