"""DCGAN and WGAN-GP written the way the keras-io examples write them (reference for gan_speed.py).

The shape follows keras-io's ``dcgan_overriding_train_step.py`` and ``wgan_gp.py``: a
``keras.Model`` holding the two networks, ``compile(d_optimizer, g_optimizer, ...)``, and a
``train_step`` with GradientTapes:

* DCGAN: fakes and real images concatenated into one discriminator batch with noisy labels,
  one discriminator update, then new noise and one generator update;
* WGAN-GP: ``critic_steps`` critic updates per batch (each on the same real batch, new
  noise, gradient penalty from a nested tape), then one generator update.

Differences from keras-io, to run the same algorithm and networks as genlab: the networks
are passed in (genlab's builders, or :func:`generator` and :func:`discriminator` below, which
build the same layers without importing genlab), they are called with ``training=True``, the
discriminator outputs logits (so the loss takes ``from_logits``), and alpha of the penalty is
U(0, 1). :func:`dcgan` and :func:`wgan_gp` compile as keras-io does: the optimizers and the
loss, every other ``compile`` argument left at Keras' default (``jit_compile="auto"``, which
Keras 3 resolves to XLA where a GPU is present and to no XLA on a CPU-only machine).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers


class KerasIoDCGAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_tracker = keras.metrics.Mean(name="d_loss")
        self.g_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_tracker, self.g_tracker]

    def train_step(self, data):
        real, _ = data
        batch_size = tf.shape(real)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fakes = self.generator(z, training=True)
        both = tf.concat([fakes, real], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)  # 1 = fake
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            outputs = self.discriminator(both, training=True)
            d_loss = self.loss_fn(labels, outputs)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake_as_real = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            outputs = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(fake_as_real, outputs)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_tracker.update_state(d_loss)
        self.g_tracker.update_state(g_loss)
        return {"d_loss": self.d_tracker.result(), "g_loss": self.g_tracker.result()}


class KerasIoWGANGP(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, critic_steps=5, gp_weight=10.0):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.critic_steps = critic_steps
        self.gp_weight = gp_weight
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def gradient_penalty(self, batch_size, real, fake):
        alpha = keras.random.uniform([batch_size, 1, 1, 1], seed=self.seed_generator)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as inner:
            inner.watch(mixed)
            pred = self.discriminator(mixed, training=True)
        grads = inner.gradient(pred, [mixed])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, data):
        real, _ = data
        batch_size = tf.shape(real)[0]
        for _ in range(self.critic_steps):
            z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                fake = self.generator(z, training=True)
                fake_scores = self.discriminator(fake, training=True)
                real_scores = self.discriminator(real, training=True)
                d_wasserstein = tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores)
                gp = self.gradient_penalty(batch_size, real, fake)
                d_loss = d_wasserstein + gp * self.gp_weight
            d_grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))

        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fakes = self.generator(z, training=True)
            scores = self.discriminator(fakes, training=True)
            g_loss = -tf.reduce_mean(scores)
        g_grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def generator(latent_dim=100, image_shape=(32, 32, 3), filters=(64, 128), kernel_size=4):
    """DCGAN generator with genlab's default sizes: dense to (H/4, W/4, 128) + BatchNorm + ReLU,
    a stride-2 transposed conv to 64 + BatchNorm + ReLU, a stride-2 transposed conv to the
    image channels, tanh; weights from N(0, 0.02)."""
    init = keras.initializers.RandomNormal(stddev=0.02)
    factor = 2 ** len(filters)
    height, width = image_shape[0] // factor, image_shape[1] // factor
    z = keras.Input(shape=(latent_dim,))
    x = layers.Dense(height * width * filters[-1], use_bias=False, kernel_initializer=init)(z)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((height, width, filters[-1]))(x)
    for count in reversed(filters[:-1]):
        x = layers.Conv2DTranspose(count, kernel_size, strides=2, padding="same", kernel_initializer=init)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2, padding="same", kernel_initializer=init)(x)
    return keras.Model(z, layers.Activation("tanh")(x), name="generator")


def discriminator(image_shape=(32, 32, 3), filters=(64, 128), kernel_size=4, norm="batch"):
    """DCGAN discriminator (``norm`` batch) or WGAN-GP critic (``norm`` layer: over H, W, C):
    stride-2 convs with LeakyReLU(0.2), no normalization on the first, then one linear output."""
    init = keras.initializers.RandomNormal(stddev=0.02)
    image = keras.Input(shape=image_shape)
    x = layers.Conv2D(filters[0], kernel_size, strides=2, padding="same", kernel_initializer=init)(image)
    x = layers.LeakyReLU(0.2)(x)
    for count in filters[1:]:
        x = layers.Conv2D(count, kernel_size, strides=2, padding="same", use_bias=False, kernel_initializer=init)(x)
        x = layers.BatchNormalization()(x) if norm == "batch" else layers.LayerNormalization(axis=[1, 2, 3])(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    return keras.Model(image, layers.Dense(1)(x), name="discriminator")


def dcgan(latent_dim=100, image_shape=(32, 32, 3), filters=(64, 128)) -> KerasIoDCGAN:
    model = KerasIoDCGAN(discriminator(image_shape, filters), generator(latent_dim, image_shape, filters), latent_dim)
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                  keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def wgan_gp(latent_dim=128, image_shape=(32, 32, 3), filters=(64, 128), critic_steps=5) -> KerasIoWGANGP:
    critic = discriminator(image_shape, filters, norm="layer")
    model = KerasIoWGANGP(critic, generator(latent_dim, image_shape, filters), latent_dim, critic_steps)
    model.compile(keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9), keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
    return model
