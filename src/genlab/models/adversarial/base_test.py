"""What every adversarial family shares: divergence handling, mode coverage, the moving average."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.callbacks.coverage import ModeCoverage
from genlab.callbacks.nan_guard import NanGuard
from genlab.core.errors import GenlabError
from genlab.models.adversarial import AdversarialModel
from genlab.models.cgan import CGAN, CGANConfig
from genlab.models.gan import DCGAN, DCGANConfig
from genlab.models.two_player import update_moving_average
from genlab.models.wgan import WGAN


def test_moving_average_warms_up_then_uses_the_decay():
    average, value = keras.Variable(np.zeros(2, "float32")), keras.Variable(np.ones(2, "float32"))
    update_moving_average([average], [value], 0.99, step=0)  # beta = min(0.99, 1 / 10)
    np.testing.assert_allclose(np.asarray(average), 0.9)
    update_moving_average([average], [value], 0.5, step=1000)  # beta = 0.5
    np.testing.assert_allclose(np.asarray(average), 0.95)


def test_an_exploding_loss_stops_training_with_a_family_specific_message():
    guard = NanGuard(WGAN.divergence_hint, WGAN.divergence_limit)
    guard.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    guard.on_train_batch_end(0, {"d_loss": 10.0, "d_grad_norm": 1e9})  # large gradient norms alone are not a loss
    assert guard.message is None
    guard.on_train_batch_end(1, {"d_loss": -3e6, "g_loss": 1.0})
    assert guard.model.stop_training
    assert "d_loss=-3e+06" in guard.message and "exploding" in guard.message and "--clip" in guard.message
    assert AdversarialModel.divergence_limit and "discriminator" in AdversarialModel.divergence_hint


class FakeClassifier:
    """Classifies by mean brightness: class 0 below zero, class 1 above."""

    def class_probabilities(self, images, value_range):
        assert tuple(value_range) == (-1.0, 1.0)
        bright = np.asarray(images).reshape(len(images), -1).mean(axis=1) > 0
        return np.stack([~bright, bright], axis=1).astype(float)


def test_mode_coverage_is_logged_each_epoch_for_unconditional_and_conditional_generators():
    dcgan = DCGAN(DCGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8)))
    callback = ModeCoverage(FakeClassifier(), samples=20, seed=3)
    callback.set_model(dcgan)
    callback.on_train_begin()
    logs = {"d_loss": 1.0}
    callback.on_epoch_end(0, logs)
    assert logs["classes_covered"] in (1.0, 2.0) and 0.0 <= logs["kl_to_uniform"] <= np.log(2) + 1e-9
    cgan = CGAN(CGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8), num_classes=2, label_dim=4))
    callback.set_model(cgan)
    figures = callback.measure()
    assert 0.0 <= figures["conditional_accuracy"] <= 1.0


def test_mode_coverage_refuses_a_classifier_of_another_image_shape():
    class Classifier(FakeClassifier):
        config = DCGANConfig(input_shape=(16, 16, 1))

    callback = ModeCoverage(Classifier(), samples=4)
    callback.set_model(DCGAN(DCGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8))))
    with pytest.raises(GenlabError, match="takes images"):
        callback.on_train_begin()


def test_coverage_callback_is_added_when_a_classifier_is_configured():
    config = DCGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8), coverage_classifier="runs/classifier")
    (callback,) = DCGAN(config).training_callbacks(None)
    assert isinstance(callback, ModeCoverage) and callback.samples == 1000
    assert DCGAN(DCGANConfig(input_shape=(8, 8, 1), filters=(4, 8))).training_callbacks(None) == []


def test_decode_latents_checks_its_input():
    model = DCGAN(DCGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8)))
    with pytest.raises(GenlabError, match=r"shaped \(n, 4\)"):
        model.decode_latents(np.zeros((2, 5)))
    with pytest.raises(GenlabError, match="not conditional"):
        model.decode_latents(np.zeros((2, 4)), labels=[0, 1])
    assert model.generate(3).shape == (3, 8, 8, 1)


def test_a_step_under_mixed_float16_scales_the_losses_and_stays_finite():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = DCGAN(DCGANConfig(input_shape=(8, 8, 1), latent_dim=4, filters=(4, 8)))
        from genlab.core.config import TrainConfig

        model.compile_for_training(TrainConfig())
        assert isinstance(model.discriminator_optimizer, keras.optimizers.LossScaleOptimizer)
        batch = (np.zeros((4, 8, 8, 1), "float32"), np.zeros(4, "int32"))
        logs = model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0).history
        assert all(np.isfinite(v[-1]) for v in logs.values())
        assert model.generate(2).dtype == np.float32
    finally:
        keras.mixed_precision.set_global_policy("float32")
