"""A small StyleGAN2 written the way the keras-io examples write models (reference for speed.py).

keras-io's own StyleGAN example is the progressive StyleGAN1; this file keeps its manner
(layers as small ``keras.layers.Layer`` classes with equalized learning rate, Functional
networks, one ``keras.Model`` whose ``train_step`` takes GradientTapes, ``compile`` with the
two optimizers and Keras' defaults otherwise, so ``jit_compile="auto"``: no XLA on a CPU-only
machine) and trains what
genlab's StyleGAN family trains, at its default sizes for 32x32x3:

* mapping: pixel norm, 4 dense layers of 64 with leaky ReLU and learning-rate multiplier 0.01,
  a running average of w;
* synthesis: a learned 4x4x64 constant, then per resolution (4, 8, 16, 32) modulated and
  demodulated 3x3 convolutions (bilinear 2x upsampling in the first of each block) with
  per-pixel noise, 64, 64, 64, 32 channels, and modulated 1x1 toRGB outputs summed over
  upsampled resolutions (the "skip" generator); 8 styles;
* discriminator: 1x1 fromRGB, residual blocks (3x3 conv, 2x2 average pool, 3x3 conv; skip:
  pool and 1x1 conv) down to 4x4, minibatch standard deviation over groups of 4, a 3x3 conv,
  a dense layer of 64 and the logit;
* one step: a discriminator update (non-saturating logistic loss; R1 penalty, gamma 1, every
  16th step, weighted by 16) and a generator update, each on new style-mixed latents
  (probability 0.9, a crossover per image), then an EMA of the generator's weights (decay
  0.995 with ramp-up). Adam(1e-3, beta_1 = 0, beta_2 = 0.99) for both networks.

The minibatch standard deviation reshapes the batch into groups, so the batch size must be a
multiple of 4 (genlab's layer accepts any batch size).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers, ops

SLOPE, GAIN = 0.2, math.sqrt(2.0)


def lrelu(x):
    return ops.maximum(x, SLOPE * x) * GAIN


class EqualDense(layers.Layer):
    def __init__(self, units, activate=False, lr_mul=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activate, self.lr_mul = units, activate, lr_mul

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.w = self.add_weight(shape=(fan_in, self.units), initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_mul))
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")
        self.scale = self.lr_mul / math.sqrt(fan_in)

    def call(self, x):
        y = ops.matmul(x, self.w * self.scale) + self.b * self.lr_mul
        return lrelu(y) if self.activate else y


class EqualConv(layers.Layer):
    def __init__(self, filters, kernel_size=3, activate=False, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.activate, self.use_bias = filters, kernel_size, activate, use_bias

    def build(self, input_shape):
        channels, k = int(input_shape[-1]), self.kernel_size
        self.w = self.add_weight(shape=(k, k, channels, self.filters), initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.b = self.add_weight(shape=(self.filters,), initializer="zeros") if self.use_bias else None
        self.scale = 1.0 / math.sqrt(k * k * channels)

    def call(self, x):
        y = ops.conv(x, self.w * self.scale, padding="same")
        if self.b is not None:
            y = y + self.b
        return lrelu(y) if self.activate else y


class ModConv(layers.Layer):
    """Modulate the input channels by the style, convolve, demodulate the output channels."""

    def __init__(self, filters, kernel_size=3, demodulate=True, upsample=False, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.demodulate, self.upsample = filters, kernel_size, demodulate, upsample

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        channels, w_dim, k = int(x_shape[-1]), int(w_shape[-1]), self.kernel_size
        self.affine = self.add_weight(shape=(w_dim, channels), initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.affine_bias = self.add_weight(shape=(channels,), initializer="ones")
        self.w = self.add_weight(shape=(k, k, channels, self.filters), initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.b = self.add_weight(shape=(self.filters,), initializer="zeros")
        self.affine_scale, self.scale = 1.0 / math.sqrt(w_dim), 1.0 / math.sqrt(k * k * channels)

    def call(self, inputs):
        x, w = inputs
        style = ops.matmul(w, self.affine * self.affine_scale) + self.affine_bias
        kernel = self.w * self.scale
        if self.upsample:
            x = ops.image.resize(x, (ops.shape(x)[1] * 2, ops.shape(x)[2] * 2), interpolation="bilinear")
        y = ops.conv(x * style[:, None, None, :], kernel, padding="same")
        if self.demodulate:
            y = y * ops.rsqrt(ops.matmul(ops.square(style), ops.sum(ops.square(kernel), axis=(0, 1))) + 1e-8)[:, None, None, :]
        return y + self.b


class ScaledLReLU(layers.Layer):
    def call(self, x):
        return lrelu(x)


class PickStyle(layers.Layer):
    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, ws):
        return ws[:, self.index]


class PixelNorm(layers.Layer):
    def call(self, z):
        return z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + 1e-8)


class AddNoise(layers.Layer):
    def build(self, input_shape):
        self.strength = self.add_weight(shape=(), initializer="zeros")
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x):
        noise = keras.random.normal((ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2], 1), seed=self.seed_generator)
        return x + self.strength * noise


class Constant(layers.Layer):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(1, 4, 4, self.channels), initializer=keras.initializers.RandomNormal(0.0, 1.0))

    def call(self, ws):
        return ops.tile(self.constant, (ops.shape(ws)[0], 1, 1, 1))


class WAverage(layers.Layer):
    """Identity that keeps a running average of w (for truncation) while training."""

    def build(self, input_shape):
        self.average = self.add_weight(shape=(int(input_shape[-1]),), initializer="zeros", trainable=False)

    def call(self, w, training=None):
        if training:
            self.average.assign(0.995 * self.average + 0.005 * ops.mean(ops.stop_gradient(w), axis=0))
        return w


class MinibatchStd(layers.Layer):
    def call(self, x):
        shape = ops.shape(x)
        groups = ops.reshape(x, (4, -1, shape[1], shape[2], shape[3]))  # group j: images j, j + B/4, j + 2B/4, j + 3B/4
        spread = ops.sqrt(ops.var(groups, axis=0) + 1e-8)
        spread = ops.mean(spread, axis=(1, 2, 3))  # one value per group
        feature = ops.tile(spread, (4,))[:, None, None, None] * ops.ones_like(x[..., :1])
        return ops.concatenate([x, feature], axis=-1)


def channels(resolution, base=1024, most=64):
    return min(base // resolution, most)


def mapping(latent_dim=64, w_dim=64, depth=4, name="mapping"):
    z = keras.Input(shape=(latent_dim,))
    x = PixelNorm()(z)
    for _ in range(depth):
        x = EqualDense(w_dim, activate=True, lr_mul=0.01)(x)
    return keras.Model(z, WAverage()(x), name=name)


def synthesis(resolution=32, image_channels=3, w_dim=64, name="synthesis"):
    num_ws = 2 * int(math.log2(resolution)) - 2
    ws = keras.Input(shape=(num_ws, w_dim))

    def styled(x, index, filters, upsample=False):
        x = ModConv(filters, upsample=upsample)([x, PickStyle(index)(ws)])
        return ScaledLReLU()(AddNoise()(x))

    x = Constant(channels(4))(ws)
    x = styled(x, 0, channels(4))
    image = ModConv(image_channels, 1, demodulate=False)([x, PickStyle(1)(ws)])
    for block in range(1, int(math.log2(resolution)) - 1):
        filters = channels(4 * 2**block)
        x = styled(x, 2 * block - 1, filters, upsample=True)
        x = styled(x, 2 * block, filters)
        image = layers.UpSampling2D(interpolation="bilinear")(image)
        image = layers.Add()([image, ModConv(image_channels, 1, demodulate=False)([x, PickStyle(2 * block + 1)(ws)])])
    return keras.Model(ws, image, name=name)


def discriminator(resolution=32, image_channels=3):
    image = keras.Input(shape=(resolution, resolution, image_channels))
    x = EqualConv(channels(resolution), 1, activate=True)(image)
    size = resolution
    while size > 4:
        skip = EqualConv(channels(size // 2), 1, use_bias=False)(layers.AveragePooling2D(2)(x))
        x = EqualConv(channels(size), 3, activate=True)(x)
        x = EqualConv(channels(size // 2), 3, activate=True)(layers.AveragePooling2D(2)(x))
        x = layers.Rescaling(1.0 / math.sqrt(2.0))(layers.Add()([x, skip]))
        size //= 2
    x = EqualConv(channels(4), 3, activate=True)(MinibatchStd()(x))
    x = EqualDense(channels(4), activate=True)(layers.Flatten()(x))
    return keras.Model(image, EqualDense(1)(x), name="discriminator")


class KerasIoStyleGAN(keras.Model):
    def __init__(self, resolution=32, image_channels=3, latent_dim=64, w_dim=64, r1_gamma=1.0, r1_interval=16,
                 style_mixing=0.9, ema_decay=0.995):
        super().__init__()
        self.latent_dim, self.r1_gamma, self.r1_interval = latent_dim, r1_gamma, r1_interval
        self.style_mixing, self.ema_decay = style_mixing, ema_decay
        self.num_ws = 2 * int(math.log2(resolution)) - 2
        self.mapping, self.synthesis = mapping(latent_dim, w_dim), synthesis(resolution, image_channels, w_dim)
        self.mapping_ema = mapping(latent_dim, w_dim, name="mapping_ema")
        self.synthesis_ema = synthesis(resolution, image_channels, w_dim, name="synthesis_ema")
        self.mapping_ema.trainable = False
        self.synthesis_ema.trainable = False
        self.discriminator = discriminator(resolution, image_channels)
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.d_tracker = keras.metrics.Mean(name="d_loss")
        self.g_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_tracker, self.g_tracker]

    def styles(self, batch_size):
        """Per-layer styles, two latents mixed at a random crossover for 90% of the images."""
        w1 = self.mapping(keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator), training=True)
        w2 = self.mapping(keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator), training=True)
        crossover = keras.random.randint((batch_size,), 1, self.num_ws, seed=self.seed_generator)
        mixing = keras.random.uniform((batch_size,), seed=self.seed_generator) < self.style_mixing
        crossover = ops.where(mixing, crossover, self.num_ws)[:, None, None]
        return ops.where(ops.arange(self.num_ws)[None, :, None] < crossover, w1[:, None, :], w2[:, None, :])

    def r1_gradients(self, real):
        weights = self.discriminator.trainable_weights
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(real)
                scores = self.discriminator(real, training=True)
            input_grads = inner.gradient(scores, real)
            penalty = ops.mean(ops.sum(ops.square(input_grads), axis=(1, 2, 3)))
            loss = penalty * (self.r1_gamma / 2.0) * self.r1_interval
        grads = outer.gradient(loss, weights)
        return [ops.zeros_like(w) if g is None else g for g, w in zip(grads, weights)]

    def train_step(self, data):
        real, _ = data
        batch_size = ops.shape(real)[0]
        d_weights = self.discriminator.trainable_weights
        with tf.GradientTape() as tape:
            fake = self.synthesis(self.styles(batch_size), training=True)
            d_loss = ops.mean(ops.softplus(self.discriminator(fake, training=True))) + ops.mean(
                ops.softplus(-self.discriminator(real, training=True)))
        d_grads = tape.gradient(d_loss, d_weights)
        due = ops.equal(self.d_optimizer.iterations % self.r1_interval, 0)
        r1_grads = tf.cond(due, lambda: self.r1_gradients(tf.identity(real)), lambda: [ops.zeros_like(w) for w in d_weights])
        self.d_optimizer.apply_gradients(zip([g + r for g, r in zip(d_grads, r1_grads)], d_weights))

        g_weights = self.mapping.trainable_weights + self.synthesis.trainable_weights
        with tf.GradientTape() as tape:
            fake = self.synthesis(self.styles(batch_size), training=True)
            g_loss = ops.mean(ops.softplus(-self.discriminator(fake, training=True)))
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))

        step = ops.cast(self.g_optimizer.iterations, "float32")
        beta = ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for network, ema in ((self.mapping, self.mapping_ema), (self.synthesis, self.synthesis_ema)):
            for weight, average in zip(network.weights, ema.weights):
                average.assign(beta * average + (1.0 - beta) * weight if weight.trainable else weight)
        self.d_tracker.update_state(d_loss)
        self.g_tracker.update_state(g_loss)
        return {"d_loss": self.d_tracker.result(), "g_loss": self.g_tracker.result()}


def stylegan(resolution=32, image_channels=3) -> KerasIoStyleGAN:
    model = KerasIoStyleGAN(resolution, image_channels)
    adam = dict(learning_rate=1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
    model.compile(keras.optimizers.Adam(**adam), keras.optimizers.Adam(**adam))
    return model
