"""Configuration of the SRGAN family."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.models.two_player_config import TwoPlayerConfig

SCALES = (2, 4, 8)  # one PixelShuffle x2 stage per factor of 2
#: feature layer of the content loss per pretrained network (both at stride 16, like VGG's phi_5,4)
CONTENT_LAYERS = {"mobilenet": "conv_pw_11_relu", "lite0": "block10_add"}
PIXEL = "pixel"


@dataclasses.dataclass
class SRGANConfig(TwoPlayerConfig):
    """SRGAN: SRResNet generator (x``scale``) and a discriminator on high-resolution images.

    ``input_shape`` is the shape of a high-resolution training image (a crop with
    ``--crop-size``); the low-resolution input is made from it by bicubic downscaling.
    ``latent_dim`` is unused.
    """

    #: Adam step of both networks unless one is given: genlab's 1e-3 (the paper's is 1e-4; pass --learning-rate)
    default_learning_rate: ClassVar[float] = 1e-3

    data_fields: ClassVar[tuple[str, ...]] = TwoPlayerConfig.data_fields + ("latent_dim",)

    input_shape: tuple[int, ...] = dataclasses.field(default=(96, 96, 3), metadata={"help": "shape of one HR image"})
    value_range: tuple[float, float] = dataclasses.field(default=(-1.0, 1.0), metadata={"help": "data range"})
    scale: int = dataclasses.field(default=4, metadata={"help": "upscaling factor: 2, 4 or 8"})
    filters: int = dataclasses.field(default=64, metadata={"help": "filters of the generator's convolutions"})
    residual_blocks: int = dataclasses.field(default=16, metadata={"help": "residual blocks of the generator (paper: 16)"})
    batch_norm: bool = dataclasses.field(default=True, metadata={"help": "batch normalization in the residual blocks"})
    bicubic_skip: bool = dataclasses.field(
        default=False, metadata={"help": "learn a correction added to bicubic upscaling (VDSR's global residual; not in SRGAN)"}
    )
    discriminator_filters: int = dataclasses.field(default=64, metadata={"help": "filters of the discriminator's first layer"})
    pretrain_epochs: int = dataclasses.field(
        default=5, metadata={"help": "epochs of pixel-MSE pretraining (SRResNet) before adversarial training"}
    )
    content_network: str = dataclasses.field(
        default="mobilenet",
        metadata={"help": "features of the content loss: mobilenet, lite0 (pretrained, from the data folder), "
                          "pixel (plain MSE), or a backbone file"},
    )
    content_layer: str = dataclasses.field(default="", metadata={"help": "layer of the content network ('' = default)"})
    adversarial_weight: float = dataclasses.field(default=1e-3, metadata={"help": "weight of the adversarial loss"})
    beta_1: float = dataclasses.field(default=0.9, metadata={"help": "Adam beta_1 of both optimizers"})

    def validate(self) -> None:
        super().validate()
        if self.value_range != (-1.0, 1.0):
            raise GenlabError(f"srgan works on data in [-1, 1] (tanh output), got value_range {self.value_range!r}")
        if len(self.input_shape) != 3 or self.input_shape[-1] not in (1, 3):
            raise GenlabError(f"srgan needs images (H, W, C) with C 1 or 3, got {self.input_shape!r}")
        if self.scale not in SCALES:
            raise GenlabError(f"scale must be one of {', '.join(map(str, SCALES))}, got {self.scale}")
        height, width = self.input_shape[:2]
        if height % self.scale or width % self.scale:
            raise GenlabError(f"training images of {height}x{width} cannot be downscaled x{self.scale}: use a "
                              f"--crop-size divisible by {self.scale}")
        for name in ("filters", "residual_blocks", "discriminator_filters"):
            if getattr(self, name) <= 0:
                raise GenlabError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.pretrain_epochs < 0 or self.adversarial_weight < 0:
            raise GenlabError(f"pretrain_epochs and adversarial_weight must be >= 0, got {self.pretrain_epochs}, "
                              f"{self.adversarial_weight}")
        if not self.content_network.strip():
            raise GenlabError("content_network must not be empty (use 'pixel' for a plain MSE content loss)")
        if self.content_network != PIXEL and min(height, width) < 32:
            raise GenlabError(f"a pretrained content network needs training images of at least 32x32, got "
                              f"{height}x{width}; use --content-network pixel or a larger --crop-size")
        if not 0.0 <= self.beta_1 < 1.0:
            raise GenlabError(f"beta_1 must be in [0, 1), got {self.beta_1}")


#: tiles of ``genlab upscale``, in input pixels: size and overlap of neighbouring tiles
DEFAULT_TILE, DEFAULT_OVERLAP = 192, 64


declare_family("srgan", SRGANConfig, description="super-resolution: SRResNet pretraining, then SRGAN", aliases=("srresnet",))
