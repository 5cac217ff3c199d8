"""Latent-space exploration: interpolation, traversal grids and perturbation analysis."""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp


def lerp(z0: jax.Array, z1: jax.Array, num: int) -> jax.Array:
    """Linear interpolation from z0 to z1 inclusive.

    Args:
      z0, z1: endpoints, shape [D].
      num: number of points.

    Returns:
      Shape [num, D].
    """
    t = jnp.linspace(0.0, 1.0, num)[:, None]
    return (1.0 - t) * z0[None] + t * z1[None]


def slerp(z0: jax.Array, z1: jax.Array, num: int, eps: float = 1e-7) -> jax.Array:
    """Spherical interpolation (Shoemake 1985), the natural path under a Gaussian prior.

    Falls back to lerp when the endpoints are (anti)parallel.

    Args:
      z0, z1: endpoints, shape [D].
      num: number of points.
      eps: threshold on sin(omega) below which lerp is used.

    Returns:
      Shape [num, D].
    """
    t = jnp.linspace(0.0, 1.0, num)[:, None]
    cos = jnp.dot(z0, z1) / (jnp.linalg.norm(z0) * jnp.linalg.norm(z1))
    omega = jnp.arccos(jnp.clip(cos, -1.0, 1.0))
    so = jnp.sin(omega)
    safe = jnp.where(so > eps, so, 1.0)
    spherical = (jnp.sin((1.0 - t) * omega) * z0 + jnp.sin(t * omega) * z1) / safe
    return jnp.where(so > eps, spherical, lerp(z0, z1, num))


def traversal(z: jax.Array, dims: Sequence[int], values: jax.Array) -> jax.Array:
    """Traversal grid: one latent dimension varied over ``values``, the others held at z.

    Args:
      z: base point, shape [D].
      dims: dimensions to traverse (rows of the grid).
      values: settings for the varied dimension, shape [V] (columns).

    Returns:
      Shape [len(dims), V, D].
    """
    dims = jnp.asarray(dims)
    grid = jnp.broadcast_to(z, (dims.shape[0], values.shape[0], z.shape[0]))
    return grid.at[jnp.arange(dims.shape[0])[:, None], :, dims[:, None]].set(values[None, :])


def perturbation_sensitivity(
    decode: Callable[[jax.Array], jax.Array], z: jax.Array, delta: float = 1.0
) -> jax.Array:
    """How much each latent dimension moves the output: mean squared change of ``decode``
    when that dimension alone is shifted by ``delta``, averaged over the batch of codes.

    Inactive ("collapsed") dimensions score near 0.

    Args:
      decode: maps latents [N, D] to outputs [N, ...].
      z: codes, shape [N, D].
      delta: size of the shift.

    Returns:
      Shape [D].
    """
    base = decode(z)

    def one(d: jax.Array) -> jax.Array:
        shifted = decode(z.at[:, d].add(delta))
        return jnp.mean((shifted - base) ** 2)

    return jax.lax.map(one, jnp.arange(z.shape[-1]))
