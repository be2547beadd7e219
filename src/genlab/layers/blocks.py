"""Blocks of a network for transfer learning: the unit that freezing and per-block learning
rates act on."""

from __future__ import annotations

import keras


NORMALIZATION_LAYERS = (
    keras.layers.BatchNormalization, keras.layers.LayerNormalization, keras.layers.GroupNormalization,
)


def layer_blocks(network: keras.Model) -> list[list[keras.layers.Layer]]:
    """Blocks of ``network`` for transfer learning, in forward order: one per top-level layer with
    weights; a normalization layer joins the block before it (conv + its BatchNorm are one block)."""
    blocks: list[list[keras.layers.Layer]] = []
    for layer in network.layers:
        if not layer.weights:
            continue
        if blocks and isinstance(layer, NORMALIZATION_LAYERS):
            blocks[-1].append(layer)
        else:
            blocks.append([layer])
    return blocks
