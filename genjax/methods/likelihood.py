"""Decoder outputs -> log-likelihood and display means, for Bernoulli and Gaussian decoders."""

import jax
import jax.numpy as jnp

from genjax.losses import bernoulli_log_likelihood, gaussian_log_likelihood


def log_likelihood(out: dict[str, jax.Array], x: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log p(x | decoder output) summed over pixels."""
    if "logits" in out:
        return bernoulli_log_likelihood(out["logits"], x, batch_ndim)
    return gaussian_log_likelihood(out["mean"], out["log_scale"], x, batch_ndim)


def mean_image(out: dict[str, jax.Array]) -> jax.Array:
    """E[x | z]: Bernoulli probabilities or the Gaussian mean."""
    if "logits" in out:
        return jax.nn.sigmoid(out["logits"])
    return out["mean"]


def class_labels(num: int, num_classes: int) -> jax.Array | None:
    """Labels 0, 1, ..., cycling, for class-conditional sampling (None if unconditional)."""
    return jnp.arange(num) % num_classes if num_classes else None
