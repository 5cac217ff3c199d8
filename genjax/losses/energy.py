"""Energy-based objectives as functions of free energies."""

import jax
import jax.numpy as jnp


def contrastive_divergence_loss(
    free_energy_data: jax.Array, free_energy_model: jax.Array
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Surrogate whose gradient is the negative CD-k / PCD estimate of ∇ log-likelihood
    (Hinton 2002; Tieleman 2008): mean F(v_data) - mean F(v_model).

    The model samples v_model come from k Gibbs sweeps (from the data for CD-k, from persistent
    chains for PCD) and must be held fixed: compute ``free_energy_model`` at
    ``jax.lax.stop_gradient(v_model)`` so that only F's parameters are differentiated.

    Args:
      free_energy_data: F at the data [B].
      free_energy_model: F at the model samples [M].

    Returns:
      (surrogate, {"free_energy_gap"}); the value itself is not a likelihood.
    """
    gap = jnp.mean(free_energy_data) - jnp.mean(free_energy_model)
    return gap, {"free_energy_gap": gap}
