"""Exact log-likelihoods of fully observed (autoregressive) models, pure functions of arrays.

A model gives, for every pixel, the parameters of p(x_i | x_<i) in one pass (teacher
forcing); these functions turn them into log p(x) = sum_i log p(x_i | x_<i). Pixels are
integer levels 0..L-1: {0, 1} for binary images (Bernoulli), the data's own levels for gray
images (a categorical: 17 for scikit-learn's digits, 256 for 8-bit images).
"""

import math

import jax
import jax.numpy as jnp


def pixel_log_probs(logits: jax.Array, x: jax.Array) -> jax.Array:
    """log p(x_i | x_<i) of every pixel, [B, D].

    Args:
      logits: [B, D] Bernoulli logits, or [B, D, L] categorical logits over L levels.
      x: [B, D] integer levels (0/1 for Bernoulli).

    Returns:
      Per-pixel log-probabilities, shape [B, D].
    """
    if logits.ndim == x.ndim:  # Bernoulli
        xf = x.astype(logits.dtype)
        return xf * logits - jax.nn.softplus(logits)
    log_p = jax.nn.log_softmax(logits, axis=-1)
    return jnp.take_along_axis(log_p, x[..., None].astype(jnp.int32), axis=-1)[..., 0]


def autoregressive_log_prob(logits: jax.Array, x: jax.Array) -> jax.Array:
    """Exact log p(x) per example: the sum of the pixels' conditional log-probabilities.

    Args:
      logits: [B, D] (Bernoulli) or [B, D, L] (categorical) conditionals of the pixels of x.
      x: [B, D] integer levels.

    Returns:
      log p(x), shape [B], in nats.
    """
    return jnp.sum(pixel_log_probs(logits, x), axis=-1)


def autoregressive_nll_loss(logits: jax.Array, x: jax.Array) -> tuple[jax.Array, dict]:
    """Mean negative log-likelihood (nats per example) and its bits per dimension.

    Returns:
      (loss, {"nll": [B], "bits_per_dim": [B]}).
    """
    nll = -autoregressive_log_prob(logits, x)
    bpd = nll / (x.shape[-1] * math.log(2.0))
    return jnp.mean(nll), {"nll": nll, "bits_per_dim": bpd}


def independent_categorical_log_prob(
    counts: jax.Array, x: jax.Array, alpha: float = 1.0
) -> jax.Array:
    """log p(x) under independent per-pixel categoricals fitted by counting, Laplace-smoothed:
    p_i(v) = (counts[i, v] + alpha) / (sum_v counts[i, v] + alpha L). The floor row of the
    likelihood table.

    Args:
      counts: [D, L] training counts of each level at each pixel.
      x: [B, D] integer levels.
      alpha: the smoothing pseudo-count.

    Returns:
      log p(x), shape [B].
    """
    probs = (counts + alpha) / (jnp.sum(counts, axis=-1, keepdims=True) + alpha * counts.shape[-1])
    log_p = jnp.log(probs)  # [D, L]
    return jnp.sum(jnp.take_along_axis(log_p[None], x[..., None], axis=-1)[..., 0], axis=-1)


def discretized_logistic_mixture_log_prob(
    x: jax.Array,
    logit_weights: jax.Array,
    means: jax.Array,
    log_scales: jax.Array,
    coeffs: jax.Array | None = None,
    bins: int = 256,
) -> jax.Array:
    """log p(x) per pixel under PixelCNN++'s discretised logistic mixture (Salimans et al.
    2017, eqs. 2-3), for images on ``bins`` evenly spaced levels in [-1, 1].

    Each of K components gives every channel a logistic; the channels of a pixel are coupled
    linearly (the green mean moves with the red value, the blue with red and green), so the
    mixture is over whole pixels. A level's probability is the logistic's mass over its bin,
    the edge levels taking the tails; where that mass underflows (< 1e-5) the density at the
    bin's centre times the bin width stands in, as in the authors' code.

    Args:
      x: images [..., C] on the levels (C = 1 or 3).
      logit_weights: [..., K] mixture logits.
      means: [..., C, K] component means.
      log_scales: [..., C, K] log scales (clipped below at -7, as the authors).
      coeffs: [..., 3, K] pre-tanh coupling (green on red; blue on red; blue on green) for
        C = 3; None for one channel.
      bins: number of levels (256 for 8-bit images).

    Returns:
      log p(pixel), shape x.shape[:-1] (sum it over the pixels for log p(image)).
    """
    half = 1.0 / (bins - 1)  # half the bin width on [-1, 1]
    log_scales = jnp.maximum(log_scales, -7.0)
    xk = x[..., None]  # [..., C, 1]
    if x.shape[-1] == 3:
        c = jnp.tanh(coeffs)
        g = means[..., 1, :] + c[..., 0, :] * xk[..., 0, :]
        b = means[..., 2, :] + c[..., 1, :] * xk[..., 0, :] + c[..., 2, :] * xk[..., 1, :]
        means = jnp.stack([means[..., 0, :], g, b], axis=-2)
    centred = xk - means
    inv = jnp.exp(-log_scales)
    plus, minus = inv * (centred + half), inv * (centred - half)
    log_cdf_plus = plus - jax.nn.softplus(plus)  # log sigma(plus): the lowest level
    log_one_minus_cdf_minus = -jax.nn.softplus(minus)  # the highest level
    delta = jax.nn.sigmoid(plus) - jax.nn.sigmoid(minus)
    mid = inv * centred
    log_pdf_mid = mid - log_scales - 2.0 * jax.nn.softplus(mid) + math.log(2.0 * half)
    interior = jnp.where(delta > 1e-5, jnp.log(jnp.maximum(delta, 1e-12)), log_pdf_mid)
    log_p = jnp.where(
        xk < -1.0 + half,
        log_cdf_plus,
        jnp.where(xk > 1.0 - half, log_one_minus_cdf_minus, interior),
    )  # [..., C, K]
    joint = jnp.sum(log_p, axis=-2) + jax.nn.log_softmax(logit_weights, axis=-1)
    return jax.nn.logsumexp(joint, axis=-1)
