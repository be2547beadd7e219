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
import warnings
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
        for split in ("train", "test"):
            check_labels(getattr(self, f"y_{split}"), len(getattr(self, f"x_{split}")), f"{self.name}: y_{split}",
                         self.class_names)

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


def _reason(error: BaseException) -> str:
    """The reason of a failed download in a few words: the innermost cause's message, one line."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:160]}" if text else type(error).__name__


def _not_found(name: str, file_name: str, error: Exception) -> GenlabError:
    looked = ", ".join(str(d) for d in data_dirs())
    return GenlabError(
        f"dataset {name!r} not found: no {file_name} in {looked}, and keras.datasets could not download it "
        f"({_reason(error)}). Put {file_name} in one of those folders or set GENLAB_DATA to its folder."
    )


def _add_channel(x: np.ndarray) -> np.ndarray:
    return x[..., None] if x.ndim == 3 else x


def _labels(y: np.ndarray | None, where: str = "labels") -> np.ndarray | None:
    """Class indices as int64 (N,): from (N,) or (N, 1) integers, or from one-hot rows (N, K), which
    become the index of their 1. GenlabError for any other shape and for values that are not
    whole numbers."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[1] > 1:
        one_hot = y.dtype != object and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()
        if not one_hot:
            raise GenlabError(f"{where} is shaped {y.shape} but is not one-hot (one 1 per row); give class indices "
                              f"shaped (N,)")
        y = np.argmax(y, axis=1)
    if y.ndim != 1:
        raise GenlabError(f"{where} must be class indices shaped (N,) (or one-hot (N, K)), got shape {y.shape}")
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise GenlabError(f"{where} must be integer class indices, got dtype {y.dtype}")
    if np.issubdtype(y.dtype, np.floating):
        whole = np.isfinite(y) & (np.mod(y, 1) == 0)
        if not whole.all():
            raise GenlabError(f"{where} must be whole numbers (class indices 0, 1, 2, ...), got {y[~whole][0].item()!r}")
    return y.astype(np.int64)


def check_labels(y: np.ndarray | None, count: int, where: str, class_names: list[str] | None = None) -> None:
    """Labels of ``count`` images: one per image, class indices from 0 (below ``len(class_names)``
    when the classes are named); GenlabError naming the first offending value."""
    if y is None:
        return
    if y.ndim != 1 or len(y) != count:
        raise GenlabError(f"{where} has {len(y)} labels (shape {y.shape}) for {count} images; give one label per image")
    if count == 0:
        return
    low, high = int(y.min()), int(y.max())
    if low < 0:
        raise GenlabError(f"{where} holds label {low}: labels are class indices 0, 1, 2, ... (no negative values)")
    if class_names and high >= len(class_names):
        raise GenlabError(f"{where} holds label {high}, but there are {len(class_names)} class names "
                          f"(labels 0..{len(class_names) - 1})")


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
    if array.size == 0:  # no values to check the range of: the empty split is judged by the caller
        return array.astype(np.uint8)
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
    def images_and_labels(x_key: str, y_key: str):
        """The images and labels of one key pair, checked against each other before any split."""
        images = _to_uint8_images(arrays[x_key], f"{path}: {x_key}")
        labels = _labels(arrays.get(y_key), f"{path}: {y_key}")
        check_labels(labels, len(images), f"{path}: {y_key}")
        return images, labels

    if "x_train" in arrays:
        x_train, y_train = images_and_labels("x_train", "y_train")
        if "x_test" in arrays:
            x_test, y_test = images_and_labels("x_test", "y_test")
        else:
            x_train, y_train, x_test, y_test = _split(x_train, y_train)
    elif "x" in arrays:
        x_train, y_train, x_test, y_test = _split(*images_and_labels("x", "y"))
    else:
        raise GenlabError(f"{str(path)!r} has keys {sorted(arrays)}; expected x_train (and x_test) or x")
    class_names = [str(c) for c in arrays["class_names"]] if "class_names" in arrays else None
    return ImageData(f"npz:{path}", x_train, y_train, x_test, y_test, class_names)


class UnreadableImage(GenlabError):
    """An image file that cannot be read: not an image, truncated, or too large to decode safely."""


#: PIL modes of 16-bit grayscale images (a 16-bit PNG opens as one of these, or as "I")
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
GRAYSCALE_MODES = ("L", "1", "I", "F", *SIXTEEN_BIT_MODES)


def open_image(path: str | Path):
    """The image in ``path`` as a loaded ``PIL.Image`` (the file is closed again).

    :class:`UnreadableImage` (a GenlabError, one line naming the file) for a file PIL cannot
    decode, and for one with more pixels than ``PIL.Image.MAX_IMAGE_PIXELS``: PIL's guard against
    decompression bombs, a small file that would decode to gigabytes. Its warning (between one and
    two times the limit) counts as refusal too, so no such image is ever decoded.
    """
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return image.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        reason = " ".join(str(error).split()).rstrip(".")
        raise UnreadableImage(f"image {str(path)!r} is too large to decode safely ({reason}); resize it to fewer "
                              f"pixels") from None
    except (OSError, ValueError, EOFError, SyntaxError) as error:  # UnidentifiedImageError is an OSError
        reason = " ".join(str(error).split()) or type(error).__name__
        raise UnreadableImage(f"cannot read image {str(path)!r}: {reason}") from None


def image_to_uint8(image, mode: str, where: str = "image") -> np.ndarray:
    """A PIL image as uint8 pixels in ``mode`` ("L": (H, W), "RGB": (H, W, 3)).

    16-bit grayscale (modes I;16*, and I, as PIL opens 16-bit PNGs) is scaled to 8 bits,
    ``v * 255 / 65535`` rounded, where ``convert("L")`` would clip every value above 255 to white.
    A 32-bit integer image whose values do not fit 16 bits is refused.
    """
    if image.mode in SIXTEEN_BIT_MODES or image.mode == "I":
        values = np.asarray(image)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise UnreadableImage(f"{where} is a 32-bit integer image with values in [{int(values.min())}, "
                                  f"{int(values.max())}]; convert it to 8 bits first")
        gray = np.round(values.astype(np.float64) * (255.0 / 65535.0)).astype(np.uint8)
        return gray if mode == "L" else np.repeat(gray[..., None], 3, axis=-1)
    return np.asarray(image.convert(mode), np.uint8)


@register_source("folder", prefixed=True)
def load_folder(path_text: str, skip_bad_images: bool = False) -> ImageData:
    """``folder:PATH``: images in PATH, or in sub-folders of PATH (one sub-folder per class).

    A folder with class sub-folders must hold no images itself (they would belong to no class):
    it is refused, naming them, rather than dropping them. All images must have one size;
    grayscale and RGB are not mixed silently: the folder's images are converted to the mode
    most of them have (16-bit grayscale scaled to 8 bits, see :func:`image_to_uint8`). 10% are
    held out as a test split. An unreadable image, or one too large to decode safely (see
    :func:`open_image`), is refused, or skipped and counted with ``skip_bad_images``.
    """
    root = Path(path_text).expanduser()
    if not root.is_dir():
        raise GenlabError(f"image folder {str(root)!r} does not exist")
    subfolders = sorted(p for p in root.iterdir() if p.is_dir())
    loose = sorted(f for f in root.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if subfolders and loose:
        raise GenlabError(
            f"image folder {str(root)!r} has class sub-folders ({', '.join(p.name for p in subfolders[:4])}"
            f"{', ...' if len(subfolders) > 4 else ''}) and {len(loose)} image(s) of no class directly in it "
            f"(e.g. {loose[0].name}); move them into a class sub-folder, or out of {str(root)!r}"
        )
    if subfolders:
        class_names = [p.name for p in subfolders]
        files = [(f, label) for label, folder in enumerate(subfolders) for f in sorted(folder.iterdir())]
    else:
        class_names = None
        files = [(f, -1) for f in loose]
    files = [(f, label) for f, label in files if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise GenlabError(f"image folder {str(root)!r} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    images, labels, read, skipped = [], [], [], []
    for file, label in files:
        try:
            images.append(open_image(file))
            read.append(file)
        except UnreadableImage as error:
            if not skip_bad_images:
                raise GenlabError(f"{error} (pass --skip-bad-images to skip unreadable files)") from None
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
    modes = [("L" if im.mode in GRAYSCALE_MODES else "RGB") for im in images]
    mode = max(set(modes), key=modes.count)
    x = _add_channel(np.stack([image_to_uint8(im, mode, f"image {str(f)!r}") for im, f in zip(images, read)]))
    y = np.asarray(labels, dtype=np.int64) if class_names else None
    x_train, y_train, x_test, y_test = _split(x, y)
    return ImageData(f"folder:{root}", x_train, y_train, x_test, y_test, class_names)
