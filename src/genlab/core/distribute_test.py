"""tf.distribute: a mirrored step equals a one-device step; multi-worker training on localhost.

TensorFlow fixes its devices when it starts, so the two-replica runs happen in a fresh Python
process whose CPU is split into two logical devices before anything else touches TensorFlow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from genlab.core.distribute import is_chief, make_strategy, replica_random_normal, scale_for_gradients
from genlab.core.errors import GenlabError

MIRRORED_EQUALS_SINGLE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import genlab
    from genlab.core.config import TrainConfig
    import genlab.models.families  # noqa: F401  (every family, models loaded)
    from genlab.core.registry import get_family

    family, values = sys.argv[1], json.loads(sys.argv[2])
    spec = get_family(family)
    images = np.random.default_rng(0).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    labels = np.zeros(16, "int32")

    def train(strategy):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = spec.model_class(spec.config_class.from_dict(dict(values, num_classes=1)))
            model.compile_for_training(TrainConfig(batch_size=16))
            model.build_optimizers()
        batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16).repeat()
        logs = model.fit(batches, epochs=1, steps_per_epoch=3, verbose=0).history
        return [np.array(v) for v in model.variables], logs

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    single_weights, single_logs = train(tf.distribute.get_strategy())
    mirrored_weights, mirrored_logs = train(mirrored)
    print(json.dumps({
        "max_weight_difference": max(float(np.max(np.abs(a - b))) for a, b in zip(single_weights, mirrored_weights)),
        "largest_update": max(float(np.max(np.abs(a))) for a in single_weights),
        "single_logs": single_logs, "mirrored_logs": mirrored_logs,
    }))
""")


def _run_python(code: str, *args: str, env=None, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})


@pytest.mark.parametrize("family, values, loss_name", [
    ("autoencoder", {"input_shape": [8, 8, 1], "arch": "conv", "latent_dim": 4}, "loss"),
    ("dcgan", {"input_shape": [8, 8, 1], "latent_dim": 4}, "d_loss"),  # BatchNorm in G and D
    pytest.param("wgan-gp", {"input_shape": [8, 8, 1], "latent_dim": 4, "critic_steps": 1}, "d_loss",
                 marks=pytest.mark.slow),  # gradient penalty
])
def test_mirrored_step_equals_single_device_step(family, values, loss_name):
    result = _run_python(MIRRORED_EQUALS_SINGLE, family, json.dumps(values))
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # three Adam steps on the same global batch of 16, split 8 + 8 over two replicas
    assert figures["max_weight_difference"] < 1e-4, figures
    assert figures["single_logs"][loss_name][0] == pytest.approx(figures["mirrored_logs"][loss_name][0], rel=1e-4)


def test_losses_are_divided_by_the_replicas_only_under_a_strategy():
    import tensorflow as tf

    loss = tf.constant(3.0)
    assert float(scale_for_gradients(loss)) == 3.0  # default strategy: one replica
    assert is_chief(make_strategy("none"))


def test_replica_noise_is_plain_noise_on_one_device():
    import keras

    first = replica_random_normal((4, 3), keras.random.SeedGenerator(5))
    second = keras.random.normal((4, 3), seed=keras.random.SeedGenerator(5))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def test_multi_worker_needs_a_cluster(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(GenlabError, match="TF_CONFIG"):
        make_strategy("multi-worker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(GenlabError, match="not valid JSON"):
        make_strategy("multi-worker")
    with pytest.raises(GenlabError, match="unknown --distribute 'ring'"):
        make_strategy("ring")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_on_localhost_train_one_epoch_and_only_the_chief_writes(tmp_path: Path):
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    out = tmp_path / "run"
    command = [sys.executable, "-m", "genlab.cli.main", "train", "autoencoder", "--data", "digits", "--limit", "256",
               "--epochs", "1", "--batch-size", "32", "--latent-dim", "4", "--distribute", "multi-worker",
               "--quiet", "--out", str(out)]
    processes = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(config), "TF_CPP_MIN_LOG_LEVEL": "2", "TMPDIR": str(tmp_path)}
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    assert (out / "checkpoints" / "epoch-00001" / "state.npz").exists()
    assert json.loads((out / "metadata.json").read_text())["status"] == "finished"
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith("genlab-worker-")]
    assert leftovers == []  # the worker's scratch copy is gone


@pytest.mark.slow
def test_cli_trains_a_dcgan_on_two_cpu_replicas_and_resumes(tmp_path: Path):
    """``genlab train dcgan --distribute mirrored`` end to end, the CPU split in two replicas."""
    out = tmp_path / "run"
    env = {**os.environ, "GENLAB_CPU_REPLICAS": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}
    base = [sys.executable, "-m", "genlab.cli.main", "train", "dcgan"]
    first = subprocess.run(base + ["--data", "digits", "--limit", "128", "--epochs", "1", "--batch-size", "32",
                                   "--latent-dim", "8", "--distribute", "mirrored", "--quiet", "--out", str(out)],
                           env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    second = subprocess.run(base + ["--resume", str(out), "--epochs", "2", "--quiet"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["distribute"] == "mirrored"
    assert json.loads((out / "metadata.json").read_text())["distribute"] == {"strategy": "mirrored", "replicas": 2}
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == 3 and all("nan" not in row for row in history)


def test_cpu_replicas_must_be_a_positive_number(monkeypatch):
    monkeypatch.setenv("GENLAB_CPU_REPLICAS", "two")
    with pytest.raises(GenlabError, match="GENLAB_CPU_REPLICAS must be a whole number, got 'two'"):
        make_strategy("mirrored")


EVERY_FAMILY_MIRRORED = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import genlab
    from genlab.core.config import TrainConfig
    import genlab.models.families  # noqa: F401  (every family, models loaded)
    from genlab.core.registry import get_family

    shapes = {"stylegan": [16, 16, 3], "cyclegan": [16, 16, 3], "pix2pix": [16, 16, 3], "srgan": [16, 16, 3]}
    options = {"srgan": {"content_network": "pixel"}, "wgan": {"critic_steps": 2}, "wgan-gp": {"critic_steps": 2}}
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    for name in sys.argv[1:]:
        keras.utils.set_random_seed(0)
        spec = get_family(name)
        shape = shapes.get(name, [8, 8, 1])
        values = dict(input_shape=shape, num_classes=2, **options.get(name, {}))
        if spec.model_class.data_sources == 2:
            values["target_shape"] = shape
        with strategy.scope():
            model = spec.model_class(spec.config_class.from_dict(values))
            model.compile_for_training(TrainConfig(batch_size=8))
            model.build_optimizers()
        images = np.random.default_rng(0).uniform(0, 1, (16, *shape)).astype("float32")
        second = images if spec.model_class.data_sources == 2 else np.zeros(16, "int32")
        logs = model.fit(tf.data.Dataset.from_tensor_slices((images, second)).batch(8), epochs=1, verbose=0).history
        results[name] = {key: values[-1] for key, values in logs.items()}
    print(json.dumps(results))
""")


@pytest.mark.slow
def test_every_family_trains_under_a_mirrored_strategy():
    families = ["vae", "cvae", "gan", "cgan", "wgan", "wgan-gp", "stylegan", "classifier", "cyclegan", "pix2pix", "srgan"]
    result = _run_python(EVERY_FAMILY_MIRRORED, *families, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(logs) == sorted(families)
    for family, values in logs.items():
        assert values and all(np.isfinite(v) for v in values.values()), (family, values)
