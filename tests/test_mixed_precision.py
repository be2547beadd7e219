"""Mixed precision (``--precision mixed_float16 | mixed_bfloat16``) in every family's custom train_step.

Under both policies layers compute in 16 bits and keep float32 weights; under ``mixed_float16``
each optimizer is wrapped for dynamic loss scaling (the loss is multiplied by the scale before
differentiating, the gradients divided by it before the update, steps that overflow skipped).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
import genlab.models.families  # noqa: F401  (every family, models loaded)
from genlab.core.registry import get_family

SHAPE = {"stylegan": [16, 16, 3], "cyclegan": [16, 16, 3], "pix2pix": [16, 16, 3]}
#: small networks (the defaults' layer types, fewer channels and blocks): same code paths, a fraction of the time
SMALL = {"stylegan": {"latent_dim": 4, "w_dim": 8, "mapping_layers": 2, "channel_base": 32, "channel_max": 8},
         "cyclegan": {"filters": 4, "residual_blocks": 1, "discriminator_filters": 4, "discriminator_downsamplings": 2}}
CASES = [(family, "mixed_float16", {}) for family in ("autoencoder", "wgan-gp")]
CASES += [pytest.param(family, "mixed_float16", SMALL[family], marks=pytest.mark.slow)  # ~8-10 s each
          for family in ("stylegan", "cyclegan")]
CASES += [(family, "mixed_bfloat16", {}) for family in ("vae", "dcgan", "pix2pix")]
CASES += [("autoencoder", "mixed_bfloat16", {"arch": "dense"})]  # a dense decoder ends in 16 bits


@pytest.fixture(autouse=True)
def restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("family, policy, options", CASES)
def test_one_mixed_precision_step_keeps_float32_weights_and_finite_losses(family, policy, options):
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy(policy)
    spec = get_family(family)
    shape = SHAPE.get(family, [8, 8, 1])
    values = {"input_shape": shape, "num_classes": 2, **options}
    if spec.model_class.data_sources == 2:
        values["target_shape"] = shape
    model = spec.model_class(spec.config_class.from_dict(values))
    model.compile_for_training(TrainConfig(batch_size=4))
    model.build_optimizers()
    images = np.random.default_rng(0).uniform(-1, 1, (8, *shape)).astype("float32")
    second = images if spec.model_class.data_sources == 2 else np.zeros(8, "int32")
    targets = model.optimizer_targets()
    before = {name: [np.array(v) for v in variables] for name, variables in targets.items()}
    logs = model.fit(tf.data.Dataset.from_tensor_slices((images, second)).batch(4), epochs=2, verbose=0).history

    assert {v.dtype for v in model.trainable_variables} == {"float32"}
    assert all(np.isfinite(values[-1]) for name, values in logs.items() if "loss" in name), logs
    for name, optimizer in model.optimizers().items():
        moved = any(not np.array_equal(a, np.array(b)) for a, b in zip(before[name], targets[name]))
        if policy == "mixed_float16":
            assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
            # each step either updated the weights or was skipped for overflow, lowering the scale
            assert moved or float(optimizer.dynamic_scale.numpy()) < 2.0**15, name
        else:
            assert moved, name
