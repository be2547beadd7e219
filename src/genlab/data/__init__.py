"""Data sources and tf.data pipelines (TensorFlow loads with the first of them that needs it,
so that :mod:`genlab.data.tabular` and configs stay light)."""

from genlab.core.lazy import lazy_exports

__all__ = [
    "ImageData",
    "data_dirs",
    "epoch_batches",
    "load_image_data",
    "register_source",
    "scale_images",
    "to_uint8",
]

__getattr__ = lazy_exports(__name__, {
    "ImageData": "sources", "data_dirs": "sources", "load_image_data": "sources", "register_source": "sources",
    "epoch_batches": "pipeline", "scale_images": "pipeline", "to_uint8": "pipeline",
})
