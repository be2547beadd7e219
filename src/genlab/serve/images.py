"""Image runs behind HTTP: a generator draws a PNG from a seed and a few set latent dims; an
image-to-image run (cyclegan, pix2pix: translate; srgan: upscale) turns an uploaded image into
a PNG. Model calls are serialized by a lock (one Keras model, many request threads)."""

from __future__ import annotations

import inspect
import io
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np

from genlab.core.errors import GenlabError
from genlab.data.pipeline import scale_images, to_uint8
from genlab.data.sources import open_image
from genlab.models.capabilities import Translates, Upscales
from genlab.workflows.loading import load_run_model
from genlab.workflows.sample import decode
from genlab.workflows.translate import MODE_NAMES, MODES

SLIDERS = 8  # latent dims the page offers as sliders
MAX_SEED = 2**32 - 1


class Upload(io.BytesIO):
    """An uploaded file's bytes, named "the upload" in error messages."""

    def __str__(self) -> str:
        return "the upload"


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 (H, W, 1 or 3) image as PNG bytes."""
    from PIL import Image

    image = np.asarray(image, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, format="PNG")
    return buffer.getvalue()


class ImageRun:
    """A loaded generator or image-to-image run."""

    def __init__(self, run_path: str | Path):
        self.run_path = Path(run_path)
        self.run, self.config, self.model = load_run_model(run_path)
        self.family = self.config.family
        self.is_generator = bool(getattr(self.model, "is_generator", False))
        self.translates = isinstance(self.model, Translates)
        self.upscales = isinstance(self.model, Upscales)
        if not (self.is_generator or self.translates or self.upscales):
            raise GenlabError(f"run {str(self.run_path)!r} is a {self.family} run; genlab serve takes detector, "
                              f"generator (vae, cvae, gan, dcgan, wgan, wgan-gp, cgan, stylegan) and image-to-image "
                              f"(cyclegan, pix2pix, srgan) runs")
        self.value_range = tuple(self.config.model.value_range)
        self._lock = threading.Lock()
        parameters = inspect.signature(self.model.decode_latents).parameters if self.is_generator else {}
        self.takes_truncation = "truncation" in parameters

    def describe(self) -> dict[str, Any]:
        """What ``GET /v1/model`` answers."""
        info: dict[str, Any] = {"kind": "generator" if self.is_generator else "image-to-image", "family": self.family,
                                "run": str(self.run_path), "input_shape": list(self.config.model.input_shape)}
        if self.is_generator:
            conditional = bool(self.model.is_conditional)
            info.update(latent_dim=int(self.config.model.latent_dim), sliders=min(SLIDERS, self.config.model.latent_dim),
                        conditional=conditional, truncation=self.takes_truncation,
                        classes=self._class_names() if conditional else [])
        else:
            info.update(operation="translate" if self.translates else "upscale",
                        directions=["a2b", "b2a"] if self.translates else [])
        return info

    def _class_names(self) -> list[str]:
        names = self.run.metadata().get("data", {}).get("class_names") or []
        count = self.model.config.num_classes
        return [str(n) for n in names] if len(names) == count else [str(i) for i in range(count)]

    # generators -------------------------------------------------------------------------
    def generate(self, seed: int = 0, z: list[float] | None = None, label: int | None = None,
                 truncation: float | None = None) -> bytes:
        """One image as PNG: the prior draw of ``seed`` with its first ``len(z)`` dims set to ``z``."""
        if not self.is_generator:
            raise GenlabError(f"a {self.family} run does not generate images; POST an image to /v1/translate")
        if not 0 <= seed <= MAX_SEED:
            raise GenlabError(f"seed must be in [0, {MAX_SEED}], got {seed}")
        latents = self.model.sample_latents(1, seed)
        z = list(z or [])
        if len(z) > latents.shape[1]:
            raise GenlabError(f"z has {len(z)} values but the latent space has {latents.shape[1]} dims")
        if not all(math.isfinite(v) for v in z):
            raise GenlabError("z values must be finite numbers")
        latents[0, : len(z)] = z
        labels = None
        if self.model.is_conditional:
            labels = self.model.check_labels(np.array([0 if label is None else label]), 1)
        elif label is not None:
            raise GenlabError(f"family {self.family!r} is not conditional; it takes no label")
        options = {}
        if truncation is not None:
            if not self.takes_truncation:
                raise GenlabError(f"family {self.family!r} takes no truncation")
            if not (math.isfinite(truncation) and 0 <= truncation <= 2):
                raise GenlabError(f"truncation must be in [0, 2], got {truncation}")
            options["truncation"] = truncation
        with self._lock:
            images = decode(self.model, latents, labels, options)
        return png_bytes(to_uint8(images, self.value_range)[0])

    # image to image ---------------------------------------------------------------------
    def transform(self, data: bytes, direction: str = "a2b") -> bytes:
        """An uploaded image translated (cyclegan, pix2pix) or upscaled (srgan), as PNG."""
        if not (self.translates or self.upscales):
            raise GenlabError(f"a {self.family} run does not translate images; GET /v1/generate draws one")
        if self.translates and direction not in ("a2b", "b2a"):
            raise GenlabError(f"direction must be a2b or b2a, got {direction!r}")
        if not data:
            raise GenlabError("no image uploaded (send it as the multipart field 'image')")
        shape = self.config.model.input_shape if (self.upscales or direction == "a2b") else self.config.model.target_shape
        channels = shape[-1]
        image = open_image(Upload(data))  # refuses what PIL cannot decode, and decompression bombs
        wanted = MODES[channels]
        if image.mode != wanted:
            raise GenlabError(f"the upload is a {MODE_NAMES.get(image.mode, image.mode)} image (mode {image.mode}), but "
                              f"this run takes {MODE_NAMES[wanted]} images; convert it first")
        array = np.asarray(image)
        array = array[..., None] if array.ndim == 2 else array
        scaled = scale_images(array[None], self.value_range)
        with self._lock:
            result = self.model.translate(scaled, direction) if self.translates else self.model.upscale(scaled)
        return png_bytes(to_uint8(result, self.value_range)[0])
