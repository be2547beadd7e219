"""Configuration of the Wasserstein GAN family: WGAN (weight clipping) and WGAN-GP (gradient penalty)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.models.adversarial.config import AdversarialConfig, with_default


@dataclasses.dataclass
class WassersteinConfig(AdversarialConfig):
    """Fields both Wasserstein families share: the critic's updates per generator update."""

    latent_dim: int = with_default("latent_dim", 128)
    critic_steps: int = dataclasses.field(
        default=5, metadata={"help": "critic updates per generator update (n_critic), each on a new real batch"}
    )

    def validate(self) -> None:
        super().validate()
        if self.critic_steps <= 0:
            raise GenlabError(f"critic_steps must be > 0, got {self.critic_steps}")


@dataclasses.dataclass
class WGANConfig(WassersteinConfig):
    """WGAN after Arjovsky et al. (2017): the DCGAN critic (with BatchNorm), weights clipped to [-c, c]."""

    #: Arjovsky et al.: RMSProp with step 5e-5
    default_learning_rate: ClassVar[float] = 5e-5

    clip: float = dataclasses.field(default=0.01, metadata={"help": "weight clipping: every critic weight kept in [-c, c]"})

    def validate(self) -> None:
        super().validate()
        if self.clip <= 0:
            raise GenlabError(f"clip must be > 0, got {self.clip}")


@dataclasses.dataclass
class WGANGPConfig(WassersteinConfig):
    """WGAN-GP after Gulrajani et al. (2017): gradient penalty, layer normalization in the critic."""

    #: Gulrajani et al.: Adam with step 1e-4
    default_learning_rate: ClassVar[float] = 1e-4

    discriminator_norm: str = with_default("discriminator_norm", "layer")
    gp_weight: float = dataclasses.field(default=10.0, metadata={"help": "gradient penalty weight lambda"})

    def validate(self) -> None:
        super().validate()
        if self.gp_weight < 0:
            raise GenlabError(f"gp_weight must be >= 0, got {self.gp_weight}")
        if self.discriminator_norm == "batch":
            raise GenlabError(
                "discriminator_norm 'batch' is not valid with a gradient penalty: the penalty is taken per example "
                "and BatchNorm mixes the examples of a batch (Gulrajani et al.); use layer or none"
            )


declare_family("wgan", WGANConfig, description="Wasserstein GAN (Arjovsky et al.): critic with weight clipping, RMSprop")
declare_family("wgan-gp", WGANGPConfig, description="WGAN-GP (Gulrajani et al.): gradient penalty, Adam(1e-4, 0, 0.9)", aliases=("wgangp",))
