"""Names of the previous release, kept for one release with a DeprecationWarning. The new
functions take the point first (``genjax.losses.likelihoods``); these keep their old order."""

import functools
import warnings
from collections.abc import Callable

import jax

from genjax.losses import likelihoods


def _deprecated(old: str, new: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def warned(*args, **kwargs):
            warnings.warn(
                f"genjax.losses.{old} is deprecated and goes in the next release; use {new}",
                DeprecationWarning,
                stacklevel=2,
            )
            return fn(*args, **kwargs)

        return warned

    return wrap


@_deprecated("bernoulli_log_likelihood(logits, x)", "bernoulli_log_prob(x, logits)")
def bernoulli_log_likelihood(logits: jax.Array, x: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """``bernoulli_log_prob(x, logits, batch_ndim)``."""
    return likelihoods.bernoulli_log_prob(x, logits, batch_ndim)


@_deprecated("gaussian_log_likelihood(mean, log_scale, x)", "gaussian_log_prob(x, mean, log_scale)")
def gaussian_log_likelihood(
    mean: jax.Array, log_scale: jax.Array, x: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """``gaussian_log_prob(x, mean, log_scale, batch_ndim)``."""
    return likelihoods.gaussian_log_prob(x, mean, log_scale, batch_ndim)


@_deprecated("gaussian_log_density_logvar", "gaussian_log_prob_logvar (same order)")
def gaussian_log_density_logvar(
    z: jax.Array, mean: jax.Array, log_var: jax.Array, batch_ndim: int = 1
) -> jax.Array:
    """``gaussian_log_prob_logvar(z, mean, log_var, batch_ndim)``."""
    return likelihoods.gaussian_log_prob_logvar(z, mean, log_var, batch_ndim)


@_deprecated("standard_normal_log_density", "standard_normal_log_prob")
def standard_normal_log_density(z: jax.Array, batch_ndim: int = 1) -> jax.Array:
    """``standard_normal_log_prob(z, batch_ndim)``."""
    return likelihoods.standard_normal_log_prob(z, batch_ndim)
