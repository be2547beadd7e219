import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.core.errors import GenlabError
from genlab.models.adversarial.testing import IMAGES, LATENTS, model_factory
from genlab.models.harness import check_family
from genlab.models.wgan import WGAN, WGANGP, WGANConfig, WGANGPConfig

BATCH = (IMAGES, np.zeros(4, "int32"))


def make(model_class=WGAN, **overrides):
    return model_factory(model_class, WGANConfig if model_class is WGAN else WGANGPConfig, **overrides)


def generate(model):
    return model.decode_latents(LATENTS)


@pytest.mark.parametrize(
    "model_class, overrides",
    [pytest.param(WGAN, {"critic_steps": 1}, marks=pytest.mark.slow),
     (WGANGP, {"critic_steps": 2, "arch": "dense", "ema_decay": 0.9})],
    ids=["wgan", "wgan-gp"],
)
def test_family_harness(model_class, overrides, tmp_path):
    check_family(make(model_class, **overrides), BATCH, generate, tmp_path)


def train_steps(model, steps, learning_rate=1e-2):
    model.compile_for_training(TrainConfig(learning_rate=learning_rate))
    model.build_optimizers()
    dataset = tf.data.Dataset.from_tensors(BATCH).repeat(steps)
    return {k: v[-1] for k, v in model.fit(dataset, epochs=1, verbose=0).history.items()}


def test_clipping_keeps_every_critic_weight_within_c():
    model = make(WGAN, clip=0.01, critic_steps=2)()
    train_steps(model, 4, learning_rate=0.5)  # steps far larger than c: clipping must bind
    weights = np.concatenate([np.ravel(w) for w in model.discriminator.trainable_weights])
    assert np.abs(weights).max() <= 0.01 + 1e-7
    assert np.isclose(np.abs(weights).max(), 0.01)  # and it did bind


def test_generator_updates_once_every_critic_steps_and_logs_the_wasserstein_estimate():
    model = make(WGANGP, critic_steps=3)()
    logs = train_steps(model, 6, learning_rate=1e-3)
    assert int(model.discriminator_optimizer.iterations) == 6 and int(model.generator_optimizer.iterations) == 2
    assert {"wasserstein", "gradient_penalty", "gp_grad_norm", "d_real", "d_fake", "g_grad_norm"} <= set(logs)
    assert logs["wasserstein"] == pytest.approx(logs["d_real"] - logs["d_fake"], abs=1e-4)
    assert logs["gradient_penalty"] >= 0 and logs["g_grad_norm"] > 0


def test_gradient_penalty_keeps_critic_weights_unclipped():
    model = make(WGANGP, critic_steps=1)()
    train_steps(model, 2, learning_rate=0.5)
    weights = np.concatenate([np.ravel(w) for w in model.discriminator.trainable_weights])
    assert np.abs(weights).max() > 0.05


def test_optimizers_follow_the_papers():
    wgan, wgan_gp = make(WGAN)(), make(WGANGP)()
    for model in (wgan, wgan_gp):
        model.compile_for_training(TrainConfig())
    assert isinstance(wgan.discriminator_optimizer, keras.optimizers.RMSprop)
    assert float(wgan.discriminator_optimizer.learning_rate) == pytest.approx(5e-5)
    assert isinstance(wgan_gp.generator_optimizer, keras.optimizers.Adam)
    assert float(wgan_gp.generator_optimizer.learning_rate) == pytest.approx(1e-4)
    assert (float(wgan_gp.discriminator_optimizer.beta_1),
            float(wgan_gp.discriminator_optimizer.beta_2)) == pytest.approx((0.0, 0.9))


def test_critic_has_no_sigmoid_and_wgan_gp_no_batchnorm():
    critic = make(WGANGP)().discriminator
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in critic.layers)
    assert any(isinstance(layer, keras.layers.LayerNormalization) for layer in critic.layers)
    assert critic.layers[-1].get_config()["activation"] == "linear"


@pytest.mark.parametrize(
    "config_class, values, message",
    [
        (WGANGPConfig, {"discriminator_norm": "batch"}, "BatchNorm"),
        (WGANGPConfig, {"gp_weight": -1.0}, "gp_weight"),
        (WGANConfig, {"clip": 0.0}, "clip"),
        (WGANConfig, {"critic_steps": 0}, "critic_steps"),
    ],
)
def test_bad_config_names_the_value(config_class, values, message):
    with pytest.raises(GenlabError, match=message):
        config_class(**{"input_shape": (8, 8, 1), **values})
