"""Pretrained image backbones as feature-map networks, for encoders built on them.

:func:`pretrained_backbone` returns ``(preprocess layer, backbone network, blocks)`` for a
spec:

=================  ====================================================================
``lite0``          EfficientNet-Lite0, ImageNet (``efficientnet_lite0_imagenet_keras.npz``
                   from the data folders; built by :mod:`genlab.layers.efficientnet_lite`),
                   feature map of the 1280-channel head (stride 32)
``mobilenet``      MobileNet v1 alpha 0.25, ImageNet (``mobilenet_2_5_224_tf_no_top.h5``),
                   256-channel map (stride 32)
``resnet50v2``,    ``keras.applications`` with ImageNet weights, downloaded once when online
``mobilenetv2``,   (cached in ``~/.keras/models``)
``efficientnetb0``
PATH               a ``.npz`` in the Lite0 format, a MobileNet alpha-0.25 ``.h5`` weights file,
                   or a whole ``.keras`` model (taking RGB in [0, 1]; loaded with safe_mode)
=================  ====================================================================

:class:`BackboneInput` (serializable, no Lambda) maps images from the model's value range to
what the backbone expects: grayscale repeated to RGB, resized to ``size`` x ``size``
(bilinear), and linearly rescaled to the backbone's input range.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import ops

from genlab.core.errors import GenlabError
from genlab.data.sources import data_dirs, find_data_file
from genlab.layers import efficientnet_lite
from genlab.layers.blocks import layer_blocks

LITE0_FILE = "efficientnet_lite0_imagenet_keras.npz"
MOBILENET_FILE = "mobilenet_2_5_224_tf_no_top.h5"
#: keras.applications backbones: (class name, input range it expects)
APPLICATIONS = {
    "resnet50v2": ("ResNet50V2", (-1.0, 1.0)),
    "mobilenetv2": ("MobileNetV2", (-1.0, 1.0)),
    "efficientnetb0": ("EfficientNetB0", (0.0, 255.0)),
}
NAMED = ("lite0", "mobilenet", *APPLICATIONS)


@keras.saving.register_keras_serializable(package="genlab")
class BackboneInput(keras.layers.Layer):
    """Images in ``input_range`` -> RGB in ``output_range`` at ``size`` x ``size``.

    x' = (x - in_low) / (in_high - in_low) * (out_high - out_low) + out_low, after repeating
    a single channel three times and resizing (bilinear) when the size differs.
    """

    def __init__(self, size: int, input_range=(0.0, 1.0), output_range=(0.0, 1.0), **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.input_range = tuple(float(v) for v in input_range)
        self.output_range = tuple(float(v) for v in output_range)

    def call(self, images):
        if images.shape[-1] == 1:
            images = ops.concatenate([images, images, images], axis=-1)  # gray -> RGB
        elif images.shape[-1] != 3:
            raise ValueError(f"pretrained backbones take 1 or 3 channels, got {images.shape[-1]}")
        if tuple(images.shape[1:3]) != (self.size, self.size):
            images = ops.image.resize(images, (self.size, self.size), interpolation="bilinear")
        in_low, in_high = self.input_range
        out_low, out_high = self.output_range
        unit = (images - in_low) / (in_high - in_low)
        return unit * (out_high - out_low) + out_low

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, 3)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "input_range": list(self.input_range),
                "output_range": list(self.output_range)}


def _data_file(name: str, what: str) -> Path:
    path = find_data_file(name)
    if path is None:
        looked = ", ".join(str(d) for d in data_dirs())
        raise GenlabError(f"{what} weights {name} not found in {looked}; set GENLAB_DATA or use pretrained:PATH")
    return path


def lite0_backbone(size: int, path: str | Path | None = None) -> keras.Model:
    """EfficientNet-Lite0 feature map (N, size/32, size/32, 1280), input RGB in [0, 1]."""
    network = efficientnet_lite.efficientnet_lite0(
        efficientnet_lite.load_weights_file(path or _data_file(LITE0_FILE, "EfficientNet-Lite0")), (size, size, 3)
    )
    return keras.Model(network.input, network.get_layer("head_relu6").output, name="lite0")


def mobilenet_backbone(size: int, path: str | Path | None = None) -> keras.Model:
    """MobileNet v1 alpha 0.25 feature map (N, size/32, size/32, 256), input RGB in [-1, 1]."""
    path = Path(path or _data_file(MOBILENET_FILE, "MobileNet"))
    try:
        return keras.applications.MobileNet(input_shape=(size, size, 3), alpha=0.25, include_top=False,
                                            weights=str(path), name="mobilenet")
    except (ValueError, OSError) as error:
        raise GenlabError(f"cannot load MobileNet (alpha 0.25) weights {str(path)!r}: {error}") from None


def application_backbone(name: str, size: int) -> keras.Model:
    class_name, _ = APPLICATIONS[name]
    try:
        return getattr(keras.applications, class_name)(input_shape=(size, size, 3), include_top=False,
                                                      weights="imagenet")
    except Exception as error:  # noqa: BLE001 - offline: any download failure
        raise GenlabError(
            f"keras.applications.{class_name} ImageNet weights are not cached and cannot be downloaded "
            f"({type(error).__name__}); use pretrained:lite0 or pretrained:mobilenet offline"
        ) from None


def backbone_blocks(backbone: keras.Model) -> list[list[keras.layers.Layer]]:
    """Blocks of a backbone for freezing and per-block rates: for Lite0 the stem, each MBConv
    block and the head; otherwise :func:`genlab.layers.blocks.layer_blocks`."""

    if backbone.name != "lite0":
        return layer_blocks(backbone)
    blocks: dict[str, list] = {}
    for layer in backbone.layers:
        if layer.weights:
            blocks.setdefault(layer.name.split("_")[0], []).append(layer)  # stem, block0..block15, head
    return list(blocks.values())


def pretrained_backbone(spec: str, size: int, input_range=(0.0, 1.0)) -> tuple[BackboneInput, keras.Model]:
    """``(preprocessing layer, backbone)`` for ``spec`` (see the module docstring) at ``size`` pixels."""
    if size < 32:
        raise GenlabError(f"pretrained backbones need images of at least 32x32 pixels, got backbone size {size}")
    path = Path(spec).expanduser()
    if spec not in NAMED and path.suffix in (".npz", ".h5", ".keras") and not path.is_file():
        raise GenlabError(f"backbone file {str(path)!r} does not exist")
    if spec == "lite0" or (spec not in NAMED and path.suffix == ".npz"):
        backbone, expects = lite0_backbone(size, None if spec == "lite0" else path), (0.0, 1.0)
    elif spec == "mobilenet" or (spec not in NAMED and path.suffix == ".h5"):
        backbone, expects = mobilenet_backbone(size, None if spec == "mobilenet" else path), (-1.0, 1.0)
    elif spec in APPLICATIONS:
        backbone, expects = application_backbone(spec, size), APPLICATIONS[spec][1]
    elif path.suffix == ".keras":
        try:
            backbone, expects = keras.saving.load_model(path, safe_mode=True), (0.0, 1.0)
        except Exception as error:  # noqa: BLE001 - refused by safe_mode (a lambda), corrupt, or not a model
            reason = " ".join(str(error).split())
            reason = reason if len(reason) <= 240 else reason[:240] + "..."
            raise GenlabError(
                f"cannot load backbone model {str(path)!r} (Keras safe_mode, which never runs code stored in the "
                f"file such as a Lambda layer's function): {type(error).__name__}: {reason}; save the backbone "
                f"without Lambda layers (a registered layer class instead), or use pretrained:lite0 or "
                f"pretrained:mobilenet"
            ) from None
        if len(backbone.inputs) != 1 or tuple(backbone.input_shape[1:]) != (size, size, 3):
            raise GenlabError(f"backbone model {str(path)!r} must take one (N, {size}, {size}, 3) input, "
                              f"got {backbone.input_shape}; set --backbone-size to its size")
    else:
        raise GenlabError(
            f"unknown pretrained backbone {spec!r}: use {', '.join(NAMED)}, or a path to a .npz (Lite0), "
            f".h5 (MobileNet alpha 0.25) or .keras model"
        )
    return BackboneInput(size, input_range, expects, name="backbone_input"), backbone
