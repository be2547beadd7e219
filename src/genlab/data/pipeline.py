"""tf.data pipelines: scaling to a family's value range, seeded per-epoch shuffling, batching.

Shuffling is *stateless*: epoch ``e`` visits the images in the order given by the seed pair
``(seed, e)``. A run resumed at epoch ``e`` therefore sees exactly the batches an
uninterrupted run would, which is what makes ``--resume`` exact; a run stopped mid-epoch by
Ctrl-C resumes with ``first_epoch_skip_steps``: the same epoch without the batches it trained on.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from genlab.core.errors import GenlabError


def scale_images(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """uint8 [0, 255] -> float32 in ``value_range`` (e.g. [0, 1] for autoencoders, [-1, 1] for GANs)."""
    low, high = value_range
    return (np.asarray(images, dtype=np.float32) / 255.0) * (high - low) + low


def to_uint8(images: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """Inverse of :func:`scale_images`, clipping to the range first."""
    low, high = value_range
    images = np.nan_to_num(np.asarray(images, dtype=np.float32), nan=low)  # a diverged model's NaN shows as black
    unit = (np.clip(images, low, high) - low) / (high - low)
    return np.round(unit * 255.0).astype(np.uint8)


def check_skip_steps(skip_steps: int, steps: int) -> None:
    """A mid-epoch resume point must lie inside the epoch: 0 <= skip < steps per epoch."""
    if not 0 <= skip_steps < steps:
        raise GenlabError(
            f"cannot resume {skip_steps} steps into an epoch of {steps} steps; "
            f"the data or --batch-size changed since the checkpoint was saved"
        )


def epoch_batches(
    images: np.ndarray,
    labels: np.ndarray | None,
    batch_size: int,
    seed: int,
    first_epoch: int,
    last_epoch: int,
    value_range: tuple[float, float],
    first_epoch_skip_steps: int = 0,
) -> tuple[tf.data.Dataset, int]:
    """Batches ``(images, labels)`` for epochs ``first_epoch .. last_epoch - 1`` and the steps per epoch.

    Images stay uint8 until the batch is gathered and are scaled to ``value_range`` inside the
    pipeline; labels are int32 (zeros when the data has none). Incomplete last batches are
    dropped, so every step sees ``batch_size`` examples. The first ``first_epoch_skip_steps``
    batches of ``first_epoch`` are left out (a resume mid-epoch); ``steps`` stays the full count.
    """
    count = len(images)
    if batch_size > count:
        raise GenlabError(f"batch_size {batch_size} is larger than the {count} training examples; lower --batch-size")
    steps = count // batch_size
    check_skip_steps(first_epoch_skip_steps, steps)
    images_tensor = tf.constant(images)
    labels_tensor = tf.constant(np.zeros(count, np.int32) if labels is None else labels.astype(np.int32))
    low, high = float(value_range[0]), float(value_range[1])

    def epoch_indices(epoch: tf.Tensor) -> tf.data.Dataset:
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    def gather(indices: tf.Tensor):
        batch = tf.cast(tf.gather(images_tensor, indices), tf.float32) / 255.0 * (high - low) + low
        return batch, tf.gather(labels_tensor, indices)

    dataset = (
        tf.data.Dataset.range(first_epoch, last_epoch)
        .flat_map(epoch_indices)
        .skip(first_epoch_skip_steps)  # index batches only: the skipped images are never gathered
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, steps


def eval_batches(images: np.ndarray, labels: np.ndarray | None, batch_size: int, value_range) -> tf.data.Dataset:
    """Unshuffled batches of a held-out split (last batch kept)."""
    x = scale_images(images, value_range)
    y = np.zeros(len(images), np.int32) if labels is None else labels.astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)
