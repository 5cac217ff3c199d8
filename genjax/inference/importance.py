"""Importance-sampled log-likelihood, log p(x) ~= log (1/K) sum_k p(x, z_k) / q(z_k | x).

Samples are drawn in chunks under ``lax.scan`` with a running log-sum-exp, so memory is bounded
by ``chunk_size`` whatever K is.
"""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

LogWeightFn = Callable[[jax.Array, int], jax.Array]


def importance_log_likelihood(
    log_weight_fn: LogWeightFn, key: jax.Array, num_samples: int, chunk_size: int = 100
) -> jax.Array:
    """Estimate log p(x) per example with ``num_samples`` importance samples.

    Args:
      log_weight_fn: ``(key, n) -> [n, B]`` log weights log p(x, z) - log q(z | x) of n fresh
        draws z ~ q(z | x) for each of the B examples.
      key: PRNG key.
      num_samples: K, the total number of draws per example.
      chunk_size: draws per chunk; must divide K.

    Returns:
      Estimates in nats, shape [B]. The estimate is a stochastic lower bound whose bias
      vanishes as K grows (it equals the IWAE bound with K samples).
    """
    return importance_statistics(log_weight_fn, key, num_samples, chunk_size)[0]


def importance_statistics(
    log_weight_fn: LogWeightFn, key: jax.Array, num_samples: int, chunk_size: int = 100
) -> tuple[jax.Array, jax.Array]:
    """``importance_log_likelihood`` and, from the same draws, Kish's effective sample size
    (Σw)² / Σw² per example (K for equal weights, 1 when one weight dominates).

    Returns:
      (log p(x) estimates [B], effective sample sizes [B]).
    """
    if num_samples % chunk_size:
        raise ValueError(f"num_samples={num_samples} must be a multiple of chunk_size={chunk_size}")
    num_chunks = num_samples // chunk_size
    batch_shape = jax.eval_shape(lambda k: log_weight_fn(k, chunk_size), key).shape[1:]

    def body(acc, chunk_key: jax.Array):
        lw = log_weight_fn(chunk_key, chunk_size)
        total, squares = acc
        total = jnp.logaddexp(total, jax.nn.logsumexp(lw, axis=0))
        return (total, jnp.logaddexp(squares, jax.nn.logsumexp(2 * lw, axis=0))), None

    init = jnp.full(batch_shape, -jnp.inf, jnp.float32)
    (total, squares), _ = jax.lax.scan(body, (init, init), jax.random.split(key, num_chunks))
    return total - math.log(num_samples), jnp.exp(2 * total - squares)
