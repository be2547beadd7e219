"""Data sources and tf.data pipelines."""

from genlab.data.sources import ImageData, data_dirs, load_image_data, register_source
from genlab.data.pipeline import epoch_batches, scale_images, to_uint8

__all__ = [
    "ImageData",
    "data_dirs",
    "epoch_batches",
    "load_image_data",
    "register_source",
    "scale_images",
    "to_uint8",
]
