"""Callbacks of transfer learning: gradual unfreezing and the source-domain metric.

* :class:`GradualUnfreezing` (Howard & Ruder 2018, ULMFiT): training starts with some blocks
  frozen; every ``every`` epochs the next *stage* of blocks becomes trainable, stages ordered
  from the output end toward the input (the deepest frozen block of each group first), so the
  general features near the input change last. The frozen set is a pure function of the
  epoch, so a resumed run is in the same state as an uninterrupted one.
* :class:`SourceDomainEvaluation` evaluates the model on the *source* data after every epoch
  and adds ``source_<metric>`` to the epoch's logs (hence to ``history.csv``), so catastrophic
  forgetting of the source domain shows as a rising curve.
"""

from __future__ import annotations

from typing import Any

import keras

from genlab.transfer.freezing import block_layers, transfer_groups


def gradual_stages(model, frozen_layers) -> list[list[keras.layers.Layer]]:
    """Stages of :class:`GradualUnfreezing` for the currently frozen layers.

    Stage k holds, for each group, its k-th deepest block that has frozen layers.
    """
    frozen_ids = {id(layer) for layer in frozen_layers}
    per_group = []
    for group, blocks in transfer_groups(model).items():
        frozen_blocks = []
        for block in blocks:
            layers = [layer for _, layer in block_layers(group, block) if id(layer) in frozen_ids]
            if layers:
                frozen_blocks.append(layers)
        per_group.append(frozen_blocks[::-1])  # deepest first
    depth = max((len(blocks) for blocks in per_group), default=0)
    return [[layer for blocks in per_group if k < len(blocks) for layer in blocks[k]] for k in range(depth)]


class GradualUnfreezing(keras.callbacks.Callback):
    """Release ``stages[k]`` (lists of layers) at the start of epoch ``(k + 1) * every``."""

    def __init__(self, stages: list[list[keras.layers.Layer]], every: int = 1, verbose: bool = True):
        super().__init__()
        self.stages = [list(stage) for stage in stages if stage]
        self.every = max(1, int(every))
        self.verbose = verbose

    def released(self, epoch: int) -> int:
        """How many stages are trainable during (0-based) ``epoch``."""
        return min(len(self.stages), epoch // self.every)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        count = self.released(epoch)
        changed = False
        for index, stage in enumerate(self.stages):
            trainable = index < count
            for layer in stage:
                if layer.trainable != trainable:
                    layer.trainable = trainable
                    changed = True
        if changed:
            # the traced step captured the old trainable_variables: trace it again
            self.model.make_train_function(force=True)
            if self.verbose:
                frozen = sum(len(stage) for stage in self.stages[count:])
                print(f"gradual unfreezing: epoch {epoch + 1}, {count}/{len(self.stages)} stages released, "
                      f"{frozen} layers still frozen")


class SourceDomainEvaluation(keras.callbacks.Callback):
    """After each epoch, ``model.evaluate(dataset)`` on source-domain data, logged as ``source_<metric>``."""

    def __init__(self, dataset, prefix: str = "source_"):
        super().__init__()
        self.dataset = dataset
        self.prefix = prefix

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        results = self.model.evaluate(self.dataset, verbose=0, return_dict=True)
        if logs is not None:
            logs.update({f"{self.prefix}{name}": float(value) for name, value in results.items()})
