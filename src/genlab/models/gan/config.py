"""Configuration of the GAN family: the dense GAN and DCGAN."""

from __future__ import annotations

import dataclasses

from genlab.core.registry import declare_family

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


declare_family("gan", GANConfig, description="GAN (Goodfellow et al.): minimax or non-saturating loss, dense networks")
declare_family("dcgan", DCGANConfig, description="DCGAN (Radford et al.): convolutional GAN, Adam(2e-4, 0.5)")
