"""Named image data sources.

A source spec is a name (``digits``, ``mnist``, ``fashion_mnist``, ``cifar10``) or a
prefixed path (``folder:PATH``, ``npz:PATH``). Every source returns an :class:`ImageData`
holding uint8 images shaped (N, H, W, C) and integer labels (or None); pipelines scale them
to each family's value range later.

Offline first: the named datasets are looked up as files in the data directories
(:func:`data_dirs`: ``$GENLAB_DATA``, ``~/.genlab/data``, ``~/.keras/datasets``), in the
format of genlab's shared data folder (``mnist.npz``, ``fashion_mnist.npz``,
``cifar10_jpeg.npz``). Only when no file is found is ``keras.datasets`` asked to download.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from genlab.core.errors import GenlabError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclasses.dataclass
class ImageData:
    """Train and test images (uint8, N x H x W x C) with optional integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    class_names: list[str] | None = None

    def __post_init__(self) -> None:
        for split in ("x_train", "x_test"):
            array = getattr(self, split)
            if array.dtype != np.uint8 or array.ndim != 4:
                raise GenlabError(f"{self.name}: {split} must be uint8 (N, H, W, C), got {array.dtype} {array.shape}")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise GenlabError(f"{self.name}: train images {self.x_train.shape[1:]} and test images {self.x_test.shape[1:]} differ")
        if len(self.x_train) == 0:
            raise GenlabError(f"{self.name}: no training images")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        if self.y_train is None:
            return 0
        if self.class_names:
            return len(self.class_names)
        return int(max(self.y_train.max(), self.y_test.max() if self.y_test is not None and len(self.y_test) else 0)) + 1

    def fingerprint(self) -> str:
        """SHA-256 over the training and test arrays: identifies the exact data a run saw."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            if array is not None:
                digest.update(str(array.shape).encode())
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def limited(self, limit: int | None, seed: int = 0) -> "ImageData":
        """A seeded random subset of at most ``limit`` training images (test split kept)."""
        if limit is None or limit >= len(self.x_train):
            return self
        order = np.random.default_rng(seed).permutation(len(self.x_train))[:limit]
        order.sort()
        return dataclasses.replace(
            self,
            x_train=self.x_train[order],
            y_train=None if self.y_train is None else self.y_train[order],
        )


_SOURCES: dict[str, Callable[[], ImageData]] = {}
_PREFIXED: dict[str, Callable[[str], ImageData]] = {}


def register_source(name: str, prefixed: bool = False) -> Callable:
    """Register a loader: ``name`` takes no argument; a prefixed one takes the part after ``name:``."""

    def decorator(loader: Callable) -> Callable:
        (_PREFIXED if prefixed else _SOURCES)[name] = loader
        return loader

    return decorator


def known_sources() -> list[str]:
    return sorted(_SOURCES) + [f"{p}:PATH" for p in sorted(_PREFIXED)]


def load_image_data(spec: str, limit: int | None = None, seed: int = 0, skip_bad_images: bool = False) -> ImageData:
    """Load the images a source spec names; ``limit`` keeps a seeded subset of the train split.

    ``skip_bad_images``: a ``folder:`` source skips unreadable image files (and says how many)
    instead of refusing the folder.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise GenlabError(f"data source must be a non-empty string, got {spec!r}")
    prefix, _, rest = spec.partition(":")
    if rest and prefix == "folder":
        data = load_folder(rest, skip_bad_images=skip_bad_images)
    elif rest and prefix in _PREFIXED:
        data = _PREFIXED[prefix](rest)
    elif spec in _SOURCES:
        data = _SOURCES[spec]()
    else:
        raise GenlabError(f"unknown data source {spec!r}; known sources: {', '.join(known_sources())}")
    return data.limited(limit, seed)


def data_dirs() -> list[Path]:
    """Folders searched for dataset files, in order."""
    folders = [Path(p).expanduser() for p in os.environ.get("GENLAB_DATA", "").split(os.pathsep) if p]
    folders += [Path("~/.genlab/data").expanduser(), Path("~/.keras/datasets").expanduser()]
    return folders


def find_data_file(file_name: str) -> Path | None:
    for folder in data_dirs():
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    return None


def _not_found(name: str, file_name: str, error: Exception) -> GenlabError:
    looked = ", ".join(str(d) for d in data_dirs())
    return GenlabError(
        f"dataset {name!r} not found: no {file_name} in {looked}, and keras.datasets could not download it "
        f"({type(error).__name__}). Put {file_name} in one of those folders or set GENLAB_DATA to its folder."
    )


def _add_channel(x: np.ndarray) -> np.ndarray:
    return x[..., None] if x.ndim == 3 else x


def _labels(y: np.ndarray | None) -> np.ndarray | None:
    return None if y is None else np.asarray(y).reshape(-1).astype(np.int64)


def _load_keras_npz(name: str, file_name: str, keras_loader: str, class_names: list[str] | None) -> ImageData:
    path = find_data_file(file_name)
    if path is not None:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in ("x_train", "y_train", "x_test", "y_test")}
            if "class_names" in archive.files:
                class_names = [str(c) for c in archive["class_names"]]
    else:
        try:
            import keras

            (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, keras_loader).load_data()
        except Exception as error:  # noqa: BLE001 - any download failure means "not available"
            raise _not_found(name, file_name, error) from None
        arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return ImageData(
        name=name,
        x_train=_add_channel(arrays["x_train"]).astype(np.uint8),
        y_train=_labels(arrays["y_train"]),
        x_test=_add_channel(arrays["x_test"]).astype(np.uint8),
        y_test=_labels(arrays["y_test"]),
        class_names=class_names,
    )


DIGIT_NAMES = [str(i) for i in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@register_source("mnist")
def load_mnist() -> ImageData:
    return _load_keras_npz("mnist", "mnist.npz", "mnist", DIGIT_NAMES)


@register_source("fashion_mnist")
def load_fashion_mnist() -> ImageData:
    return _load_keras_npz("fashion_mnist", "fashion_mnist.npz", "fashion_mnist", FASHION_NAMES)


def _decode_jpegs(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    from PIL import Image

    raw = blob.tobytes()
    images = [
        np.asarray(Image.open(io.BytesIO(raw[offsets[i] : offsets[i + 1]])).convert("RGB"))
        for i in range(len(offsets) - 1)
    ]
    return np.stack(images).astype(np.uint8)


@register_source("cifar10")
def load_cifar10() -> ImageData:
    """CIFAR-10; offline from ``cifar10_jpeg.npz`` (JPEG bytes, decoded with PIL, shuffled with seed 0)."""
    path = find_data_file("cifar10_jpeg.npz")
    if path is None:
        return _load_keras_npz("cifar10", "cifar10_jpeg.npz", "cifar10", CIFAR10_NAMES)
    with np.load(path, allow_pickle=False) as archive:
        x_train = _decode_jpegs(archive["train_jpeg"], archive["train_offsets"])
        x_test = _decode_jpegs(archive["test_jpeg"], archive["test_offsets"])
        y_train, y_test = archive["y_train"].astype(np.int64), archive["y_test"].astype(np.int64)
    # The file is sorted by class: shuffle once, with a fixed seed, so that any prefix is mixed.
    train_order = np.random.default_rng(0).permutation(len(x_train))
    test_order = np.random.default_rng(1).permutation(len(x_test))
    return ImageData("cifar10", x_train[train_order], y_train[train_order], x_test[test_order], y_test[test_order], CIFAR10_NAMES)


@register_source("digits")
def load_digits() -> ImageData:
    """scikit-learn's 8x8 handwritten digits (1,797 images, always available): 80/20 split, seed 0."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    n_test = len(images) // 5
    test, train = order[:n_test], order[n_test:]
    return ImageData("digits", images[train], labels[train], images[test], labels[test], DIGIT_NAMES)


def _split(x: np.ndarray, y: np.ndarray | None, test_fraction: float = 0.1, seed: int = 0):
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = max(1, int(round(len(x) * test_fraction))) if len(x) > 1 else 0
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    pick = lambda a, idx: None if a is None else a[idx]  # noqa: E731
    return x[train], pick(y, train), x[test], pick(y, test)


def _to_uint8_images(array: np.ndarray, where: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3, 4):
        raise GenlabError(f"{where}: expected images shaped (N, H, W[, C]) with C in 1, 3, 4; got {array.shape}")
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise GenlabError(f"{where}: images contain NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low >= 0.0 and high <= 1.0:
            return np.round(array * 255.0).astype(np.uint8)
        if low >= 0.0 and high <= 255.0:
            return np.round(array).astype(np.uint8)
        raise GenlabError(f"{where}: float images must lie in [0, 1] or [0, 255], found [{low:g}, {high:g}]")
    if np.issubdtype(array.dtype, np.integer) and array.min() >= 0 and array.max() <= 255:
        return array.astype(np.uint8)
    raise GenlabError(f"{where}: unsupported image dtype {array.dtype}")


@register_source("npz", prefixed=True)
def load_npz(path_text: str) -> ImageData:
    """``npz:PATH`` holding ``x_train`` [``y_train``, ``x_test``, ``y_test``] or ``x`` [``y``]."""
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise GenlabError(f"npz file {str(path)!r} does not exist")
    try:
        archive = np.load(path, allow_pickle=False)
        arrays = {k: archive[k] for k in archive.files}
    except Exception as error:  # noqa: BLE001 - corrupt or not an npz
        raise GenlabError(f"cannot read {str(path)!r} as .npz: {error}") from None
    if "x_train" in arrays:
        x_train, y_train = arrays["x_train"], arrays.get("y_train")
        if "x_test" in arrays:
            x_test, y_test = arrays["x_test"], arrays.get("y_test")
        else:
            x_train, y_train, x_test, y_test = _split(x_train, y_train)
    elif "x" in arrays:
        x_train, y_train, x_test, y_test = _split(arrays["x"], arrays.get("y"))
    else:
        raise GenlabError(f"{str(path)!r} has keys {sorted(arrays)}; expected x_train (and x_test) or x")
    class_names = [str(c) for c in arrays["class_names"]] if "class_names" in arrays else None
    return ImageData(
        name=f"npz:{path}",
        x_train=_to_uint8_images(x_train, f"{path}: x_train"),
        y_train=_labels(y_train),
        x_test=_to_uint8_images(x_test, f"{path}: x_test"),
        y_test=_labels(y_test),
        class_names=class_names,
    )


@register_source("folder", prefixed=True)
def load_folder(path_text: str, skip_bad_images: bool = False) -> ImageData:
    """``folder:PATH``: images in PATH, or in sub-folders of PATH (one sub-folder per class).

    All images must have one size; grayscale and RGB are not mixed silently: the folder's
    images are converted to the mode most of them have. 10% are held out as a test split.
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path_text).expanduser()
    if not root.is_dir():
        raise GenlabError(f"image folder {str(root)!r} does not exist")
    subfolders = sorted(p for p in root.iterdir() if p.is_dir())
    if subfolders:
        class_names = [p.name for p in subfolders]
        files = [(f, label) for label, folder in enumerate(subfolders) for f in sorted(folder.iterdir())]
    else:
        class_names = None
        files = [(f, -1) for f in sorted(root.iterdir())]
    files = [(f, label) for f, label in files if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise GenlabError(f"image folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    images, labels, skipped = [], [], []
    for file, label in files:
        try:
            with Image.open(file) as image:
                image.load()
                images.append(image.copy())
        except (UnidentifiedImageError, OSError) as error:
            if not skip_bad_images:
                raise GenlabError(
                    f"cannot read image {str(file)!r}: {error} (pass --skip-bad-images to skip unreadable files)"
                ) from None
            skipped.append(file)
            continue
        labels.append(label)
    if skipped:
        print(f"warning: skipped {len(skipped)} unreadable image file(s) in {root}, e.g. {skipped[0].name}", file=sys.stderr)
    if not images:
        raise GenlabError(f"image folder {str(root)!r} holds no readable images")
    sizes = sorted({im.size for im in images})
    if len(sizes) > 1:
        raise GenlabError(f"images in {str(root)!r} have different sizes {sizes[:4]}; resize them to one size first")
    modes = [("L" if im.mode in ("L", "1", "I", "I;16", "F") else "RGB") for im in images]
    mode = max(set(modes), key=modes.count)
    x = np.stack([np.asarray(im.convert(mode)) for im in images]).astype(np.uint8)
    x = _add_channel(x)
    y = np.asarray(labels, dtype=np.int64) if class_names else None
    x_train, y_train, x_test, y_test = _split(x, y)
    return ImageData(f"folder:{root}", x_train, y_train, x_test, y_test, class_names)
