"""The variational diffusion model's bound (Kingma et al. 2021), term by term, as pure
functions of arrays: the diffusion loss in continuous time (T = ∞) and in discrete time, the
prior KL at t = 1, the reconstruction on the data's own levels at t = 0, and the
variance-minimising gradient for the noise schedule's shape.

The process is variance preserving with log-SNR -γ(t): α² = sigmoid(-γ), σ² = sigmoid(γ),
z_t = α_t x + σ_t ε; γ increases from γ(0) = γ_0 to γ(1) = γ_1. All values are nats per
example, summed over dimensions.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp


def _sum_per_example(x: jax.Array) -> jax.Array:
    return jnp.sum(x.reshape(x.shape[0], -1), axis=-1)


def _per_example(v: jax.Array, like: jax.Array) -> jax.Array:
    return v.reshape(v.shape + (1,) * (like.ndim - v.ndim))


def continuous_diffusion_loss(
    eps_pred: jax.Array, eps: jax.Array, dgamma_dt: jax.Array
) -> jax.Array:
    """L_∞ = ½ γ'(t) ||ε - ε̂(z_t; t)||², one t per example (Kingma et al. 2021, eq. 17): an
    unbiased estimate of the diffusion term for t ~ U(0, 1).

    Args:
      eps_pred: ε̂ [B, ...].
      eps: the noise that made z_t.
      dgamma_dt: γ'(t) per example [B] (positive).

    Returns:
      Nats per example [B].
    """
    return 0.5 * dgamma_dt * _sum_per_example((eps - eps_pred) ** 2)


def discrete_diffusion_loss(
    eps_pred: jax.Array, eps: jax.Array, gamma_t: jax.Array, gamma_s: jax.Array, num_steps: int
) -> jax.Array:
    """L_T = ½ T (exp(γ_t - γ_s) - 1) ||ε - ε̂(z_t; t)||² with s = t - 1/T and t uniform on
    {1/T, ..., 1} (Kingma et al. 2021, eq. 13): the T-step bound, which tends to ``L_∞`` as T
    grows.

    Args:
      eps_pred, eps: as in ``continuous_diffusion_loss``.
      gamma_t, gamma_s: γ at t and at s = t - 1/T per example [B].
      num_steps: T.

    Returns:
      Nats per example [B].
    """
    weight = 0.5 * num_steps * jnp.expm1(gamma_t - gamma_s)
    return weight * _sum_per_example((eps - eps_pred) ** 2)


def prior_loss(x: jax.Array, gamma_1: jax.Array) -> jax.Array:
    """KL(q(z_1 | x) || N(0, I)) = ½ Σ (α_1² x² + σ_1² - log σ_1² - 1) per example [B]."""
    var = jax.nn.sigmoid(gamma_1)
    per_dim = 0.5 * ((1.0 - var) * x**2 + var - jnp.log(var) - 1.0)
    return _sum_per_example(jnp.broadcast_to(per_dim, x.shape))


def decoder_log_probs(z_rescaled: jax.Array, gamma_0: jax.Array, values: jax.Array) -> jax.Array:
    """log p(x = v_k | z_0) for every level k, independently per dimension: logits
    -½ (z_0/α_0 - v_k)² / e^{γ_0} normalised over the levels (exact where x's dimensions are
    independent given z_0, Kingma et al. 2021, appendix C).

    Args:
      z_rescaled: z_0 / α_0 [B, ...].
      gamma_0: γ(0), a scalar.
      values: the data's levels [K] in model space (ascending).

    Returns:
      Log-probabilities [B, ..., K].
    """
    logits = -0.5 * jnp.exp(-gamma_0) * (z_rescaled[..., None] - values) ** 2
    return jax.nn.log_softmax(logits, axis=-1)


def reconstruction_loss(
    x: jax.Array, z_rescaled: jax.Array, gamma_0: jax.Array, values: jax.Array
) -> jax.Array:
    """-log p(x | z_0) per example [B] on the data's own levels (``decoder_log_probs``).

    Args:
      x: data [B, ...], each value one of ``values``.
      z_rescaled: z_0 / α_0 = x + e^{γ_0/2} ε_0, same shape.
      gamma_0: γ(0).
      values: the levels [K].

    Returns:
      Nats per example [B].
    """
    index = jnp.argmin(jnp.abs(x[..., None] - values), axis=-1)
    log_probs = decoder_log_probs(z_rescaled, gamma_0, values)
    picked = jnp.take_along_axis(log_probs, index[..., None], axis=-1)[..., 0]
    return -_sum_per_example(picked)


def antithetic_times(key: jax.Array, num: int) -> jax.Array:
    """``num`` times in [0, 1) that cover the interval evenly, (u + i/num) mod 1 with one
    u ~ U(0, 1): each is uniform, and the batch's estimate of L_∞ has lower variance
    (Kingma et al. 2021, appendix I.1)."""
    u = jax.random.uniform(key, ())
    return jnp.mod(u + jnp.arange(num, dtype=jnp.float32) / num, 1.0)


def variance_minimising(
    loss_fn: Callable[[object, jax.Array], jax.Array],
) -> Callable[[object, jax.Array], jax.Array]:
    """``loss_fn(inputs, shape) -> L [B]`` with the gradient reaching ``shape`` changed from that
    of L to that of L² (per example: 2 L ∂L/∂shape); ``inputs`` get L's usual gradient.

    ``shape`` [B, ...] is what the noise schedule's shape parameters reach the loss through
    (γ's normalised value and slope at each example's t). The diffusion loss's expectation
    does not depend on the shape between the endpoints (only its variance does), so the shape
    is trained to minimise the estimator's variance, E[L²] - E[L]², in the same backward pass
    (Kingma et al. 2021, sec. 5.2). Requires examples to be independent: shape[i] reaches only
    L[i] (no batch statistics in the network).

    Args:
      loss_fn: per-example losses from (any pytree of inputs, the schedule's shape values).

    Returns:
      The same function, with a custom gradient.
    """

    @jax.custom_vjp
    def fn(inputs, shape):
        return loss_fn(inputs, shape)

    def forward(inputs, shape):
        losses, pullback = jax.vjp(loss_fn, inputs, shape)
        return losses, (losses, pullback)

    def backward(residual, cotangent):
        losses, pullback = residual
        d_inputs, d_shape = pullback(cotangent)
        scale = 2.0 * jax.lax.stop_gradient(losses)
        return d_inputs, d_shape * _per_example(scale, d_shape).astype(d_shape.dtype)

    fn.defvjp(forward, backward)
    return fn
