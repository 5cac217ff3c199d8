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
