"""The variational diffusion model's process (Kingma et al. 2021) apart from any network:
variance preserving with log-SNR -γ(t), α_t² = sigmoid(-γ_t), σ_t² = sigmoid(γ_t); the
reverse steps from t to s < t (ancestral, and deterministic DDIM); a sampler over a time grid;
and the decoder's map from z_0 to the data's levels.

Networks are plain callables: ``eps_fn(z, gamma [B]) -> ε̂`` and ``gamma_fn(t [B]) -> γ [B]``.
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from genjax.losses.vdm import decoder_log_probs

VDM_SAMPLERS = ("ancestral", "ddim")


def _b(v: jax.Array, like: jax.Array) -> jax.Array:
    return v.reshape(v.shape + (1,) * (like.ndim - v.ndim))


def alpha_sigma(gamma: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(α, σ) = (√sigmoid(-γ), √sigmoid(γ)): α² + σ² = 1, α²/σ² = e^{-γ}."""
    return jnp.sqrt(jax.nn.sigmoid(-gamma)), jnp.sqrt(jax.nn.sigmoid(gamma))


def z_sample(x: jax.Array, gamma: jax.Array, eps: jax.Array) -> jax.Array:
    """z_t = α_t x + σ_t ε, a draw of q(z_t | x) given ε ~ N(0, I); γ per example [B]."""
    alpha, sigma = alpha_sigma(gamma)
    return _b(alpha, x) * x + _b(sigma, x) * eps


def predict_x(z: jax.Array, gamma: jax.Array, eps: jax.Array, clip: float | None) -> jax.Array:
    """x̂ = (z_t - σ_t ε̂) / α_t, clipped to [-clip, clip] unless ``clip`` is None."""
    alpha, sigma = alpha_sigma(gamma)
    x = (z - _b(sigma, z) * eps) / _b(alpha, z)
    return x if clip is None else jnp.clip(x, -clip, clip)


def reverse_step(
    z: jax.Array,
    eps: jax.Array,
    gamma_t: jax.Array,
    gamma_s: jax.Array,
    noise: jax.Array | None,
    clip: float | None = None,
) -> jax.Array:
    """z_s from z_t (s < t). With ``noise``: a draw of q(z_s | z_t, x = x̂), mean
    (α_s/α_t)(1 - c) z_t + α_s c x̂ and variance σ_s² c, c = 1 - e^{γ_s - γ_t} (Kingma et al.
    2021, appendix A.4); without: DDIM's deterministic z_s = α_s x̂ + σ_s ε̂, ε̂ consistent with
    the clipped x̂.

    Args:
      z: z_t [B, ...].
      eps: ε̂(z_t) [B, ...].
      gamma_t, gamma_s: γ at t and s per example [B].
      noise: N(0, I) of z's shape for the ancestral step, None for DDIM.
      clip: clip x̂ to [-clip, clip] (None: no clipping).

    Returns:
      z_s.
    """
    x = predict_x(z, gamma_t, eps, clip)
    (a_t, s_t), (a_s, s_s) = alpha_sigma(gamma_t), alpha_sigma(gamma_s)
    if noise is None:
        eps = (z - _b(a_t, z) * x) / _b(s_t, z)
        return _b(a_s, z) * x + _b(s_s, z) * eps
    c = _b(-jnp.expm1(gamma_s - gamma_t), z)
    mean = _b(a_s / a_t, z) * (1.0 - c) * z + _b(a_s, z) * c * x
    return mean + _b(s_s, z) * jnp.sqrt(c) * noise


def decode(z0: jax.Array, gamma_0: jax.Array, values: jax.Array) -> jax.Array:
    """The most probable level of each dimension under p(x | z_0) (as the paper's samples)."""
    alpha, _ = alpha_sigma(gamma_0)
    log_probs = decoder_log_probs(z0 / alpha, gamma_0, values)
    return values[jnp.argmax(log_probs, axis=-1)]


def sample(
    eps_fn: Callable[[jax.Array, jax.Array], jax.Array],
    gamma_fn: Callable[[jax.Array], jax.Array],
    key: jax.Array,
    shape: Sequence[int],
    num_steps: int,
    sampler: str = "ancestral",
    clip: float | None = None,
    trajectory: bool = False,
):
    """z_1 ~ N(0, I), then ``num_steps`` reverse steps on the grid t = 1, 1 - 1/N, ..., 0, in
    one ``lax.scan``; returns z_0 (decode it with ``decode``).

    Args:
      eps_fn: (z [B, ...], γ [B]) -> ε̂.
      gamma_fn: t [B] -> γ(t) [B].
      key: randomness for the start and every ancestral step.
      shape: [B, ...].
      num_steps: network evaluations.
      sampler: "ancestral" or "ddim" (deterministic given z_1).
      clip: clip x̂ to [-clip, clip] at each step (None: no clipping).
      trajectory: also return z after each step [num_steps, *shape].

    Returns:
      z_0; with ``trajectory``, (z_0, states).
    """
    if sampler not in VDM_SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; valid: {', '.join(VDM_SAMPLERS)}")
    k_init, k_steps = jax.random.split(key)
    b = shape[0]

    def step(z, inputs):
        i, k = inputs
        t = jnp.full((b,), (i + 1) / num_steps, jnp.float32)
        s = jnp.full((b,), i / num_steps, jnp.float32)
        g_t, g_s = gamma_fn(t), gamma_fn(s)
        noise = jax.random.normal(k, z.shape, z.dtype) if sampler == "ancestral" else None
        z = reverse_step(z, eps_fn(z, g_t), g_t, g_s, noise, clip)
        return z, (z if trajectory else None)

    z = jax.random.normal(k_init, tuple(shape))
    steps = jnp.arange(num_steps - 1, -1, -1)
    z, zs = jax.lax.scan(step, z, (steps, jax.random.split(k_steps, num_steps)))
    return (z, zs) if trajectory else z
