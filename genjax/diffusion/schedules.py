"""Discrete-time Gaussian diffusion (Ho et al. 2020): beta schedules, the forward marginals
q(x_t | x_0) and the posterior q(x_{t-1} | x_t, x_0).

Coefficients are computed once in float64 NumPy and stored as float32 arrays, as in the
reference implementation; t is 0-based: t = 0 is the first noising step, x_{-1} := x_0.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

SCHEDULES = ("linear", "cosine")
PREDICTIONS = ("eps", "v", "x0")  # what a network outputs at (x_t, t)


def linear_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """DDPM's linear betas, rescaled so that any ``num_steps`` spans the same total noise as
    1000 steps of [1e-4, 0.02] (Nichol & Dhariwal 2021).

    Returns:
      float64 array [num_steps].
    """
    scale = 1000.0 / num_steps
    return np.linspace(scale * beta_start, scale * beta_end, num_steps, dtype=np.float64)


def cosine_alpha_bar(t: np.ndarray, s: float = 0.008) -> np.ndarray:
    """ᾱ(t) = cos²(((t + s) / (1 + s)) · π/2) / cos²(s / (1 + s) · π/2) for t in [0, 1]."""
    f = lambda u: np.cos((u + s) / (1.0 + s) * math.pi / 2.0) ** 2
    return f(np.asarray(t, np.float64)) / f(0.0)


def cosine_betas(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Betas whose cumulative product follows ``cosine_alpha_bar`` (Nichol & Dhariwal 2021),
    β_t = 1 - ᾱ(t+1/T) / ᾱ(t/T), clipped at ``max_beta`` near t = T.

    Returns:
      float64 array [num_steps].
    """
    grid = np.arange(num_steps + 1, dtype=np.float64) / num_steps
    abar = cosine_alpha_bar(grid, s)
    return np.minimum(1.0 - abar[1:] / abar[:-1], max_beta)


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=[
        "betas",
        "alphas_cumprod",
        "alphas_cumprod_prev",
        "posterior_variance",
        "posterior_log_variance_clipped",
        "posterior_mean_coef1",
        "posterior_mean_coef2",
    ],
    meta_fields=[],
)
@dataclasses.dataclass(frozen=True)
class Diffusion:
    """All per-step coefficients of a discrete diffusion, each shape [T] (float32).

    Attributes:
      betas: β_t, the variance of q(x_t | x_{t-1}) = N(√α_t x_{t-1}, β_t I).
      alphas_cumprod: ᾱ_t = Π_{s≤t} (1 - β_s).
      alphas_cumprod_prev: ᾱ_{t-1} (1 at t = 0).
      posterior_variance: β̃_t = β_t (1 - ᾱ_{t-1}) / (1 - ᾱ_t) (0 at t = 0).
      posterior_log_variance_clipped: log β̃_t with β̃_0 replaced by β̃_1 (finite at t = 0).
      posterior_mean_coef1: coefficient of x_0 in the posterior mean, β_t √ᾱ_{t-1} / (1 - ᾱ_t).
      posterior_mean_coef2: coefficient of x_t, (1 - ᾱ_{t-1}) √α_t / (1 - ᾱ_t).
    """

    betas: jax.Array
    alphas_cumprod: jax.Array
    alphas_cumprod_prev: jax.Array
    posterior_variance: jax.Array
    posterior_log_variance_clipped: jax.Array
    posterior_mean_coef1: jax.Array
    posterior_mean_coef2: jax.Array

    @property
    def num_steps(self) -> int:
        return self.betas.shape[0]


def make_diffusion(betas: np.ndarray) -> Diffusion:
    """All coefficients from ``betas`` [T] in (0, 1), computed in float64.

    Args:
      betas: the noise schedule (``linear_betas`` or ``cosine_betas``).

    Returns:
      A Diffusion of float32 arrays.
    """
    betas = np.asarray(betas, np.float64)
    if betas.ndim != 1 or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError(f"betas must be a 1-D array in (0, 1); got shape {betas.shape}")
    alphas = 1.0 - betas
    abar = np.cumprod(alphas)
    abar_prev = np.append(1.0, abar[:-1])
    post_var = betas * (1.0 - abar_prev) / (1.0 - abar)
    clipped = np.log(np.append(post_var[1], post_var[1:])) if len(betas) > 1 else np.log(betas)
    fields = dict(
        betas=betas,
        alphas_cumprod=abar,
        alphas_cumprod_prev=abar_prev,
        posterior_variance=post_var,
        posterior_log_variance_clipped=clipped,
        posterior_mean_coef1=betas * np.sqrt(abar_prev) / (1.0 - abar),
        posterior_mean_coef2=(1.0 - abar_prev) * np.sqrt(alphas) / (1.0 - abar),
    )
    return Diffusion(**{k: jnp.asarray(v, jnp.float32) for k, v in fields.items()})


def schedule(name: str, num_steps: int) -> Diffusion:
    """The Diffusion of a named schedule ("linear" or "cosine") with ``num_steps`` steps."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown beta schedule {name!r}; valid: {', '.join(SCHEDULES)}")
    if name == "linear" and num_steps <= 20:
        raise ValueError(
            f"the linear schedule needs more than 20 steps (its betas scale as 1000/T and reach "
            f"1); got {num_steps}: use more steps or the cosine schedule"
        )
    betas = linear_betas(num_steps) if name == "linear" else cosine_betas(num_steps)
    return make_diffusion(betas)


def _at(coef: jax.Array, t: jax.Array, x: jax.Array) -> jax.Array:
    """coef[t] per example, broadcast against x [B, ...]."""
    return coef[t].reshape(t.shape + (1,) * (x.ndim - t.ndim))


def q_mean_variance(d: Diffusion, x0: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean √ᾱ_t x_0 and variance (1 - ᾱ_t) of q(x_t | x_0); t has shape [B]."""
    abar = _at(d.alphas_cumprod, t, x0)
    return jnp.sqrt(abar) * x0, jnp.broadcast_to(1.0 - abar, x0.shape)


def q_sample(d: Diffusion, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t = √ᾱ_t x_0 + √(1 - ᾱ_t) ε, a draw of q(x_t | x_0) given ε ~ N(0, I)."""
    abar = _at(d.alphas_cumprod, t, x0)
    return jnp.sqrt(abar) * x0 + jnp.sqrt(1.0 - abar) * noise


def q_posterior(
    d: Diffusion, x0: jax.Array, xt: jax.Array, t: jax.Array
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """q(x_{t-1} | x_t, x_0) = N(mean, variance): (mean, variance, clipped log-variance)."""
    mean = _at(d.posterior_mean_coef1, t, xt) * x0 + _at(d.posterior_mean_coef2, t, xt) * xt
    var = jnp.broadcast_to(_at(d.posterior_variance, t, xt), xt.shape)
    log_var = jnp.broadcast_to(_at(d.posterior_log_variance_clipped, t, xt), xt.shape)
    return mean, var, log_var


def predict_x0_from_eps(d: Diffusion, xt: jax.Array, t: jax.Array, eps: jax.Array) -> jax.Array:
    """x_0 = (x_t - √(1 - ᾱ_t) ε) / √ᾱ_t."""
    abar = _at(d.alphas_cumprod, t, xt)
    return (xt - jnp.sqrt(1.0 - abar) * eps) / jnp.sqrt(abar)


def predict_eps_from_x0(d: Diffusion, xt: jax.Array, t: jax.Array, x0: jax.Array) -> jax.Array:
    """ε = (x_t - √ᾱ_t x_0) / √(1 - ᾱ_t)."""
    abar = _at(d.alphas_cumprod, t, xt)
    return (xt - jnp.sqrt(abar) * x0) / jnp.sqrt(1.0 - abar)


def v_target(d: Diffusion, x0: jax.Array, t: jax.Array, eps: jax.Array) -> jax.Array:
    """v = √ᾱ_t ε - √(1 - ᾱ_t) x_0 (Salimans & Ho 2022)."""
    abar = _at(d.alphas_cumprod, t, x0)
    return jnp.sqrt(abar) * eps - jnp.sqrt(1.0 - abar) * x0


def predict_x0_from_v(d: Diffusion, xt: jax.Array, t: jax.Array, v: jax.Array) -> jax.Array:
    """x_0 = √ᾱ_t x_t - √(1 - ᾱ_t) v."""
    abar = _at(d.alphas_cumprod, t, xt)
    return jnp.sqrt(abar) * xt - jnp.sqrt(1.0 - abar) * v


def to_eps(d: Diffusion, out: jax.Array, xt: jax.Array, t: jax.Array, prediction: str):
    """A network's output (ε, v or x_0, per ``prediction``) at (x_t, t) as predicted noise."""
    if prediction == "eps":
        return out
    x0 = out if prediction == "x0" else predict_x0_from_v(d, xt, t, out)
    return predict_eps_from_x0(d, xt, t, x0)


def clip_x0(x0: jax.Array, clip: float | None) -> jax.Array:
    """x̂_0 clipped to [-clip, clip] (None: unchanged)."""
    return x0 if clip is None else jnp.clip(x0, -clip, clip)


def learned_log_variance(d: Diffusion, t: jax.Array, v: jax.Array) -> jax.Array:
    """log Σ_θ = u log β_t + (1 - u) log β̃_t with u = (v + 1)/2, the network's raw output v
    (Nichol & Dhariwal 2021, eq. 15: v = -1 is β̃_t, "fixed small", v = 1 is β_t)."""
    u = (v + 1.0) / 2.0
    return u * jnp.log(_at(d.betas, t, v)) + (1.0 - u) * _at(d.posterior_log_variance_clipped, t, v)


def split_output(out) -> tuple[jax.Array, jax.Array | None]:
    """A model's output, ε̂ or (ε̂, v), as (ε̂, v or None)."""
    return out if isinstance(out, tuple) else (out, None)


def reverse_step(
    d: Diffusion,
    eps: jax.Array,
    v: jax.Array | None,
    xt: jax.Array,
    t: jax.Array,
    clip: float | None,
):
    """p(x_{t-1} | x_t) = N(mean of q(x_{t-1} | x_t, x̂_0(ε̂)), Σ): (mean, log-variance), Σ the
    clipped posterior variance β̃_t (v None), or the learned interpolation of ``v`` (shape of
    x)."""
    x0 = clip_x0(predict_x0_from_eps(d, xt, t, eps), clip)
    mean, _, log_var = q_posterior(d, x0, xt, t)
    return mean, (log_var if v is None else learned_log_variance(d, t, v))


def respace(d: Diffusion, num_steps: int) -> tuple[Diffusion, np.ndarray]:
    """The diffusion on ``num_steps`` evenly spaced steps S of the T (ascending, S_0 = 0,
    S_K = T - 1): the same ᾱ at those steps, β'_i = 1 - ᾱ_{S_i}/ᾱ_{S_{i-1}} (Nichol & Dhariwal
    2021, sec. 4). A network trained on all T steps is called at step S_i.

    Returns:
      (the respaced Diffusion, S as int32 [num_steps]).
    """
    if not 1 <= num_steps <= d.num_steps:
        raise ValueError(f"respaced steps must be in [1, {d.num_steps}]; got {num_steps}")
    steps = np.round(np.linspace(0, d.num_steps - 1, num_steps)).astype(np.int32)
    abar = np.cumprod(1.0 - np.asarray(d.betas, np.float64))[steps]
    betas = 1.0 - abar / np.append(1.0, abar[:-1])
    return make_diffusion(betas), steps
