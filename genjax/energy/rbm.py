"""Restricted Boltzmann machines as pure functions of a parameter dict.

Bernoulli–Bernoulli: E(v, h) = -b·v - c·h - vᵀWh, v ∈ {0,1}^V, h ∈ {0,1}^H.
Gaussian–Bernoulli (Hinton's guide, §13.2): E(v, h) = Σ_i (v_i - b_i)²/(2σ_i²) - c·h
- Σ_ij (v_i/σ_i) W_ij h_j, with σ = exp(log_sigma).

Params: {"W": [V, H], "b": [V], "c": [H]} plus "log_sigma": [V] for Gaussian visibles. Every
function takes a batch [B, V] of flattened visibles.
"""

import math

import jax
import jax.numpy as jnp

from genjax.losses.energy import contrastive_divergence_loss

Params = dict[str, jax.Array]
KINDS = ("bernoulli", "gaussian")


def init_params(
    key: jax.Array,
    num_visible: int,
    num_hidden: int,
    kind: str = "bernoulli",
    visible_bias=None,
    scale: float = 0.01,
) -> Params:
    """W ~ N(0, scale²), c = 0, b = ``visible_bias`` (e.g. log-odds of the data marginals) or 0;
    Gaussian visibles get σ = 1."""
    if kind not in KINDS:
        raise ValueError(f"unknown RBM kind {kind!r}; valid: {', '.join(KINDS)}")
    params = {
        "W": scale * jax.random.normal(key, (num_visible, num_hidden)),
        "b": jnp.zeros(num_visible) if visible_bias is None else jnp.asarray(visible_bias),
        "c": jnp.zeros(num_hidden),
    }
    if kind == "gaussian":
        params["log_sigma"] = jnp.zeros(num_visible)
    return params


def _gaussian(params: Params) -> bool:
    return "log_sigma" in params


def _scaled(params: Params, v: jax.Array) -> jax.Array:
    """v/σ for Gaussian visibles, v for binary ones."""
    return v * jnp.exp(-params["log_sigma"]) if _gaussian(params) else v


def hidden_logits(params: Params, v: jax.Array) -> jax.Array:
    """Logits of p(h_j = 1 | v) = sigmoid(c_j + Σ_i (v_i[/σ_i]) W_ij): [B, H]."""
    return params["c"] + _scaled(params, v) @ params["W"]


def visible_mean(params: Params, h: jax.Array) -> jax.Array:
    """E[v | h]: sigmoid(b + Wh) (binary) or b + σ ⊙ Wh (Gaussian): [B, V]."""
    a = h @ params["W"].T
    if _gaussian(params):
        return params["b"] + jnp.exp(params["log_sigma"]) * a
    return jax.nn.sigmoid(params["b"] + a)


def energy(params: Params, v: jax.Array, h: jax.Array) -> jax.Array:
    """E(v, h) per example [B]."""
    coupling = jnp.sum((_scaled(params, v) @ params["W"]) * h, axis=-1) + h @ params["c"]
    if _gaussian(params):
        sigma2 = jnp.exp(2.0 * params["log_sigma"])
        return jnp.sum((v - params["b"]) ** 2 / (2.0 * sigma2), axis=-1) - coupling
    return -(v @ params["b"]) - coupling


def free_energy(params: Params, v: jax.Array) -> jax.Array:
    """F(v) = -log Σ_h e^{-E(v, h)} per example [B]: p(v) = e^{-F(v)} / Z."""
    hidden = jnp.sum(jax.nn.softplus(hidden_logits(params, v)), axis=-1)
    if _gaussian(params):
        sigma2 = jnp.exp(2.0 * params["log_sigma"])
        return jnp.sum((v - params["b"]) ** 2 / (2.0 * sigma2), axis=-1) - hidden
    return -(v @ params["b"]) - hidden


def sample_hidden(params: Params, v: jax.Array, key: jax.Array) -> jax.Array:
    """h ~ p(h | v), float {0, 1}."""
    return jax.random.bernoulli(key, jax.nn.sigmoid(hidden_logits(params, v))).astype(v.dtype)


def sample_visible(params: Params, h: jax.Array, key: jax.Array) -> jax.Array:
    """v ~ p(v | h): Bernoulli, or Gaussian N(b + σ Wh, σ²)."""
    mean = visible_mean(params, h)
    if _gaussian(params):
        noise = jax.random.normal(key, mean.shape, mean.dtype)
        return mean + jnp.exp(params["log_sigma"]) * noise
    return jax.random.bernoulli(key, mean).astype(mean.dtype)


def gibbs_step(params: Params, v: jax.Array, key: jax.Array) -> jax.Array:
    """One block Gibbs sweep v -> h -> v'."""
    k_h, k_v = jax.random.split(key)
    return sample_visible(params, sample_hidden(params, v, k_h), k_v)


def gibbs_chain(params: Params, v: jax.Array, key: jax.Array, steps: int, trajectory: bool = False):
    """``steps`` block Gibbs sweeps under ``lax.scan``.

    Returns:
      The final visibles [B, V]; with ``trajectory``, also every sweep's [steps, B, V].
    """

    def sweep(v, k):
        v = gibbs_step(params, v, k)
        return v, (v if trajectory else None)

    v, vs = jax.lax.scan(sweep, v, jax.random.split(key, steps))
    return (v, vs) if trajectory else v


def cd_loss(
    params: Params, v_data: jax.Array, v_model: jax.Array
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """``genjax.losses.contrastive_divergence_loss`` of this RBM: mean F(v_data) - mean
    F(sg(v_model)), with v_model from k Gibbs sweeps (from the data for CD-k, from persistent
    chains for PCD). Minimise it with any optax optimizer."""
    return contrastive_divergence_loss(
        free_energy(params, v_data), free_energy(params, jax.lax.stop_gradient(v_model))
    )


def transpose(params: Params) -> Params:
    """The same Bernoulli RBM with visible and hidden layers swapped: {"W": Wᵀ, "b": c, "c": b}.
    Its log Z is the same; enumerate whichever layer is smaller."""
    if _gaussian(params):
        raise ValueError("only a Bernoulli–Bernoulli RBM is symmetric in its two layers")
    return {"W": params["W"].T, "b": params["c"], "c": params["b"]}


def data_log_odds(marginals: jax.Array, eps: float = 1e-3) -> jax.Array:
    """log(p / (1 - p)) of per-pixel marginals clipped to [eps, 1 - eps] (the base-rate
    model's visible bias, and a good initial b)."""
    p = jnp.clip(marginals, eps, 1.0 - eps)
    return jnp.log(p) - jnp.log1p(-p)


LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
