"""The reparametrization trick as a layer (Kingma & Welling, 2014, "Auto-Encoding
Variational Bayes", section 2.4).

Sampling z ~ N(mu, sigma^2) directly is not differentiable in mu and sigma. Writing the
sample as a deterministic function of the encoder outputs and independent noise,

    z = mu + sigma * eps,   sigma = exp(0.5 * log sigma^2),   eps ~ N(0, I),

moves the randomness into eps, so gradients flow from z back to mu and log sigma^2 (and
through them to the encoder): dz/dmu = 1, dz/d(log sigma^2) = 0.5 * sigma * eps.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="genlab")
class Sampling(keras.layers.Layer):
    """``Sampling()([mean, log_variance])`` -> one sample z per row, new noise every call.

    The noise comes from the layer's own ``keras.random.SeedGenerator``, whose state is a
    variable of the layer: a model that owns this layer saves and restores it with its
    weights, so a resumed training draws the same noise as an uninterrupted one.
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_variance = inputs
        epsilon = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)  # eps ~ N(0, I)
        return mean + ops.exp(0.5 * log_variance) * epsilon  # z = mu + sigma * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config
