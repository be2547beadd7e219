"""Configuration of the pix2pix family."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.models.two_player_config import TwoPlayerConfig

MAX_DEPTH = 8  # U-Net-256 of the paper: 256 -> 1 in 8 stride-2 steps


def largest_depth(height: int, width: int) -> int:
    """The most stride-2 levels (up to 8) for which height and width stay whole numbers."""
    depth = 0
    while depth < MAX_DEPTH and height % 2 ** (depth + 1) == 0 and width % 2 ** (depth + 1) == 0:
        depth += 1
    return depth


@dataclasses.dataclass
class Pix2PixConfig(TwoPlayerConfig):
    """pix2pix: U-Net generator A -> B and a PatchGAN that sees (A, B) pairs.

    ``input_shape`` is domain A's image shape, ``target_shape`` domain B's (both from the
    data); ``latent_dim`` is unused (the noise is dropout, as in the paper).
    """

    #: Adam step of both networks unless one is given: genlab's 1e-3 (the paper's is 2e-4; pass --learning-rate)
    default_learning_rate: ClassVar[float] = 1e-3

    data_fields: ClassVar[tuple[str, ...]] = TwoPlayerConfig.data_fields + ("target_shape", "latent_dim")

    target_shape: tuple[int, ...] = dataclasses.field(default=(28, 28, 1), metadata={"help": "shape of a domain B image"})
    value_range: tuple[float, float] = dataclasses.field(default=(-1.0, 1.0), metadata={"help": "data range"})
    filters: int = dataclasses.field(default=64, metadata={"help": "filters of the U-Net's first level (doubling up to 8x)"})
    depth: int = dataclasses.field(
        default=0, metadata={"help": "stride-2 levels of the U-Net (0: as many as the image size allows, up to 8)"}
    )
    dropout: float = dataclasses.field(default=0.5, metadata={"help": "dropout in the three innermost decoder levels"})
    discriminator_filters: int = dataclasses.field(default=64, metadata={"help": "filters of the discriminator's first layer"})
    discriminator_downsamplings: int = dataclasses.field(
        default=3, metadata={"help": "stride-2 layers of the PatchGAN (3: 70x70 patches)"}
    )
    l1_weight: float = dataclasses.field(default=100.0, metadata={"help": "lambda, weight of the L1 term"})
    beta_1: float = dataclasses.field(default=0.5, metadata={"help": "Adam beta_1 of both optimizers"})

    @property
    def levels(self) -> int:
        """The U-Net depth in use (``depth``, or the largest the image size allows)."""
        return self.depth or largest_depth(*self.input_shape[:2])

    def validate(self) -> None:
        super().validate()
        if self.value_range != (-1.0, 1.0):
            raise GenlabError(f"pix2pix works on data in [-1, 1] (tanh output), got value_range {self.value_range!r}")
        for name in ("input_shape", "target_shape"):
            shape = getattr(self, name)
            if len(shape) != 3 or shape[-1] not in (1, 3) or min(shape) <= 0:
                raise GenlabError(f"{name} must be (H, W, C) with C 1 or 3, got {shape!r}")
        if tuple(self.input_shape[:2]) != tuple(self.target_shape[:2]):
            raise GenlabError(f"paired images must have one size: A {tuple(self.input_shape[:2])}, B {tuple(self.target_shape[:2])}")
        if not 0 <= self.depth <= MAX_DEPTH:
            raise GenlabError(f"depth must be 0 (automatic) .. {MAX_DEPTH}, got {self.depth}")
        height, width = self.input_shape[:2]
        if self.levels < 1 or height % 2**self.levels or width % 2**self.levels:
            raise GenlabError(f"a U-Net of depth {self.levels} needs height and width divisible by {2 ** self.levels}, "
                              f"got {height}x{width}; use --crop-size or a smaller --depth")
        for name in ("filters", "discriminator_filters", "discriminator_downsamplings"):
            if getattr(self, name) <= 0:
                raise GenlabError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if min(height, width) < 2**self.discriminator_downsamplings:
            raise GenlabError(f"images of {height}x{width} are too small for {self.discriminator_downsamplings} "
                              f"discriminator downsamplings")
        if not 0.0 <= self.dropout < 1.0:
            raise GenlabError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.l1_weight < 0:
            raise GenlabError(f"l1_weight must be >= 0, got {self.l1_weight}")
        if not 0.0 <= self.beta_1 < 1.0:
            raise GenlabError(f"beta_1 must be in [0, 1), got {self.beta_1}")


declare_family("pix2pix", Pix2PixConfig, description="paired image-to-image translation (U-Net + PatchGAN, L1)")
