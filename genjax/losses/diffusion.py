"""Diffusion losses: denoising regressions (ε, v, x0), weighted denoising score matching, and
the terms of the variational bound (per-step Gaussian KL and a discretised Gaussian decoder
for 8-bit data) from which bits/dim is reported.

Every function takes arrays only (predictions, targets, schedule coefficients at the batch's
steps); building x_t and the targets is ``genjax.diffusion``'s job. The four regressions take
the prediction first and an optional per-example ``weight``, and return (the weighted batch mean
of each example's mean over dimensions, {"mse": the unweighted mean}).
"""

import math

import jax
import jax.numpy as jnp

from genjax.losses.likelihoods import kl_diag_gaussians

Metrics = dict[str, jax.Array]


def _per_example_mean(x: jax.Array) -> jax.Array:
    return jnp.mean(x.reshape(x.shape[0], -1), axis=-1)


def _weighted_mean(per_example: jax.Array, weight: jax.Array | None) -> jax.Array:
    return jnp.mean(per_example if weight is None else weight * per_example)


def eps_prediction_loss(
    eps_pred: jax.Array, eps: jax.Array, weight: jax.Array | None = None
) -> tuple[jax.Array, Metrics]:
    """L_simple (Ho et al. 2020): ||ε - ε̂(x_t, t)||², averaged over pixels and batch.

    Args:
      eps_pred: predicted noise [B, ...].
      eps: the noise that made x_t, same shape.
      weight: optional per-example weights [B].

    Returns:
      (loss, {"mse"}) with the unweighted mean squared error.
    """
    mse = _per_example_mean((eps_pred - eps) ** 2)
    return _weighted_mean(mse, weight), {"mse": jnp.mean(mse)}


def v_prediction_loss(
    v_pred: jax.Array,
    x0: jax.Array,
    eps: jax.Array,
    alpha_bar: jax.Array,
    weight: jax.Array | None = None,
) -> tuple[jax.Array, Metrics]:
    """||v - v̂||² with v = √ᾱ ε - √(1-ᾱ) x_0 (Salimans & Ho 2022), averaged over pixels and
    batch.

    Args:
      v_pred: predicted v [B, ...].
      x0: data [B, ...].
      eps: noise [B, ...].
      alpha_bar: ᾱ_t per example [B].
      weight: optional per-example weights [B].

    Returns:
      (loss, {"mse"}) with the unweighted mean squared error.
    """
    a = alpha_bar.reshape(alpha_bar.shape + (1,) * (x0.ndim - 1))
    target = jnp.sqrt(a) * eps - jnp.sqrt(1.0 - a) * x0
    mse = _per_example_mean((v_pred - target) ** 2)
    return _weighted_mean(mse, weight), {"mse": jnp.mean(mse)}


def x0_prediction_loss(
    x0_pred: jax.Array, x0: jax.Array, weight: jax.Array | None = None
) -> tuple[jax.Array, Metrics]:
    """||x_0 - x̂_0(x_t, t)||², averaged over pixels and batch.

    Args:
      x0_pred: predicted data [B, ...].
      x0: data, same shape.
      weight: optional per-example weights [B].

    Returns:
      (loss, {"mse"}) with the unweighted mean squared error.
    """
    mse = _per_example_mean((x0_pred - x0) ** 2)
    return _weighted_mean(mse, weight), {"mse": jnp.mean(mse)}


def denoising_score_matching_loss(
    score_pred: jax.Array, eps: jax.Array, std: jax.Array, weight: jax.Array | None = None
) -> tuple[jax.Array, Metrics]:
    """Weighted DSM (Song et al. 2021): λ(t) ||s_θ(x_t, t) + ε/σ_t||², with x_t = m x_0 + σ_t ε,
    averaged over dimensions and batch as the other regressions are.

    With the default λ(t) = σ_t² this is ||σ_t s_θ + ε||²; pass ``weight`` = g(t)²/σ_t² for the
    likelihood weighting. (The previous release summed over dimensions: multiply by the number
    of dimensions for its value.)

    Args:
      score_pred: s_θ(x_t, t) [B, ...].
      eps: the noise that made x_t.
      std: σ_t per example [B].
      weight: optional extra per-example weight [B] (multiplies the σ_t² weighting).

    Returns:
      (loss, {"mse"}) with the unweighted mean of ||σ_t s_θ + ε||² per dimension.
    """
    s = std.reshape(std.shape + (1,) * (eps.ndim - 1))
    mse = _per_example_mean((s * score_pred + eps) ** 2)
    return _weighted_mean(mse, weight), {"mse": jnp.mean(mse)}


def _std_normal_cdf(x: jax.Array) -> jax.Array:
    return 0.5 * (1.0 + jax.lax.erf(x / math.sqrt(2.0)))


def discretized_gaussian_log_likelihood(
    x: jax.Array, mean: jax.Array, log_scale: jax.Array, bins: int = 256
) -> jax.Array:
    """log P(x) elementwise for data on ``bins`` levels scaled to [-1, 1] (Ho et al. 2020):
    the mass of N(mean, e^{2 log_scale}) on the bin of width 2/(bins-1) around x, the edge bins
    extended to ±∞ so the probabilities of all levels sum to one.

    Args:
      x: data in [-1, 1] on the grid -1 + 2k/(bins-1).
      mean, log_scale: the decoder's Gaussian, broadcastable to x.
      bins: number of levels (256 for 8-bit images).

    Returns:
      log-probabilities, shape of x, in nats.
    """
    half = 1.0 / (bins - 1)
    inv = jnp.exp(-log_scale)
    upper = _std_normal_cdf(inv * (x - mean + half))
    lower = _std_normal_cdf(inv * (x - mean - half))
    tiny = 1e-12
    log_upper = jnp.log(jnp.maximum(upper, tiny))  # x at the bottom edge: P = cdf(upper)
    log_one_minus_lower = jnp.log(jnp.maximum(1.0 - lower, tiny))  # top edge: 1 - cdf(lower)
    log_mid = jnp.log(jnp.maximum(upper - lower, tiny))
    return jnp.where(
        x < -1.0 + half, log_upper, jnp.where(x > 1.0 - half, log_one_minus_lower, log_mid)
    )


def nats_per_dim_to_bits(nats_per_example: jax.Array, num_dims: int) -> jax.Array:
    """Bits per dimension from nats per example."""
    return nats_per_example / (num_dims * math.log(2.0))


def _sum_per_example(x: jax.Array) -> jax.Array:
    return jnp.sum(x.reshape(x.shape[0], -1), axis=-1)


def variational_bound_term(
    x0: jax.Array,
    true_mean: jax.Array,
    true_log_var: jax.Array,
    model_mean: jax.Array,
    model_log_var: jax.Array,
    first: jax.Array,
    bins: int = 256,
) -> jax.Array:
    """One step's term of the negative variational bound (Ho et al. 2020, eq. 5), in nats.

    L_t = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) for t > 0, and at the first step the
    decoder's L_0 = -log p(x_0 | x_1), a Gaussian N(model_mean, e^model_log_var) discretised to
    ``bins`` levels in [-1, 1].

    Args:
      x0: data [B, ...] on the ``bins`` levels.
      true_mean, true_log_var: the forward posterior q(x_{t-1} | x_t, x_0) (ignored where
        ``first``).
      model_mean, model_log_var: the model's reverse step p(x_{t-1} | x_t).
      first: bool [B], the examples whose term is the decoder's.
      bins: levels of the data.

    Returns:
      Nats per example [B], summed over dimensions.
    """
    kl = kl_diag_gaussians(true_mean, true_log_var, model_mean, model_log_var)
    log_scale = 0.5 * model_log_var
    nll = -_sum_per_example(discretized_gaussian_log_likelihood(x0, model_mean, log_scale, bins))
    return jnp.where(first, nll, kl)


def prior_kl(mean: jax.Array, log_var: jax.Array) -> jax.Array:
    """L_T = KL(q(x_T | x_0) || N(0, I)) per example [B], in nats, from q's mean and
    log-variance."""
    return kl_diag_gaussians(mean, log_var)
