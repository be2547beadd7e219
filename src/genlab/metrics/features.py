"""Feature extractors for distribution metrics, pluggable and offline first.

A :class:`FeatureExtractor` turns images into feature vectors (for FID, KID, precision/recall,
density/coverage) and, when it has a class layer, class probabilities (Inception Score, mode
coverage, conditional accuracy). Extractors are found by name with :func:`get_extractor`:

=============  ============================================================================
``lite0``      EfficientNet-Lite0, ImageNet, 1280-d pooled features + 1000 classes; built from
               ``efficientnet_lite0_imagenet_keras.npz`` found in the data folders (or
               ``weights=PATH``). The offline default. 224 x 224.
``mobilenet``  MobileNet v1 alpha 0.25, ImageNet, 256-d pooled features (no class layer);
               ``mobilenet_2_5_224_tf_no_top.h5`` (or ``weights=PATH``). 224 x 224.
``inception``  InceptionV3 from ``keras.applications``: 2048-d pool features (+ 1000 classes
               when the weights file has the top), for figures in the published style.
               ``weights=PATH`` or downloaded once when online. 299 x 299.
``random``     a small randomly initialized CNN with fixed seeds (tests; not a quality measure).
RUN_DIR        a classifier trained by genlab (``genlab train classifier``): its penultimate
               layer and softmax, at the run's own input size.
=============  ============================================================================

Every extractor preprocesses images one way (:meth:`FeatureExtractor.prepare`):

1. images in the caller's value range are clipped to it and quantized to uint8 pixels
   (real data are stored as uint8, so generated images go through the same quantization);
2. channels: grayscale is replicated to RGB for RGB networks; RGB becomes BT.601 luma for a
   grayscale network; an alpha channel is dropped;
3. resized to the network's input size with antialiased bicubic interpolation
   (``tf.image.resize(method="bicubic", antialias=True)``), clipped to [0, 255];
4. divided by 255: every network receives RGB (or gray) in [0, 1] and applies its own
   normalization as its first layer.

:meth:`FeatureExtractor.protocol` records all of it, with the SHA-256 of the weights.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from genlab.core.errors import GenlabError
from genlab.core.io import sha256_of_files  # noqa: F401  (part of this module's API)
from genlab.core.progress import Progress
from genlab.data.pipeline import to_uint8
from genlab.data.sources import data_dirs, find_data_file
from genlab.layers import efficientnet_lite

RESIZE_METHOD = "bicubic"
RESIZE_DESCRIPTION = "uint8 pixels, {channels}, antialiased bicubic resize (tf.image.resize)"
#: (data channels, extractor channels) -> what step 2 does
CHANNEL_DESCRIPTION = {(1, 3): "grayscale replicated to RGB", (3, 1): "RGB converted to BT.601 luma",
                       (1, 1): "grayscale kept", (3, 3): "RGB kept", (4, 3): "alpha dropped", (4, 1): "alpha dropped, RGB converted to BT.601 luma"}
#: when the data's channels are not known: what happens to the other kind
CONVERSION_FOR = {3: "grayscale replicated to RGB", 1: "RGB converted to BT.601 luma"}
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601


def sha256_of_arrays(arrays) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class FeatureExtractor:
    """Images -> features (N, D) float64 and, if ``has_probabilities``, class probabilities (N, K).

    Subclasses implement :meth:`_outputs` on prepared batches (float32 in [0, 1], shaped
    (B, H, W, channels)); everything else, preprocessing and batching, is shared.
    """

    #: True for a classifier of the data's own classes (mode coverage, conditional accuracy)
    is_domain_classifier = False

    def __init__(self, name: str, size: tuple[int, int], channels: int, weights: str, weights_sha256: str,
                 feature_dim: int, has_probabilities: bool, batch_size: int = 64):
        self.name, self.size, self.channels = name, (int(size[0]), int(size[1])), int(channels)
        self.weights, self.weights_sha256 = weights, weights_sha256
        self.feature_dim, self.has_probabilities, self.batch_size = int(feature_dim), has_probabilities, batch_size

    def __repr__(self) -> str:
        return f"FeatureExtractor({self.name!r}, {self.size[0]}x{self.size[1]}x{self.channels}, {self.feature_dim}-d)"

    def protocol(self, data_channels: int | None = None) -> dict:
        """How features are made; ``data_channels`` (1, 3 or 4) names the conversion that applies."""
        conversion = CHANNEL_DESCRIPTION.get((data_channels, self.channels)) or CONVERSION_FOR[self.channels]
        return {
            "extractor": self.name,
            "weights": self.weights,
            "weights_sha256": self.weights_sha256,
            "resolution": list(self.size),
            "channels": self.channels,
            "resize": RESIZE_DESCRIPTION.format(channels=conversion),
            "feature_dim": self.feature_dim,
        }

    # preprocessing ---------------------------------------------------------------------
    def to_pixels(self, images, value_range: tuple[float, float] | None) -> np.ndarray:
        """Step 1-2: uint8 pixels with this extractor's number of channels."""
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
            raise GenlabError(f"expected images shaped (N, H, W, C) with C in 1, 3, 4; got {images.shape}")
        if images.dtype != np.uint8:
            if value_range is None:
                raise GenlabError("float images need their value_range, e.g. (0, 1) or (-1, 1)")
            if not np.all(np.isfinite(images)):
                raise GenlabError("images contain NaN or infinite values")
            images = to_uint8(images, value_range)
        images = images[..., :3]
        if images.shape[-1] == 1 and self.channels == 3:
            images = np.repeat(images, 3, axis=-1)
        elif images.shape[-1] == 3 and self.channels == 1:
            images = np.round(images.astype(np.float32) @ LUMA_WEIGHTS)[..., None].clip(0, 255).astype(np.uint8)
        return images

    def prepare(self, pixels: np.ndarray) -> tf.Tensor:
        """Step 3-4: uint8 batch -> float32 in [0, 1] at the network's input size."""
        x = tf.cast(pixels, tf.float32)
        if tuple(x.shape[1:3]) != self.size:
            x = tf.clip_by_value(tf.image.resize(x, self.size, method=RESIZE_METHOD, antialias=True), 0.0, 255.0)
        return x / 255.0

    # extraction ------------------------------------------------------------------------
    def _outputs(self, batch: tf.Tensor, batch_size: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Features and probabilities (or None) of one prepared batch of at most ``batch_size`` images."""
        raise TypeError(f"{type(self).__name__} must define _outputs")

    def extract(self, images, value_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``(features, probabilities or None)`` for images (uint8, or floats in ``value_range``)."""
        pixels = self.to_pixels(images, value_range)
        if len(pixels) == 0:
            raise GenlabError("no images given")
        features, probabilities = [], []
        batch_size = min(self.batch_size, len(pixels))
        progress = Progress(len(pixels), f"{self.name} features")
        for start in range(0, len(pixels), batch_size):
            progress.update(start)
            batch_features, batch_probabilities = self._outputs(self.prepare(pixels[start : start + batch_size]), batch_size)
            features.append(np.asarray(batch_features, np.float64))
            if batch_probabilities is not None:
                probabilities.append(np.asarray(batch_probabilities, np.float64))
        progress.close()
        return np.concatenate(features), (np.concatenate(probabilities) if probabilities else None)

    def features(self, images, value_range: tuple[float, float] | None = None) -> np.ndarray:
        return self.extract(images, value_range)[0]

    def probabilities(self, images, value_range: tuple[float, float] | None = None) -> np.ndarray:
        if not self.has_probabilities:
            raise GenlabError(f"feature extractor {self.name!r} has no class layer (no class probabilities)")
        return self.extract(images, value_range)[1]


class NetworkExtractor(FeatureExtractor):
    """A Keras network taking [0, 1] images; outputs features, or ``[features, probabilities]``."""

    def __init__(self, name: str, network: keras.Model, weights: str, weights_sha256: str, batch_size: int = 64):
        height, width, channels = network.input_shape[1:]
        outputs = network.outputs
        self.network = network
        super().__init__(name, (height, width), channels, weights, weights_sha256, int(outputs[0].shape[-1]),
                         len(outputs) > 1, batch_size)
        self._call = tf.function(lambda x: network(x, training=False), reduce_retracing=True)

    def _outputs(self, batch, batch_size):
        count = int(batch.shape[0])
        if count < batch_size:  # pad the last batch: one traced shape for every batch
            batch = tf.concat([batch, tf.zeros((batch_size - count, *batch.shape[1:]), batch.dtype)], axis=0)
        result = self._call(batch)
        if isinstance(result, (list, tuple)):
            return np.asarray(result[0])[:count], np.asarray(result[1])[:count]
        return np.asarray(result)[:count], None


# --------------------------------------------------------------------------------------
# Registry of named extractors
# --------------------------------------------------------------------------------------

_EXTRACTORS: dict[str, Callable[..., FeatureExtractor]] = {}


def register_extractor(name: str) -> Callable:
    """Register ``builder(weights: str | None, resolution: int | None) -> FeatureExtractor`` as ``name``."""

    def decorator(builder: Callable) -> Callable:
        _EXTRACTORS[name] = builder
        return builder

    return decorator


#: builds the extractor of a classifier run directory; registered by :mod:`genlab.workflows.features`
#: (loading a run is the workflows' job, not this package's)
_DIRECTORY_EXTRACTORS: list[Callable[[Path], FeatureExtractor]] = []


def register_directory_extractor(builder: Callable[[Path], FeatureExtractor]) -> Callable[[Path], FeatureExtractor]:
    """Register ``builder(run_path) -> FeatureExtractor`` for specs that name a directory."""
    _DIRECTORY_EXTRACTORS[:] = [builder]
    return builder


def extractor_names() -> list[str]:
    return sorted(_EXTRACTORS)


def get_extractor(spec: str, weights: str | None = None, resolution: int | None = None) -> FeatureExtractor:
    """The extractor named ``spec`` (see the module docstring), or a classifier run directory."""
    if resolution is not None and resolution < 32:
        raise GenlabError(f"resolution must be >= 32 pixels, got {resolution}")
    if spec in _EXTRACTORS:
        return _EXTRACTORS[spec](weights=weights, resolution=resolution)
    if Path(spec).expanduser().is_dir():
        if weights is not None or resolution is not None:
            raise GenlabError("a classifier run is used at its own input size with its own weights: drop --weights/--resolution")
        if not _DIRECTORY_EXTRACTORS:
            raise GenlabError(f"{spec!r} is a directory: classifier runs as extractors need genlab.workflows "
                              f"(import genlab.workflows first)")
        return _DIRECTORY_EXTRACTORS[0](Path(spec).expanduser())
    raise GenlabError(f"unknown feature extractor {spec!r}; use one of {', '.join(extractor_names())} or a classifier run directory")


def _weights_file(weights: str | None, file_name: str, what: str) -> Path:
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise GenlabError(f"{what} weights {str(path)!r} do not exist")
        return path
    path = find_data_file(file_name)
    if path is None:
        looked = ", ".join(str(d) for d in data_dirs())
        raise GenlabError(f"{what} weights {file_name} not found in {looked}; pass --weights PATH or set GENLAB_DATA")
    return path


@register_extractor("lite0")
def lite0_extractor(weights: str | None = None, resolution: int | None = None) -> FeatureExtractor:
    path = _weights_file(weights, efficientnet_lite.FILE_NAME, "EfficientNet-Lite0")
    size = resolution or 224
    network = efficientnet_lite.efficientnet_lite0(efficientnet_lite.load_weights_file(path), (size, size, 3))
    return NetworkExtractor("lite0", network, str(path), sha256_of_files([path]))


class _Normalized(keras.layers.Layer):
    """x in [0, 1] -> 2 x - 1, the input range of MobileNet and InceptionV3 (no Lambda layer)."""

    def call(self, x):
        return x * 2.0 - 1.0


def _application(builder, weights_path: Path, size: int, **kwargs) -> tuple[keras.Model, keras.KerasTensor]:
    """A ``keras.applications`` backbone with its weights file, and a fresh [0, 1] image input."""
    inputs = keras.Input(shape=(size, size, 3), name="image")
    try:
        backbone = builder(input_shape=(size, size, 3), weights=str(weights_path), **kwargs)
    except (ValueError, OSError) as error:
        raise GenlabError(f"cannot load weights {str(weights_path)!r} into {builder.__name__}: {error}") from None
    return backbone, inputs


@register_extractor("mobilenet")
def mobilenet_extractor(weights: str | None = None, resolution: int | None = None) -> FeatureExtractor:
    path = _weights_file(weights, "mobilenet_2_5_224_tf_no_top.h5", "MobileNet (alpha 0.25)")
    size = resolution or 224
    backbone, inputs = _application(keras.applications.MobileNet, path, size, alpha=0.25, include_top=False, pooling="avg")
    network = keras.Model(inputs, backbone(_Normalized()(inputs)), name="mobilenet_features")
    return NetworkExtractor("mobilenet", network, str(path), sha256_of_files([path]))


INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_MD5 = "9a0d58056eeedaa3f26cb7ebd46da564"
INCEPTION_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" + INCEPTION_FILE


def _has_top(path: Path) -> bool:
    """Whether an InceptionV3 weights file holds the class layer: a legacy Keras ``.h5`` names it
    'predictions'; a Keras 3 ``.weights.h5`` stores it as its only Dense layer ('layers/dense')."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in handle.attrs.get("layer_names", [])]
            keras3_layers = list(handle["layers"].keys()) if "layers" in handle else []
    except OSError as error:
        raise GenlabError(f"cannot read InceptionV3 weights {str(path)!r}: {error}") from None
    return "predictions" in names or "dense" in keras3_layers


@register_extractor("inception")
def inception_extractor(weights: str | None = None, resolution: int | None = None) -> FeatureExtractor:
    if weights is None:
        try:
            path = Path(keras.utils.get_file(INCEPTION_FILE, INCEPTION_URL, cache_subdir="models", file_hash=INCEPTION_MD5))
        except Exception as error:  # noqa: BLE001 - offline: any download failure
            raise GenlabError(
                f"InceptionV3 ImageNet weights are not cached and cannot be downloaded ({type(error).__name__}); "
                f"pass --weights PATH to {INCEPTION_FILE} (or the _notop.h5 file), or use --features lite0 offline"
            ) from None
    else:
        path = _weights_file(weights, INCEPTION_FILE, "InceptionV3")
    if _has_top(path):
        if resolution not in (None, 299):
            raise GenlabError(f"InceptionV3 with its class layer takes 299x299 images, got --resolution {resolution}")
        backbone, inputs = _application(keras.applications.InceptionV3, path, 299, include_top=True)
        pooled = keras.Model(backbone.input, [backbone.get_layer("avg_pool").output, backbone.output])
        network = keras.Model(inputs, pooled(_Normalized()(inputs)), name="inception_v3_features")
    else:
        size = resolution or 299
        backbone, inputs = _application(keras.applications.InceptionV3, path, size, include_top=False, pooling="avg")
        network = keras.Model(inputs, backbone(_Normalized()(inputs)), name="inception_v3_features")
    return NetworkExtractor("inception", network, str(path), sha256_of_files([path]))


RANDOM_SEED = 1234


@register_extractor("random")
def random_extractor(weights: str | None = None, resolution: int | None = None) -> FeatureExtractor:
    """Two seeded random stride-2 convolutions, average pooled (16-d), and a seeded 10-class softmax."""
    if weights is not None:
        raise GenlabError("the random extractor has no weights file")
    size = resolution or 32
    init = lambda offset: keras.initializers.GlorotUniform(seed=RANDOM_SEED + offset)  # noqa: E731
    inputs = keras.Input(shape=(size, size, 3), name="image")
    x = keras.layers.Conv2D(8, 3, strides=2, activation="relu", kernel_initializer=init(0), name="conv_0")(inputs)
    x = keras.layers.Conv2D(16, 3, strides=2, activation="relu", kernel_initializer=init(1), name="conv_1")(x)
    features = keras.layers.GlobalAveragePooling2D(name="features")(x)
    probabilities = keras.layers.Dense(10, activation="softmax", kernel_initializer=init(2), name="predictions")(features)
    network = keras.Model(inputs, [features, probabilities], name="random_features")
    return NetworkExtractor("random", network, f"random (seed {RANDOM_SEED})", sha256_of_arrays(network.get_weights()))
