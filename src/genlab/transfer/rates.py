"""Learning-rate tools and the L2-SP forgetting guard, for the optimizers of any family.

A family's ``train_step`` calls ``optimizer.apply(gradients, variables)``, and every Keras 3
optimizer then calls ``update_step(gradient, variable, learning_rate)`` once per variable.
:class:`UpdateRule` replaces that method *on one optimizer instance* (the family's code and
the optimizer's state stay as they are, so checkpoints and ``--resume`` are unchanged) and
changes, per variable ``w`` at step ``t`` (``t`` = the optimizer's iteration count):

* the learning rate:  lr_w(t) = lr(t) * s_w * min(1, (t + 1) / T_warmup)
  where ``s_w`` is the variable's scale: a global ``lr_scale`` times its group's scale times
  ``block_decay ** (blocks after w's block in its group)`` (discriminative rates, Howard &
  Ruder 2018, "Universal Language Model Fine-tuning for Text Classification": layers near the
  input, which hold the most general features, move least), and ``T_warmup`` the warm-up
  length (no warm-up when 0);
* the gradient, with L2-SP (Li, Grandvalet & Davoine 2018, "Explicit Inductive Bias for
  Transfer Learning with Convolutional Networks"): the loss gains
  Omega(w) = alpha/2 * ||w - w0||^2, with w0 the pretrained value, so the gradient gains
  d Omega / d w = alpha * (w - w0). Adding it to the gradient is exactly the same as adding
  Omega to each family's loss, but needs no change to any ``train_step``. Deviation from the
  paper: its second term beta/2 ||w_new||^2 on newly added layers is left out (use the
  optimizer's weight decay for that), and the penalty applies to every variable of the rule.

Scaling the *learning rate* (not the gradient) is what makes per-block rates work with Adam,
whose update is invariant to a constant rescaling of the gradient.

Example::

    from genlab.transfer import install_update_rules
    rules = install_update_rules(model, lr_scale=0.1, block_decay=0.5, warmup_steps=100, l2sp=0.01)
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from genlab.core.compat import optimizer_variable_key, optimizer_variables, replace_update_step, restore_update_step
from genlab.core.errors import GenlabError
from genlab.transfer.freezing import block_layers, resolve_group, transfer_groups


def parse_group_scales(spec: str | dict | None) -> dict[str, float]:
    """``"encoder:0.1,decoder:1"`` -> ``{"encoder": 0.1, "decoder": 1.0}`` (a dict passes through)."""
    if spec is None or isinstance(spec, dict):
        return {str(k): float(v) for k, v in (spec or {}).items()}
    scales = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, _, value = part.partition(":")
        try:
            scales[name.strip()] = float(value)
        except ValueError:
            raise GenlabError(f"group learning rates {spec!r}: {part!r} must be GROUP:SCALE, e.g. encoder:0.1") from None
        if scales[name.strip()] < 0:
            raise GenlabError(f"group learning rates {spec!r}: scale of {name!r} must be >= 0")
    return scales


def variable_scales(model, lr_scale: float = 1.0, group_scales: dict[str, float] | None = None,
                    block_decay: float = 1.0) -> dict[int, float]:
    """Learning-rate scale of each variable (keyed by ``id(variable)``) of the model's groups.

    scale = lr_scale * group scale * block_decay ** (number of blocks after this one in its group).
    Variables in no group are not listed (they get ``lr_scale``).
    """
    groups = transfer_groups(model)
    per_group = {resolve_group(groups, name): value for name, value in parse_group_scales(group_scales).items()}
    scales: dict[int, float] = {}
    for group, blocks in groups.items():
        for index, block in enumerate(blocks):
            scale = lr_scale * per_group.get(group, 1.0) * block_decay ** (len(blocks) - 1 - index)
            for _, layer in block_layers(group, block):
                for variable in layer.weights:
                    scales.setdefault(id(variable), scale)
    return scales


class UpdateRule:
    """Per-variable learning-rate scales, linear warm-up and an L2-SP pull on one optimizer.

    ``scales`` is keyed by ``id(variable)`` of the model's variables; variables without an
    entry use ``default_scale``. With ``l2sp > 0`` every variable the optimizer updates is
    pulled toward its ``anchors`` value (by ``id(variable)``; default: its value now).
    :meth:`install` replaces the optimizer's ``update_step`` on this instance; :meth:`uninstall`
    restores it.
    """

    def __init__(self, optimizer: keras.optimizers.Optimizer, scales: dict[int, float] | None = None,
                 default_scale: float = 1.0, warmup_steps: int = 0, l2sp: float = 0.0,
                 anchors: dict[int, Any] | None = None):
        if warmup_steps < 0 or l2sp < 0 or default_scale < 0:
            raise GenlabError("warm-up steps, L2-SP strength and learning-rate scales must be >= 0")
        # a mixed-precision LossScaleOptimizer delegates updates to its inner optimizer
        self.optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not self.optimizer.built:
            raise GenlabError("build the optimizer (model.build_optimizers()) before installing an update rule")
        self.warmup_steps = int(warmup_steps)
        self.l2sp = float(l2sp)
        self.default_scale = float(default_scale)
        scales = scales or {}
        anchors = anchors or {}
        self.scales: dict[Any, float] = {}
        self.anchors: dict[Any, keras.Variable] = {}
        # the variables the optimizer was built on (Keras keeps this list private: genlab.core.compat)
        for variable in optimizer_variables(self.optimizer):
            key = optimizer_variable_key(self.optimizer, variable)
            self.scales[key] = float(scales.get(id(variable), default_scale))
            if self.l2sp:
                value = anchors.get(id(variable), ops.convert_to_tensor(variable))
                self.anchors[key] = keras.Variable(value, trainable=False, dtype=variable.dtype, name="l2sp_anchor")
        self._installed = False

    def install(self) -> "UpdateRule":
        if not self._installed:
            replace_update_step(self.optimizer, self._update_step)
            self._installed = True
        return self

    def uninstall(self) -> None:
        if self._installed:
            restore_update_step(self.optimizer)
            self._installed = False

    def _update_step(self, original, gradient, variable, learning_rate):
        key = optimizer_variable_key(self.optimizer, variable)
        anchor = self.anchors.get(key)
        if anchor is not None:
            weights = ops.convert_to_tensor(variable)
            gradient = ops.convert_to_tensor(gradient)
            gradient = gradient + self.l2sp * (weights - ops.convert_to_tensor(anchor))  # d/dw alpha/2 ||w - w0||^2
        rate = learning_rate * self.scales.get(key, self.default_scale)  # lr * s_w
        if self.warmup_steps:
            progress = ops.cast(self.optimizer.iterations + 1, "float32") / float(self.warmup_steps)
            rate = rate * ops.minimum(1.0, progress)  # * min(1, (t + 1) / T_warmup)
        return original(gradient, variable, rate)


def install_update_rules(model, lr_scale: float = 1.0, group_scales: dict[str, float] | str | None = None,
                         block_decay: float = 1.0, warmup_steps: int = 0, l2sp: float = 0.0) -> list[UpdateRule]:
    """Install one :class:`UpdateRule` on each of the model's optimizers (building them first).

    L2-SP anchors are the variables' values *now*: call this right after loading the
    pretrained weights. Returns the installed rules (``rule.uninstall()`` undoes one).
    """
    if lr_scale < 0 or block_decay < 0:
        raise GenlabError(f"lr_scale and block_decay must be >= 0, got {lr_scale} and {block_decay}")
    model.build_optimizers()
    scales = variable_scales(model, lr_scale, group_scales, block_decay)
    return [UpdateRule(optimizer, scales, lr_scale, warmup_steps, l2sp).install()
            for optimizer in model.optimizers().values()]
