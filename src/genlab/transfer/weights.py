"""Copying pretrained weights from one model into another of the same family, layer by layer.

Layers are matched by their qualified name (``network/layer``, nested ``network/outer/inner``),
so a target built from a changed config (another image size, another number of classes)
takes every layer whose weights still fit; the first one that does not fit is named in the
error, with its shapes on both sides.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from genlab.core.errors import GenlabError
from genlab.transfer.freezing import leaf_layers


class IncompatibleWeights(GenlabError):
    """A layer of the target model cannot take the source model's weights."""

    def __init__(self, layer: str, detail: str):
        super().__init__(f"layer {layer} does not fit: {detail}")
        self.layer = layer
        self.detail = detail


@dataclasses.dataclass
class WeightMatch:
    copied: list[str]  # qualified names of layers whose weights come from the source
    skipped: list[str]  # qualified names of layers kept as initialized (re-initialized parts)
    pairs: list  # (target variable, source value)


def network_layers(model) -> dict[str, object]:
    """``{qualified name: layer}`` of every layer with weights in the model's networks()."""
    layers = {}
    for name, network in model.networks().items():
        for layer in network.layers:
            for qualified, leaf in leaf_layers(layer, f"{name}/{layer.name}"):
                layers.setdefault(qualified, leaf)
    return layers


def match_weights(source, target, skip=()) -> WeightMatch:
    """Pair each weight of ``target`` with the same layer's weight in ``source``.

    ``skip`` holds layers of ``target`` to leave as initialized. Raises
    :class:`IncompatibleWeights` naming the first layer whose weights do not fit.
    """
    skip_ids = {id(layer[1] if isinstance(layer, tuple) else layer) for layer in skip}
    source_layers = network_layers(source)
    match = WeightMatch([], [], [])
    for name, layer in network_layers(target).items():
        if id(layer) in skip_ids:
            match.skipped.append(name)
            continue
        if name not in source_layers:
            raise IncompatibleWeights(name, "the source model has no such layer")
        theirs, ours = source_layers[name].weights, layer.weights
        if len(theirs) != len(ours):
            raise IncompatibleWeights(name, f"the source layer has {len(theirs)} weights, this one {len(ours)}")
        for mine, their in zip(ours, theirs):
            if tuple(mine.shape) != tuple(their.shape):
                weight = mine.path.rsplit("/", 1)[-1]
                raise IncompatibleWeights(
                    name, f"its {weight} is {tuple(their.shape)} in the source run but {tuple(mine.shape)} here"
                )
            match.pairs.append((mine, np.asarray(their.numpy())))
        match.copied.append(name)
    return match


def copy_weights(source, target, skip=()) -> WeightMatch:
    """Assign every matching weight of ``source`` to ``target`` (see :func:`match_weights`)."""
    match = match_weights(source, target, skip)
    for variable, value in match.pairs:
        variable.assign(value)
    return match
