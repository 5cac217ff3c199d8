"""Samplers: DDPM ancestral and DDIM for discrete diffusions, Euler–Maruyama on the reverse
SDE and Heun on the probability-flow ODE for continuous ones, and classifier-free guidance.

Each sampler runs its whole loop in one ``lax.scan``; jit it (or the function that calls it)
with the model closed over. Models are plain callables: ``eps_fn(x, t)`` with integer steps
t [B] for discrete samplers, ``score_fn(x, t)`` with times t [B] in (0, 1] for continuous ones.
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from genjax.diffusion.schedules import (
    Diffusion,
    clip_x0,
    predict_x0_from_eps,
    respace,
    reverse_step,
    split_output,
)
from genjax.diffusion.sde import SDE, reverse_drift

EpsFn = Callable[[jax.Array, jax.Array], jax.Array]


def classifier_free_guidance(eps_uncond: jax.Array, eps_cond: jax.Array, scale: float):
    """ε̃ = ε_u + s (ε_c - ε_u) (Ho & Salimans 2022): s = 0 is the unconditional model, s = 1
    the conditional one, s > 1 sharpens towards the class."""
    return eps_uncond + scale * (eps_cond - eps_uncond)


def ddpm_sample(
    d: Diffusion,
    eps_fn: EpsFn,
    key: jax.Array,
    shape: Sequence[int],
    clip: float | None = 1.0,
    trajectory: bool = False,
    num_steps: int | None = None,
):
    """Ancestral sampling (Ho et al. 2020): x_{T-1} ~ N(0, I), then T steps of
    x_{t-1} ~ N(mean of q(x_{t-1} | x_t, x̂_0), Σ), no noise at t = 0; Σ the clipped
    posterior variance, or the learned one where ``eps_fn`` returns (ε̂, v). With ``num_steps``
    < T, the steps of the respaced diffusion (``schedules.respace``; Nichol & Dhariwal 2021),
    the network called at the original steps.

    Args:
      d: the diffusion.
      eps_fn: (x_t, t [B]) -> predicted noise, or (noise, v) (``schedules.reverse_step``).
      key: randomness for the start and every step.
      shape: output shape [B, ...].
      clip: clip x̂_0 to [-clip, clip]; the default 1 suits data in [-1, 1] (the library's
        diffusion range; an unclipped untrained or toy model can leave it by hundreds);
        None: no clipping (data on another scale).
      trajectory: also return every intermediate x.
      num_steps: network evaluations (None: all T).

    Returns:
      Samples of ``shape``; with ``trajectory``, (samples, x after each step [steps, *shape]).
    """
    k_init, k_steps = jax.random.split(key)
    b = shape[0]
    if num_steps is None or num_steps == d.num_steps:
        original = jnp.arange(d.num_steps)
    else:
        d, original = respace(d, num_steps)
        original = jnp.asarray(original)

    def step(x, inputs):
        t, k = inputs
        tb = jnp.full((b,), t)
        out = split_output(eps_fn(x, original[tb]))
        mean, log_var = reverse_step(d, *out, x, tb, clip)
        noise = jax.random.normal(k, x.shape, x.dtype)
        x = mean + jnp.where(t > 0, jnp.exp(0.5 * log_var), 0.0) * noise
        return x, (x if trajectory else None)

    ts = jnp.arange(d.num_steps - 1, -1, -1)
    x = jax.random.normal(k_init, tuple(shape))
    x, xs = jax.lax.scan(step, x, (ts, jax.random.split(k_steps, d.num_steps)))
    return (x, xs) if trajectory else x


def ddim_timesteps(num_train_steps: int, num_steps: int) -> np.ndarray:
    """``num_steps`` evenly spaced steps of ``num_train_steps``, descending, ending at 0."""
    if not 1 <= num_steps <= num_train_steps:
        raise ValueError(f"DDIM steps must be in [1, {num_train_steps}]; got {num_steps}")
    return np.round(np.linspace(num_train_steps - 1, 0, num_steps)).astype(np.int32)


def ddim_sample(
    d: Diffusion,
    eps_fn: EpsFn,
    key: jax.Array,
    shape: Sequence[int],
    num_steps: int = 50,
    eta: float = 0.0,
    clip: float | None = 1.0,
    trajectory: bool = False,
):
    """DDIM (Song et al. 2021) over a subsequence of steps: η = 0 is deterministic, η = 1
    matches DDPM's ancestral variance.

    x_{prev} = √ᾱ_prev x̂_0 + √(1 - ᾱ_prev - σ²) ε̂ + σ z,
    σ = η √((1 - ᾱ_prev)/(1 - ᾱ_t)) √(1 - ᾱ_t/ᾱ_prev), with ᾱ_prev = 1 after the last step.

    Args:
      d, eps_fn, key, shape, clip, trajectory: as in ``ddpm_sample``.
      num_steps: model evaluations.
      eta: stochasticity.

    Returns:
      Samples of ``shape``; with ``trajectory``, (samples, x after each step).
    """
    ts = ddim_timesteps(d.num_steps, num_steps)
    prev = np.append(ts[1:], -1)
    abar = jnp.concatenate([d.alphas_cumprod, jnp.ones(1)])  # index -1: ᾱ = 1
    k_init, k_steps = jax.random.split(key)
    b = shape[0]

    def step(x, inputs):
        t, t_prev, k = inputs
        tb = jnp.full((b,), t)
        eps = eps_fn(x, tb)
        x0 = clip_x0(predict_x0_from_eps(d, x, tb, eps), clip)
        if clip is not None:  # keep ε consistent with the clipped x̂_0
            eps = (x - jnp.sqrt(abar[t]) * x0) / jnp.sqrt(1.0 - abar[t])
        a_t, a_prev = abar[t], abar[t_prev]
        sigma = eta * jnp.sqrt((1.0 - a_prev) / (1.0 - a_t) * (1.0 - a_t / a_prev))
        noise = jax.random.normal(k, x.shape, x.dtype)
        direction = jnp.sqrt(jnp.maximum(1.0 - a_prev - sigma**2, 0.0)) * eps
        x = jnp.sqrt(a_prev) * x0 + direction + sigma * noise
        return x, (x if trajectory else None)

    x = jax.random.normal(k_init, tuple(shape))
    inputs = (jnp.asarray(ts), jnp.asarray(prev), jax.random.split(k_steps, len(ts)))
    x, xs = jax.lax.scan(step, x, inputs)
    return (x, xs) if trajectory else x


def _time_grid(num_steps: int, eps: float) -> jax.Array:
    return jnp.linspace(1.0, eps, num_steps + 1)


def euler_maruyama_sample(
    sde: SDE,
    score_fn: EpsFn,
    key: jax.Array,
    shape: Sequence[int],
    num_steps: int = 1000,
    eps: float = 1e-3,
) -> jax.Array:
    """Euler–Maruyama on the reverse SDE from t = 1 (x ~ the prior) to t = ``eps``; the last
    step returns its mean (no noise), as in Song et al. 2021.

    Args:
      sde: the forward process.
      score_fn: (x, t [B]) -> ∇log p_t(x).
      key: randomness.
      shape: output shape [B, ...].
      num_steps: steps.
      eps: the final time (the SDE is singular at 0).

    Returns:
      Samples of ``shape``.
    """
    k_init, k_steps = jax.random.split(key)
    b = shape[0]
    ts = _time_grid(num_steps, eps)

    def step(carry, inputs):
        x, _ = carry
        t, t_next, k = inputs
        dt = t_next - t
        mean = x + reverse_drift(sde, score_fn, x, jnp.full((b,), t)) * dt
        noise = jax.random.normal(k, x.shape, x.dtype)
        return (mean + sde.diffusion(t) * jnp.sqrt(-dt) * noise, mean), None

    x = sde.prior_std() * jax.random.normal(k_init, tuple(shape))
    keys = jax.random.split(k_steps, num_steps)
    (_, mean), _ = jax.lax.scan(step, (x, x), (ts[:-1], ts[1:], keys))
    return mean


def heun_sample(
    sde: SDE,
    score_fn: EpsFn,
    key: jax.Array,
    shape: Sequence[int],
    num_steps: int = 100,
    eps: float = 1e-3,
) -> jax.Array:
    """Heun's second-order method on the probability-flow ODE from t = 1 to ``eps``
    (deterministic given the prior draw; 2 score evaluations per step).

    Args: as ``euler_maruyama_sample``.

    Returns:
      Samples of ``shape``.
    """
    b = shape[0]
    ts = _time_grid(num_steps, eps)

    def drift(x, t):
        return reverse_drift(sde, score_fn, x, jnp.full((b,), t), probability_flow=True)

    def step(x, inputs):
        t, t_next = inputs
        dt = t_next - t
        d1 = drift(x, t)
        d2 = drift(x + d1 * dt, t_next)
        return x + 0.5 * (d1 + d2) * dt, None

    x = sde.prior_std() * jax.random.normal(key, tuple(shape))
    x, _ = jax.lax.scan(step, x, (ts[:-1], ts[1:]))
    return x
