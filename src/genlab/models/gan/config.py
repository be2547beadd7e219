"""Configuration of the GAN family: the dense GAN and DCGAN."""

from __future__ import annotations

import dataclasses

from genlab.models.adversarial.config import MinimaxConfig, with_default


@dataclasses.dataclass
class GANConfig(MinimaxConfig):
    """GAN after Goodfellow et al. (2014): multilayer perceptrons, dropout in the discriminator."""

    arch: str = with_default("arch", "dense")
    discriminator_norm: str = with_default("discriminator_norm", "none")
    dropout: float = with_default("dropout", 0.3)


@dataclasses.dataclass
class DCGANConfig(MinimaxConfig):
    """DCGAN after Radford et al. (2016): strided convolutions, BatchNorm in both networks."""

    arch: str = with_default("arch", "conv")
    discriminator_norm: str = with_default("discriminator_norm", "batch")
