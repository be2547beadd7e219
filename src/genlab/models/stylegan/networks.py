"""StyleGAN2 sub-networks as Functional models: mapping, synthesis, discriminator.

Mapping f: z -> w, an MLP on the pixel-normalized z (Karras et al. 2019, section 2).
Synthesis g: (w_0 .. w_{L-1}) -> image, from a learned 4x4 constant; each resolution
block doubles the size with two style-modulated 3x3 convolutions (each followed by noise,
a bias and a leaky ReLU) and adds its toRGB output to the upsampled image so far (the
"skip" generator of Karras et al. 2020, figure 7). Layer styles are indexed as in the
paper's code: the 4x4 block uses w_0 (conv) and w_1 (toRGB); block b >= 1 uses
w_{2b-1}, w_{2b} (its two convs) and w_{2b+1} (toRGB), so L = 2 log2(resolution) - 2.
Discriminator: residual blocks (figure 7c) from the input resolution down to 4x4, then
minibatch standard deviation, a 3x3 conv and two dense layers to one logit.

Layer names carry their block: ``g{b}_*`` for the generator's block at resolution 4 * 2^b,
``d{k}_*`` for the discriminator's k-th block from the input (``d0`` holds fromRGB),
``d_out_*`` for its 4x4 epilogue and ``mapping_*`` for the MLP. Transfer learning freezes by
these prefixes (see ``StyleGAN.transfer_blocks``).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from genlab.layers.style import (
    ConstantInput,
    EqualizedConv2D,
    EqualizedDense,
    MinibatchStdDev,
    ModulatedConv2D,
    NoiseInjection,
    PixelNorm,
    ScaledLeakyReLU,
    StyleSelect,
    TrackedAverage,
)


def channels_at(resolution: int, channel_base: int, channel_max: int) -> int:
    return max(1, min(channel_base // resolution, channel_max))


def num_styles(resolution: int) -> int:
    """L = 2 log2(resolution) - 2 per-layer styles (8 at 32x32)."""
    return 2 * int(math.log2(resolution)) - 2


def build_mapping(latent_dim: int, w_dim: int, depth: int, lr_multiplier: float, average_decay: float,
                  name: str = "mapping") -> keras.Model:
    z = keras.Input(shape=(latent_dim,), name="z")
    x = PixelNorm(name="pixel_norm")(z)  # z / sqrt(mean(z^2) + eps)
    for i in range(depth):
        x = EqualizedDense(w_dim, activation="lrelu", lr_multiplier=lr_multiplier, name=f"mapping_{i}")(x)
    w = TrackedAverage(average_decay, name="w_average")(x)  # identity; tracks w_avg while training
    return keras.Model(z, w, name=name)


def _styled_conv(x, ws, index: int, filters: int, prefix: str, part: str, upsample: bool, seed: int):
    """Modulated 3x3 conv with style w_index, then noise, bias (inside the conv) and leaky ReLU."""
    w = StyleSelect(index, name=f"style_{index}_{prefix}_conv{part}")(ws)
    x = ModulatedConv2D(filters, 3, upsample=upsample, name=f"{prefix}_conv{part}")([x, w])
    x = NoiseInjection(seed=seed, name=f"{prefix}_noise{part}")(x)
    return ScaledLeakyReLU(name=f"{prefix}_act{part}")(x)


def _to_rgb(x, ws, index: int, channels: int, prefix: str):
    w = StyleSelect(index, name=f"style_{index}_{prefix}_torgb")(ws)
    return ModulatedConv2D(channels, 1, demodulate=False, name=f"{prefix}_torgb")([x, w])


def build_synthesis(resolution: int, channels: int, w_dim: int, channel_base: int, channel_max: int,
                    seed: int = 0, name: str = "synthesis") -> keras.Model:
    """(B, L, w_dim) styles -> (B, resolution, resolution, channels) images (linear output)."""
    ws = keras.Input(shape=(num_styles(resolution), w_dim), name="ws")
    x = ConstantInput(channels_at(4, channel_base, channel_max), 4, name="g0_const")(ws)
    x = _styled_conv(x, ws, 0, channels_at(4, channel_base, channel_max), "g0", "", upsample=False, seed=seed)
    image = _to_rgb(x, ws, 1, channels, "g0")
    for block in range(1, int(math.log2(resolution)) - 1):
        size, prefix = 4 * 2**block, f"g{block}"
        filters = channels_at(size, channel_base, channel_max)
        x = _styled_conv(x, ws, 2 * block - 1, filters, prefix, "0", upsample=True, seed=seed + 2 * block - 1)
        x = _styled_conv(x, ws, 2 * block, filters, prefix, "1", upsample=False, seed=seed + 2 * block)
        image = layers.UpSampling2D(interpolation="bilinear", name=f"{prefix}_rgb_up")(image)
        image = layers.Add(name=f"{prefix}_rgb")([image, _to_rgb(x, ws, 2 * block + 1, channels, prefix)])
    return keras.Model(ws, image, name=name)


def build_discriminator(resolution: int, channels: int, channel_base: int, channel_max: int,
                        minibatch_group: int) -> keras.Model:
    """Residual discriminator (Karras et al. 2020, figure 7c): image -> one logit.

    Deviation: downsampling is a 2x2 average pool before the convolution; the paper blurs
    with a FIR filter and uses a stride-2 convolution.
    """
    image = keras.Input(shape=(resolution, resolution, channels), name="image")
    x = EqualizedConv2D(channels_at(resolution, channel_base, channel_max), 1, activation="lrelu",
                        name="d0_fromrgb")(image)
    size, block = resolution, 0
    while size > 4:
        prefix = f"d{block}"
        out_filters = channels_at(size // 2, channel_base, channel_max)
        skip = layers.AveragePooling2D(2, name=f"{prefix}_skip_down")(x)
        skip = EqualizedConv2D(out_filters, 1, use_bias=False, name=f"{prefix}_skip")(skip)
        x = EqualizedConv2D(channels_at(size, channel_base, channel_max), 3, activation="lrelu", name=f"{prefix}_conv0")(x)
        x = layers.AveragePooling2D(2, name=f"{prefix}_down")(x)
        x = EqualizedConv2D(out_filters, 3, activation="lrelu", name=f"{prefix}_conv1")(x)
        x = layers.Add(name=f"{prefix}_add")([x, skip])
        x = layers.Rescaling(1.0 / math.sqrt(2.0), name=f"{prefix}_scale")(x)  # (x + skip) / sqrt(2)
        size, block = size // 2, block + 1
    filters = channels_at(4, channel_base, channel_max)
    x = MinibatchStdDev(minibatch_group, name="d_out_stddev")(x)
    x = EqualizedConv2D(filters, 3, activation="lrelu", name="d_out_conv")(x)
    x = layers.Flatten(name="d_out_flatten")(x)
    x = EqualizedDense(filters, activation="lrelu", name="d_out_dense")(x)
    logit = EqualizedDense(1, name="d_out_logit")(x)
    return keras.Model(image, logit, name="discriminator")
