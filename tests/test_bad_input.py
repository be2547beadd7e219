"""Issue 21, bad input: what the user gives is checked before anything is written, refused with one
line (exit 2, no traceback) naming the value and a fix, and every file is left as it was (same
names, same SHA-256); where the input is valid after all (one-hot labels, trailing commas,
16-bit images) the result is the right one. Helpers and the tiny runs come from
test_data_safety.py."""

import errno
import json
import os
import shutil
import signal

import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from genlab.callbacks import TrainingDiverged
from genlab.cli.main import main
from genlab.core.config import DataConfig, TrainConfig
from genlab.data.sources_test import decompression_bomb_png
from genlab.data.tabular import synthetic_table
from genlab.runs import RunDir
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train
from test_data_safety import DETECTOR, TRAIN, ae_run, detector_run, refused, snapshot  # noqa: F401 (fixtures)

SMALL = ["--batch-size", "8", "--latent-dim", "3", "--filters", "4", "--epochs", "1", "--quiet"]


def images(folder, names, value=0, shape=(8, 8), dtype=np.uint8):
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full(shape, value, dtype)).save(folder / name)
    return folder


# --------------------------------------------------------------------------------------
# 16: errors found before the run directory exists
# --------------------------------------------------------------------------------------


def test_sizes_and_labels_are_checked_before_the_run_exists(tmp_path, capsys):
    np.savez(tmp_path / "named.npz", x=np.zeros((40, 8, 8, 1), np.uint8), y=np.r_[np.zeros(39), [5]].astype(int),
             class_names=np.array(["a", "b"]))
    np.savez(tmp_path / "negative.npz", x=np.zeros((40, 8, 8, 1), np.uint8), y=np.r_[np.zeros(39), [-1]].astype(int))
    before = snapshot(tmp_path)
    out = tmp_path / "run"
    refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--limit", "8", "--out", out], capsys,
            "batch_size 16 is larger than the 8 training examples", "lower --batch-size")
    refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--steps-per-execution", "3", "--out", out], capsys,
            "--steps-per-execution 3 must divide the 4 steps of an epoch", "choose a divisor of 4")
    refused(["train", "cgan", "--data", f"npz:{tmp_path / 'named.npz'}", *SMALL, "--out", out], capsys,
            "holds label 5, but there are 2 class names (labels 0..1)")
    refused(["train", "cgan", "--data", f"npz:{tmp_path / 'negative.npz'}", *SMALL, "--out", out], capsys,
            "holds label -1: labels are class indices 0, 1, 2")
    assert snapshot(tmp_path) == before and not out.exists()
    # and the same --out then works
    assert main(["train", "autoencoder", *TRAIN, "--epochs", "1", "--out", str(out)]) == 0


def test_a_failure_while_the_model_is_built_removes_the_new_run(tmp_path):
    """What the checks before the run cannot see (a model that fails to build, a transfer plan
    that fails to prepare) stops training before it starts: the run this call made goes again."""
    from genlab.core.errors import GenlabError

    def failing_preparation(model, run, resume):
        assert (run.path / "config.json").is_file()  # the run existed while the model was prepared
        raise GenlabError("the plan does not fit")

    (tmp_path / "empty").mkdir()  # an empty folder given as --out stays, empty
    for out in (tmp_path / "new", tmp_path / "empty"):
        with pytest.raises(GenlabError, match="the plan does not fit"):
            train("autoencoder", out, model={"latent_dim": 3, "filters": (4, 8)}, data=DataConfig("digits", limit=64),
                  train=TrainConfig(epochs=1, batch_size=16), verbose=0, prepare_model=failing_preparation)
    assert not (tmp_path / "new").exists() and list((tmp_path / "empty").iterdir()) == []
    assert main(["train", "autoencoder", *TRAIN, "--epochs", "1", "--out", str(tmp_path / "new")]) == 0


# --------------------------------------------------------------------------------------
# 20: a run killed between its last checkpoint and its final save
# --------------------------------------------------------------------------------------


def test_resume_finishes_a_run_killed_before_its_final_save(ae_run, tmp_path, capsys):
    run = RunDir(shutil.copytree(ae_run, tmp_path / "run"))
    finished = [w.numpy() for w in load_run_model(run.path)[2].weights]
    shutil.rmtree(run.weights_dir)  # what a kill after the epoch-2 checkpoint leaves: no final files, status running
    run.weights_dir.mkdir()
    run.model_path.unlink()
    metadata = run.metadata()
    for key in ("weights_sha256", "finished"):
        metadata.pop(key)
    (run.path / "metadata.json").write_text(json.dumps({**metadata, "status": "running"}))
    assert main(["train", "autoencoder", "--resume", str(run.path)]) == 0
    metadata = run.metadata()
    assert metadata["status"] == "finished" and metadata["epochs_done"] == 2 and metadata["weights_sha256"]
    assert run.model_path.is_file()
    for resumed, original in zip(load_run_model(run.path)[2].weights, finished):
        np.testing.assert_array_equal(resumed.numpy(), original)  # the final save of the checkpoint: same weights
    before = snapshot(tmp_path)
    refused(["train", "autoencoder", "--resume", run.path], capsys, "already finished 2 of 2 epochs")
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------
# 5: npz labels and sizes
# --------------------------------------------------------------------------------------


def test_bad_npz_data_and_sizes_that_cannot_fit_are_refused(tmp_path, capsys):
    x = np.zeros((40, 8, 8, 1), np.uint8)
    np.savez(tmp_path / "short.npz", x=x, y=np.zeros(30, int))
    np.savez(tmp_path / "zero.npz", x=np.zeros((0, 8, 8, 1), np.float32))
    np.savez(tmp_path / "huge.npz", x=x, y=np.r_[np.zeros(39), [1e9]])
    before = snapshot(tmp_path)
    out = tmp_path / "run"
    refused(["train", "cvae", "--data", f"npz:{tmp_path / 'short.npz'}", *SMALL, "--out", out], capsys,
            "y has 30 labels (shape (30,)) for 40 images; give one label per image")
    refused(["train", "autoencoder", "--data", f"npz:{tmp_path / 'zero.npz'}", *SMALL, "--out", out], capsys,
            "no training images")
    refused(["train", "cvae", "--data", f"npz:{tmp_path / 'huge.npz'}", *SMALL, "--out", out], capsys,
            "parameters", "of memory is available", "num_classes=1000000001", "labels must be class indices")
    refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--latent-dim", "3000000000", "--out", out], capsys,
            "the autoencoder model has 195,000,001,285 parameters (726.4 GiB as float32)", "lower latent_dim=3000000000")
    assert snapshot(tmp_path) == before


def test_one_hot_npz_labels_train_as_class_indices(tmp_path):
    np.savez(tmp_path / "one_hot.npz", x=np.zeros((40, 8, 8, 1), np.uint8), y=np.eye(4)[np.arange(40) % 4])
    assert main(["train", "cvae", "--data", f"npz:{tmp_path / 'one_hot.npz'}", *SMALL, "--out", str(tmp_path / "run")]) == 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"]["num_classes"] == 4


# --------------------------------------------------------------------------------------
# 6, 7: config sections and seeds
# --------------------------------------------------------------------------------------


def test_config_sections_must_be_mappings(tmp_path, capsys):
    (tmp_path / "five.json").write_text('{"model": 5}')
    before = snapshot(tmp_path)
    base = ["train", "autoencoder", *TRAIN, "--epochs", "1", "--out", tmp_path / "run"]
    refused([*base, "--config", tmp_path / "five.json"], capsys, "section 'model' must be a mapping", "got 5")
    refused([*base, "--set", "model=5"], capsys, "'model' is a config section, not a value", "--set model.FIELD=VALUE")
    refused([*base, "--set", 'model="abc"'], capsys, "'model' is a config section, not a value")
    assert snapshot(tmp_path) == before


def test_seeds_outside_32_bits_are_refused_by_train_and_sample(tmp_path, capsys):
    before = snapshot(tmp_path)
    for seed in ("-1", "99999999999999999999"):
        refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--seed", seed, "--out", tmp_path / "run"], capsys,
                f"seed must be an integer from 0 to 4294967295, got {seed}")
        with pytest.raises(SystemExit) as exit_info:  # a flag of its own: argparse answers, before any work
            main(["sample", str(tmp_path / "run"), "--seed", seed])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert f"expected an integer from 0 to 4294967295, got '{seed}'" in err
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------
# 4, 10, 13: tables are read one way by train, evaluate and detect
# --------------------------------------------------------------------------------------


def test_a_header_only_csv_is_refused(tmp_path, capsys):
    (tmp_path / "header.csv").write_text("f0,f1,amount,label\n")
    before = snapshot(tmp_path)
    refused(["train", "detector", "--data", f"csv:{tmp_path / 'header.csv'}", "--label", "label", *DETECTOR,
             "--out", tmp_path / "run"], capsys, "has a header but no data rows")
    assert snapshot(tmp_path) == before


def with_trailing_commas(frame, path):
    lines = frame.to_csv(index=False).splitlines()
    path.write_text("\n".join(lines[:1] + [line + "," for line in lines[1:]]) + "\n")
    return f"csv:{path}"


def test_trailing_commas_score_and_evaluate_as_without_them(detector_run, tmp_path):
    run = shutil.copytree(detector_run, tmp_path / "run")
    table = synthetic_table(20, 2, seed=1)
    table.to_csv(tmp_path / "clean.csv", index=False)
    trailing = with_trailing_commas(table, tmp_path / "trailing.csv")
    for data, out in ((f"csv:{tmp_path / 'clean.csv'}", "clean_scores.csv"), (trailing, "trailing_scores.csv")):
        assert main(["detect", str(run), "--data", data, "--out", str(tmp_path / out)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "trailing_scores.csv"), pd.read_csv(tmp_path / "clean_scores.csv"))
    figures = []
    for data in (f"csv:{tmp_path / 'clean.csv'}", trailing):
        assert main(["evaluate", str(run), "--data", data, "--label", "label"]) == 0
        figures.append(json.loads((run / "metrics.json").read_text())["evaluation"]["table"])
    assert figures[0] == figures[1]


def test_true_false_and_extra_fields_stop_at_the_row(detector_run, tmp_path, capsys):
    run = shutil.copytree(detector_run, tmp_path / "run")
    table = synthetic_table(20, 2, seed=1).drop(columns="label")
    table.assign(f1=table["f1"] > 0).to_csv(tmp_path / "booleans.csv", index=False)
    lines = table.to_csv(index=False).splitlines()
    lines[4] += ",7.5"
    (tmp_path / "extra.csv").write_text("\n".join(lines) + "\n")
    before = snapshot(tmp_path)
    refused(["detect", run, "--data", f"csv:{tmp_path / 'booleans.csv'}", "--out", tmp_path / "s.csv"], capsys,
            "text in numeric column(s)", "'f1' at row_id 0")
    refused(["detect", run, "--data", f"csv:{tmp_path / 'extra.csv'}", "--out", tmp_path / "s.csv"], capsys,
            "row_id 3 has 7 fields but the header names 6 columns", "remove the extra field")
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------
# 17, 18, 19: the test split, divergence, weights of another config
# --------------------------------------------------------------------------------------


def test_an_empty_test_split_is_refused_before_training(tmp_path, capsys):
    images(tmp_path / "one", ["a.png"])
    np.savez(tmp_path / "no_test.npz", x_train=np.zeros((16, 8, 8, 1), np.uint8), x_test=np.zeros((0, 8, 8, 1), np.uint8))
    before = snapshot(tmp_path)
    for data in (f"folder:{tmp_path / 'one'}", f"npz:{tmp_path / 'no_test.npz'}"):
        refused(["train", "autoencoder", "--data", data, *SMALL, "--batch-size", "1", "--out", tmp_path / "run"], capsys,
                "has no test images", "give it at least 2 images")
    assert snapshot(tmp_path) == before


def test_divergence_says_what_is_actually_kept(tmp_path, capsys):
    capsys.readouterr()
    assert main(["train", "autoencoder", *TRAIN, "--epochs", "1", "--learning-rate", "1e30", "--out",
                 str(tmp_path / "run")]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "diverged before its first checkpoint: nothing was kept to resume from" in err
    assert "last good checkpoint" not in err and not list((tmp_path / "run" / "checkpoints").iterdir())

    class PoisonInEpochTwo(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                kernel = self.model.encoder.get_layer("code").kernel
                kernel.assign(np.full(kernel.shape, np.nan, np.float32))

    with pytest.raises(TrainingDiverged, match=r"Kept: the checkpoint after epoch 1 \(.*epoch-00001\), which genlab "
                                                r"sample, evaluate and finetune load as this run's model\. Likely causes"):
        train("autoencoder", tmp_path / "later", model={"latent_dim": 3, "filters": (4, 8)},
              data=DataConfig("digits", limit=64), train=TrainConfig(epochs=2, batch_size=16), verbose=0,
              callbacks=[PoisonInEpochTwo()])


def test_weights_of_another_config_give_one_line(ae_run, tmp_path, capsys):
    run = shutil.copytree(ae_run, tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    config["model"]["latent_dim"] = 5
    (run / "config.json").write_text(json.dumps(config))
    before = snapshot(tmp_path)
    refused(["reconstruct", run, "--n", "2", "--out", tmp_path / "r.png"], capsys,
            "do not match the run's config (variable code/kernel has shape (32, 5) but the file holds (32, 3))",
            "was config.json edited since training?")
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------
# 21: plain numbers in messages, SIGTERM, a full disk
# --------------------------------------------------------------------------------------


def test_label_errors_print_plain_numbers(tmp_path, capsys):
    table = synthetic_table(60, 4, seed=0)
    table.loc[5, "label"] = 2
    table.to_csv(tmp_path / "t.csv", index=False)
    before = snapshot(tmp_path)
    err = refused(["train", "detector", "--data", f"csv:{tmp_path / 't.csv'}", "--label", "label", *DETECTOR,
                   "--out", tmp_path / "run"], capsys, "labels must be 0 (normal) or 1 (anomaly)", "hold 2")
    assert "np." not in err
    assert snapshot(tmp_path) == before


def test_sigterm_during_sample_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    assert main(["train", "vae", *TRAIN, "--epochs", "1", "--out", str(tmp_path / "vae")]) == 0
    import genlab.workflows.sample as sampling

    decoded = []
    real_decode = sampling.decode

    def decode_then_terminate(*args, **kwargs):
        decoded.append(True)
        if len(decoded) == 2:  # the second batch: x.npy is half written in the temporary .npz
            os.kill(os.getpid(), signal.SIGTERM)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(sampling, "decode", decode_then_terminate)
    before, handler = snapshot(tmp_path), signal.getsignal(signal.SIGTERM)
    capsys.readouterr()
    assert main(["sample", str(tmp_path / "vae"), "--n", "64", "--batch-size", "16", "--format", "npz",
                 "--out", str(tmp_path / "s.npz")]) == 143
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "terminated (SIGTERM)" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before  # no .tmp-*-s.npz, no s.npz
    assert signal.getsignal(signal.SIGTERM) is handler  # main() put the previous handler back


def test_a_full_disk_marks_the_run_failed_with_the_reason(tmp_path, monkeypatch, capsys):
    import genlab.runs

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(genlab.runs.np, "savez", disk_full)  # the checkpoint's state.npz
    err = refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--out", tmp_path / "run"], capsys,
                  "training stopped: cannot write", os.strerror(errno.ENOSPC), "no checkpoint was saved yet")
    metadata = RunDir(tmp_path / "run").metadata()
    assert metadata["status"] == "failed" and os.strerror(errno.ENOSPC) in metadata["failure"], (metadata, err)
    assert not list((tmp_path / "run").rglob(".tmp-*"))


# --------------------------------------------------------------------------------------
# 8, 9, 11, 12: image files and backbones
# --------------------------------------------------------------------------------------


def test_a_decompression_bomb_in_a_folder_is_refused_or_skipped(tmp_path, capsys):
    folder = images(tmp_path / "images", ["a.png", "b.png", "c.png"])
    decompression_bomb_png(folder / "bomb.png")
    before = snapshot(tmp_path)
    refused(["train", "autoencoder", "--data", f"folder:{folder}", *SMALL, "--batch-size", "1", "--out", tmp_path / "run"],
            capsys, "bomb.png' is too large to decode safely", "--skip-bad-images")
    assert snapshot(tmp_path) == before
    assert main(["train", "autoencoder", "--data", f"folder:{folder}", "--skip-bad-images", *SMALL, "--batch-size", "1",
                 "--out", str(tmp_path / "run")]) == 0
    assert "skipped 1 unreadable image file(s)" in capsys.readouterr().err


def test_a_backbone_with_a_lambda_is_refused_in_one_line_leaving_no_run(tmp_path, capsys):
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    keras.Model(inputs, outputs).save(tmp_path / "lambda.keras")
    before = snapshot(tmp_path)
    refused(["train", "autoencoder", *TRAIN, "--epochs", "1", "--encoder", f"pretrained:{tmp_path / 'lambda.keras'}",
             "--backbone-size", "32", "--out", tmp_path / "run"], capsys,
            "cannot load backbone model", "safe_mode", "Lambda")
    assert snapshot(tmp_path) == before


def test_sixteen_bit_pngs_train_scaled_to_eight_bits(tmp_path):
    folder = images(tmp_path / "deep", [f"{i}.png" for i in range(10)], value=40000, dtype=np.uint16)
    assert main(["train", "autoencoder", "--data", f"folder:{folder}", *SMALL, "--out", str(tmp_path / "run")]) == 0
    # the data fingerprint is that of 8-bit images at round(40000 * 255 / 65535) = 156, not clipped 255s
    from genlab.data import load_image_data

    data = load_image_data(f"folder:{folder}")
    assert set(np.unique(data.x_train)) == {156}
    assert RunDir(tmp_path / "run").metadata()["data"]["fingerprint"] == data.fingerprint()


def test_a_folder_with_class_folders_and_loose_images_is_refused(tmp_path, capsys):
    folder = images(tmp_path / "mixed", ["cats/1.png", "cats/2.png", "dogs/1.png", "dogs/2.png", "stray.png"])
    before = snapshot(tmp_path)
    refused(["train", "autoencoder", "--data", f"folder:{folder}", *SMALL, "--batch-size", "1", "--out", tmp_path / "run"],
            capsys, "has class sub-folders (cats, dogs) and 1 image(s) of no class", "stray.png",
            "move them into a class sub-folder")
    assert snapshot(tmp_path) == before
