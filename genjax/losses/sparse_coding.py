"""The sparse coding objective (Olshausen & Field 1996) in the lasso form scikit-learn solves."""

import jax
import jax.numpy as jnp


def sparse_coding_objective(
    x: jax.Array, codes: jax.Array, dictionary: jax.Array, penalty: float
) -> jax.Array:
    """½ ||x - c D||² + λ ||c||₁ per example.

    Args:
      x: signals [B, P].
      codes: c [B, K].
      dictionary: atoms D [K, P].
      penalty: λ ≥ 0.

    Returns:
      [B] objective values.
    """
    residual = x - codes @ dictionary
    return 0.5 * jnp.sum(residual**2, axis=-1) + penalty * jnp.sum(jnp.abs(codes), axis=-1)
