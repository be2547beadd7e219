import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from genlab.core.config import DataConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_write_text
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.workflows.loading import load_run_model
from genlab.runs import RunDir
from genlab.workflows.train import resume, train

TINY = {"latent_dim": 3, "filters": (4, 8), "seed": 1}


def tiny_train(out, epochs, keep: int = 1, **model):
    return train("autoencoder", out, model={**TINY, **model}, data=DataConfig("digits", limit=64),
                 train=TrainConfig(epochs=epochs, batch_size=16, deterministic=True, checkpoints_to_keep=keep),
                 verbose=0)


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "one")
    atomic_write_text(tmp_path / "a.txt", "two")
    assert (tmp_path / "a.txt").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_train_writes_a_complete_run_directory(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=2)
    for name in ("config.json", "metadata.json", "history.csv", "model.keras", "weights/encoder.weights.h5",
                 "weights/decoder.weights.h5", "samples/epoch_00002.png", "plots/loss_curves.png"):
        assert (run.path / name).is_file(), name
    metadata = run.metadata()
    assert metadata["status"] == "finished" and metadata["epochs_done"] == 2
    assert len(metadata["data"]["fingerprint"]) == 64 and metadata["environment"]["keras"]
    assert [row["epoch"] for row in run.history()] == [1, 2]
    assert run.latest_checkpoint()[0] == 2


def test_resume_continues_exactly(tmp_path):
    """Two epochs straight equal one epoch plus a resumed epoch (op determinism on)."""
    straight = tiny_train(tmp_path / "straight", epochs=2, denoising=True)
    tiny_train(tmp_path / "split", epochs=1, denoising=True)
    resumed = resume(tmp_path / "split", epochs=2, verbose=0)
    _, _, a = load_run_model(straight.path)
    _, _, b = load_run_model(resumed.path)
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=1e-5)
    assert resumed.history() == straight.history()
    assert json.loads((resumed.path / "config.json").read_text())["train"]["epochs"] == 2


def test_resume_of_a_finished_run_asks_for_more_epochs(tmp_path):
    tiny_train(tmp_path / "run", epochs=1)
    with pytest.raises(GenlabError, match="already finished 1 of 1 epochs"):
        resume(tmp_path / "run", verbose=0)


def test_existing_run_is_never_overwritten(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=1)
    before = {p: p.read_bytes() for p in run.path.rglob("*") if p.is_file()}
    with pytest.raises(GenlabError, match="already exists"):
        tiny_train(tmp_path / "run", epochs=1)
    assert {p: p.read_bytes() for p in run.path.rglob("*") if p.is_file()} == before


def test_corrupt_or_mismatched_runs_are_refused_clearly(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=1)
    with pytest.raises(GenlabError, match="does not exist"):
        RunDir.open(tmp_path / "missing")
    config = json.loads(run.config_path.read_text())
    config["model"]["latent_dim"] = 5  # weights no longer fit the config
    run.config_path.write_text(json.dumps(config))
    with pytest.raises(GenlabError, match="do not match"):
        load_run_model(run.path)
    run.config_path.write_text("{broken")
    with pytest.raises(GenlabError, match="corrupt"):
        load_run_model(run.path)
    run.config_path.write_text(json.dumps({**config, "family": "Lambda"}))
    with pytest.raises(GenlabError, match="unknown model family"):
        load_run_model(run.path)


def test_a_half_written_checkpoint_falls_back_to_the_previous_one(tmp_path):
    run = tiny_train(tmp_path / "run", epochs=2, keep=2)
    (run.checkpoints_dir / "epoch-00002" / "state.npz").unlink()
    assert run.latest_checkpoint()[0] == 1


@pytest.mark.slow
def test_same_seed_and_config_give_an_identical_history(tmp_path):
    first = tiny_train(tmp_path / "a", epochs=2)
    second = tiny_train(tmp_path / "b", epochs=2)
    assert first.history() == second.history()
    third = train("autoencoder", tmp_path / "c", model={**TINY, "seed": 2}, data=DataConfig("digits", limit=64),
                  train=TrainConfig(epochs=2, batch_size=16, deterministic=True), verbose=0)
    assert third.history() != first.history()


def test_a_full_disk_fails_clearly_and_keeps_the_earlier_file(tmp_path, monkeypatch):
    import errno
    import os

    target = tmp_path / "metadata.json"
    atomic_write_text(target, "earlier")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(GenlabError, match="cannot write .*metadata.json.*No space left on device"):
        atomic_write_text(target, "later")
    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.json"]


# one writer per run ----------------------------------------------------------------------

RACER = r"""
import sys
import time
from genlab.core.errors import GenlabError
from genlab.runs import RunDir

mode = sys.argv[1]
while True:
    order = sys.stdin.readline().split()
    if not order:
        break
    path, start = order[0], float(order[1])
    while time.time() < start:  # the barrier: both racers spin until the same instant
        pass
    lock = None
    try:
        run = RunDir.create(path) if mode == "create" else RunDir(path)
        lock = run.lock()
        print("won", flush=True)
    except GenlabError as error:
        print("lost", error, flush=True)
    sys.stdin.readline()  # hold what was won until the parent has both answers
    if lock is not None:
        lock.release()
    print("released", flush=True)
"""


@pytest.mark.parametrize("mode", ["create", "lock"])
def test_of_two_writers_released_together_exactly_one_wins(tmp_path, mode):
    """Two processes create the same run (or lock the same existing run) at the same moment, 30 times."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    racers = [subprocess.Popen([sys.executable, "-u", "-c", RACER, mode], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    try:
        for trial in range(30):
            path = tmp_path / f"run{trial}"
            if mode == "lock":
                path.mkdir()
            start = time.time() + 0.03
            for racer in racers:
                racer.stdin.write(f"{path} {start}\n")
                racer.stdin.flush()
            answers = [racer.stdout.readline().strip() for racer in racers]
            assert sorted(a.split(" ", 1)[0] for a in answers) == ["lost", "won"], (trial, answers)
            winner = racers[[a.split(" ", 1)[0] for a in answers].index("won")]
            loser_says = next(a for a in answers if a.startswith("lost"))
            assert ("already exists" if mode == "create" else f"genlab process {winner.pid} on") in loser_says
            for racer in racers:
                racer.stdin.write("release\n")
                racer.stdin.flush()
            assert [racer.stdout.readline().strip() for racer in racers] == ["released", "released"]
            assert not (path / ".lock").exists()
    finally:
        for racer in racers:
            racer.stdin.close()
            racer.wait(timeout=60)


def lock_record(pid):
    return {"pid": pid, "host": platform.node(), "since": "2026-01-01T00:00:00+00:00", "token": "left"}


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = RunDir.create(tmp_path / "run")
    (run.path / ".lock").write_text(json.dumps(lock_record(dead.pid)))
    with run.lock():
        assert json.loads((run.path / ".lock").read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in run.path.iterdir()) == ["checkpoints", "plots", "samples", "weights"]


def test_a_live_writer_keeps_its_lock_and_a_crash_releases_it(tmp_path):
    run = RunDir.create(tmp_path / "run")
    (run.path / ".lock").write_text(json.dumps(lock_record(os.getppid())))  # pytest's parent: alive
    with pytest.raises(GenlabError, match=rf"being written by genlab process {os.getppid()} on .*delete .*\.lock"):
        run.lock()
    assert json.loads((run.path / ".lock").read_text()) == lock_record(os.getppid())
    (run.path / ".lock").unlink()
    with pytest.raises(KeyboardInterrupt):
        with run.lock():
            with pytest.raises(GenlabError, match="being written by this process"):
                run.lock()
            raise KeyboardInterrupt
    assert not (run.path / ".lock").exists()


def test_create_replaces_an_empty_folder_and_never_a_full_one(tmp_path):
    (tmp_path / "empty").mkdir()
    assert RunDir.create(tmp_path / "empty").weights_dir.is_dir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(GenlabError, match="already exists and is not empty"):
        RunDir.create(tmp_path / "full")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "full"]  # no staging folder left


def test_weights_record_their_sha256_and_a_changed_file_is_refused(tmp_path):
    model = Autoencoder(AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=2, filters=(4, 8)))
    run = RunDir.create(tmp_path / "run")
    run.save_weights(model)
    digests = run.metadata()["weights_sha256"]
    assert set(digests) == {f"{name}.weights.h5" for name in model.networks()}
    run.load_weights(model)
    path = run.weights_dir / "encoder.weights.h5"
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(GenlabError, match=r"weights file .*encoder\.weights\.h5' does not match the SHA-256"):
        run.load_weights(model)


def test_runs_lists_a_fine_tune_source_copy_as_part_of_its_run_and_shows_the_model_row(tmp_path):
    import json

    from genlab.runs import list_runs

    run = tmp_path / "sr"
    (run / "source").mkdir(parents=True)
    for folder, family in ((run, "srgan"), (run / "source", "srgan")):
        (folder / "config.json").write_text(json.dumps({"family": family, "data": {"source": "folder:x"}, "train": {"epochs": 2}}))
        (folder / "metadata.json").write_text(json.dumps({"epochs_done": 2, "status": "finished"}))
    (run / "metrics.json").write_text(json.dumps({"evaluation": {"table": {
        "bicubic x4": {"psnr": 20.0}, "srgan x4": {"psnr": 28.5}}}}))
    rows = list_runs(tmp_path)
    assert [row["run"] for row in rows] == [str(run)]
    assert rows[0]["metrics"].startswith("srgan x4: psnr 28.5")
