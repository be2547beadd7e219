"""Loud checks of the private Keras API genlab relies on (see genlab.core.compat). If one of
these fails after a Keras upgrade, update genlab.core.compat before anything else."""

import inspect

import keras
import numpy as np

from keras.src.backend.common import global_state

from genlab.core import compat


def test_keras_model_still_has_the_symbolic_build_hook():
    hook = getattr(keras.Model, compat.SYMBOLIC_BUILD, None)
    assert hook is not None, f"keras.Model.{compat.SYMBOLIC_BUILD} is gone: genlab.core.compat.SkipSymbolicBuildWhenBuilt is dead"
    assert list(inspect.signature(hook).parameters) == ["self", "iterator", "data_batch"]


def test_skip_symbolic_build_is_called_by_fit():
    calls = []

    class Tiny(compat.SkipSymbolicBuildWhenBuilt):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def everything_built(self):
            calls.append(True)
            return False

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=1, verbose=0)
    assert calls, "fit() no longer calls the symbolic-build hook genlab overrides"


def test_optimizer_variables_and_keys():
    variables = [keras.Variable(np.ones(2, np.float32)), keras.Variable(np.zeros(3, np.float32))]
    optimizer = keras.optimizers.Adam(0.1)
    optimizer.build(variables)
    assert [id(v) for v in compat.optimizer_variables(optimizer)] == [id(v) for v in variables]
    keys = {compat.optimizer_variable_key(optimizer, v) for v in variables}
    assert len(keys) == 2 and all(isinstance(key, str) for key in keys)


def test_replaced_update_step_sees_every_variable_and_can_change_the_rate():
    variable = keras.Variable(np.ones(2, np.float32))
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.build([variable])
    seen = []

    def halved(original, gradient, var, learning_rate):
        seen.append(compat.optimizer_variable_key(optimizer, var))
        return original(gradient, var, learning_rate * 0.5)

    compat.replace_update_step(optimizer, halved)
    optimizer.apply([np.ones(2, np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.5, 0.5])  # w - 0.5 * lr * g
    assert seen == [compat.optimizer_variable_key(optimizer, variable)]
    compat.restore_update_step(optimizer)
    optimizer.apply([np.ones(2, np.float32)], [variable])
    np.testing.assert_allclose(variable.numpy(), [-0.5, -0.5])  # the class's own step again


def test_parameters_are_counted_without_allocating_them():
    def huge():  # 3e9 x 64 float32 values: 768 GB if allocated
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(3_000_000_000)])

    assert compat.count_parameters_unallocated(huge) == 64 * 3_000_000_000 + 3_000_000_000
    assert not global_state.get_global_attribute(compat.UNINITIALIZED)  # nothing left to allocate later
    before = keras.layers.Dense(3).name
    small = compat.count_parameters_unallocated(lambda: keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]))
    assert small == 9
    after = keras.layers.Dense(3).name

    def number(name):  # dense, dense_1, dense_2, ...
        return 0 if name == "dense" else int(name.rpartition("_")[2])

    assert number(after) == number(before) + 1  # the counted model took no automatic names
