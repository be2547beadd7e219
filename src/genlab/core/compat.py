"""The one place genlab uses private Keras API. Each use is a function or mixin here, and
:mod:`genlab.core.compat_test` checks that Keras still has what it relies on, so a Keras upgrade
that changes one of them fails that test loudly instead of training wrongly.

Uses (Keras 3.3 – 3.15):

* ``Model._maybe_symbolic_build(iterator=None, data_batch=None)``: the first-batch symbolic
  build of ``fit``/``evaluate``. genlab models build every network and optimizer before
  ``fit``; Keras' build would first average a distributed batch across replicas in eager mode,
  which ``MultiWorkerMirroredStrategy`` refuses. :class:`SkipSymbolicBuildWhenBuilt` skips it.
* ``Optimizer._trainable_variables`` and ``Optimizer._var_key(variable)``: the variables an
  optimizer was built on and its key for each (per-variable learning-rate scales, L2-SP).
* ``Optimizer.update_step(gradient, variable, learning_rate)``: called by ``apply`` once per
  variable; :func:`replace_update_step` wraps it on one optimizer instance (transfer learning).
"""

from __future__ import annotations

from typing import Any, Callable

import keras

SYMBOLIC_BUILD = "_maybe_symbolic_build"


class SkipSymbolicBuildWhenBuilt(keras.Model):
    """Skips Keras' first-batch symbolic build when :meth:`everything_built` says so."""

    def everything_built(self) -> bool:
        return False

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):  # noqa: D401 - private Keras hook
        if self.everything_built():
            self.built = True
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)


def optimizer_variables(optimizer: keras.optimizers.Optimizer) -> list[Any]:
    """The trainable variables ``optimizer`` was built on, in build order."""
    return list(optimizer._trainable_variables)


def optimizer_variable_key(optimizer: keras.optimizers.Optimizer, variable: Any) -> str:
    """The optimizer's own key for ``variable`` (stable across the variable's tensors)."""
    return optimizer._var_key(variable)


UpdateStep = Callable[[Any, Any, Any], Any]


def replace_update_step(optimizer: keras.optimizers.Optimizer, update_step: Callable[[UpdateStep, Any, Any, Any], Any]) -> None:
    """Make ``optimizer.apply`` call ``update_step(original, gradient, variable, learning_rate)``
    for each variable, on this instance only; :func:`restore_update_step` undoes it."""
    original = optimizer.update_step

    def wrapped(gradient, variable, learning_rate):
        return update_step(original, gradient, variable, learning_rate)

    optimizer.update_step = wrapped


def restore_update_step(optimizer: keras.optimizers.Optimizer) -> None:
    if "update_step" in vars(optimizer):
        del optimizer.update_step  # back to the class's method
