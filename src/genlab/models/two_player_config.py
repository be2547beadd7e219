"""The config fields every generator/discriminator family shares (:class:`TwoPlayerConfig`),
apart from :mod:`genlab.models.two_player` so that config modules stay free of Keras."""

from __future__ import annotations

import dataclasses

from genlab.core.config import ModelConfig
from genlab.core.errors import GenlabError


@dataclasses.dataclass
class TwoPlayerConfig(ModelConfig):
    """Fields every generator/discriminator family shares: a step size per network (``None``:
    ``--learning-rate`` if given, else the family's ``default_learning_rate``)."""

    generator_learning_rate: float | None = dataclasses.field(
        default=None, metadata={"help": "generator step size; None: --learning-rate if given, else the family's own"}
    )
    discriminator_learning_rate: float | None = dataclasses.field(
        default=None, metadata={"help": "discriminator step size; None: --learning-rate if given, else the family's own"}
    )

    def validate(self) -> None:
        super().validate()
        for name in ("generator_learning_rate", "discriminator_learning_rate"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise GenlabError(f"{name} must be > 0, got {value}")
