"""The variational diffusion model's noise schedule (Kingma et al. 2021): γ(t) increasing from
γ_0 to γ_1, split into its endpoints and its shape s(t) in [0, 1],

    γ(t) = γ_0 + (γ_1 - γ_0) s(t),    s(0) = 0, s(1) = 1,

so the variance-minimising update can reach the shape alone. Kinds: ``fixed`` (s(t) = t, the
endpoints constants), ``scalar`` (s(t) = t, learned endpoints) and ``learned`` (learned
endpoints and the paper's monotone network for the shape). Monotone by construction: the
network's weights pass through ``positive`` (abs or softplus) and its activation is a
sigmoid, so every path from t to γ has a non-negative slope.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

SCHEDULE_KINDS = ("fixed", "scalar", "learned")
# Maps from free parameters to non-negative weights; others would not keep γ monotone.
POSITIVE = {"abs": jnp.abs, "softplus": jax.nn.softplus}


class MonotoneDense(nn.Module):
    """A dense layer whose weights are ``POSITIVE[positive]`` of its parameters (≥ 0): every
    output is non-decreasing in every input."""

    features: int
    positive: str = "abs"
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.normal(1e-2)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if self.positive not in POSITIVE:
            raise ValueError(
                f"positive={self.positive!r} would not keep the schedule monotone; valid: "
                f"{', '.join(POSITIVE)}"
            )
        kernel = self.param("kernel", self.kernel_init, (x.shape[-1], self.features))
        y = x @ POSITIVE[self.positive](kernel).astype(x.dtype)
        if self.use_bias:
            y = y + self.param("bias", nn.initializers.zeros, (self.features,)).astype(x.dtype)
        return y


def _constant(value: float):
    return lambda key, shape, dtype=jnp.float32: jnp.full(shape, value, dtype)


class NoiseSchedule(nn.Module):
    """γ(t) of one of ``SCHEDULE_KINDS``; ``__call__(t)`` is γ(t), ``shape(t)`` is s(t),
    ``endpoints()`` is (γ_0, γ_1).

    Attributes:
      kind: fixed, scalar or learned.
      gamma_min, gamma_max: γ_0 and γ_1 (fixed), or their initial values (learned).
      features: hidden units of the learned shape network (the paper's 1024).
      positive: abs (the paper's) or softplus, the map to non-negative weights.
    """

    kind: str = "learned"
    gamma_min: float = -13.3
    gamma_max: float = 5.0
    features: int = 1024
    positive: str = "abs"

    def setup(self):
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(f"unknown schedule {self.kind!r}; valid: {', '.join(SCHEDULE_KINDS)}")
        if not self.gamma_min < self.gamma_max:
            raise ValueError(
                f"the schedule must increase: need gamma_min < gamma_max; got "
                f"{self.gamma_min} and {self.gamma_max}"
            )
        if self.kind != "fixed":
            self.gamma_0 = self.param("gamma_0", _constant(self.gamma_min), ())
            self.width = self.param("width", _constant(self.gamma_max - self.gamma_min), ())
        if self.kind == "learned":
            self.l1 = MonotoneDense(1, self.positive, kernel_init=_constant(1.0))
            self.l2 = MonotoneDense(self.features, self.positive)
            self.l3 = MonotoneDense(1, self.positive, use_bias=False)

    def endpoints(self) -> tuple[jax.Array, jax.Array]:
        """(γ_0, γ_1), γ_1 - γ_0 = |width| > 0."""
        if self.kind == "fixed":
            return jnp.asarray(self.gamma_min), jnp.asarray(self.gamma_max)
        return self.gamma_0, self.gamma_0 + jnp.abs(self.width)

    def _unnormalised(self, t: jax.Array) -> jax.Array:
        h = t[:, None]
        hidden = 2.0 * (jax.nn.sigmoid(self.l2(2.0 * h - 1.0)) - 0.5)
        return (self.l1(h) + self.l3(hidden) / self.features)[:, 0]

    def shape(self, t: jax.Array) -> jax.Array:
        """s(t) [B] for t [B] in [0, 1]: non-decreasing, s(0) = 0, s(1) = 1."""
        t = jnp.asarray(t, jnp.float32)
        if self.kind != "learned":
            return t
        ends = self._unnormalised(jnp.asarray([0.0, 1.0]))
        span = jnp.maximum(ends[1] - ends[0], 1e-6)
        return (self._unnormalised(t) - ends[0]) / span

    def __call__(self, t: jax.Array) -> jax.Array:
        g0, g1 = self.endpoints()
        return g0 + (g1 - g0) * self.shape(t)
