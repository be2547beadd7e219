"""Layers of style-based generators and their discriminators (StyleGAN, StyleGAN2).

References: Karras et al. (2018), "Progressive Growing of GANs" (equalized learning rate,
pixel normalization, minibatch standard deviation); Karras et al. (2019), "A Style-Based
Generator Architecture for GANs" (mapping network, noise inputs, style mixing, truncation);
Karras et al. (2020), "Analyzing and Improving the Image Quality of StyleGAN" (weight
modulation and demodulation, residual discriminator, lazy R1).

Equalized learning rate: every weight is stored as N(0, 1 / lr_multiplier) and multiplied at
run time by ``c = lr_multiplier / sqrt(fan_in)`` (He's constant), so Adam's per-parameter step
is the same for every layer whatever its fan-in.
"""

from __future__ import annotations

import math

import keras
from keras import ops

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def _leaky_relu(x):
    # lrelu(x) * sqrt(2) keeps the signal's variance. Written as a maximum: TensorFlow's fused
    # LeakyRelu trips a graph-optimizer error in the second-order gradients of the R1 penalty.
    return ops.maximum(x, LRELU_SLOPE * x) * LRELU_GAIN


def _check_activation(activation):
    if activation not in (None, "linear", "lrelu"):
        raise ValueError(f"activation must be None, 'linear' or 'lrelu', got {activation!r}")
    return None if activation == "linear" else activation


@keras.saving.register_keras_serializable(package="genlab")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean_i(x_i^2) + eps) over the last axis (Karras et al. 2018, eq. in section 4.2)."""

    def __init__(self, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="genlab")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate: y = act(x (c W) + lr_multiplier b), c = lr_multiplier / sqrt(fan_in)."""

    def __init__(self, units: int, activation: str | None = None, lr_multiplier: float = 1.0,
                 bias_init: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = _check_activation(activation)
        self.lr_multiplier = lr_multiplier
        self.bias_init = bias_init

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier),
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias",
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
        )
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)  # c = lr_mul / sqrt(fan_in)

    def call(self, x):
        y = ops.matmul(x, self.kernel * self.weight_gain) + self.bias * self.lr_multiplier
        return _leaky_relu(y) if self.activation == "lrelu" else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "lr_multiplier": self.lr_multiplier, "bias_init": self.bias_init}


@keras.saving.register_keras_serializable(package="genlab")
class EqualizedConv2D(keras.layers.Layer):
    """'same'-padded convolution with equalized learning rate (weights scaled by 1/sqrt(k*k*C_in))."""

    def __init__(self, filters: int, kernel_size: int = 3, activation: str | None = None,
                 use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.activation = _check_activation(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        channels = int(input_shape[-1])
        k = self.kernel_size
        self.kernel = self.add_weight(shape=(k, k, channels, self.filters), name="kernel",
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros") if self.use_bias else None
        self.weight_gain = 1.0 / math.sqrt(k * k * channels)  # c = 1 / sqrt(fan_in)

    def call(self, x):
        y = ops.conv(x, self.kernel * self.weight_gain, padding="same")
        if self.bias is not None:
            y = y + self.bias
        return _leaky_relu(y) if self.activation == "lrelu" else y

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "activation": self.activation, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="genlab")
class ModulatedConv2D(keras.layers.Layer):
    """StyleGAN2 weight modulation and demodulation (Karras et al. 2020, section 2.2, eqs. 1-3).

    Inputs ``[x, w]``: feature maps (B, H, W, C_in) and one style vector per image (B, w_dim).
    A learned affine map A turns w into per-input-channel scales s = A(w) (bias initialized
    to 1), then

    * modulation   w'_ijk = s_i * w_ijk                              (eq. 1)
    * demodulation w''_ijk = w'_ijk / sqrt(sum_{i,k} w'_ijk^2 + eps)  (eq. 3)

    so for unit-variance input the output of every channel j has unit variance again
    (eq. 2). As in the paper's reference code, modulation is applied to the *input*
    (x_i * s_i, then a convolution with the shared kernel) and demodulation to the *output*
    (times 1/sigma_j per image): mathematically the same as convolving with per-image
    weights w''. ``upsample`` doubles the resolution (bilinear) before the convolution;
    the paper uses a transposed convolution with a FIR low-pass filter instead.
    ``demodulate=False`` with a 1x1 kernel is the toRGB layer.
    """

    def __init__(self, filters: int, kernel_size: int = 3, demodulate: bool = True, upsample: bool = False,
                 use_bias: bool = True, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.demodulate = demodulate
        self.upsample = upsample
        self.use_bias = use_bias
        self.epsilon = epsilon

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        channels, w_dim = int(x_shape[-1]), int(w_shape[-1])
        k = self.kernel_size
        self.style_kernel = self.add_weight(shape=(w_dim, channels), name="style_kernel",
                                            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.style_bias = self.add_weight(shape=(channels,), name="style_bias", initializer="ones")
        self.kernel = self.add_weight(shape=(k, k, channels, self.filters), name="kernel",
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros") if self.use_bias else None
        self.style_gain = 1.0 / math.sqrt(w_dim)
        self.weight_gain = 1.0 / math.sqrt(k * k * channels)

    def styles(self, w):
        """s = A(w): the per-input-channel scales this layer applies (equalized affine layer)."""
        return ops.matmul(w, self.style_kernel * self.style_gain) + self.style_bias

    def call(self, inputs):
        x, w = inputs
        styles = self.styles(w)  # s_i, shape (B, C_in)
        kernel = self.kernel * self.weight_gain  # w_ijk with equalized learning rate
        if self.upsample:
            size = (ops.shape(x)[1] * 2, ops.shape(x)[2] * 2)
            x = ops.image.resize(x, size, interpolation="bilinear")
        x = x * styles[:, None, None, :]  # modulation, eq. 1: sum_i w_ijk (s_i x_i) = sum_i (s_i w_ijk) x_i
        y = ops.conv(x, kernel, padding="same")
        if self.demodulate:
            # sigma_j = sqrt(sum_{i,k} (s_i w_ijk)^2 + eps) = sqrt(sum_i s_i^2 sum_k w_ijk^2 + eps), eq. 3
            sigma_inverse = ops.rsqrt(ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1))) + self.epsilon)
            y = y * sigma_inverse[:, None, None, :]  # w''_ijk = w'_ijk / sigma_j
        if self.bias is not None:
            y = y + self.bias
        return y

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0]
        factor = 2 if self.upsample else 1
        spatial = [None if d is None else d * factor for d in x_shape[1:3]]
        return (x_shape[0], *spatial, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "demodulate": self.demodulate, "upsample": self.upsample, "use_bias": self.use_bias,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="genlab")
class NoiseInjection(keras.layers.Layer):
    """Per-pixel noise with a learned strength: x + strength * n (Karras et al. 2019, section 3.2).

    One scalar strength per layer, initialized to 0 (StyleGAN2; StyleGAN1 learns one per
    channel). When training, n ~ N(0, 1) is fresh for every image and call (from this layer's
    own seeded generator, whose state is saved with the model so resumed runs are exact);
    in inference, n is a fixed buffer drawn once at build time, so that a latent always
    gives the same image (StyleGAN2's ``noise_mode='const'``).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        height, width = int(input_shape[1]), int(input_shape[2])
        self.strength = self.add_weight(shape=(), name="strength", initializer="zeros")
        self.constant_noise = self.add_weight(
            shape=(1, height, width, 1), name="constant_noise", trainable=False,
            initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed),
        )

    def call(self, x, training=None):
        if training:
            shape = (ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2], 1)
            noise = keras.random.normal(shape, seed=self.seed_generator, dtype=x.dtype)
        else:
            noise = ops.cast(self.constant_noise, x.dtype)
        return x + ops.cast(self.strength, x.dtype) * noise  # x + strength * n

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="genlab")
class ScaledLeakyReLU(keras.layers.Layer):
    """lrelu(x, 0.2) * sqrt(2), the activation of StyleGAN's layers (keeps unit variance)."""

    def call(self, x):
        return _leaky_relu(x)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="genlab")
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned constant input, (size, size, channels), repeated per image.

    Its input only gives the batch size (the per-image style tensor is passed)."""

    def __init__(self, channels: int, size: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.size = size

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(1, self.size, self.size, self.channels), name="constant",
                                        initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, batch_source):
        batch = ops.shape(batch_source)[0]
        return ops.tile(self.constant, (batch, 1, 1, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package="genlab")
class StyleSelect(keras.layers.Layer):
    """Picks the style of one layer, ws[:, index], from the per-layer styles (B, num_ws, w_dim)."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, ws):
        return ws[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@keras.saving.register_keras_serializable(package="genlab")
class TrackedAverage(keras.layers.Layer):
    """Identity that tracks the moving average of its inputs while training (like a
    BatchNormalization moving mean): avg <- momentum * avg + (1 - momentum) * mean_batch(x).

    The mapping network ends with one, holding w_avg for the truncation trick
    (Karras et al. 2019, appendix B: w' = w_avg + psi (w - w_avg)).
    """

    def __init__(self, momentum: float = 0.995, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.average = self.add_weight(shape=(int(input_shape[-1]),), name="average", initializer="zeros",
                                       trainable=False)

    def call(self, x, training=None):
        if training:
            batch_mean = ops.cast(ops.mean(ops.stop_gradient(x), axis=0), self.average.dtype)
            self.average.assign(self.momentum * self.average + (1.0 - self.momentum) * batch_mean)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


@keras.saving.register_keras_serializable(package="genlab")
class MinibatchStdDev(keras.layers.Layer):
    """Appends the average standard deviation within groups of images as extra feature maps
    (Karras et al. 2018, section 3).

    Images are split into consecutive groups of ``group_size`` (the last one may be smaller,
    so any batch size works; the paper requires divisibility). For each group: the standard
    deviation of every feature over the group's images, averaged over features and pixels,
    appended as one constant feature map for every image of the group.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size
        self.epsilon = epsilon

    def call(self, x):
        batch = ops.shape(x)[0]
        group_ids = ops.arange(batch) // self.group_size
        count = ops.segment_sum(ops.ones((batch,), x.dtype), group_ids, sorted=True)[:, None, None, None]
        mean = ops.segment_sum(x, group_ids, sorted=True) / count
        variance = ops.segment_sum(ops.square(x - ops.take(mean, group_ids, axis=0)), group_ids, sorted=True) / count
        spread = ops.mean(ops.sqrt(variance + self.epsilon), axis=(1, 2, 3))  # one scalar per group
        feature = ops.take(spread, group_ids, axis=0)[:, None, None, None]
        return ops.concatenate([x, ops.ones_like(x[..., :1]) * feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
