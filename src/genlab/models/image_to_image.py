"""What the image-to-image families (cyclegan, pix2pix, srgan) share: a generator optimizer and
a discriminator optimizer, both Adam, created in :meth:`compile_for_training` and carried by
checkpoints (see :mod:`genlab.models.base`), and named ``Mean`` trackers.

Each family lists its trackers in ``tracker_names`` and says which variables each optimizer
updates in :meth:`generator_variables` and :meth:`discriminator_variables`.

For transfer learning (``genlab finetune``) a network's blocks are named by its layer names:
``stem_conv`` and ``stem_norm`` form block ``stem``, ``residual_3_conv_1`` ... block
``residual_3`` (everything up to the first number, or the first word), so a freeze spec such
as ``generator:4`` counts whole blocks rather than single layers.
"""

from __future__ import annotations

import re
from typing import ClassVar

import keras

from genlab.core.config import TrainConfig
from genlab.models.base import GenerativeModel, loss_scaled

BLOCK_NAME = re.compile(r"^([a-z]+(?:_[a-z]+)*?_\d+|[a-z]+)")


def named_blocks(network: keras.Model) -> list[list[keras.layers.Layer]]:
    """Layers with weights grouped into blocks by name (see the module docstring), in forward order."""
    blocks: dict[str, list] = {}
    for layer in network.layers:
        if layer.weights:
            match = BLOCK_NAME.match(layer.name)
            blocks.setdefault(match.group(1) if match else layer.name, []).append(layer)
    return list(blocks.values())


class ImageToImageModel(GenerativeModel):
    """Base of the image-to-image families: two Adam optimizers and named loss trackers."""

    tracker_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, **values) -> dict:
        """Update the trackers named in ``values``; return every tracker's running mean."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def compile_for_training(self, train: TrainConfig) -> None:
        beta_1 = self.config.beta_1
        self.generator_optimizer = loss_scaled(keras.optimizers.Adam(train.learning_rate, beta_1=beta_1,
                                                                     name="generator_optimizer"))
        self.discriminator_optimizer = loss_scaled(keras.optimizers.Adam(train.learning_rate, beta_1=beta_1,
                                                                         name="discriminator_optimizer"))
        self.compile(optimizer=None, steps_per_execution=train.steps_per_execution, jit_compile=train.jit_compile)

    def get_compile_config(self):
        """None: a reloaded ``.keras`` file is not recompiled (checkpoints carry both optimizers)."""
        return None

    def optimizers(self):
        found = {"generator": getattr(self, "generator_optimizer", None),
                 "discriminator": getattr(self, "discriminator_optimizer", None)}
        return {name: optimizer for name, optimizer in found.items() if optimizer is not None}

    def generator_variables(self) -> list:
        raise TypeError(f"{type(self).__name__} must define generator_variables()")

    def discriminator_variables(self) -> list:
        raise TypeError(f"{type(self).__name__} must define discriminator_variables()")

    def optimizer_targets(self):
        return {"generator": self.generator_variables(), "discriminator": self.discriminator_variables()}

    def transfer_blocks(self):
        return {name: named_blocks(network) for name, network in self.networks().items()}
