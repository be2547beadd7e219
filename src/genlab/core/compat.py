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
* ``keras.src.backend.common.global_state`` attribute ``"uninitialized_variables"``: where a
  variable created in ``keras.StatelessScope(initialize_variables=False)`` waits for its values.
  :func:`count_parameters_unallocated` builds a model there (shapes only, no memory) and takes
  its variables off that list again, so they are never allocated. It also puts back the
  attribute ``"object_name_uids"`` (the counters behind automatic layer names such as
  ``dense_1``), so the model built for real afterwards gets the names it would have had.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import keras
import numpy as np
from keras.src.backend.common import global_state

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


UNINITIALIZED = "uninitialized_variables"
NAME_COUNTERS = "object_name_uids"


def count_parameters_unallocated(build: Callable[[], Any]) -> int:
    """The number of values in the variables of what ``build()`` returns (a model or layer),
    counted without allocating them: ``build`` runs in a ``keras.StatelessScope`` that defers
    every variable's initialization, and the deferred variables are dropped afterwards.

    Raises whatever ``build`` raises; a network that needs a variable's values while it is
    built (a weights file, a constant) cannot be counted this way (Keras' ValueError).
    """
    waiting = list(global_state.get_global_attribute(UNINITIALIZED) or [])
    names = global_state.get_global_attribute(NAME_COUNTERS)
    names = copy.copy(names) if names is not None else None
    try:
        with keras.StatelessScope(initialize_variables=False):
            built = build()
            variables = list(built.variables)
        return int(sum(int(np.prod(variable.shape, dtype=np.float64)) for variable in variables))
    finally:
        global_state.set_global_attribute(UNINITIALIZED, waiting)  # ours are never initialized
        global_state.set_global_attribute(NAME_COUNTERS, names)  # as if nothing had been built
