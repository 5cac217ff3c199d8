"""Deterministic autoencoder objectives: reconstruction plus an optional L1 code penalty."""

import jax
import jax.numpy as jnp


def l1_penalty(codes: jax.Array) -> jax.Array:
    """Mean over the batch of the L1 norm of each code.

    Args:
      codes: shape [B, D].

    Returns:
      Scalar mean_b sum_d |codes[b, d]|.
    """
    return jnp.mean(jnp.sum(jnp.abs(codes), axis=-1))


def sparse_autoencoder_loss(
    log_likelihood: jax.Array, codes: jax.Array, l1_weight: float
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Negative reconstruction log-likelihood plus ``l1_weight`` times the L1 code penalty.

    Args:
      log_likelihood: log p(x | decoder(codes)) per example, shape [B].
      codes: encoder outputs, shape [B, D].
      l1_weight: penalty weight; 0 gives a plain autoencoder.

    Returns:
      (loss, {"reconstruction_nll", "l1", "active_fraction"}).
    """
    nll = -jnp.mean(log_likelihood)
    l1 = l1_penalty(codes)
    active = jnp.mean(jnp.abs(codes) > 1e-3)
    return nll + l1_weight * l1, {"reconstruction_nll": nll, "l1": l1, "active_fraction": active}
