"""The terms of the VAE objective, as functions of tensors (any Keras backend).

All quantities are in nats, per example (summed over pixels or latent dimensions).

Evidence lower bound (Kingma & Welling, 2014, eq. 3) for one example x:

    ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x)

with q(z|x) = N(mu, diag sigma^2) and p(z) = N(0, I).
"""

from __future__ import annotations

import math

from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def kl_per_dimension(mean, log_variance):
    """Closed-form KL(N(mu, sigma^2) || N(0, 1)) for each latent dimension, shape (batch, latent).

    KL = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2)       (Kingma & Welling, 2014, appendix B).
    The course writes D_KL = 1/2 sum(1 + log sigma^2 - mu^2 - sigma^2), which is -KL (the
    term as it appears inside the ELBO); the KL itself is the non-negative value here.
    """
    return 0.5 * (ops.square(mean) + ops.exp(log_variance) - 1.0 - log_variance)


def bernoulli_nll(targets, logits):
    """-log p(x|z) for a Bernoulli decoder with p = sigmoid(l), summed over pixels.

    -[x log p + (1 - x) log(1 - p)] = softplus(l) - x * l, exact and stable for any logit.
    On grey levels x in [0, 1] this is the binary cross-entropy (not a normalized likelihood).
    """
    terms = ops.softplus(logits) - targets * logits
    return ops.sum(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)


def squared_error(targets, logits):
    """sum_j (x_j - x^_j)^2 with x^ = sigmoid(l): the course's ||X - X^||^2, per example.

    It equals -log N(x; x^, I/2) up to the constant (D/2) log(pi): see :func:`gaussian_nll`.
    """
    terms = ops.square(targets - ops.sigmoid(logits))
    return ops.sum(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)


def gaussian_nll(targets, logits):
    """-log N(x; sigmoid(l), I/2) = sum_j (x_j - x^_j)^2 + (D/2) log(pi): the MSE decoder's density."""
    pixels = math.prod(targets.shape[1:])
    return squared_error(targets, logits) + 0.5 * pixels * math.log(math.pi)


def log_normal(z, mean, log_variance):
    """log N(z; mu, diag sigma^2), summed over the latent dimensions."""
    terms = -0.5 * (LOG_2PI + log_variance + ops.square(z - mean) * ops.exp(-log_variance))
    return ops.sum(terms, axis=-1)


def kl_objective(kl_dimensions, free_bits: float):
    """The KL term the loss minimizes, averaged over the batch.

    Without free bits: mean_i sum_j KL_ij. With free bits lambda (Kingma et al., 2016,
    "Improved Variational Inference with Inverse Autoregressive Flow", eq. 15, one group per
    latent dimension): sum_j max(lambda, mean_i KL_ij), so a dimension whose KL is below
    lambda nats gets no gradient pushing it further towards the prior (against posterior collapse).
    """
    if free_bits > 0:
        return ops.sum(ops.maximum(ops.mean(kl_dimensions, axis=0), free_bits))
    return ops.mean(ops.sum(kl_dimensions, axis=1))


def annealed_beta(beta: float, step, warmup_steps: int):
    """KL warm-up (Bowman et al., 2016; Sonderby et al., 2016): beta_t = beta * min(1, t / T).

    ``step`` is the optimizer's iteration count, so a resumed run continues the schedule
    exactly where it stopped (nothing is kept in Python state).
    """
    if warmup_steps <= 0:
        return ops.convert_to_tensor(beta, "float32")
    progress = ops.minimum(ops.cast(step, "float32") / float(warmup_steps), 1.0)
    return beta * progress
