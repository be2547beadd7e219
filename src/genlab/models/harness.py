"""The shared test harness every model family runs (used by each ``model_test.py``).

``check_family(make_model, batch, probe, tmp_path)`` checks, for a tiny model:

1. config round trip: ``get_config`` -> ``from_config`` -> identical config, also via JSON;
2. save/load: ``model.save`` then ``keras.saving.load_model(safe_mode=True)`` and the run
   directory's per-network weights both reproduce ``probe(model)`` exactly;
3. one training step on ``batch`` gives finite metrics and changes the weights;
4. the training state (weights, RNG, optimizers) restores into a fresh model exactly.

``probe(model) -> np.ndarray`` must be deterministic (fixed inputs, no sampling from the
model's own RNG), e.g. a reconstruction or the generator's output for fixed latents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.runs import RunDir


def check_config_round_trip(model) -> None:
    rebuilt = type(model).from_config(model.get_config())
    assert rebuilt.config == model.config, (rebuilt.config, model.config)
    via_json = type(model).config_class.from_dict(json.loads(json.dumps(model.config.to_dict())))
    assert via_json == model.config


def check_save_load(model, probe: Callable, tmp_path: Path) -> None:
    expected = np.asarray(probe(model))
    path = Path(tmp_path) / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(np.asarray(probe(loaded)), expected)
    run = RunDir(Path(tmp_path) / "run")
    run.save_weights(model)
    fresh = type(model)(model.config)
    fresh.build_all()
    run.load_weights(fresh)
    np.testing.assert_array_equal(np.asarray(probe(fresh)), expected)


def _one_step(model, batch, train_config: TrainConfig):
    model.compile_for_training(train_config)
    model.build_optimizers()
    dataset = tf.data.Dataset.from_tensors(batch)
    history = model.fit(dataset, epochs=1, verbose=0)
    return {k: v[-1] for k, v in history.history.items()}


def check_train_step(make_model: Callable, batch, train_config: TrainConfig | None = None) -> dict[str, float]:
    model = make_model()
    before = [np.array(w) for w in model.trainable_weights]
    logs = _one_step(model, batch, train_config or TrainConfig(learning_rate=1e-2))
    assert logs, "train_step returned no metrics"
    for name, value in logs.items():
        assert np.isfinite(value), f"{name} is not finite: {value}"
    changed = [not np.array_equal(b, np.array(w)) for b, w in zip(before, model.trainable_weights)]
    assert any(changed), "one training step changed no weight"
    evaluated = model.evaluate(tf.data.Dataset.from_tensors(batch), verbose=0, return_dict=True)
    assert evaluated and all(np.isfinite(v) for v in evaluated.values()), evaluated
    return logs


def check_training_state_round_trip(make_model: Callable, batch, train_config: TrainConfig | None = None) -> None:
    train_config = train_config or TrainConfig(learning_rate=1e-2)
    model = make_model()
    _one_step(model, batch, train_config)
    state = model.training_state()
    assert any(k.startswith("optimizer/") for k in state), "no optimizer state saved"
    fresh = make_model()
    fresh.compile_for_training(train_config)
    fresh.build_optimizers()
    fresh.restore_training_state(state)
    restored = fresh.training_state()
    assert sorted(restored) == sorted(state)
    for key in state:
        np.testing.assert_array_equal(restored[key], state[key], err_msg=key)


def check_family(make_model: Callable, batch, probe: Callable, tmp_path: Path,
                 train_config: TrainConfig | None = None) -> None:
    """Run every check of the shared harness (see the module docstring)."""
    model = make_model()
    check_config_round_trip(model)
    check_save_load(model, probe, tmp_path)
    check_train_step(make_model, batch, train_config)
    check_training_state_round_trip(make_model, batch, train_config)
