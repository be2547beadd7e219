"""Configuration of the autoencoder family."""

from __future__ import annotations

import dataclasses

from genlab.config import ModelConfig
from genlab.errors import GenlabError
from genlab.layers.noise import parse_noise

ARCHITECTURES = ("dense", "conv")
LOSSES = ("mse", "bce")


@dataclasses.dataclass
class AutoencoderConfig(ModelConfig):
    """Autoencoder: ``arch`` dense or conv, latent size, reconstruction loss, denoising."""

    arch: str = dataclasses.field(default="conv", metadata={"help": "encoder/decoder type: dense or conv"})
    hidden_units: tuple[int, ...] = dataclasses.field(
        default=(512, 256), metadata={"help": "dense arch: hidden layer sizes of the encoder (decoder mirrors)"}
    )
    filters: tuple[int, ...] = dataclasses.field(
        default=(32, 64), metadata={"help": "conv arch: filters of each stride-2 convolution (decoder mirrors)"}
    )
    loss: str = dataclasses.field(default="bce", metadata={"help": "reconstruction loss: mse or bce"})
    denoising: bool = dataclasses.field(default=False, metadata={"help": "train on corrupted input, clean target"})
    noise: str = dataclasses.field(
        default="gaussian:0.5", metadata={"help": "corruption for --denoising: gaussian:STD, masking:P, salt_pepper:P"}
    )

    def validate(self) -> None:
        super().validate()
        if self.arch not in ARCHITECTURES:
            raise GenlabError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}")
        if self.loss not in LOSSES:
            raise GenlabError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.value_range != (0.0, 1.0):
            raise GenlabError(f"autoencoders work on data in [0, 1] (sigmoid output), got value_range {self.value_range!r}")
        parse_noise(self.noise)
        units = self.hidden_units if self.arch == "dense" else self.filters
        if not units or any(u <= 0 for u in units):
            raise GenlabError(f"{'hidden_units' if self.arch == 'dense' else 'filters'} must be positive, got {units!r}")
        if self.arch == "conv":
            if len(self.input_shape) != 3:
                raise GenlabError(f"conv arch needs images (H, W, C), got input_shape {self.input_shape!r}")
            factor = 2 ** len(self.filters)
            height, width = self.input_shape[:2]
            if height % factor or width % factor:
                raise GenlabError(
                    f"conv arch with {len(self.filters)} stride-2 layers needs height and width divisible by "
                    f"{factor}, got {height}x{width}; use fewer --filters or --arch dense"
                )
