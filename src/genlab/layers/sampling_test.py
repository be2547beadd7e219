import keras
import numpy as np
import tensorflow as tf

from genlab.layers.sampling import Sampling


def test_samples_have_the_requested_mean_and_spread():
    mean = np.full((20000, 2), [1.0, -2.0], np.float32)
    log_variance = np.log(np.full((20000, 2), [0.25, 4.0], np.float32))
    z = np.asarray(Sampling(seed=3)([mean, log_variance]))
    assert z.shape == (20000, 2)
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [0.5, 2.0], rtol=0.03)


def test_new_noise_every_call_and_reproducible_for_a_seed():
    inputs = [np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)]
    layer = Sampling(seed=7)
    first, second = np.asarray(layer(inputs)), np.asarray(layer(inputs))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(np.asarray(Sampling(seed=7)(inputs)), first)


def test_gradients_flow_to_mean_and_log_variance():
    mean = tf.Variable(np.zeros((5, 3), np.float32))
    log_variance = tf.Variable(np.zeros((5, 3), np.float32))
    layer = Sampling(seed=1)
    with tf.GradientTape() as tape:
        z = layer([mean, log_variance])
        total = tf.reduce_sum(z)
    grad_mean, grad_log_variance = tape.gradient(total, [mean, log_variance])
    np.testing.assert_allclose(grad_mean.numpy(), 1.0)  # dz/dmu = 1
    epsilon = z.numpy()  # mu = 0, sigma = 1, so z = eps
    np.testing.assert_allclose(grad_log_variance.numpy(), 0.5 * epsilon, rtol=1e-5)  # dz/dlogvar = sigma*eps/2


def test_serializes_inside_a_model(tmp_path):
    mean_in, log_variance_in = keras.Input((2,)), keras.Input((2,))
    model = keras.Model([mean_in, log_variance_in], Sampling(seed=5, name="z")([mean_in, log_variance_in]))
    path = tmp_path / "sampling.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    layer = loaded.get_layer("z")
    assert isinstance(layer, Sampling) and layer.seed == 5
    inputs = [np.zeros((3, 2), np.float32), np.full((3, 2), -50.0, np.float32)]
    np.testing.assert_allclose(np.asarray(loaded(inputs)), 0.0, atol=1e-6)  # sigma ~ 0: z = mu
