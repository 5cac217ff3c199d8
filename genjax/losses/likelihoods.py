"""Log-likelihoods and KL divergences, pure functions of arrays.

Every log-probability takes the point first, then the distribution's parameters
(``gaussian_log_prob(x, mean, log_scale)``, as ``scipy.stats.norm.logpdf(x, loc, scale)``), and
reduces over the event axes: all axes after the first ``batch_ndim`` ones, so ``[B, H, W, C]``
gives ``[B]`` and, with ``batch_ndim=2``, ``[K, B, D]`` gives ``[K, B]``. A Gaussian is given by
its log standard deviation unless the name says ``logvar``. The names of the previous release
(``bernoulli_log_likelihood(logits, x)``, ``gaussian_log_likelihood(mean, log_scale, x)``,
``gaussian_log_density_logvar``, ``standard_normal_log_density``) still work, with a
DeprecationWarning (``genjax.losses.deprecated``).
"""

import math

import jax
import jax.numpy as jnp

LOG_2PI = math.log(2.0 * math.pi)


def _sum_event(x: jax.Array, batch_ndim: int) -> jax.Array:
    return jnp.sum(x, axis=tuple(range(batch_ndim, x.ndim)))


def bernoulli_log_prob(x: jax.Array, logits: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log Bernoulli(x | sigmoid(logits)), stable for any logits: the library's one Bernoulli
    log-probability (decoders, sigmoid belief nets, deep belief nets).

    Args:
      x: targets in [0, 1], broadcastable to ``logits``.
      logits: natural parameters, any shape.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-probability summed over event axes, shape ``logits.shape[:batch_ndim]``.
    """
    return _sum_event(x * logits - jax.nn.softplus(logits), batch_ndim)


def gaussian_log_prob(
    x: jax.Array, mean: jax.Array, log_scale: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """log N(x | mean, exp(log_scale)²), diagonal: the decoders' parametrisation (log σ).

    Args:
      x: points, broadcastable to ``mean``.
      mean: the mean, any shape.
      log_scale: log standard deviation, broadcastable to ``mean``.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-density summed over event axes, shape ``mean.shape[:batch_ndim]``.
    """
    log_scale = jnp.broadcast_to(log_scale, jnp.broadcast_shapes(mean.shape, x.shape))
    z = (x - mean) * jnp.exp(-log_scale)
    return _sum_event(-0.5 * (z**2 + LOG_2PI) - log_scale, batch_ndim)


def gaussian_log_prob_logvar(
    x: jax.Array, mean: jax.Array, log_var: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """log N(x | mean, diag(exp(log_var))): the encoders' parametrisation (log σ²).

    Args:
      x: points, any shape.
      mean: mean, broadcastable to ``x``.
      log_var: log variance, broadcastable to ``x``.
      batch_ndim: number of leading axes kept.

    Returns:
      Log-density summed over event axes.
    """
    return gaussian_log_prob(x, mean, 0.5 * log_var, batch_ndim)


def standard_normal_log_prob(x: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """log N(x | 0, I), summed over event axes."""
    return _sum_event(-0.5 * (x**2 + LOG_2PI), batch_ndim)


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
