"""Two image domains and random crops, for image-to-image families.

* :class:`ImagePairs` holds domain A (``--data`` / ``--data-a``) and domain B (``--data-b``).
  *Paired* data (pix2pix) has image i of A showing the same scene as image i of B (folders are
  matched by sorted file name, so both need the same number of images); *unpaired* data
  (CycleGAN) has no correspondence and may hold different numbers of images.
* :func:`training_batches` gives one epoch after another, like
  :func:`genlab.data.pipeline.epoch_batches`: batches ``(a, b)`` for pairs, ``(images, labels)``
  for one source; with ``crop_size`` every example is a random square crop (the same window
  in A and B when paired). Order and crops are stateless functions of (seed, epoch, step), so
  a resumed run sees exactly the batches of an uninterrupted one, also when it resumes mid-epoch
  (``first_epoch_skip_steps``: the interrupted epoch without the batches already trained on).
* :func:`validation_batches` and :func:`preview_images` use centre crops of the test split.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import tensorflow as tf

from genlab.data.pipeline import check_skip_steps, epoch_batches, eval_batches, scale_images
from genlab.data.sources import ImageData, load_image_data
from genlab.core.errors import GenlabError


@dataclasses.dataclass
class ImagePairs:
    """Images of domain A and domain B (uint8), paired by index or unpaired."""

    a: ImageData
    b: ImageData
    paired: bool = False

    def __post_init__(self) -> None:
        if self.paired:
            for split in ("x_train", "x_test"):
                count_a, count_b = len(getattr(self.a, split)), len(getattr(self.b, split))
                if count_a != count_b:
                    raise GenlabError(
                        f"paired data needs as many images in A as in B, but {split} has {count_a} in "
                        f"{self.a.name!r} and {count_b} in {self.b.name!r}"
                    )
            if self.a.image_shape[:2] != self.b.image_shape[:2]:
                raise GenlabError(
                    f"paired images must have one size: {self.a.name!r} has {self.a.image_shape[:2]}, "
                    f"{self.b.name!r} has {self.b.image_shape[:2]}"
                )

    name = property(lambda self: f"{self.a.name} -> {self.b.name}")
    image_shape = property(lambda self: self.a.image_shape)
    image_shape_b = property(lambda self: self.b.image_shape)
    num_classes = property(lambda self: 0)
    class_names = property(lambda self: None)

    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.a.fingerprint()}|{self.b.fingerprint()}|{self.paired}".encode()).hexdigest()


def load_image_pairs(source_a: str, source_b: str, limit: int | None = None, seed: int = 0,
                     paired: bool = False) -> ImagePairs:
    """Load both domains; ``limit`` keeps the same seeded subset of each (pairs stay aligned)."""
    return ImagePairs(load_image_data(source_a, limit, seed), load_image_data(source_b, limit, seed), paired)


def cropped_shape(image_shape, crop_size: int | None) -> tuple[int, ...]:
    """The shape a model sees: ``image_shape`` itself, or (crop, crop, C); GenlabError if it does not fit."""
    image_shape = tuple(int(d) for d in image_shape)
    if crop_size is None:
        return image_shape
    if crop_size > min(image_shape[:2]):
        raise GenlabError(f"--crop-size {crop_size} is larger than the images ({image_shape[0]}x{image_shape[1]})")
    return (crop_size, crop_size, image_shape[2])


def _random_crops(images: tf.Tensor, crop_size: int, seed: tf.Tensor) -> tf.Tensor:
    """One random crop_size x crop_size window per image of a batch (N, H, W, C)."""
    shape = tf.shape(images)
    unit = tf.random.stateless_uniform([shape[0], 2], seed=seed)
    room = tf.cast(tf.stack([shape[1], shape[2]]) - crop_size + 1, tf.float32)
    offsets = tf.cast(tf.floor(unit * room), tf.int32)  # top, left of each window
    window = tf.range(crop_size)
    rows = offsets[:, :1] + window  # (N, crop)
    columns = offsets[:, 1:] + window
    images = tf.gather(images, rows, axis=1, batch_dims=1)
    return tf.gather(images, columns, axis=2, batch_dims=1)


def center_crops(images: np.ndarray, crop_size: int | None) -> np.ndarray:
    if crop_size is None:
        return images
    top, left = (images.shape[1] - crop_size) // 2, (images.shape[2] - crop_size) // 2
    return images[:, top : top + crop_size, left : left + crop_size]


def training_batches(data, batch_size: int, seed: int, first_epoch: int, last_epoch: int,
                     value_range, crop_size: int | None = None,
                     first_epoch_skip_steps: int = 0) -> tuple[tf.data.Dataset, int]:
    """Batches for epochs ``first_epoch .. last_epoch - 1`` and the steps per epoch (see module docstring).

    One source without crops goes through :func:`epoch_batches` unchanged. Unpaired domains of
    different sizes are both drawn ``max(N_A, N_B)`` times per epoch (the smaller one repeats).
    The first ``first_epoch_skip_steps`` batches of ``first_epoch`` are left out (a resume
    mid-epoch); the later batches keep their crop positions; ``steps`` stays the full count.
    """
    pairs = isinstance(data, ImagePairs)
    if not pairs and crop_size is None:
        return epoch_batches(data.x_train, data.y_train, batch_size, seed, first_epoch, last_epoch, value_range,
                             first_epoch_skip_steps)
    first = data.a if pairs else data
    count_a = len(first.x_train)
    count_b = len(data.b.x_train) if pairs else count_a
    count = max(count_a, count_b)
    if batch_size > count:
        raise GenlabError(f"batch_size {batch_size} is larger than the {count} training examples; lower --batch-size")
    steps = count // batch_size
    check_skip_steps(first_epoch_skip_steps, steps)
    low, high = float(value_range[0]), float(value_range[1])
    images_a = tf.constant(first.x_train)
    images_b = tf.constant(data.b.x_train) if pairs else None
    labels = tf.constant(np.zeros(count_a, np.int32) if pairs or first.y_train is None else first.y_train.astype(np.int32))
    independent_b = pairs and not data.paired

    def epoch_indices(epoch: tf.Tensor) -> tf.data.Dataset:
        seed_a = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seed_a)
        order_b = order
        if independent_b:
            seed_b = tf.stack([tf.constant(seed, tf.int64), -1 - epoch])
            order_b = tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seed_b)
        batches = tf.data.Dataset.from_tensor_slices((order % count_a, order_b % count_b))
        batches = batches.batch(batch_size, drop_remainder=True).enumerate()
        return batches.map(lambda step, indices: (epoch * steps + step, indices))

    def scale(batch: tf.Tensor) -> tf.Tensor:
        return tf.cast(batch, tf.float32) / 255.0 * (high - low) + low

    def gather(position: tf.Tensor, indices):
        batch_a = tf.gather(images_a, indices[0])
        if crop_size is not None:
            batch_a = _random_crops(batch_a, crop_size, tf.stack([tf.constant(seed, tf.int64), position]))
        if not pairs:
            return scale(batch_a), tf.gather(labels, indices[0])
        batch_b = tf.gather(images_b, indices[1])
        if crop_size is not None:  # the same window as A when paired, an independent one otherwise
            crop_seed = tf.stack([tf.constant(seed, tf.int64), position if data.paired else -1 - position])
            batch_b = _random_crops(batch_b, crop_size, crop_seed)
        return scale(batch_a), scale(batch_b)

    dataset = (
        tf.data.Dataset.range(first_epoch, last_epoch)
        .flat_map(epoch_indices)
        .skip(first_epoch_skip_steps)  # (position, indices): later batches keep their crop seeds
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, steps


def _test_split(data, limit: int | None, crop_size: int | None):
    if isinstance(data, ImagePairs):
        count = min(len(data.a.x_test), len(data.b.x_test), limit or len(data.a.x_test))
        return center_crops(data.a.x_test[:count], crop_size), center_crops(data.b.x_test[:count], crop_size)
    labels = None if data.y_test is None else data.y_test[:limit]
    return center_crops(data.x_test[:limit], crop_size), labels


def validation_batches(data, batch_size: int, value_range, crop_size: int | None = None,
                       limit: int | None = None) -> tf.data.Dataset:
    """Unshuffled test batches (centre crops): ``(a, b)`` for pairs, ``(images, labels)`` otherwise."""
    first, second = _test_split(data, limit, crop_size)
    if isinstance(data, ImagePairs):
        tensors = (scale_images(first, value_range), scale_images(second, value_range))
        return tf.data.Dataset.from_tensor_slices(tensors).batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return eval_batches(first, second, batch_size, value_range)


def preview_images(data, n: int, value_range, crop_size: int | None = None):
    """Fixed test images for the per-epoch grid: ``((a, b), labels)`` for pairs, ``(images, labels)`` otherwise."""
    first, second = _test_split(data, n, crop_size)
    if isinstance(data, ImagePairs):
        images = (scale_images(first, value_range), scale_images(second, value_range))
        return images, np.zeros(len(first), np.int64)
    labels = np.zeros(len(first), np.int64) if second is None else second
    return scale_images(first, value_range), labels
