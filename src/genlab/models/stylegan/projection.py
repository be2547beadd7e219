"""Latent projection (find the w that reproduces an image) and editing along directions in W.

Projection follows Karras et al. (2020), section 5 and appendix D, "Projection of images to
latent space": start every image at w_avg and minimize, with Adam, a distance between the
target x and the EMA generator's image g(w) (constant noise):

    w* = argmin_w  ||g(w) - x||^2  +  lambda * P(g(w), x)

P is a perceptual distance in the spirit of LPIPS (Zhang et al. 2018, "The Unreasonable
Effectiveness of Deep Features as a Perceptual Metric") without its learned per-channel
weights: features phi_l of three layers of MobileNet v1 (alpha 0.25, ImageNet, from the
offline data folder), each unit-normalized over channels, then
P = sum_l mean_{h,w} ||phi_l(a) / |phi_l(a)| - phi_l(b) / |phi_l(b)| ||^2.
With ``perceptual="none"`` P is a multi-scale pixel distance instead (the image and its 2x
and 4x average-pooled copies). Deviations from the paper: we optimize w only (not the noise
maps), with a constant learning rate and no noise added to w early on.

Editing moves w along a direction d: w' = w + alpha * d. :func:`class_direction` builds d as
the difference of the mean projected w of two classes of real images.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from genlab.core.errors import GenlabError
from genlab.layers.backbones import pretrained_backbone

PERCEPTUAL_LAYERS = ("conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu")
PERCEPTUAL_SIZE = 64


class PerceptualDistance:
    """P(a, b) per image, for images in ``value_range`` (see the module docstring)."""

    def __init__(self, value_range=(-1.0, 1.0), size: int = PERCEPTUAL_SIZE):
        self.preprocess, backbone = pretrained_backbone("mobilenet", size, value_range)
        self.network = keras.Model(backbone.input, [backbone.get_layer(name).output for name in PERCEPTUAL_LAYERS])
        self.network.trainable = False
        self.description = f"MobileNet v1 (alpha 0.25, ImageNet) layers {', '.join(PERCEPTUAL_LAYERS)} at {size}x{size}"

    def __call__(self, a, b):
        features_a = self.network(self.preprocess(a), training=False)
        features_b = self.network(self.preprocess(b), training=False)
        total = 0.0
        for fa, fb in zip(features_a, features_b):
            fa = fa * ops.rsqrt(ops.sum(ops.square(fa), axis=-1, keepdims=True) + 1e-10)  # unit norm over channels
            fb = fb * ops.rsqrt(ops.sum(ops.square(fb), axis=-1, keepdims=True) + 1e-10)
            total = total + ops.mean(ops.sum(ops.square(fa - fb), axis=-1), axis=(1, 2))
        return total


def multiscale_pixel_distance(a, b):
    """Mean squared difference at full, 1/2 and 1/4 resolution (average pooling), per image."""
    total = 0.0
    for _ in range(3):
        total = total + ops.mean(ops.square(a - b), axis=(1, 2, 3))
        if a.shape[1] < 4:
            break
        a, b = ops.average_pool(a, 2, 2), ops.average_pool(b, 2, 2)
    return total


def perceptual_distance(kind: str, value_range):
    if kind == "mobilenet":
        return PerceptualDistance(value_range)
    if kind == "none":
        return multiscale_pixel_distance
    raise GenlabError(f"perceptual loss must be mobilenet or none, got {kind!r}")


def project(model, images, steps: int = 200, learning_rate: float = 0.05, perceptual: str = "mobilenet",
            perceptual_weight: float = 1.0, w_plus: bool = False, distance=None) -> tuple[np.ndarray, dict]:
    """w for each image (N, H, W, C) in the model's value range, optimized jointly (one w per image).

    Returns ``(w, report)``: w shaped (N, w_dim), or (N, L, w_dim) with ``w_plus`` (one w per
    layer, the W+ space: closer reconstructions, less editable), and the per-image loss at the
    start and the end plus the pixel MSE of the final reconstruction.
    """
    images = np.asarray(images, np.float32)
    model.check_input_shape(images.shape[1:], "image to project")
    if steps <= 0 or learning_rate <= 0 or perceptual_weight < 0:
        raise GenlabError(f"projection needs steps > 0, learning_rate > 0 and perceptual_weight >= 0, got "
                          f"{steps}, {learning_rate}, {perceptual_weight}")
    distance = distance or perceptual_distance(perceptual, model.config.value_range)
    start = np.repeat(model.w_average[None], len(images), axis=0)
    if w_plus:
        start = np.repeat(start[:, None], model.num_layers, axis=1)
    w = keras.Variable(start, name="projected_w")
    optimizer = keras.optimizers.Adam(learning_rate)
    optimizer.build([w])
    target = tf.constant(images)

    def losses():
        styles = w if w_plus else ops.repeat(w[:, None, :], model.num_layers, axis=1)
        generated = model.to_data_shape(model.synthesis_ema(styles, training=False))
        pixel = ops.mean(ops.square(generated - target), axis=(1, 2, 3))  # ||g(w) - x||^2 (per pixel)
        return pixel + perceptual_weight * distance(generated, target), pixel

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss, _ = losses()
            total = ops.sum(loss)  # a sum: each image's w gets the gradient of its own loss
        optimizer.apply(tape.gradient(total, [w]), [w])
        return loss

    initial, _ = losses()
    for _ in range(steps):
        step()
    final, pixel = losses()
    report = {"initial_loss": np.asarray(initial).tolist(), "final_loss": np.asarray(final).tolist(),
              "final_pixel_mse": np.asarray(pixel).tolist(), "steps": steps, "w_plus": w_plus,
              "perceptual": getattr(distance, "description", perceptual)}
    return np.asarray(w.numpy()), report


def class_direction(model, images, labels, first: int, second: int | None, per_class: int = 16,
                    **projection) -> np.ndarray:
    """d = mean w of class ``first`` - mean w of class ``second`` (or - w_avg when ``second`` is None),
    from the projections of the first ``per_class`` images of each class."""
    labels = np.asarray(labels)
    means = []
    for label in (first, second):
        if label is None:
            means.append(model.w_average)
            continue
        chosen = images[labels == label][:per_class]
        if len(chosen) == 0:
            raise GenlabError(f"no images of class {label} to build the direction from")
        w, _ = project(model, chosen, **projection)
        means.append(w.mean(axis=0))
    return (means[0] - means[1]).astype(np.float32)


def edit(model, w, direction, strengths) -> np.ndarray:
    """Images (len(w), len(strengths), H, W, C) of w + alpha * d for each alpha in ``strengths``."""
    w = np.asarray(w, np.float32)
    direction = np.asarray(direction, np.float32)
    if direction.shape[-1] != model.config.w_dim:
        raise GenlabError(f"direction has {direction.shape[-1]} values but w has {model.config.w_dim}")
    styles = model.check_styles(w)
    moved = np.stack([styles + alpha * direction for alpha in strengths], axis=1)  # w' = w + alpha d
    images = model.synthesize(moved.reshape(-1, *styles.shape[1:]))
    return images.reshape(len(w), len(strengths), *images.shape[1:])
