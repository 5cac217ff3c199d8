"""Continuous-time diffusions (Song et al. 2021): the VP and VE SDEs
dx = f(x, t) dt + g(t) dw on t in [0, 1], their Gaussian marginals, and the reverse-time SDE
and probability-flow ODE given a score function.
"""

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

Score = Callable[[jax.Array, jax.Array], jax.Array]


def _bcast(c: jax.Array, x: jax.Array) -> jax.Array:
    c = jnp.asarray(c, x.dtype)
    return c.reshape(c.shape + (1,) * (x.ndim - c.ndim))


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=[], meta_fields=["beta_min", "beta_max"]
)
@dataclasses.dataclass(frozen=True)
class VPSDE:
    """Variance preserving: f = -½β(t)x, g = √β(t), β(t) = β_min + t(β_max - β_min); the
    continuous limit of DDPM's linear schedule (β_min = 0.1, β_max = 20 for 1000 steps)."""

    beta_min: float = 0.1
    beta_max: float = 20.0

    def beta(self, t: jax.Array) -> jax.Array:
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def drift(self, x: jax.Array, t: jax.Array) -> jax.Array:
        return -0.5 * _bcast(self.beta(t), x) * x

    def diffusion(self, t: jax.Array) -> jax.Array:
        return jnp.sqrt(self.beta(t))

    def marginal(self, t: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(mean coefficient, std) of p_t(x | x_0) = N(m(t) x_0, s(t)² I):
        log m = -¼t²(β_max - β_min) - ½tβ_min, s² = 1 - m²."""
        log_mean = -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min
        return jnp.exp(log_mean), jnp.sqrt(-jnp.expm1(2.0 * log_mean))

    def prior_std(self) -> float:
        return 1.0


@functools.partial(
    jax.tree_util.register_dataclass, data_fields=[], meta_fields=["sigma_min", "sigma_max"]
)
@dataclasses.dataclass(frozen=True)
class VESDE:
    """Variance exploding: f = 0, σ(t) = σ_min (σ_max/σ_min)^t, g = σ(t) √(2 log(σ_max/σ_min))."""

    sigma_min: float = 0.01
    sigma_max: float = 50.0

    def sigma(self, t: jax.Array) -> jax.Array:
        return self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def drift(self, x: jax.Array, t: jax.Array) -> jax.Array:
        return jnp.zeros_like(x)

    def diffusion(self, t: jax.Array) -> jax.Array:
        return self.sigma(t) * math.sqrt(2.0 * math.log(self.sigma_max / self.sigma_min))

    def marginal(self, t: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(mean coefficient 1, std): the perturbation kernel N(x_0, (σ(t)² - σ_min²) I),
        whose std is taken as σ(t) as in Song et al. (σ_min² is negligible)."""
        return jnp.ones_like(jnp.asarray(t, jnp.float32)), self.sigma(t)

    def prior_std(self) -> float:
        return self.sigma_max


SDE = VPSDE | VESDE


def marginal_sample(sde: SDE, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t = m(t) x_0 + s(t) ε, a draw of p_t(x | x_0); t has shape [B]."""
    mean, std = sde.marginal(t)
    return _bcast(mean, x0) * x0 + _bcast(std, x0) * noise


def reverse_drift(
    sde: SDE, score: Score, x: jax.Array, t: jax.Array, probability_flow: bool = False
) -> jax.Array:
    """Drift of the reverse-time process in forward time t (integrate from t = 1 down to 0).

    Reverse SDE: f - g² ∇log p_t (Anderson 1982); probability-flow ODE: f - ½g² ∇log p_t, whose
    solutions share the SDE's marginals.

    Args:
      sde: the forward process.
      score: (x, t) -> ∇_x log p_t(x).
      x: states [B, ...].
      t: times [B].
      probability_flow: the ODE instead of the SDE.

    Returns:
      Shape of x.
    """
    g2 = _bcast(sde.diffusion(t) ** 2, x)
    weight = 0.5 if probability_flow else 1.0
    return sde.drift(x, t) - weight * g2 * score(x, t)
