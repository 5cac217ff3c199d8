"""Variational bounds: ELBO, beta-ELBO and the importance-weighted (IWAE) bound, with the
reparametrised draws and the importance log-weights of a Gaussian posterior they are built on.

Each ``*_bound`` works per example; each ``*_loss`` returns ``(scalar_to_minimise, metrics)``.
"""

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from genjax.losses.likelihoods import gaussian_log_prob_logvar, standard_normal_log_prob


def elbo(log_likelihood: jax.Array, kl: jax.Array) -> jax.Array:
    """Evidence lower bound per example: E_q[log p(x|z)] - KL(q(z|x) || p(z)).

    Args:
      log_likelihood: single-sample estimate of E_q[log p(x|z)], shape [B].
      kl: KL(q(z|x) || p(z)) in closed form, shape [B].

    Returns:
      The ELBO in nats, shape [B].
    """
    return log_likelihood - kl


def beta_elbo(log_likelihood: jax.Array, kl: jax.Array, beta: float) -> jax.Array:
    """beta-VAE objective per example (Higgins et al. 2017): log p(x|z) - beta * KL.

    Args:
      log_likelihood: shape [B].
      kl: shape [B].
      beta: KL weight; 1 gives the ELBO.

    Returns:
      The beta-weighted objective, shape [B]; a bound on log p(x) only for beta >= 1.
    """
    return log_likelihood - beta * kl


def elbo_loss(
    log_likelihood: jax.Array, kl: jax.Array, beta: float = 1.0
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean negative beta-ELBO over the batch, with the true ELBO in the metrics.

    Args:
      log_likelihood: shape [B].
      kl: shape [B].
      beta: KL weight.

    Returns:
      (loss, {"elbo", "log_likelihood", "kl"}) where elbo is the beta=1 bound.
    """
    loss = -jnp.mean(beta_elbo(log_likelihood, kl, beta))
    metrics = {
        "elbo": jnp.mean(elbo(log_likelihood, kl)),
        "log_likelihood": jnp.mean(log_likelihood),
        "kl": jnp.mean(kl),
    }
    return loss, metrics


def iwae_bound(log_weights: jax.Array) -> jax.Array:
    """Importance-weighted bound (Burda et al. 2016) per example.

    Args:
      log_weights: log p(x, z_k) - log q(z_k | x), shape [K, B].

    Returns:
      log (1/K) sum_k exp(log_weights[k]), shape [B]; K=1 gives the ELBO.
    """
    k = log_weights.shape[0]
    return jax.nn.logsumexp(log_weights, axis=0) - math.log(k)


def iwae_loss(log_weights: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Mean negative IWAE bound.

    Args:
      log_weights: shape [K, B].

    Returns:
      (loss, {"iwae_bound", "elbo"}) with the single-sample ELBO averaged over the K draws.
    """
    bound = iwae_bound(log_weights)
    return -jnp.mean(bound), {"iwae_bound": jnp.mean(bound), "elbo": jnp.mean(log_weights)}


def reparameterize(
    key: jax.Array, mean: jax.Array, log_var: jax.Array, num_samples: int | None = None
) -> jax.Array:
    """z = mean + exp(log_var / 2) ε, ε ~ N(0, I): draws from q(z|x) differentiable in its
    parameters (Kingma & Welling 2014).

    Args:
      key: draws ε.
      mean, log_var: q's parameters [B, D].
      num_samples: None for one draw per example [B, D]; K for K draws [K, B, D].

    Returns:
      The draws.
    """
    shape = mean.shape if num_samples is None else (num_samples, *mean.shape)
    return mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, shape, mean.dtype)


def gaussian_posterior_log_weights(
    log_likelihood_fn: Callable[[jax.Array], jax.Array],
    mean: jax.Array,
    log_var: jax.Array,
    key: jax.Array,
    num_samples: int,
) -> jax.Array:
    """IWAE log-weights log p(x | z_k) + log N(z_k; 0, I) - log q(z_k | x) of K draws from a
    diagonal Gaussian posterior q = N(mean, exp(log_var)) and a standard normal prior.

    Args:
      log_likelihood_fn: draws z [K, B, D] -> log p(x | z) [K, B] (the decoder, closed over x).
      mean, log_var: q's parameters [B, D].
      key: draws the K samples.
      num_samples: K.

    Returns:
      [K, B] log-weights: ``iwae_bound`` of them is the K-sample bound, and their log-mean-exp
      over many draws the importance-sampled log p(x).
    """
    eps = jax.random.normal(key, (num_samples, *mean.shape), mean.dtype)
    return gaussian_posterior_log_weights_at(log_likelihood_fn, mean, log_var, eps)


def gaussian_posterior_log_weights_at(
    log_likelihood_fn: Callable[[jax.Array], jax.Array],
    mean: jax.Array,
    log_var: jax.Array,
    eps: jax.Array,
) -> jax.Array:
    """``gaussian_posterior_log_weights`` at given standard-normal noise: z = mean + σ ε, so the
    base draws can come from any sampler (stratified, Latin hypercube, quasi-Monte Carlo:
    ``genjax.inference.sampling``).

    Args:
      log_likelihood_fn: draws z [K, B, D] -> log p(x | z) [K, B].
      mean, log_var: q's parameters [B, D].
      eps: [K, B, D] draws of N(0, I).

    Returns:
      [K, B] log-weights.
    """
    z = mean + jnp.exp(0.5 * log_var) * eps
    log_prior = standard_normal_log_prob(z, batch_ndim=2)
    log_q = gaussian_log_prob_logvar(z, mean, log_var, batch_ndim=2)
    return log_likelihood_fn(z) + log_prior - log_q
