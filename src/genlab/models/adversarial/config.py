"""Fields every adversarial family (GAN, DCGAN, WGAN, WGAN-GP, cGAN) shares.

Networks: ``arch`` dense (multilayer perceptrons) or conv (DCGAN layout: stride-2
convolutions down in the discriminator, ``upsample`` transposed convolutions or nearest
upsampling + convolution up in the generator). Stabilizers are switches: ``dropout`` and
``spectral_norm`` in the discriminator, ``ema_decay`` for a moving average of the generator
used for sampling. Learning rates (see :mod:`genlab.models.two_player`): each network's
``generator_learning_rate`` / ``discriminator_learning_rate`` if set, else ``--learning-rate``
if given, else the paper's rate, the config's ``default_learning_rate``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.config import check_choice, check_conv_input, check_layer_sizes
from genlab.core.errors import GenlabError
from genlab.models.two_player_config import TwoPlayerConfig

GENERATOR_LOSSES = ("non-saturating", "minimax")

ARCHITECTURES = ("dense", "conv")
UPSAMPLING = ("transpose", "resize")
NORMALIZATIONS = ("batch", "layer", "none")


def with_default(name: str, value):
    """A field of :class:`AdversarialConfig` (or a subclass) redeclared with another default."""
    return dataclasses.field(default=value, metadata=AdversarialConfig.__dataclass_fields__[name].metadata)


@dataclasses.dataclass
class AdversarialConfig(TwoPlayerConfig):
    #: Radford et al. (2016): Adam with step 2e-4 for both networks (GAN, DCGAN, cGAN)
    default_learning_rate: ClassVar[float] = 2e-4

    latent_dim: int = dataclasses.field(default=100, metadata={"help": "size of the noise vector z"})
    value_range: tuple[float, float] = dataclasses.field(default=(-1.0, 1.0), metadata={"help": "data range"})
    arch: str = dataclasses.field(default="conv", metadata={"help": "networks: dense (MLP) or conv (DCGAN layout)"})
    hidden_units: tuple[int, ...] = dataclasses.field(
        default=(256, 512), metadata={"help": "dense arch: generator layer sizes (the discriminator mirrors them)"}
    )
    filters: tuple[int, ...] = dataclasses.field(
        default=(64, 128), metadata={"help": "conv arch: discriminator filters per stride-2 layer (the generator mirrors them)"}
    )
    kernel_size: int = dataclasses.field(default=4, metadata={"help": "conv arch: kernel size"})
    upsample: str = dataclasses.field(
        default="transpose", metadata={"help": "conv generator upsampling: transpose (strided transposed conv) or resize (nearest + conv)"}
    )
    generator_batch_norm: bool = dataclasses.field(default=True, metadata={"help": "BatchNorm in the generator"})
    discriminator_norm: str = dataclasses.field(
        default="batch", metadata={"help": "normalization in the discriminator: batch, layer or none"}
    )
    dropout: float = dataclasses.field(default=0.0, metadata={"help": "stabilizer: dropout rate in the discriminator"})
    spectral_norm: bool = dataclasses.field(
        default=False, metadata={"help": "stabilizer: spectral normalization of the discriminator's layers"}
    )
    ema_decay: float = dataclasses.field(
        default=0.0, metadata={"help": "stabilizer: sample from a moving average of the generator's weights (e.g. 0.999; 0 = off)"}
    )
    coverage_classifier: str | None = dataclasses.field(
        default=None, metadata={"help": "diagnostic: a 'genlab train classifier' run; logs mode coverage of samples every epoch"}
    )
    coverage_samples: int = dataclasses.field(default=1000, metadata={"help": "samples classified for mode coverage"})

    def validate(self) -> None:
        super().validate()
        if tuple(self.value_range) != (-1.0, 1.0):
            raise GenlabError(f"GANs work on data in [-1, 1] (tanh output), got value_range {self.value_range!r}")
        for name, value, known in (("arch", self.arch, ARCHITECTURES), ("upsample", self.upsample, UPSAMPLING),
                                   ("discriminator_norm", self.discriminator_norm, NORMALIZATIONS)):
            if value not in known:
                raise GenlabError(f"{name} must be one of {', '.join(known)}, got {value!r}")
        check_layer_sizes(self.arch, self.hidden_units, self.filters)
        if self.kernel_size <= 0:
            raise GenlabError(f"kernel_size must be > 0, got {self.kernel_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise GenlabError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise GenlabError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.coverage_samples <= 0:
            raise GenlabError(f"coverage_samples must be > 0, got {self.coverage_samples}")
        if self.arch == "conv":
            check_conv_input(self.input_shape, self.filters)


@dataclasses.dataclass
class MinimaxConfig(AdversarialConfig):
    """Fields of the families trained with the original GAN game (GAN, DCGAN, cGAN)."""

    loss: str = dataclasses.field(
        default="non-saturating", metadata={"help": "generator loss: non-saturating (-log D(G(z))) or minimax (log(1 - D(G(z))))"}
    )
    label_smoothing: float = dataclasses.field(
        default=0.0, metadata={"help": "stabilizer: one-sided label smoothing, real target 1 - s (e.g. 0.1)"}
    )

    def validate(self) -> None:
        super().validate()
        check_choice("loss", self.loss, GENERATOR_LOSSES)
        if not 0.0 <= self.label_smoothing < 0.5:
            raise GenlabError(f"label_smoothing must be in [0, 0.5), got {self.label_smoothing}")
