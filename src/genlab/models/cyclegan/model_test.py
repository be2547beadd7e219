import keras
import numpy as np
import pytest

from genlab.callbacks.learning_rate import linear_decay_factor
from genlab.core.errors import GenlabError
from genlab.models.cyclegan import CycleGAN, CycleGANConfig, ImageHistory
from genlab.models.harness import check_family

RNG = np.random.default_rng(0)
IMAGES_A = RNG.uniform(-1, 1, size=(2, 8, 8, 3)).astype("float32")
IMAGES_B = RNG.uniform(-1, 1, size=(2, 8, 8, 3)).astype("float32")
TINY = {"input_shape": (8, 8, 3), "target_shape": (8, 8, 3), "filters": 4, "residual_blocks": 1,
        "discriminator_filters": 4, "discriminator_downsamplings": 2, "history_size": 3}


def make(**overrides):
    return lambda: CycleGAN(CycleGANConfig(**{**TINY, **overrides}))


def translate(model):
    return model.translate(IMAGES_A, "a2b")


@pytest.mark.slow
def test_family_harness(tmp_path):
    check_family(make(), (IMAGES_A, IMAGES_B), translate, tmp_path)


def test_translates_both_ways_with_other_channels_and_any_size():
    model = make(target_shape=(8, 8, 1), identity_weight=0.0)()
    assert model.translate(IMAGES_A, "a2b").shape == (2, 8, 8, 1)
    odd = RNG.uniform(-1, 1, size=(1, 10, 7, 1)).astype("float32")
    output = model.translate(odd, "b2a")
    assert output.shape == (1, 10, 7, 3) and np.abs(output).max() <= 1.0
    with pytest.raises(GenlabError, match="1 channel"):
        model.translate(IMAGES_A, "b2a")
    with pytest.raises(GenlabError, match="direction"):
        model.translate(IMAGES_A, "sideways")


def _identity_network(channels):
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, keras.layers.Identity()(inputs))


def test_cycle_and_identity_losses_are_zero_for_identity_generators():
    model = make()()
    model.generator_ab = model.generator_ba = _identity_network(3)
    _, _, cycle, identity, _, _ = model._generator_losses(IMAGES_A, IMAGES_B, training=False)
    assert float(cycle) == 0.0 and float(identity) == 0.0
    negate = keras.Model(model.generator_ab.input, keras.layers.Rescaling(-1.0)(model.generator_ab.input))
    model.generator_ab = negate  # F(G(a)) = -a: the cycle loss is 2 mean|a| for this direction
    _, _, cycle, _, _, _ = model._generator_losses(IMAGES_A, IMAGES_B, training=False)
    expected = 2 * np.abs(IMAGES_A).mean() + 2 * np.abs(IMAGES_B).mean()
    assert float(cycle) == pytest.approx(expected, rel=1e-5)


def test_history_returns_stored_images_half_of_the_time_once_full():
    history = ImageHistory(capacity=10, image_shape=(1, 1, 1))
    seeds = keras.random.SeedGenerator(1)
    first = np.arange(1, 11, dtype="float32").reshape(10, 1, 1, 1)
    np.testing.assert_array_equal(np.asarray(history.exchange(first, seeds)), first)  # filling: returned as is
    assert int(history.count.numpy()) == 10
    returned_old, total = 0, 0
    for step in range(100):
        new = np.full((8, 1, 1, 1), 1000.0 + step, "float32")
        stored_before = set(np.asarray(history.images).ravel().tolist())
        returned = np.asarray(history.exchange(new, seeds)).ravel()
        from_history = returned != 1000.0 + step
        assert set(returned[from_history].tolist()) <= stored_before
        stored_after = np.asarray(history.images).ravel()
        assert ((stored_after == 1000.0 + step).sum() > 0) == bool(from_history.any())  # swapped in, or kept out
        returned_old += int(from_history.sum())
        total += len(returned)
    assert abs(returned_old / total - 0.5) < 0.06
    assert int(history.count.numpy()) == 10


def test_history_is_part_of_the_training_state():
    model = make()()
    variables = {id(v) for v in model._model_state_variables()}
    assert id(model.history_a.images) in variables and id(model.history_b.count) in variables


def test_linear_decay_factor_follows_the_paper_schedule():
    factors = [linear_decay_factor(epoch, 4, 2) for epoch in range(4)]
    assert factors == pytest.approx([1.0, 1.0, 2 / 3, 1 / 3])


def test_training_callbacks_decay_the_learning_rate():
    from genlab.core.config import TrainConfig

    model = make()()
    model.compile_for_training(TrainConfig(epochs=4, learning_rate=0.1))
    (decay,) = model.training_callbacks(TrainConfig(epochs=4, learning_rate=0.1))
    decay.on_epoch_begin(3)
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(0.1 / 3)
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(0.1 / 3)


@pytest.mark.parametrize("values, message", [
    ({"target_shape": (8, 8, 1)}, "identity loss"),
    ({"input_shape": (10, 10, 3), "target_shape": (10, 10, 3)}, "divisible by 4"),
    ({"target_shape": (16, 16, 3)}, "different sizes"),
    ({"value_range": (0.0, 1.0)}, "value_range"),
    ({"decay_start": 1.5}, "decay_start"),
])
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        CycleGANConfig(**{**TINY, **values})
