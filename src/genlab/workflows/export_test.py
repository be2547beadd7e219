"""Parity of every export format with Keras: the same inputs give the same images to 1e-4,
run by each format's own runtime (tf.saved_model.load, tf.lite.Interpreter, onnxruntime)."""

import importlib.util
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import DataConfig, RunConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.registry import get_family
from genlab.runs import RunDir
from genlab.workflows.export import InferenceFunction, export_run, run_exported, write_onnx, write_tflite
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train

TOLERANCE = 1e-4
ONNX_MISSING = [name for name in ("tf2onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
FORMATS = ["savedmodel", "tflite", pytest.param("onnx", marks=pytest.mark.skipif(
    bool(ONNX_MISSING), reason=f"{' and '.join(ONNX_MISSING)} not installed (pip install 'genlab[export]')"))]
TINY_RUNS = {  # family -> model config of a run trained for one epoch on 64 digits
    "dcgan": {"latent_dim": 4, "filters": [8, 16]},
    "vae": {"latent_dim": 4, "filters": [8, 16]},
}


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    return {family: train(family, folder / family, model=model, data=DataConfig("digits", 64),
                          train=TrainConfig(epochs=1, batch_size=32), verbose=0).path
            for family, model in TINY_RUNS.items()}


def exported_output(out, fmt, name, inputs):
    suffix = {"savedmodel": "", "tflite": ".tflite", "onnx": ".onnx"}[fmt]
    return run_exported(out / f"{name}{suffix}", fmt, inputs)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("family", sorted(TINY_RUNS))
def test_exported_network_gives_the_keras_images(trained_runs, family, fmt, tmp_path):
    out = export_run(trained_runs[family], fmt, tmp_path / "export")
    _, _, model = load_run_model(trained_runs[family])
    z = model.sample_latents(5, seed=1)
    expected = model.decode_latents(z)  # what genlab sample draws
    name = "decode" if family == "vae" else "generate"
    got = exported_output(out, fmt, name, {"z": z})
    error = float(np.max(np.abs(got - expected)))
    print(f"parity {family} {fmt}: max |export - keras| = {error:.3g}")
    assert got.shape == expected.shape and error < TOLERANCE
    described = json.loads((out / "export.json").read_text())
    assert described["family"] == family and described["functions"][0]["name"] == name


def untrained_run(folder, family, values):
    """A run directory of an untrained model (its weights saved): enough to check an export."""
    spec = get_family(family)
    config = spec.config_class.from_dict(values)
    model = spec.model_class(config)
    model.build_all()
    run = RunDir.create(folder / family)
    run.save_config(RunConfig(spec.name, config, DataConfig("digits"), TrainConfig(epochs=1)))
    run.save_weights(model)
    return run.path


rng = np.random.default_rng(3)
IMAGES_8 = rng.uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32)
IMAGES_16_RGB = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
OTHER_FAMILIES = {  # family: (config, {function: (inputs, reference verb)})
    "cgan": ({"input_shape": [8, 8, 1], "latent_dim": 4, "num_classes": 3, "ema_decay": 0.9},
             {"generate": ({"z": rng.standard_normal((3, 4)).astype(np.float32), "label": np.array([0, 1, 2], np.int32)},
                           lambda model, inputs: model.decode_latents(inputs["z"], inputs["label"]))}),
    "autoencoder": ({"input_shape": [8, 8, 1], "latent_dim": 4, "value_range": [0.0, 1.0]},
                    {"reconstruct": ({"images": (IMAGES_8 + 1) / 2}, lambda model, inputs: model.reconstruct(inputs["images"]))}),
    "srgan": ({"input_shape": [16, 16, 3], "scale": 2, "filters": 8, "residual_blocks": 1, "content_network": "pixel"},
              {"upscale": ({"images": IMAGES_16_RGB[:, :8, :8]}, lambda model, inputs: model.upscale(inputs["images"]))}),
    "pix2pix": ({"input_shape": [16, 16, 3], "target_shape": [16, 16, 3], "filters": 8, "depth": 2},
                {"a2b": ({"images": IMAGES_16_RGB}, lambda model, inputs: model.translate(inputs["images"]))}),
    "cyclegan": ({"input_shape": [16, 16, 1], "target_shape": [16, 16, 3], "filters": 8, "residual_blocks": 1,
                  "identity_weight": 0.0},
                 {"a2b": ({"images": IMAGES_16_RGB[..., :1]}, lambda model, inputs: model.translate(inputs["images"], "a2b")),
                  "b2a": ({"images": IMAGES_16_RGB}, lambda model, inputs: model.translate(inputs["images"], "b2a"))}),
    "stylegan": ({"input_shape": [8, 8, 1], "latent_dim": 8, "w_dim": 8, "resolution": 8},
                 {"generate": ({"z": rng.standard_normal((3, 8)).astype(np.float32)},
                               lambda model, inputs: model.decode_latents(inputs["z"]))}),
}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("family", sorted(OTHER_FAMILIES))
def test_every_exporting_family_keeps_parity(family, fmt, tmp_path):
    values, functions = OTHER_FAMILIES[family]
    run = untrained_run(tmp_path, family, values)
    out = export_run(run, fmt, tmp_path / "export")
    _, _, model = load_run_model(run)
    for name, (inputs, reference) in functions.items():
        expected = reference(model, inputs)
        got = exported_output(out, fmt, name, inputs)
        error = float(np.max(np.abs(got - expected)))
        print(f"parity {family} {name} {fmt}: max |export - keras| = {error:.3g}")
        assert got.shape == expected.shape and error < TOLERANCE


def test_export_refuses_an_existing_folder_unless_overwrite(trained_runs, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(GenlabError, match="already exists; pass --overwrite"):
        export_run(trained_runs["vae"], "savedmodel", out)
    export_run(trained_runs["vae"], "savedmodel", out, overwrite=True)
    assert not (out / "old.txt").exists() and (out / "decode" / "saved_model.pb").is_file()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no temporary left


def test_export_refuses_the_run_directory_and_unknown_formats(trained_runs):
    with pytest.raises(GenlabError, match="inside"):
        export_run(trained_runs["vae"], "savedmodel", trained_runs["vae"] / "export", overwrite=True)
    with pytest.raises(GenlabError, match="--format must be one of"):
        export_run(trained_runs["vae"], "keras", "somewhere")


def test_a_family_without_an_inference_network_is_refused(tmp_path):
    run = untrained_run(tmp_path, "classifier", {"input_shape": [8, 8, 1], "num_classes": 3})
    with pytest.raises(GenlabError, match="no inference network to export"):
        export_run(run, "savedmodel", tmp_path / "export")


@pytest.mark.slow
def test_genlab_export_command_writes_once_and_refuses_to_overwrite(trained_runs, tmp_path):
    """The command line end to end (a subprocess: tests of a package import nothing above it)."""
    command = [sys.executable, "-m", "genlab.cli.main", "export", str(trained_runs["dcgan"]), "--format", "tflite",
               "--out", str(tmp_path / "dcgan")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and (tmp_path / "dcgan" / "generate.tflite").is_file(), first.stderr[-2000:]
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "already exists; pass --overwrite" in again.stderr.splitlines()[-1]


@pytest.mark.parametrize("fmt", FORMATS[1:])  # a SavedModel holds every TensorFlow op
def test_an_op_a_converter_lacks_is_named_in_one_line(fmt, tmp_path):
    network = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    odd = InferenceFunction("odd", lambda z: tf.math.igamma(tf.abs(network(z)) + 1.0, 2.0),
                            (tf.TensorSpec((None, 3), tf.float32, name="z"),), (network,), (0.0, 1.0))
    write = write_tflite if fmt == "tflite" else write_onnx
    with pytest.raises(GenlabError, match=f"{fmt} .*cannot convert test's odd network: unsupported op.*Igamma") as error:
        write(odd, tmp_path / "odd", "test")
    assert "\n" not in str(error.value) and not (tmp_path / "odd").exists()
