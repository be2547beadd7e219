"""A convolutional autoencoder and a VAE written the way the keras-io examples write them
(references for speed.py and defaults.py).

The shape follows keras-io's ``vae.py``: Functional encoder and decoder, a ``keras.Model``
holding both with ``Mean`` trackers, a ``train_step`` with one GradientTape, ``compile``
with an Adam optimizer and everything else left at Keras' defaults (so ``jit_compile="auto"``,
which Keras 3 resolves to no XLA on a CPU-only machine), and ``fit`` on float32 arrays in memory. The autoencoder is written
the same way (keras-io's convolutional autoencoder compiles a Functional model with
``loss="binary_crossentropy"`` instead; the work per step is the same).

Differences from keras-io, to train the same networks as genlab's defaults at the benchmark
sizes (28x28x1): stride-2 3x3 convolutions of 32 and 64 filters, a dense code (autoencoder:
32 values; VAE: mean and log-variance heads of 16, with no extra dense layer before them),
a dense projection back to 7x7x64 and two stride-2 transposed convolutions, then a 3x3
convolution to one sigmoid channel. Batches are ``(images, labels)`` pairs, as genlab's.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops


def conv_encoder(input_shape=(28, 28, 1), latent_dim=32, filters=(32, 64), variational=False):
    image = keras.Input(shape=input_shape)
    x = image
    for count in filters:
        x = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    if not variational:
        return keras.Model(image, layers.Dense(latent_dim)(x), name="encoder")
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(image, [z_mean, z_log_var, z], name="encoder")


def conv_decoder(output_shape=(28, 28, 1), latent_dim=32, filters=(32, 64)):
    height, width, channels = output_shape
    factor = 2 ** len(filters)
    code = keras.Input(shape=(latent_dim,))
    x = layers.Dense((height // factor) * (width // factor) * filters[-1], activation="relu")(code)
    x = layers.Reshape((height // factor, width // factor, filters[-1]))(x)
    for count in reversed(filters):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu")(x)
    image = layers.Conv2D(channels, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(code, image, name="decoder")


class Sampling(layers.Layer):
    """z = mean + exp(log_var / 2) * eps, eps drawn from the layer's own seed generator."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class KerasIoAutoencoder(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, data):
        images, _ = data
        with tf.GradientTape() as tape:
            reconstruction = self.decoder(self.encoder(images))
            loss = ops.mean(keras.losses.binary_crossentropy(images, reconstruction))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


class KerasIoVAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        images, _ = data
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(images)
            reconstruction = self.decoder(z)
            per_pixel = keras.losses.binary_crossentropy(images, reconstruction)  # mean over the channel axis
            reconstruction_loss = ops.mean(ops.sum(per_pixel, axis=(1, 2)))
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}


def autoencoder(input_shape=(28, 28, 1), latent_dim=32, filters=(32, 64)) -> KerasIoAutoencoder:
    model = KerasIoAutoencoder(conv_encoder(input_shape, latent_dim, filters),
                               conv_decoder(input_shape, latent_dim, filters))
    model.compile(optimizer=keras.optimizers.Adam())
    return model


def vae(input_shape=(28, 28, 1), latent_dim=16, filters=(32, 64)) -> KerasIoVAE:
    model = KerasIoVAE(conv_encoder(input_shape, latent_dim, filters, variational=True),
                       conv_decoder(input_shape, latent_dim, filters))
    model.compile(optimizer=keras.optimizers.Adam())
    return model
