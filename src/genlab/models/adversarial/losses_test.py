import keras
import numpy as np
import pytest

from genlab.models.adversarial.losses import (
    critic_loss, discriminator_loss, generator_loss, gradient_penalty, wasserstein_estimate, wasserstein_generator_loss,
)
from genlab.models.two_player import global_norm

REAL_LOGITS = np.array([2.0, -0.5], "float32")
FAKE_LOGITS = np.array([-1.0, 0.25], "float32")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def test_discriminator_loss_is_the_negative_value_function():
    d_real, d_fake = sigmoid(REAL_LOGITS), sigmoid(FAKE_LOGITS)
    expected = -np.mean(np.log(d_real)) - np.mean(np.log(1.0 - d_fake))  # -(E log D(x) + E log(1 - D(G(z))))
    assert float(discriminator_loss(REAL_LOGITS, FAKE_LOGITS)) == pytest.approx(expected, rel=1e-5)
    assert float(discriminator_loss(np.zeros(3, "float32"), np.zeros(3, "float32"))) == pytest.approx(2 * np.log(2), rel=1e-6)


def test_one_sided_label_smoothing_targets_one_minus_s_for_real_images_only():
    d_real, d_fake = sigmoid(REAL_LOGITS), sigmoid(FAKE_LOGITS)
    real_term = -np.mean(0.9 * np.log(d_real) + 0.1 * np.log(1.0 - d_real))
    expected = real_term - np.mean(np.log(1.0 - d_fake))
    assert float(discriminator_loss(REAL_LOGITS, FAKE_LOGITS, label_smoothing=0.1)) == pytest.approx(expected, rel=1e-5)


def test_generator_losses_minimax_and_non_saturating():
    d_fake = sigmoid(FAKE_LOGITS)
    assert float(generator_loss(FAKE_LOGITS, "minimax")) == pytest.approx(np.mean(np.log(1.0 - d_fake)), rel=1e-5)
    assert float(generator_loss(FAKE_LOGITS, "non-saturating")) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-5)
    with pytest.raises(ValueError, match="unknown generator loss"):
        generator_loss(FAKE_LOGITS, "hinge")


def test_minimax_gradient_saturates_where_non_saturating_does_not():
    """The reason for the non-saturating loss: with D(G(z)) near 0 the minimax gradient vanishes."""
    import tensorflow as tf

    logits = tf.Variable([-8.0])
    gradients = {}
    for kind in ("minimax", "non-saturating"):
        with tf.GradientTape() as tape:
            loss = generator_loss(logits, kind)
        gradients[kind] = abs(float(tape.gradient(loss, logits)[0]))
    assert gradients["minimax"] < 1e-3 < 0.99 < gradients["non-saturating"]


def test_wasserstein_losses():
    real_scores, fake_scores = np.array([1.0, 3.0], "float32"), np.array([0.0, 2.0], "float32")
    assert float(critic_loss(real_scores, fake_scores)) == pytest.approx(1.0 - 2.0)  # E f(G(z)) - E f(x)
    assert float(wasserstein_estimate(real_scores, fake_scores)) == pytest.approx(1.0)
    assert float(wasserstein_generator_loss(fake_scores)) == pytest.approx(-1.0)


def linear_critic(weights):
    """f(x) = w . flatten(x) + 3: a linear critic whose gradient is w everywhere."""
    inputs = keras.Input(shape=(2, 2, 1))
    dense = keras.layers.Dense(1)
    outputs = dense(keras.layers.Flatten()(inputs))
    critic = keras.Model(inputs, outputs)
    dense.set_weights([np.asarray(weights, "float32").reshape(4, 1), np.array([3.0], "float32")])
    return critic


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 2, 2, 1)).astype("float32"), rng.normal(size=(5, 2, 2, 1)).astype("float32")


def test_gradient_penalty_is_zero_for_a_linear_critic_with_unit_norm_weights(images):
    real, fake = images
    alpha = np.random.default_rng(1).uniform(size=(5, 1, 1, 1)).astype("float32")
    penalty, norm = gradient_penalty(linear_critic([0.5, -0.5, 0.5, 0.5]), real, fake, alpha)
    assert float(norm) == pytest.approx(1.0, abs=1e-6)
    assert float(penalty) == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_of_a_steeper_linear_critic(images):
    real, fake = images
    alpha = np.full((5, 1, 1, 1), 0.3, "float32")
    penalty, norm = gradient_penalty(linear_critic([2.0, 0.0, 0.0, 0.0]), real, fake, alpha)  # ||w|| = 2
    assert float(norm) == pytest.approx(2.0, rel=1e-6)
    assert float(penalty) == pytest.approx((2.0 - 1.0) ** 2, rel=1e-5)


def test_global_norm():
    assert float(global_norm([np.array([3.0], "float32"), None, np.array([[4.0]], "float32")])) == pytest.approx(5.0)
