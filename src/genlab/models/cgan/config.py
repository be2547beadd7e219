"""Configuration of the conditional GAN family."""

from __future__ import annotations

import dataclasses

from genlab.core.config import check_choice
from genlab.core.errors import GenlabError
from genlab.core.registry import declare_family
from genlab.models.adversarial.config import MinimaxConfig, with_default

CONDITIONS = ("input", "hidden")


@dataclasses.dataclass
class CGANConfig(MinimaxConfig):
    """cGAN after Mirza & Osindero (2014); DCGAN networks by default; the class y enters both networks."""

    num_classes: int = with_default("num_classes", 10)
    arch: str = with_default("arch", "conv")
    condition: str = dataclasses.field(
        default="input",
        metadata={"help": "where the label enters: input (one-hot concatenated to z and to the image) or hidden (an embedding merged at the first hidden layer)"},
    )
    projection: bool = dataclasses.field(
        default=False, metadata={"help": "projection discriminator (Miyato & Koyama): D(x, y) = psi(phi(x)) + embed(y) . phi(x)"}
    )
    label_dim: int = dataclasses.field(default=50, metadata={"help": "size of the label embedding (hidden condition)"})

    def validate(self) -> None:
        super().validate()
        if self.num_classes < 2:
            raise GenlabError(
                f"cgan needs labelled data with at least 2 classes, got num_classes {self.num_classes} "
                f"(the data has no labels); use a labelled source such as mnist, or folder:PATH with one sub-folder per class"
            )
        check_choice("condition", self.condition, CONDITIONS)
        if self.label_dim <= 0:
            raise GenlabError(f"label_dim must be > 0, got {self.label_dim}")


declare_family("cgan", CGANConfig, description="conditional GAN (Mirza & Osindero): label at the input or a hidden layer")
