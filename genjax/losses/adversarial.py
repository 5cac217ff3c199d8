"""Adversarial losses: functions of discriminator outputs, and gradient penalties.

Every ``*_discriminator`` / ``*_generator`` pair takes raw discriminator outputs (logits for the
non-saturating and minimax games, unconstrained scores for hinge, least-squares and Wasserstein)
and returns ``(scalar_to_minimise, metrics)``. The penalties take the discriminator's ``apply``
(``x -> outputs [B]``) and inputs, so they compose with any network.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

Metrics = dict[str, jax.Array]


def _d_metrics(real: jax.Array, fake: jax.Array) -> Metrics:
    return {"d_real": jnp.mean(real), "d_fake": jnp.mean(fake)}


def non_saturating_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """-log D(x) - log(1 - D(G(z))) with D = sigmoid(logit) (Goodfellow et al. 2014).

    Args:
      real: logits on data, shape [B].
      fake: logits on generated samples, shape [B'].

    Returns:
      (mean over real + mean over fake, metrics with the mean logits).
    """
    loss = jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))
    return loss, _d_metrics(real, fake)


def non_saturating_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """-log D(G(z)): the generator loss with strong gradients early in training.

    Args:
      fake: logits on generated samples, shape [B].

    Returns:
      (loss, {}).
    """
    return jnp.mean(jax.nn.softplus(-fake)), {}


def minimax_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """log(1 - D(G(z))): the generator's side of the original zero-sum game.

    Args:
      fake: logits on generated samples, shape [B].

    Returns:
      (loss, {}); it saturates when D rejects samples confidently.
    """
    return -jnp.mean(jax.nn.softplus(fake)), {}


def hinge_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """max(0, 1 - D(x)) + max(0, 1 + D(G(z))) (Lim & Ye 2017; Miyato et al. 2018).

    Args:
      real: scores on data, shape [B].
      fake: scores on generated samples, shape [B'].

    Returns:
      (loss, metrics).
    """
    loss = jnp.mean(jax.nn.relu(1.0 - real)) + jnp.mean(jax.nn.relu(1.0 + fake))
    return loss, _d_metrics(real, fake)


def hinge_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """-D(G(z)), the generator side of the hinge game (also Wasserstein's)."""
    return -jnp.mean(fake), {}


def least_squares_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real): ½(D(x)-1)² + ½D(G(z))².

    Args:
      real: scores on data, shape [B].
      fake: scores on generated samples, shape [B'].

    Returns:
      (loss, metrics).
    """
    loss = 0.5 * jnp.mean((real - 1.0) ** 2) + 0.5 * jnp.mean(fake**2)
    return loss, _d_metrics(real, fake)


def least_squares_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """LSGAN generator with target c=1: ½(D(G(z)) - 1)²."""
    return 0.5 * jnp.mean((fake - 1.0) ** 2), {}


def wasserstein_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """Critic loss E[D(G(z))] - E[D(x)] (Arjovsky et al. 2017); pair it with a Lipschitz
    constraint (``gradient_penalty`` or spectral normalisation).

    Args:
      real: critic scores on data, shape [B].
      fake: critic scores on generated samples, shape [B'].

    Returns:
      (loss, metrics with the Wasserstein estimate ``w_distance`` = -loss).
    """
    loss = jnp.mean(fake) - jnp.mean(real)
    return loss, {**_d_metrics(real, fake), "w_distance": -loss}


class AdversarialLoss(NamedTuple):
    """The two sides of one game."""

    discriminator: Callable[[jax.Array, jax.Array], tuple[jax.Array, Metrics]]
    generator: Callable[[jax.Array], tuple[jax.Array, Metrics]]


ADVERSARIAL_LOSSES = {
    "non_saturating": AdversarialLoss(non_saturating_discriminator, non_saturating_generator),
    "minimax": AdversarialLoss(non_saturating_discriminator, minimax_generator),
    "hinge": AdversarialLoss(hinge_discriminator, hinge_generator),
    "least_squares": AdversarialLoss(least_squares_discriminator, least_squares_generator),
    "wasserstein": AdversarialLoss(wasserstein_discriminator, hinge_generator),
}


def scores_and_input_grad_sq_norms(
    apply_fn: Callable[[jax.Array], jax.Array], x: jax.Array
) -> tuple[jax.Array, jax.Array]:
    """D(x) and ||∂D(x)_i / ∂x_i||² per example from one forward pass (``jax.vjp``), so a
    discriminator loss on data and its R1 penalty share the pass.

    Args:
      apply_fn: the discriminator on a batch, ``x -> scores [B]`` (per-example outputs: one
        VJP of ones gives every example's input gradient).
      x: inputs [B, ...].

    Returns:
      (scores [B], squared input-gradient norms [B]).
    """
    scores, pullback = jax.vjp(apply_fn, x)
    (grads,) = pullback(jnp.ones_like(scores))
    return scores, jnp.sum(grads.reshape(x.shape[0], -1) ** 2, axis=-1)


def _input_grad_sq_norms(apply_fn: Callable[[jax.Array], jax.Array], x: jax.Array) -> jax.Array:
    return scores_and_input_grad_sq_norms(apply_fn, x)[1]


def gradient_penalty(
    apply_fn: Callable[[jax.Array], jax.Array],
    real: jax.Array,
    fake: jax.Array,
    key: jax.Array,
    target: float = 1.0,
) -> jax.Array:
    """WGAN-GP penalty (Gulrajani et al. 2017): E[(||∇D(x̂)|| - target)²] at random points
    x̂ = εx + (1-ε)x̃ on lines between real and generated examples, ε ~ U[0, 1].

    Args:
      apply_fn: the discriminator on a batch, ``x -> scores [B]``.
      real: data, shape [B, ...].
      fake: generated samples, same shape.
      key: draws ε per example.
      target: the gradient norm aimed at (1 for a 1-Lipschitz critic).

    Returns:
      The penalty, a scalar (multiply by λ, typically 10).
    """
    real, fake = jnp.asarray(real), jnp.asarray(fake)
    eps = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
    mixed = eps * real + (1.0 - eps) * fake
    norms = jnp.sqrt(_input_grad_sq_norms(apply_fn, mixed) + 1e-12)
    return jnp.mean((norms - target) ** 2)


def r1_penalty(apply_fn: Callable[[jax.Array], jax.Array], real: jax.Array) -> jax.Array:
    """R1 regulariser (Mescheder et al. 2018): E[||∇D(x)||²] on data.

    Args:
      apply_fn: the discriminator on a batch, ``x -> scores [B]``.
      real: data, shape [B, ...].

    Returns:
      The mean squared gradient norm (the usual weight is γ/2).
    """
    return jnp.mean(_input_grad_sq_norms(apply_fn, real))


def adversarial_penalties(
    apply_fn: Callable[[jax.Array], jax.Array],
    real: jax.Array,
    fake: jax.Array,
    key: jax.Array,
    gradient_penalty_weight: float = 0.0,
    r1_weight: float = 0.0,
    real_sq_norms: jax.Array | None = None,
) -> tuple[jax.Array, Metrics]:
    """λ · WGAN-GP penalty + (γ/2) · R1, each computed only when its weight is > 0.

    Args:
      apply_fn: the discriminator on a batch, ``x -> scores [B]``.
      real: data [B, ...].
      fake: generated samples, same shape.
      key: the gradient penalty's interpolation draws.
      gradient_penalty_weight: λ (10 in Gulrajani et al. 2017); 0 leaves it out.
      r1_weight: γ (the term is weighted γ/2, Mescheder et al. 2018); 0 leaves it out.
      real_sq_norms: R1's ||∇D(x)||² per example on ``real`` when the caller has them from
        the pass its loss made (``scores_and_input_grad_sq_norms``); None computes them.

    Returns:
      (weighted sum, {"gradient_penalty", "r1"} for the terms computed, unweighted).
    """
    total, metrics = jnp.zeros((), real.dtype), {}
    if gradient_penalty_weight > 0:
        metrics["gradient_penalty"] = gradient_penalty(apply_fn, real, fake, key)
        total = total + gradient_penalty_weight * metrics["gradient_penalty"]
    if r1_weight > 0:
        sq = _input_grad_sq_norms(apply_fn, real) if real_sq_norms is None else real_sq_norms
        metrics["r1"] = jnp.mean(sq)
        total = total + 0.5 * r1_weight * metrics["r1"]
    return total, metrics


def feature_matching_error(features_fake: jax.Array, features_real: jax.Array) -> jax.Array:
    """½ ||f(x̃) - f(x)||² per example over the last axis: -log N(f(x) | f(x̃), I) up to a
    constant, the VAE-GAN's reconstruction error in discriminator features (Larsen et al. 2016).

    Args:
      features_fake: features of reconstructions [B, F].
      features_real: features of the data [B, F].

    Returns:
      [B] errors.
    """
    return 0.5 * jnp.sum((features_fake - features_real) ** 2, axis=-1)
