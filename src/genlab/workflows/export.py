"""``genlab export``: a run's inference network as a TensorFlow SavedModel, a TFLite flatbuffer
or an ONNX graph, for serving without genlab.

Which network is "the inference network" depends on the family (:func:`inference_functions`):

=====================  ===========  ==============================================================
family                 function     inputs -> output
=====================  ===========  ==============================================================
vae, cvae              ``decode``   z (N, latent_dim) [, label (N,) int32] -> sigmoid(decoder) in [0, 1]
gan, dcgan, wgan,      ``generate`` z (N, latent_dim) [, label] -> G(z) in [-1, 1]; the EMA generator
wgan-gp, cgan                       when the run keeps one (``ema_decay`` > 0)
stylegan               ``generate`` z -> synthesis_ema(mapping_ema(z)) as one function (psi = 1), clipped
srgan                  ``upscale``  low-resolution images (N, h, w, C), any size -> (N, s h, s w, C)
cyclegan               ``a2b``,     images of one domain (N, H, W, C) -> the other; sides multiples
                       ``b2a``      of ``2 ** downsamplings`` (the command pads; an export does not)
pix2pix                ``a2b``      as cyclegan, sides multiples of ``2 ** levels``
autoencoder            ``reconstruct`` images shaped like the training data -> decoder(encoder(x))
=====================  ===========  ==============================================================

Each function becomes one artifact in ``--out``: ``NAME/`` (SavedModel, signature ``serve``),
``NAME.tflite`` (signature ``serve``) or ``NAME.onnx``, with ``export.json`` describing the
inputs, the output and its value range. Inputs are named (``z``, ``label``, ``images``), the
output is ``output``. The folder is written beside ``--out`` under a temporary name and renamed
into place, so an interrupted export leaves nothing half written.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

import genlab
from genlab.core.errors import GenlabError
from genlab.core.io import run_directory_holding, write_json
from genlab.models.adversarial.base import AdversarialModel
from genlab.models.autoencoder import Autoencoder
from genlab.models.cyclegan import CycleGAN
from genlab.models.cyclegan.config import DOWNSAMPLINGS
from genlab.models.pix2pix import Pix2Pix
from genlab.models.srgan import SRGAN
from genlab.models.stylegan import StyleGAN, broadcast_styles
from genlab.models.vae import VAE
from genlab.workflows.loading import load_run_model

FORMATS = ("savedmodel", "tflite", "onnx")
ONNX_OPSET = 17
ONNXRUNTIME_DOMAINS = ("com.microsoft",)  # contrib ops onnxruntime runs though onnx.defs does not list them
SIGNATURE = "serve"
OUTPUT = "output"  # not "images": tf2onnx loses a graph input named like an output
EXPORT_EXTRA = "pip install 'genlab[export]'"


@dataclasses.dataclass(frozen=True)
class InferenceFunction:
    """One exported function: ``call(*inputs)`` -> images, with the networks whose weights it uses."""

    name: str
    call: Callable
    inputs: tuple[tf.TensorSpec, ...]
    networks: tuple[keras.Model, ...]
    value_range: tuple[float, float]
    note: str = ""

    def serving_function(self) -> tf.types.experimental.GenericFunction:
        """A tf.function of named inputs returning ``{"output": images}`` (what every format exports)."""
        call = self.call

        def serve(*inputs):
            return {OUTPUT: call(*inputs)}

        return tf.function(serve, input_signature=list(self.inputs), autograph=False)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name,
                "inputs": [{"name": spec.name, "shape": list(spec.shape.as_list()), "dtype": spec.dtype.name}
                           for spec in self.inputs],
                "output": {"name": OUTPUT, "value_range": list(self.value_range)},
                "note": self.note}


def _latent_inputs(model) -> tuple[tf.TensorSpec, ...]:
    z = tf.TensorSpec((None, model.config.latent_dim), tf.float32, name="z")
    return (z, tf.TensorSpec((None,), tf.int32, name="label")) if model.is_conditional else (z,)


def _images_input(channels: int, shape=(None, None)) -> tf.TensorSpec:
    return tf.TensorSpec((None, *shape, channels), tf.float32, name="images")


def _vae_functions(model: VAE) -> list[InferenceFunction]:
    def decode(z, label=None):  # p(x|z[, y]): the image is sigmoid(decoder logits)
        return ops.sigmoid(model.decode_logits(z, label, training=False))

    return [InferenceFunction("decode", decode, _latent_inputs(model), (model.decoder,), (0.0, 1.0))]


def _adversarial_functions(model: AdversarialModel) -> list[InferenceFunction]:
    generator = model.sampling_generator  # the moving average when the run keeps one

    def generate(z, label=None):
        return model.generate_images(z, label, training=False, generator=generator)

    note = "EMA generator" if generator is not model.generator else "generator"
    return [InferenceFunction("generate", generate, _latent_inputs(model), (generator,),
                              tuple(model.config.value_range), note)]


def _stylegan_functions(model: StyleGAN) -> list[InferenceFunction]:
    low, high = model.config.value_range

    def generate(z):  # what StyleGAN.decode_latents computes with truncation psi = 1
        w = model.mapping_ema(z, training=False)
        styles = broadcast_styles(w, model.num_layers)  # the same w for every layer
        return ops.clip(model.to_data_shape(model.synthesis_ema(styles, training=False)), low, high)

    return [InferenceFunction("generate", generate, _latent_inputs(model), (model.mapping_ema, model.synthesis_ema),
                              (low, high), "EMA mapping + synthesis, truncation psi = 1")]


def _srgan_functions(model: SRGAN) -> list[InferenceFunction]:
    channels = model.config.input_shape[-1]
    return [InferenceFunction("upscale", lambda images: model.generator(images, training=False),
                              (_images_input(channels),), (model.generator,), tuple(model.config.value_range),
                              f"x{model.config.scale}; any input size (no tiling)")]


def _cyclegan_functions(model: CycleGAN) -> list[InferenceFunction]:
    multiple = 2**DOWNSAMPLINGS
    note = f"image sides must be multiples of {multiple} (genlab translate pads; the export does not)"
    value_range = tuple(model.config.value_range)
    return [
        InferenceFunction("a2b", lambda images: model.generator_ab(images, training=False),
                          (_images_input(model.config.input_shape[-1]),), (model.generator_ab,), value_range, note),
        InferenceFunction("b2a", lambda images: model.generator_ba(images, training=False),
                          (_images_input(model.config.target_shape[-1]),), (model.generator_ba,), value_range, note),
    ]


def _pix2pix_functions(model: Pix2Pix) -> list[InferenceFunction]:
    note = f"image sides must be multiples of {2 ** model.config.levels} (genlab translate pads; the export does not)"
    return [InferenceFunction("a2b", lambda images: model.generator(images, training=False),
                              (_images_input(model.config.input_shape[-1]),), (model.generator,),
                              tuple(model.config.value_range), note)]


def _autoencoder_functions(model: Autoencoder) -> list[InferenceFunction]:
    shape = tuple(model.config.input_shape)

    def reconstruct(images):
        return model.decoder(model.encoder(images, training=False), training=False)

    return [InferenceFunction("reconstruct", reconstruct, (_images_input(shape[-1], shape[:2]),),
                              (model.encoder, model.decoder), tuple(model.config.value_range))]


#: most specific type first (StyleGAN and the adversarial families are both two-player models)
EXPORTERS: tuple[tuple[type, Callable[[Any], list[InferenceFunction]]], ...] = (
    (StyleGAN, _stylegan_functions),
    (AdversarialModel, _adversarial_functions),
    (VAE, _vae_functions),
    (SRGAN, _srgan_functions),
    (CycleGAN, _cyclegan_functions),
    (Pix2Pix, _pix2pix_functions),
    (Autoencoder, _autoencoder_functions),
)


def inference_functions(model) -> list[InferenceFunction]:
    """The functions ``genlab export`` writes for ``model`` (see the module docstring)."""
    for model_type, functions in EXPORTERS:
        if isinstance(model, model_type):
            return functions(model)
    raise GenlabError(f"family {model.family!r} has no inference network to export (export covers generators, "
                      f"super-resolution, image translation and autoencoders)")


# the three formats --------------------------------------------------------------------------
def write_savedmodel(function: InferenceFunction, path: Path) -> Path:
    """A SavedModel with one signature, ``serve``, through Keras' public ExportArchive."""
    archive = keras.export.ExportArchive()
    for network in function.networks:
        archive.track(network)
    archive.add_endpoint(SIGNATURE, function.serving_function())
    archive.write_out(str(path), verbose=False)
    return path


def write_tflite(function: InferenceFunction, path: Path, family: str) -> Path:
    """TFLite built-in ops only (no Flex delegate needed); an op outside them is named in the error."""
    with tempfile.TemporaryDirectory(prefix="genlab-export-") as scratch:
        saved = write_savedmodel(function, Path(scratch) / "savedmodel")
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved), signature_keys=[SIGNATURE])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        try:
            flatbuffer = converter.convert()
        except Exception as error:  # the converter's own error type moves between TF versions
            raise GenlabError(f"tflite cannot convert {family}'s {function.name} network: "
                              f"{_converter_reason(error)}") from None
    path.write_bytes(flatbuffer)
    return path


def write_onnx(function: InferenceFunction, path: Path, family: str) -> Path:
    try:
        import tf2onnx  # optional dependency: genlab[export]
    except ImportError:
        raise GenlabError(f"--format onnx needs tf2onnx and onnxruntime: {EXPORT_EXTRA}") from None
    import onnx  # installed with tf2onnx

    failure = f"onnx (tf2onnx {tf2onnx.__version__}, opset {ONNX_OPSET}) cannot convert {family}'s {function.name} network"
    try:
        graph, _ = tf2onnx.convert.from_function(function.serving_function(), input_signature=list(function.inputs),
                                                 opset=ONNX_OPSET)
    except Exception as error:  # a rewriter's or handler's own error (ValueError, KeyError, ...)
        raise GenlabError(f"{failure}: {_converter_reason(error)}") from None
    # an op tf2onnx has no handler for stays in the graph as the TF op (it only logs it): refuse it here
    unknown = sorted({node.op_type for node in graph.graph.node
                      if node.domain not in ONNXRUNTIME_DOMAINS and not onnx.defs.has(node.op_type, node.domain or "")})
    if unknown:
        raise GenlabError(f"{failure}: unsupported op(s) {', '.join(unknown)} (no ONNX equivalent in tf2onnx)")
    path.write_bytes(graph.SerializeToString())
    return path


def _converter_reason(error: Exception) -> str:
    """One line: the ops a converter rejected when it names them, else its first line."""
    text = str(error)
    ops_named = sorted(set(re.findall(r"'(tf\.\w+)' op", text)) | set(re.findall(r"Tensorflow op \[[^\]]*: (\w+)\]", text)))
    if ops_named:
        return f"unsupported op(s) {', '.join(ops_named)}"
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return first[:300]


WRITERS = {
    "savedmodel": (lambda function, folder, family: write_savedmodel(function, folder / function.name)),
    "tflite": (lambda function, folder, family: write_tflite(function, folder / f"{function.name}.tflite", family)),
    "onnx": (lambda function, folder, family: write_onnx(function, folder / f"{function.name}.onnx", family)),
}


# the command ---------------------------------------------------------------------------------
def check_export_folder(out: str | Path, run_path: Path, overwrite: bool) -> Path:
    """:func:`genlab.core.io.check_output_path`'s rule for a folder: never the run, never inside a
    run directory, never an existing path unless ``overwrite``."""
    out = Path(out).expanduser()
    resolved = out.resolve()
    if resolved == run_path.resolve() or run_path.resolve() in resolved.parents:
        raise GenlabError(f"--out {str(out)!r} lies inside the run {str(run_path)!r}; choose another --out")
    run = run_directory_holding(resolved / "probe")  # the folder itself or one above it
    if run is not None:
        raise GenlabError(f"--out {str(out)!r} lies inside run directory {str(run)!r}, where genlab writes no "
                          f"output it is given; choose another --out")
    if out.exists() and not overwrite:
        raise GenlabError(f"--out {str(out)!r} already exists; pass --overwrite to replace it, or choose another --out")
    if out.exists() and not out.is_dir():
        raise GenlabError(f"--out {str(out)!r} is a file; an export is a folder")
    return out


def export_run(run_path: str | Path, fmt: str, out: str | Path, overwrite: bool = False) -> Path:
    """Export the inference network(s) of the run in ``run_path`` as ``fmt`` into the new folder ``out``."""
    if fmt not in FORMATS:
        raise GenlabError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = check_export_folder(out, Path(run_path), overwrite)
    if fmt == "onnx":
        try:
            import tf2onnx  # noqa: F401  (checked before the run loads)
        except ImportError:
            raise GenlabError(f"--format onnx needs tf2onnx and onnxruntime: {EXPORT_EXTRA}") from None
    run, config, model = load_run_model(run_path)
    functions = inference_functions(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{out.name}")
    try:
        staging.mkdir()
        files = [WRITERS[fmt](function, staging, config.family).name for function in functions]
        write_json(staging / "export.json", {
            "family": config.family, "run": str(run.path.resolve()), "format": fmt, "files": files,
            "signature": SIGNATURE if fmt != "onnx" else None, "opset": ONNX_OPSET if fmt == "onnx" else None,
            "functions": [function.describe() for function in functions],
            "genlab": genlab.__version__, "tensorflow": tf.__version__, "keras": keras.__version__,
        })
        _replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _replace_folder(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing ``target`` (``--overwrite``) goes only once ``new`` is in place."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{uuid.uuid4().hex[:8]}-{target.name}")
        os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError as error:
        if old is not None:
            os.replace(old, target)
        raise GenlabError(f"cannot write {str(target)!r}: {error.strerror or error}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# running an export (tests, checks) -----------------------------------------------------------
def run_exported(path: str | Path, fmt: str, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """Run one exported artifact on named numpy inputs with the format's own runtime."""
    path = Path(path)
    if fmt == "savedmodel":
        loaded = tf.saved_model.load(str(path))
        return np.asarray(getattr(loaded, SIGNATURE)(*inputs.values())[OUTPUT])
    if fmt == "tflite":
        interpreter = tf.lite.Interpreter(model_path=str(path))
        runner = interpreter.get_signature_runner(SIGNATURE)
        return np.asarray(runner(**inputs)[OUTPUT])
    if fmt == "onnx":
        import onnxruntime  # optional dependency: genlab[export]

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return np.asarray(session.run([OUTPUT], inputs)[0])
    raise GenlabError(f"unknown format {fmt!r}")
