"""Adversarial objectives as pure functions of discriminator outputs.

Discriminators output *logits* l (D(x) = sigmoid(l)); the log-probabilities are written with
softplus, which is exact and stays finite where log(sigmoid(l)) would underflow:

    log D(x)       = log sigmoid(l)     = -softplus(-l)
    log(1 - D(x))  = log sigmoid(-l)    = -softplus(l)

Critics of Wasserstein GANs output unbounded scores f(x) instead.
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from genlab.models.adversarial.config import GENERATOR_LOSSES



def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Goodfellow et al. (2014): D maximizes E[log D(x)] + E[log(1 - D(G(z)))]; we minimize the negative.

    One-sided label smoothing (Salimans et al., 2016) uses the target 1 - s for real images.
    """
    real_target = 1.0 - label_smoothing
    real_term = real_target * ops.softplus(-real_logits) + (1.0 - real_target) * ops.softplus(real_logits)
    fake_term = ops.softplus(fake_logits)  # -log(1 - D(G(z)))
    return ops.mean(real_term) + ops.mean(fake_term)  # -E[log D(x)] - E[log(1 - D(G(z)))]


def generator_loss(fake_logits, kind: str = "non-saturating"):
    """The generator's objective.

    * minimax (the original game): G minimizes E[log(1 - D(G(z)))]; its gradient vanishes
      when D confidently rejects the samples, early in training;
    * non-saturating (the paper's practical variant): G maximizes E[log D(G(z))].
    """
    if kind == "minimax":
        return -ops.mean(ops.softplus(fake_logits))  # E[log(1 - D(G(z)))]
    if kind == "non-saturating":
        return ops.mean(ops.softplus(-fake_logits))  # -E[log D(G(z))]
    raise ValueError(f"unknown generator loss {kind!r}; known: {', '.join(GENERATOR_LOSSES)}")


def critic_loss(real_scores, fake_scores):
    """Arjovsky et al. (2017): the critic maximizes E[f(x)] - E[f(G(z))]; we minimize the negative."""
    return ops.mean(fake_scores) - ops.mean(real_scores)  # E[f(G(z))] - E[f(x)]


def wasserstein_estimate(real_scores, fake_scores):
    """E[f(x)] - E[f(G(z))]: an estimate of W(P_r, P_g) (up to the critic's Lipschitz constant)."""
    return ops.mean(real_scores) - ops.mean(fake_scores)


def wasserstein_generator_loss(fake_scores):
    """The generator minimizes -E[f(G(z))]."""
    return -ops.mean(fake_scores)


def gradient_penalty(critic, real, fake, alpha):
    """Gulrajani et al. (2017): E[(||grad_x^ f(x^)||_2 - 1)^2] on x^ = alpha x + (1 - alpha) G(z).

    ``critic`` is a callable images -> scores; ``alpha`` has shape (batch, 1, ..., 1).
    Returns (penalty, mean gradient norm); multiply the penalty by lambda outside.
    """
    interpolates = ops.convert_to_tensor(alpha * real + (1.0 - alpha) * fake)  # x^ = alpha x + (1 - alpha) x~
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        scores = critic(interpolates)
    gradients = tape.gradient(scores, interpolates)
    axes = list(range(1, len(gradients.shape)))
    norms = ops.sqrt(ops.sum(ops.square(gradients), axis=axes) + 1e-12)  # ||grad_x^ f(x^)||_2
    return ops.mean(ops.square(norms - 1.0)), ops.mean(norms)  # E[(||grad|| - 1)^2]

