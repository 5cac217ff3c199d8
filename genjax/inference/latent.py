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


Decode = Callable[[jax.Array], jax.Array]


def interpolation_grids(decode: Decode, starts: jax.Array, ends: jax.Array, num: int) -> dict:
    """Decoded lerp and slerp paths, one row per pair of endpoints.

    Args:
      decode: latents [N, D] -> images [N, H, W, C].
      starts, ends: endpoints, shape [R, D].
      num: points per path, endpoints included.

    Returns:
      {"interpolation_lerp": [R, num, H, W, C], "interpolation_slerp": same}.
    """
    out = {}
    for name, path in (("lerp", lerp), ("slerp", slerp)):
        z = jax.vmap(path, in_axes=(0, 0, None))(starts, ends, num)  # [R, num, D]
        images = decode(z.reshape(-1, z.shape[-1]))
        out[f"interpolation_{name}"] = images.reshape(*z.shape[:2], *images.shape[1:])
    return out


def traversal_grid(decode: Decode, z: jax.Array, dims: Sequence[int], values: jax.Array):
    """Decoded traversal: row i varies dimension ``dims[i]`` over ``values``, others at z.

    Args:
      decode: latents [N, D] -> images [N, H, W, C].
      z: base point, shape [D].
      dims: dimensions to traverse.
      values: settings, shape [V].

    Returns:
      Images [len(dims), V, H, W, C].
    """
    grid = traversal(z, dims, values)
    images = decode(grid.reshape(-1, grid.shape[-1]))
    return images.reshape(*grid.shape[:2], *images.shape[1:])
