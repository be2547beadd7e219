"""EfficientNet-Lite0 (ImageNet), built as a Keras Functional model from a weights ``.npz``.

Tan & Le (2019), "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks";
the Lite variants (TensorFlow model garden, 2020) drop squeeze-and-excitation and use ReLU6,
which makes them friendly to CPUs. Layout of the network built here:

    stem: conv 3x3 stride 2 (32) + BatchNorm + ReLU6
    16 MBConv blocks: [expand 1x1 (x6, not in block 0) + BN + ReLU6] -> depthwise k x k (stride s)
                      + BN + ReLU6 -> project 1x1 + BN; + input when stride 1 and channels equal
    head: conv 1x1 (1280) + BN + ReLU6 -> global average pooling (the 1280-d features) -> dense 1000

Weights come from genlab's shared data file ``efficientnet_lite0_imagenet_keras.npz`` (arrays
named after the PyTorch state dict, already in Keras layouts; kernel sizes and channel counts
are read from the arrays, strides from ``meta_block_strides``). Input: RGB 0..255 mapped to
(x - 127) / 128 by the first layer, at any size (224 x 224 in training). Convolutions use
TensorFlow's ``same`` padding and BatchNorm epsilon 1e-3, as the original TF model.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from genlab.core.errors import GenlabError

FILE_NAME = "efficientnet_lite0_imagenet_keras.npz"
BN_EPSILON = 1e-3


def load_weights_file(path: str | Path) -> dict[str, np.ndarray]:
    path = Path(path).expanduser()
    if not path.is_file():
        raise GenlabError(f"EfficientNet-Lite0 weights {str(path)!r} do not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as error:  # noqa: BLE001 - corrupt or not an npz
        raise GenlabError(f"cannot read EfficientNet-Lite0 weights {str(path)!r}: {error}") from None
    for key in ("_conv_stem.weight", "_conv_head.weight", "_fc.weight", "meta_block_strides"):
        if key not in arrays:
            raise GenlabError(f"{str(path)!r} is not an EfficientNet-Lite0 weights file (no {key!r})")
    return arrays


def _batch_norm(x, weights: dict, prefix: str, name: str):
    layer = layers.BatchNormalization(epsilon=BN_EPSILON, name=name)
    x = layer(x)
    layer.set_weights([weights[f"{prefix}.weight"], weights[f"{prefix}.bias"],
                       weights[f"{prefix}.running_mean"], weights[f"{prefix}.running_var"]])
    return x


def _conv(x, kernel: np.ndarray, stride: int, name: str):
    layer = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=stride, padding="same", use_bias=False, name=name)
    x = layer(x)
    layer.set_weights([kernel])
    return x


def _block(x, weights: dict, index: int, stride: int):
    prefix = f"_blocks.{index}"
    inputs = x
    if f"{prefix}._expand_conv.weight" in weights:
        x = _conv(x, weights[f"{prefix}._expand_conv.weight"], 1, f"block{index}_expand")
        x = _batch_norm(x, weights, f"{prefix}._bn0", f"block{index}_expand_bn")
        x = layers.ReLU(6.0, name=f"block{index}_expand_relu6")(x)
    depthwise_kernel = weights[f"{prefix}._depthwise_conv.weight"]
    depthwise = layers.DepthwiseConv2D(depthwise_kernel.shape[:2], strides=stride, padding="same", use_bias=False,
                                       name=f"block{index}_depthwise")
    x = depthwise(x)
    depthwise.set_weights([depthwise_kernel])
    x = _batch_norm(x, weights, f"{prefix}._bn1", f"block{index}_depthwise_bn")
    x = layers.ReLU(6.0, name=f"block{index}_depthwise_relu6")(x)
    x = _conv(x, weights[f"{prefix}._project_conv.weight"], 1, f"block{index}_project")
    x = _batch_norm(x, weights, f"{prefix}._bn2", f"block{index}_project_bn")
    if stride == 1 and inputs.shape[-1] == x.shape[-1]:
        x = layers.Add(name=f"block{index}_add")([inputs, x])  # residual connection
    return x


def efficientnet_lite0(weights: dict[str, np.ndarray], input_shape=(224, 224, 3)) -> keras.Model:
    """Lite0 taking RGB in [0, 1]; outputs ``[features (N, 1280), class probabilities (N, 1000)]``."""
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Rescaling(255.0 / 128.0, offset=-127.0 / 128.0, name="normalize")(inputs)  # (255 x - 127) / 128
    x = _conv(x, weights["_conv_stem.weight"], 2, "stem")
    x = _batch_norm(x, weights, "_bn0", "stem_bn")
    x = layers.ReLU(6.0, name="stem_relu6")(x)
    for index, stride in enumerate(np.asarray(weights["meta_block_strides"]).tolist()):
        x = _block(x, weights, index, int(stride))
    x = _conv(x, weights["_conv_head.weight"], 1, "head")
    x = _batch_norm(x, weights, "_bn1", "head_bn")
    x = layers.ReLU(6.0, name="head_relu6")(x)
    features = layers.GlobalAveragePooling2D(name="features")(x)
    classifier = layers.Dense(weights["_fc.weight"].shape[1], activation="softmax", name="predictions")
    probabilities = classifier(features)
    classifier.set_weights([weights["_fc.weight"], weights["_fc.bias"]])
    return keras.Model(inputs, [features, probabilities], name="efficientnet_lite0")


def class_names(weights: dict[str, np.ndarray]) -> list[str] | None:
    names = weights.get("meta_imagenet_class_names")
    return None if names is None else [str(n) for n in names]
