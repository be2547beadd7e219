"""One harness over every custom layer of genlab.layers (as Keras tests its own layers):
symbolic and eager shapes agree, the config round trip rebuilds the same layer, a model holding
it saves and loads with ``safe_mode=True`` giving identical outputs, and under a mixed policy it
computes in bfloat16 with float32 weights. A new layer without an example here fails
:func:`test_every_layer_has_an_example`."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from genlab.layers import augment, backbones, image, noise, sampling, style

MODULES = (augment, backbones, image, noise, sampling, style)

#: class name -> (constructor arguments, input shape or list of input shapes, batch size 2 excluded)
EXAMPLES = {
    "DiffAugment": ({"policy": "color,translation,cutout", "seed": 1}, (8, 8, 3)),
    "BackboneInput": ({"size": 32}, (16, 16, 1)),
    "InstanceNormalization": ({}, (8, 8, 3)),
    "ReflectionPadding2D": ({"padding": (1, 2)}, (8, 8, 3)),
    "PixelShuffle": ({"block_size": 2}, (4, 4, 8)),
    "ImageCorruption": ({"noise": "gaussian:0.5", "seed": 1}, (8, 8, 1)),
    "Sampling": ({"seed": 1}, [(4,), (4,)]),
    "PixelNorm": ({}, (8,)),
    "EqualizedDense": ({"units": 4, "activation": "lrelu"}, (8,)),
    "EqualizedConv2D": ({"filters": 4, "kernel_size": 3}, (8, 8, 3)),
    "ModulatedConv2D": ({"filters": 4, "kernel_size": 3}, [(8, 8, 3), (6,)]),
    "NoiseInjection": ({"seed": 1}, (8, 8, 4)),
    "ScaledLeakyReLU": ({}, (8,)),
    "ConstantInput": ({"channels": 4, "size": 4}, (6,)),
    "StyleSelect": ({"index": 1}, (3, 6)),
    "TrackedAverage": ({}, (6,)),
    "MinibatchStdDev": ({"group_size": 2}, (4, 4, 3)),
}


def custom_layers() -> dict[str, type]:
    found = {}
    for module in MODULES:
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, keras.layers.Layer) and value.__module__ == module.__name__:
                found[name] = value
    return found


def _inputs(shapes, seed: int = 0):
    rng = np.random.default_rng(seed)
    if isinstance(shapes, list):
        return [rng.uniform(0.0, 1.0, (2, *shape)).astype(np.float32) for shape in shapes]
    return rng.uniform(0.0, 1.0, (2, *shapes)).astype(np.float32)


def _model(layer_class, kwargs, shapes, dtype=None) -> keras.Model:
    if isinstance(shapes, list):
        inputs = [keras.Input(shape) for shape in shapes]
        outputs = layer_class(**kwargs, dtype=dtype, name="under_test")(inputs)
    else:
        inputs = keras.Input(shapes)
        outputs = layer_class(**kwargs, dtype=dtype, name="under_test")(inputs)
    return keras.Model(inputs, outputs)


def test_every_layer_has_an_example():
    assert sorted(custom_layers()) == sorted(EXAMPLES), "add the new layer to EXAMPLES"


def test_every_layer_is_registered_for_safe_loading():
    for name, layer_class in custom_layers().items():
        assert keras.saving.get_registered_object(f"genlab>{name}") is layer_class, name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_layer_harness(name, tmp_path):
    layer_class = custom_layers()[name]
    kwargs, shapes = EXAMPLES[name]
    model = _model(layer_class, kwargs, shapes)
    path = tmp_path / f"{name}.keras"
    model.save(path)  # before any call, so layers with a seed generator start from the same state
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = _inputs(shapes)
    expected = np.asarray(model(x, training=False))
    # symbolic shape == eager shape
    assert tuple(model.output.shape[1:]) == expected.shape[1:], (model.output.shape, expected.shape)
    assert np.all(np.isfinite(expected))
    # .keras save/load with safe_mode=True reproduces the outputs exactly
    np.testing.assert_array_equal(np.asarray(loaded(x, training=False)), expected)
    # get_config -> from_config gives the same configuration and, with the same weights, outputs
    layer = model.get_layer("under_test")
    clone = layer_class.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    rebuilt = _model(layer_class, kwargs, shapes)
    rebuilt.get_layer("under_test").set_weights(layer.get_weights())
    assert len(rebuilt.get_layer("under_test").weights) == len(layer.weights)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_layer_follows_a_mixed_precision_policy(name):
    layer_class = custom_layers()[name]
    kwargs, shapes = EXAMPLES[name]
    model = _model(layer_class, kwargs, shapes, dtype="mixed_bfloat16")
    output = model(_inputs(shapes), training=False)
    layer = model.get_layer("under_test")
    assert layer.compute_dtype == "bfloat16"
    assert all(weight.dtype == "float32" for weight in layer.trainable_weights), name
    assert str(output.dtype) in ("bfloat16", "<dtype: 'bfloat16'>"), (name, output.dtype)
