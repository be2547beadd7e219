"""The one base of the generator/discriminator families: the moving average on known numbers, the
learning-rate policy, and every two-player family built on it with both optimizers."""

import keras
import numpy as np
import pytest

import genlab.models.families  # noqa: F401  (every family, models loaded)
from genlab.core.config import TrainConfig
from genlab.core.registry import families, get_family
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.models.two_player import TwoPlayerConfig, TwoPlayerModel, update_moving_average

TWO_PLAYER_FAMILIES = ("gan", "dcgan", "wgan", "wgan-gp", "cgan", "stylegan", "cyclegan", "pix2pix", "srgan")
ADVERSARIAL = {"input_shape": (8, 8, 1), "latent_dim": 4, "filters": (4, 8), "hidden_units": (8, 16)}
#: the smallest model of each family
TINY = {
    **{name: ADVERSARIAL for name in ("gan", "dcgan", "wgan", "wgan-gp")},
    "cgan": {**ADVERSARIAL, "num_classes": 2, "label_dim": 4},
    "stylegan": {"input_shape": (8, 8, 1), "latent_dim": 4, "w_dim": 8, "mapping_layers": 2, "channel_base": 32,
                 "channel_max": 8},
    "cyclegan": {"input_shape": (8, 8, 1), "target_shape": (8, 8, 1), "filters": 4, "residual_blocks": 1,
                 "discriminator_filters": 4, "discriminator_downsamplings": 2, "history_size": 0},
    "pix2pix": {"input_shape": (8, 8, 1), "target_shape": (8, 8, 1), "filters": 4, "depth": 2,
                "discriminator_filters": 4, "discriminator_downsamplings": 2},
    "srgan": {"input_shape": (8, 8, 1), "scale": 2, "filters": 4, "residual_blocks": 1, "discriminator_filters": 2,
              "content_network": "pixel"},
}


def tiny(name, **overrides):
    spec = get_family(name)
    return spec.model_class(spec.config_class(**{**TINY[name], **overrides}))


def rates(model):
    return {name: pytest.approx(float(optimizer.learning_rate)) for name, optimizer in model.optimizers().items()}


# the moving average ----------------------------------------------------------------------------
def test_moving_average_follows_the_warm_up_rule_on_known_numbers():
    average, value = keras.Variable(np.zeros(2, "float32")), keras.Variable(np.ones(2, "float32"))
    update_moving_average([average], [value], 0.99, step=0)  # beta = min(0.99, 1/10) = 0.1: 0.1 * 0 + 0.9 * 1
    np.testing.assert_allclose(np.asarray(average), 0.9, rtol=1e-6)
    update_moving_average([average], [value], 0.99, step=5)  # beta = min(0.99, 6/15) = 0.4: 0.4 * 0.9 + 0.6 * 1
    np.testing.assert_allclose(np.asarray(average), 0.96, rtol=1e-6)
    update_moving_average([average], [value], 0.5, step=1000)  # beta = min(0.5, 1001/1010) = 0.5
    np.testing.assert_allclose(np.asarray(average), 0.98, rtol=1e-6)


def test_moving_average_copies_where_asked():
    averaged, copied = keras.Variable(np.zeros(1, "float32")), keras.Variable(np.full(1, 5.0, "float32"))
    values = [keras.Variable(np.ones(1, "float32")), keras.Variable(np.full(1, 3.0, "float32"))]
    update_moving_average([averaged, copied], values, 0.99, step=0, copied=[False, True])
    np.testing.assert_allclose(np.asarray(averaged), 0.9, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(copied), [3.0])  # taken as it is, not 0.1 * 5 + 0.9 * 3


def test_generator_average_moves_after_a_step_by_the_optimizer_count():
    model = tiny("dcgan", ema_decay=0.99)
    model.compile_for_training(TrainConfig())
    for variable, average in model.ema_pairs():  # starts as a copy of G
        np.testing.assert_array_equal(np.asarray(variable), np.asarray(average))
    before = [np.array(average) for _, average in model.ema_pairs()]
    for variable, _ in model.ema_pairs():
        variable.assign(variable + 1.0)
    model.generator_optimizer.iterations.assign(4)  # beta = min(0.99, 5/14)
    model.update_generator_average()
    beta = 5.0 / 14.0
    for old, (variable, average) in zip(before, model.ema_pairs()):
        np.testing.assert_allclose(np.asarray(average), beta * old + (1 - beta) * np.asarray(variable), atol=1e-6)


def test_stylegan_copies_buffers_and_frozen_weights_and_averages_the_rest():
    model = tiny("stylegan")
    trainable = {id(variable) for variable in model.generator_variables()}
    copied = [model.ema_copies(variable) for variable, _ in model.ema_pairs()]
    assert any(copied) and not all(copied)  # w_avg and the constant noise are buffers
    assert all(copy == (id(variable) not in trainable) for copy, (variable, _) in zip(copied, model.ema_pairs()))
    adversarial = tiny("dcgan", ema_decay=0.5)
    assert adversarial.ema_pairs() and not any(adversarial.ema_copies(v) for v, _ in adversarial.ema_pairs())
    assert tiny("dcgan").ema_pairs() == []  # ema_decay 0: no average kept


# the learning-rate policy ----------------------------------------------------------------------
@pytest.mark.parametrize("name, default", [("dcgan", 2e-4), ("cgan", 2e-4), ("wgan", 5e-5), ("wgan-gp", 1e-4),
                                           ("cyclegan", 1e-3), ("stylegan", 1e-3)])
def test_each_family_has_its_own_default_and_a_given_rate_always_wins(name, default):
    model = tiny(name)
    assert get_family(name).config_class.default_learning_rate == default
    assert model.learning_rates(TrainConfig()) == pytest.approx((default, default))
    for given in (1e-3, 3e-4):  # 1e-3, the general default, counts as given like any other value
        assert model.learning_rates(TrainConfig(learning_rate=given)) == pytest.approx((given, given))
    model.compile_for_training(TrainConfig(learning_rate=1e-3))
    assert rates(model) == {"generator": 1e-3, "discriminator": 1e-3}


def test_a_network_s_own_rate_wins_over_the_general_one():
    model = tiny("dcgan", discriminator_learning_rate=4e-4)
    assert model.learning_rates(TrainConfig()) == pytest.approx((2e-4, 4e-4))
    assert model.learning_rates(TrainConfig(learning_rate=1e-3)) == pytest.approx((1e-3, 4e-4))
    model = tiny("pix2pix", generator_learning_rate=1e-4)
    model.compile_for_training(TrainConfig(learning_rate=2e-4))
    assert rates(model) == {"generator": 1e-4, "discriminator": 2e-4}


def test_single_optimizer_families_keep_their_default():
    model = Autoencoder(AutoencoderConfig(input_shape=(8, 8, 1), latent_dim=2, filters=(4, 8)))
    model.compile_for_training(TrainConfig())
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    model.compile_for_training(TrainConfig(learning_rate=3e-3))
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-3)


def test_train_config_stores_a_rate_only_when_given_and_old_files_still_load():
    assert TrainConfig().learning_rate is None and TrainConfig().to_dict()["learning_rate"] is None
    assert TrainConfig.from_dict({"learning_rate": None}).learning_rate is None
    assert TrainConfig.from_dict({"learning_rate": 0.001}).learning_rate == 0.001  # config.json before the policy
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=0.0)
    with pytest.raises(ValueError, match="discriminator_learning_rate"):
        TwoPlayerConfig(discriminator_learning_rate=-1.0)


def test_resume_keeps_the_rate_the_checkpoint_trained_with():
    """A run from before the policy says learning_rate 0.001 in config.json while a GAN trained at
    the paper's 2e-4: the checkpoint holds each optimizer's rate, so --resume continues at 2e-4."""
    trained = tiny("dcgan")
    trained.compile_for_training(TrainConfig())  # 2e-4
    resumed = tiny("dcgan")
    resumed.compile_for_training(TrainConfig(learning_rate=0.001))  # how the old config.json reads now
    resumed.restore_training_state(trained.training_state())
    assert rates(resumed) == {"generator": 2e-4, "discriminator": 2e-4}


# every two-player family -----------------------------------------------------------------------
def test_the_two_player_families_are_the_registered_ones():
    assert {family.name for family in families() if issubclass(family.model_class, TwoPlayerModel)} == set(
        TWO_PLAYER_FAMILIES)


@pytest.mark.parametrize("name", TWO_PLAYER_FAMILIES)
def test_every_two_player_family_exposes_both_optimizers_after_compile(name):
    model = tiny(name)
    assert isinstance(model, TwoPlayerModel) and isinstance(model.config, TwoPlayerConfig)
    assert model.optimizers() == {} and model.generator_optimizer is None and model.discriminator_optimizer is None
    model.compile_for_training(TrainConfig())
    optimizers = model.optimizers()
    assert list(optimizers) == ["generator", "discriminator"]  # the names checkpoints key their state by
    assert optimizers["generator"] is model.generator_optimizer
    assert optimizers["discriminator"] is model.discriminator_optimizer
    assert all(optimizer.built for optimizer in optimizers.values())  # built before any step is traced
    targets = model.optimizer_targets()
    assert targets["generator"] and targets["discriminator"]
    assert not {id(v) for v in targets["generator"]} & {id(v) for v in targets["discriminator"]}
    assert [m.name for m in model.metrics] == list(type(model).metric_names)
