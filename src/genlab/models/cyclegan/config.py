"""Configuration of the CycleGAN family."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.models.two_player_config import TwoPlayerConfig

DOWNSAMPLINGS = 2  # stride-2 convolutions of the ResNet generator (d128, d256)


@dataclasses.dataclass
class CycleGANConfig(TwoPlayerConfig):
    """CycleGAN: two ResNet generators (A->B, B->A), two PatchGAN discriminators, LSGAN loss.

    ``input_shape`` is domain A's image shape, ``target_shape`` domain B's (both from the
    data); ``latent_dim`` is unused (translation has no latent code).
    """

    #: Adam step of both networks unless one is given: genlab's 1e-3 (the paper's is 2e-4; pass --learning-rate)
    default_learning_rate: ClassVar[float] = 1e-3

    data_fields: ClassVar[tuple[str, ...]] = TwoPlayerConfig.data_fields + ("target_shape", "latent_dim")

    target_shape: tuple[int, ...] = dataclasses.field(default=(28, 28, 1), metadata={"help": "shape of a domain B image"})
    value_range: tuple[float, float] = dataclasses.field(default=(-1.0, 1.0), metadata={"help": "data range"})
    filters: int = dataclasses.field(default=64, metadata={"help": "filters of the generators' first convolution"})
    residual_blocks: int = dataclasses.field(
        default=9, metadata={"help": "residual blocks per generator (paper: 6 for 128x128 images, 9 for 256x256)"}
    )
    discriminator_filters: int = dataclasses.field(default=64, metadata={"help": "filters of the discriminators' first layer"})
    discriminator_downsamplings: int = dataclasses.field(
        default=3, metadata={"help": "stride-2 layers of the PatchGAN (3: 70x70 patches)"}
    )
    cycle_weight: float = dataclasses.field(default=10.0, metadata={"help": "lambda, weight of the cycle-consistency loss"})
    identity_weight: float = dataclasses.field(
        default=0.5, metadata={"help": "identity loss weight as a fraction of lambda (0 turns it off)"}
    )
    history_size: int = dataclasses.field(
        default=50, metadata={"help": "generated images kept for the discriminators (0: no history)"}
    )
    decay_start: float = dataclasses.field(
        default=0.5, metadata={"help": "fraction of the epochs after which the learning rate decays linearly to 0"}
    )
    beta_1: float = dataclasses.field(default=0.5, metadata={"help": "Adam beta_1 of both optimizers"})

    def validate(self) -> None:
        super().validate()
        if self.value_range != (-1.0, 1.0):
            raise GenlabError(f"cyclegan works on data in [-1, 1] (tanh output), got value_range {self.value_range!r}")
        for name in ("input_shape", "target_shape"):
            shape = getattr(self, name)
            if len(shape) != 3 or shape[-1] not in (1, 3) or min(shape) <= 0:
                raise GenlabError(f"{name} must be (H, W, C) with C 1 or 3, got {shape!r}")
        if tuple(self.input_shape[:2]) != tuple(self.target_shape[:2]):
            raise GenlabError(
                f"domains A {tuple(self.input_shape[:2])} and B {tuple(self.target_shape[:2])} have different sizes; "
                f"train on crops of one size with --crop-size"
            )
        factor = 2**DOWNSAMPLINGS
        if self.input_shape[0] % factor or self.input_shape[1] % factor:
            raise GenlabError(f"cyclegan trains on images with height and width divisible by {factor}, got "
                              f"{self.input_shape[0]}x{self.input_shape[1]}; use --crop-size")
        for name in ("filters", "residual_blocks", "discriminator_filters", "discriminator_downsamplings"):
            if getattr(self, name) <= 0:
                raise GenlabError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if min(self.input_shape[:2]) < 2**self.discriminator_downsamplings:
            raise GenlabError(f"images of {self.input_shape[0]}x{self.input_shape[1]} are too small for "
                              f"{self.discriminator_downsamplings} discriminator downsamplings")
        if self.cycle_weight < 0 or self.identity_weight < 0:
            raise GenlabError(f"cycle_weight and identity_weight must be >= 0, got {self.cycle_weight}, {self.identity_weight}")
        if self.identity_weight > 0 and self.input_shape[-1] != self.target_shape[-1]:
            raise GenlabError(
                f"the identity loss needs domains with the same channels (A has {self.input_shape[-1]}, "
                f"B has {self.target_shape[-1]}); pass --identity-weight 0"
            )
        if self.history_size < 0:
            raise GenlabError(f"history_size must be >= 0, got {self.history_size}")
        if not 0.0 <= self.decay_start <= 1.0:
            raise GenlabError(f"decay_start must be a fraction in [0, 1], got {self.decay_start}")
        if not 0.0 <= self.beta_1 < 1.0:
            raise GenlabError(f"beta_1 must be in [0, 1), got {self.beta_1}")


declare_family("cyclegan", CycleGANConfig, description="unpaired image-to-image translation with cycle consistency", aliases=("cycle-gan",))
