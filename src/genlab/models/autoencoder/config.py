"""Configuration of the autoencoder family."""

from __future__ import annotations

import dataclasses

from genlab.core.config import ModelConfig, check_choice, check_conv_input, check_layer_sizes
from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.layers.specs import parse_noise

ARCHITECTURES = ("dense", "conv")
LOSSES = ("mse", "bce")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")


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
    output_activation: str = dataclasses.field(
        default="sigmoid", metadata={"help": "decoder output: sigmoid (data in [0, 1]) or linear (standardized tabular data)"}
    )
    encoder: str = dataclasses.field(
        default="scratch",
        metadata={"help": "scratch (trained from random weights) or pretrained:lite0|mobilenet|resnet50v2|mobilenetv2|"
                          "efficientnetb0|PATH (ImageNet backbone + a new dense code layer; see --freeze encoder)"},
    )
    backbone_size: int = dataclasses.field(
        default=64, metadata={"help": "pretrained encoder: images are resized to this square size (>= 32) for the backbone"}
    )

    def validate(self) -> None:
        super().validate()
        check_choice("arch", self.arch, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        if self.output_activation not in OUTPUT_ACTIVATIONS:
            raise GenlabError(f"output_activation must be one of {', '.join(OUTPUT_ACTIVATIONS)}, "
                              f"got {self.output_activation!r}")
        if self.output_activation == "linear" and self.loss == "bce":
            raise GenlabError("loss bce needs output_activation sigmoid (outputs in [0, 1]); use --loss mse")
        if self.output_activation == "sigmoid" and self.value_range != (0.0, 1.0):
            raise GenlabError(f"autoencoders work on data in [0, 1] (sigmoid output), got value_range {self.value_range!r}")
        parse_noise(self.noise)
        if self.encoder != "scratch":
            if not self.encoder.startswith("pretrained:") or not self.encoder.split(":", 1)[1]:
                raise GenlabError(f"encoder must be scratch or pretrained:NAME, got {self.encoder!r}")
            if len(self.input_shape) != 3 or self.input_shape[-1] not in (1, 3):
                raise GenlabError(f"a pretrained encoder needs images with 1 or 3 channels, got input_shape {self.input_shape!r}")
            if self.backbone_size < 32:
                raise GenlabError(f"backbone_size must be >= 32, got {self.backbone_size}")
        check_layer_sizes(self.arch, self.hidden_units, self.filters)
        if self.arch == "conv":
            check_conv_input(self.input_shape, self.filters)


declare_family("autoencoder", AutoencoderConfig, description="dense/conv autoencoder, MSE or BCE, optional denoising", aliases=("ae",))
