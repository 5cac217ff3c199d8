"""Log-likelihoods and KL divergences, pure functions of arrays.

Every function reduces over the event axes: all axes after the first ``batch_ndim`` ones, so
``[B, H, W, C]`` gives ``[B]`` and, with ``batch_ndim=2``, ``[K, B, D]`` gives ``[K, B]``.
"""

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2.0 * math.pi)


def _sum_event(x: jax.Array, batch_ndim: int) -> jax.Array:
    return jnp.sum(x, axis=tuple(range(batch_ndim, x.ndim)))


def bernoulli_log_likelihood(logits: jax.Array, x: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log Bernoulli(x | sigmoid(logits)), stable for any logits: the library's one Bernoulli
    log-probability (decoders, sigmoid belief nets, deep belief nets).

    Args:
      logits: natural parameters, any shape.
      x: targets in [0, 1], broadcastable to ``logits``.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-likelihood summed over event axes, shape ``logits.shape[:batch_ndim]``.
    """
    return _sum_event(x * logits - jax.nn.softplus(logits), batch_ndim)


def gaussian_log_likelihood(
    mean: jax.Array, log_scale: jax.Array, x: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """log N(x | mean, exp(log_scale)^2) with diagonal covariance.

    Args:
      mean: the mean, any shape.
      log_scale: log standard deviation, broadcastable to ``mean``.
      x: targets, broadcastable to ``mean``.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-density summed over event axes, shape ``mean.shape[:batch_ndim]``.
    """
    log_scale = jnp.broadcast_to(log_scale, jnp.broadcast_shapes(mean.shape, x.shape))
    z = (x - mean) * jnp.exp(-log_scale)
    return _sum_event(-0.5 * (z**2 + LOG_2PI) - log_scale, batch_ndim)


def gaussian_log_density_logvar(
    z: jax.Array, mean: jax.Array, log_var: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """log N(z | mean, diag(exp(log_var))), the latent parametrisation used by encoders.

    Args:
      z: points, any shape.
      mean: mean, broadcastable to ``z``.
      log_var: log variance, broadcastable to ``z``.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-density summed over event axes.
    """
    return gaussian_log_likelihood(mean, 0.5 * log_var, z, batch_ndim)


def standard_normal_log_density(z: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log N(z | 0, I), summed over event axes."""
    return _sum_event(-0.5 * (z**2 + LOG_2PI), batch_ndim)


def kl_diag_gaussians(
    mean_q: jax.Array,
    log_var_q: jax.Array,
    mean_p: jax.Array | float = 0.0,
    log_var_p: jax.Array | float = 0.0,
    batch_ndim: int = 1,
) -> jax.Array:
    """KL(N(mean_q, exp(log_var_q)) || N(mean_p, exp(log_var_p))), diagonal, closed form: the
    library's one Gaussian KL (VAE posteriors, the diffusion bound's per-step terms).

    Args:
      mean_q, log_var_q: the first Gaussian.
      mean_p, log_var_p: the second Gaussian; defaults give the standard normal prior.
      batch_ndim: number of leading axes kept.

    Returns:
      KL in nats summed over event axes.
    """
    log_var_p = jnp.asarray(log_var_p)
    kl = 0.5 * (
        log_var_p
        - log_var_q
        + jnp.exp(log_var_q - log_var_p)
        + (mean_q - mean_p) ** 2 * jnp.exp(-log_var_p)
        - 1.0
    )
    return _sum_event(kl, batch_ndim)
