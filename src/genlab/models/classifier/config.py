"""Configuration of the classifier family."""

from __future__ import annotations

import dataclasses

from genlab.core.config import ModelConfig
from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family


@dataclasses.dataclass
class ClassifierConfig(ModelConfig):
    """CNN classifier: convolution stages, size of the feature layer (``latent_dim``), dropout."""

    latent_dim: int = dataclasses.field(
        default=128, metadata={"help": "size of the feature layer (the penultimate layer, used for FID/KID)"}
    )
    num_classes: int = dataclasses.field(default=10, metadata={"help": "number of classes (from the data)"})
    filters: tuple[int, ...] = dataclasses.field(
        default=(32, 64), metadata={"help": "filters of each stage (two 3x3 convolutions, then 2x2 max pooling)"}
    )
    dropout: float = dataclasses.field(default=0.3, metadata={"help": "dropout rate before the class layer"})

    def validate(self) -> None:
        super().validate()
        if self.num_classes < 2:
            raise GenlabError(
                f"a classifier needs labelled data with at least 2 classes, got num_classes {self.num_classes}"
            )
        if len(self.input_shape) != 3:
            raise GenlabError(f"the classifier needs images (H, W, C), got input_shape {self.input_shape!r}")
        if not self.filters or any(f <= 0 for f in self.filters):
            raise GenlabError(f"filters must be positive integers, got {self.filters!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise GenlabError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.value_range != (0.0, 1.0):
            raise GenlabError(f"the classifier works on images in [0, 1], got value_range {self.value_range!r}")


declare_family("classifier", ClassifierConfig, description="small CNN classifier: a domain feature net for FID/KID/IS", aliases=("clf",))
