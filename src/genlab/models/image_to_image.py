"""What the image-to-image families (cyclegan, pix2pix, srgan) share on top of
:class:`genlab.models.two_player.TwoPlayerModel`: both optimizers are Adam with the config's
``beta_1``, and transfer-learning blocks named by layer names.

Each family lists its trackers in ``metric_names`` and says which variables each optimizer
updates in :meth:`generator_variables` and :meth:`discriminator_variables`.

For transfer learning (``genlab finetune``) a network's blocks are named by its layer names:
``stem_conv`` and ``stem_norm`` form block ``stem``, ``residual_3_conv_1`` ... block
``residual_3`` (everything up to the first number, or the first word), so a freeze spec such
as ``generator:4`` counts whole blocks rather than single layers.
"""

from __future__ import annotations

import re

import keras

from genlab.models.two_player import TwoPlayerModel

BLOCK_NAME = re.compile(r"^([a-z]+(?:_[a-z]+)*?_\d+|[a-z]+)")


def named_blocks(network: keras.Model) -> list[list[keras.layers.Layer]]:
    """Layers with weights grouped into blocks by name (see the module docstring), in forward order."""
    blocks: dict[str, list] = {}
    for layer in network.layers:
        if layer.weights:
            match = BLOCK_NAME.match(layer.name)
            blocks.setdefault(match.group(1) if match else layer.name, []).append(layer)
    return list(blocks.values())


class ImageToImageModel(TwoPlayerModel):
    """Base of the image-to-image families: two Adam optimizers (``beta_1`` from the config)."""

    def make_optimizer(self, learning_rate: float, name: str) -> keras.optimizers.Optimizer:
        return keras.optimizers.Adam(learning_rate, beta_1=self.config.beta_1, name=name)

    def transfer_blocks(self):
        return {name: named_blocks(network) for name, network in self.networks().items()}
