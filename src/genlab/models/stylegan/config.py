"""Configuration of the StyleGAN family (StyleGAN2 generator, residual discriminator)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.layers.specs import parse_policy
from genlab.models.two_player_config import TwoPlayerConfig


def is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


def default_resolution(input_shape) -> int:
    """The smallest power of two >= the data's larger side (at least 8): 28 -> 32, 32 -> 32."""
    side = max(int(input_shape[0]), int(input_shape[1]), 8)
    return 1 << (side - 1).bit_length()


@dataclasses.dataclass
class StyleGANConfig(TwoPlayerConfig):
    """StyleGAN: mapping network z -> w, style-modulated synthesis, residual discriminator.

    Channel counts follow the paper's rule channels(r) = min(channel_base / r, channel_max)
    for resolution r; the defaults (a few hundred thousand weights at 32x32) train on a
    2-core CPU. The paper's 1024x1024 model uses channel_base 32768 and channel_max 512.
    """

    #: Adam step of both networks unless one is given: genlab's 1e-3 (StyleGAN2's is 2e-3; pass --learning-rate)
    default_learning_rate: ClassVar[float] = 1e-3

    value_range: tuple[float, float] = dataclasses.field(default=(-1.0, 1.0), metadata={"help": "data range"})
    latent_dim: int = dataclasses.field(default=64, metadata={"help": "size of z (paper: 512)"})
    resolution: int = dataclasses.field(
        default=0, metadata={"help": "generated image size, a power of two >= 8; 0: the data's size rounded up "
                                     "(images are resized to it and generated images resized back)"})
    w_dim: int = dataclasses.field(default=64, metadata={"help": "size of the intermediate latent w (paper: 512)"})
    mapping_layers: int = dataclasses.field(default=4, metadata={"help": "depth of the mapping MLP (paper: 8)"})
    mapping_lr_multiplier: float = dataclasses.field(
        default=0.01, metadata={"help": "learning-rate multiplier of the mapping network (paper: 0.01)"})
    channel_base: int = dataclasses.field(default=1024, metadata={"help": "channels(r) = min(channel_base / r, channel_max)"})
    channel_max: int = dataclasses.field(default=64, metadata={"help": "most feature maps at any resolution"})
    style_mixing: float = dataclasses.field(
        default=0.9, metadata={"help": "probability that a training image mixes two styles (0: no style mixing)"})
    r1_gamma: float = dataclasses.field(default=1.0, metadata={"help": "weight gamma of the R1 penalty (gamma/2) |grad D(x)|^2"})
    r1_interval: int = dataclasses.field(default=16, metadata={"help": "lazy R1: apply the penalty every N discriminator steps"})
    ema_decay: float = dataclasses.field(default=0.995, metadata={"help": "decay of the EMA generator's weights"})
    w_average_decay: float = dataclasses.field(default=0.995, metadata={"help": "decay of the tracked average w"})
    minibatch_group: int = dataclasses.field(default=4, metadata={"help": "group size of the minibatch standard deviation"})
    augment: str = dataclasses.field(
        default="", metadata={"help": "DiffAugment policy for small data sets, e.g. color,translation,cutout ('' off)"})

    @property
    def image_resolution(self) -> int:
        return self.resolution or default_resolution(self.input_shape)

    def validate(self) -> None:
        super().validate()
        if len(self.input_shape) != 3:
            raise GenlabError(f"stylegan needs images (H, W, C), got input_shape {self.input_shape!r}")
        if self.resolution and (not is_power_of_two(self.resolution) or self.resolution < 8):
            raise GenlabError(f"resolution must be a power of two >= 8 (8, 16, 32, 64, ...), got {self.resolution}")
        for name in ("w_dim", "mapping_layers", "channel_base", "channel_max", "r1_interval", "minibatch_group"):
            if getattr(self, name) <= 0:
                raise GenlabError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.channel_base < self.image_resolution:
            raise GenlabError(f"channel_base {self.channel_base} gives no channels at resolution "
                              f"{self.image_resolution}: use channel_base >= {self.image_resolution}")
        if self.mapping_lr_multiplier <= 0:
            raise GenlabError(f"mapping_lr_multiplier must be > 0, got {self.mapping_lr_multiplier!r}")
        if self.r1_gamma < 0:
            raise GenlabError(f"r1_gamma must be >= 0, got {self.r1_gamma!r}")
        for name in ("style_mixing", "ema_decay", "w_average_decay"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0 or (name != "style_mixing" and value == 1.0):
                raise GenlabError(f"{name} must lie in [0, 1{']' if name == 'style_mixing' else ')'}, got {value!r}")
        parse_policy(self.augment)


declare_family("stylegan", StyleGANConfig, description="StyleGAN2: mapping network, modulated convs, noise, style mixing, truncation, EMA generator, lazy R1", aliases=("stylegan2",))
