import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.core.errors import GenlabError
from genlab.models.adversarial.testing import IMAGES, LATENTS, model_factory
from genlab.models.gan import DCGAN, GAN, DCGANConfig, GANConfig
from genlab.models.harness import check_family

BATCH = (IMAGES, np.zeros(4, "int32"))


def make(model_class=DCGAN, **overrides):
    return model_factory(model_class, DCGANConfig if model_class is DCGAN else GANConfig, **overrides)


def generate(model):
    return model.decode_latents(LATENTS)


@pytest.mark.parametrize(
    "model_class, overrides",
    [
        (GAN, {"loss": "minimax", "label_smoothing": 0.1}),
        (DCGAN, {"upsample": "resize", "spectral_norm": True, "dropout": 0.2, "ema_decay": 0.9}),
    ],
    ids=["gan-minimax-smoothing", "dcgan-stabilizers"],
)
def test_family_harness(model_class, overrides, tmp_path):
    check_family(make(model_class, **overrides), BATCH, generate, tmp_path)


def test_outputs_lie_in_the_tanh_range_and_have_the_data_shape():
    for model_class in (GAN, DCGAN):
        images = make(model_class)().decode_latents(np.random.default_rng(0).normal(size=(5, 4)) * 50)
        assert images.shape == (5, 8, 8, 1)
        assert images.min() >= -1.0 and images.max() <= 1.0


def train_steps(model, steps, train=None):
    model.compile_for_training(train or TrainConfig())
    model.build_optimizers()
    dataset = tf.data.Dataset.from_tensors(BATCH).repeat(steps)
    return {k: v[-1] for k, v in model.fit(dataset, epochs=1, verbose=0).history.items()}


def test_one_step_updates_both_networks_and_logs_the_diagnostics():
    model = make()()
    before = {name: [np.array(w) for w in net.trainable_weights] for name, net in model.networks().items()}
    logs = train_steps(model, 1)
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"}
    assert 0.0 < logs["d_real"] < 1.0 and 0.0 < logs["d_fake"] < 1.0  # probabilities D(x), D(G(z))
    assert logs["d_grad_norm"] > 0 and logs["g_grad_norm"] > 0
    for name, weights in before.items():
        assert any(not np.array_equal(b, np.array(w)) for b, w in zip(weights, model.networks()[name].trainable_weights)), name
    assert int(model.discriminator_optimizer.iterations) == int(model.generator_optimizer.iterations) == 1


def test_optimizers_follow_the_paper_unless_the_user_sets_a_rate():
    model = make()()
    model.compile_for_training(TrainConfig())
    assert isinstance(model.generator_optimizer, keras.optimizers.Adam)
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(model.discriminator_optimizer.beta_1) == pytest.approx(0.5)
    model.compile_for_training(TrainConfig(learning_rate=5e-3))
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(5e-3)
    model = make(generator_learning_rate=1e-4)()
    model.compile_for_training(TrainConfig(learning_rate=5e-3))
    assert float(model.generator_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(model.discriminator_optimizer.learning_rate) == pytest.approx(5e-3)
    assert set(model.optimizers()) == {"generator", "discriminator"}


def test_preview_uses_the_same_noise_every_epoch():
    model = make()()
    rows = model.preview(IMAGES, np.zeros(4))
    assert len(rows) == 4 and rows[0] is IMAGES and all(r.shape == IMAGES.shape for r in rows)
    train_steps(model, 2, TrainConfig(learning_rate=1e-2))
    again = model.preview(IMAGES, np.zeros(4))
    fixed = model.decode_latents(model.preview_latents(12))
    np.testing.assert_array_equal(np.concatenate(again[1:]), fixed)
    assert not np.allclose(np.concatenate(rows[1:]), fixed)  # the generator changed, the noise did not


def test_moving_average_generator_is_used_for_sampling():
    model = make(ema_decay=0.5)()
    assert "generator_ema" in model.networks() and not model.generator_ema.trainable_weights
    np.testing.assert_array_equal(model.decode_latents(LATENTS), np.asarray(model.generator_ema(LATENTS)))
    train_steps(model, 3, TrainConfig(learning_rate=1e-2))
    averaged = model.generator_ema.get_weights()
    current = model.generator.get_weights()
    assert any(not np.allclose(a, c) for a, c in zip(averaged, current))
    np.testing.assert_allclose(model.decode_latents(LATENTS), np.asarray(model.generator_ema(LATENTS, training=False)))


@pytest.mark.parametrize(
    "values, message",
    [
        ({"loss": "wasserstein"}, "loss"),
        ({"label_smoothing": 0.7}, "label_smoothing"),
        ({"value_range": (0.0, 1.0)}, r"\[-1, 1\]"),
        ({"upsample": "bilinear"}, "upsample"),
        ({"discriminator_norm": "group"}, "discriminator_norm"),
        ({"ema_decay": 1.0}, "ema_decay"),
        ({"generator_learning_rate": -1.0}, "generator_learning_rate"),
        ({"input_shape": (10, 10, 1), "filters": (4, 8)}, "divisible by 4"),
    ],
)
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        DCGANConfig(**{"input_shape": (8, 8, 1), **values})


def test_gan_and_dcgan_defaults():
    assert GANConfig().arch == "dense" and GANConfig().dropout == 0.3
    assert DCGANConfig().arch == "conv" and DCGANConfig().discriminator_norm == "batch"
    assert GAN.family == "gan" and DCGAN.family == "dcgan" and GAN.is_generator
