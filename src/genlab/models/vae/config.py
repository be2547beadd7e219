"""Configuration of the VAE family (VAE, beta-VAE, conditional VAE)."""

from __future__ import annotations

import dataclasses

from genlab.core.config import ModelConfig, check_choice, check_conv_input, check_layer_sizes
from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family

ARCHITECTURES = ("dense", "conv")
LOSSES = ("bce", "mse")
BINARIZATIONS = ("none", "dynamic", "threshold")


@dataclasses.dataclass
class VAEConfig(ModelConfig):
    """VAE: architecture, reconstruction likelihood, beta, KL warm-up, free bits, evaluation."""

    latent_dim: int = dataclasses.field(default=16, metadata={"help": "size of the latent code z"})
    arch: str = dataclasses.field(default="conv", metadata={"help": "encoder/decoder type: dense or conv"})
    hidden_units: tuple[int, ...] = dataclasses.field(
        default=(512, 256), metadata={"help": "dense arch: hidden layer sizes of the encoder (decoder mirrors)"}
    )
    filters: tuple[int, ...] = dataclasses.field(
        default=(32, 64), metadata={"help": "conv arch: filters of each stride-2 convolution (decoder mirrors)"}
    )
    loss: str = dataclasses.field(
        default="bce", metadata={"help": "reconstruction likelihood: bce (Bernoulli) or mse (Gaussian, variance 1/2)"}
    )
    beta: float = dataclasses.field(default=1.0, metadata={"help": "weight of the KL term (beta-VAE: beta > 1)"})
    kl_warmup_steps: int = dataclasses.field(
        default=0, metadata={"help": "anneal beta linearly from 0 over this many optimizer steps (0: off)"}
    )
    free_bits: float = dataclasses.field(
        default=0.0, metadata={"help": "minimum KL in nats per latent dimension (batch mean) in the loss (0: off)"}
    )
    binarize: str = dataclasses.field(
        default="none",
        metadata={"help": "training input: none (grey levels), dynamic (x ~ Bernoulli(pixel) each step), threshold (> 0.5)"},
    )
    iw_samples: int = dataclasses.field(
        default=100, metadata={"help": "importance samples k for the NLL estimate of genlab evaluate"}
    )

    def validate(self) -> None:
        super().validate()
        check_choice("arch", self.arch, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        check_choice("binarize", self.binarize, BINARIZATIONS)
        if self.value_range != (0.0, 1.0):
            raise GenlabError(f"VAEs work on data in [0, 1] (sigmoid output), got value_range {self.value_range!r}")
        if self.beta < 0:
            raise GenlabError(f"beta must be >= 0, got {self.beta!r}")
        if self.kl_warmup_steps < 0:
            raise GenlabError(f"kl_warmup_steps must be >= 0, got {self.kl_warmup_steps!r}")
        if self.free_bits < 0:
            raise GenlabError(f"free_bits must be >= 0, got {self.free_bits!r}")
        if self.iw_samples < 1:
            raise GenlabError(f"iw_samples must be >= 1, got {self.iw_samples!r}")
        check_layer_sizes(self.arch, self.hidden_units, self.filters)
        if self.arch == "conv":
            check_conv_input(self.input_shape, self.filters)


@dataclasses.dataclass
class CVAEConfig(VAEConfig):
    """Conditional VAE: a VAE whose encoder and decoder also see the one-hot class label."""

    num_classes: int = dataclasses.field(default=10, metadata={"help": "number of classes in the data"})

    def validate(self) -> None:
        super().validate()
        if self.num_classes < 1:
            raise GenlabError(
                f"cvae is conditional: it needs labelled data, got num_classes={self.num_classes} "
                f"(use a source with labels: mnist, fashion_mnist, cifar10, digits, folder:PATH with one "
                f"sub-folder per class, npz:PATH with y_train)"
            )


declare_family("vae", VAEConfig, description="variational autoencoder, dense/conv, BCE or MSE; beta-VAE with --beta", aliases=("beta-vae",))
declare_family("cvae", CVAEConfig, description="conditional VAE: class label one-hot to encoder and decoder", aliases=("conditional-vae",))
