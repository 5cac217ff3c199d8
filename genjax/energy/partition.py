"""The RBM partition function: exact log Z by enumerating the hidden layer (chunked), and
annealed importance sampling (Salakhutdinov & Murray 2008) from a base-rate model."""

import jax
import jax.numpy as jnp
import numpy as np

from genjax.energy.rbm import LOG_SQRT_2PI, Params, free_energy, transpose

MAX_EXACT_HIDDEN = 24


def exact_is_feasible(num_visible: int, num_hidden: int, gaussian: bool = False) -> bool:
    """Whether ``exact_log_partition`` can enumerate an RBM of this shape: its hidden layer
    (or, for Bernoulli visibles, either layer) has at most 24 units."""
    smaller = num_hidden if gaussian else min(num_visible, num_hidden)
    return smaller <= MAX_EXACT_HIDDEN


def hidden_configurations(start: jax.Array, count: int, num_hidden: int) -> jax.Array:
    """Rows start .. start + count - 1 of the 2^H binary configurations: [count, H] float."""
    index = start + jnp.arange(count, dtype=jnp.int32)
    bits = (index[:, None] >> jnp.arange(num_hidden, dtype=jnp.int32)[None]) & 1
    return bits.astype(jnp.float32)


def _log_unnormalised_hidden(params: Params, h: jax.Array) -> jax.Array:
    """log Σ_v e^{-E(v, h)} per hidden configuration [N] (visibles summed or integrated)."""
    a = h @ params["W"].T  # [N, V]
    if "log_sigma" in params:
        sigma = jnp.exp(params["log_sigma"])
        per_visible = a * params["b"] / sigma + 0.5 * a**2 + LOG_SQRT_2PI + params["log_sigma"]
    else:
        per_visible = jax.nn.softplus(params["b"] + a)
    return h @ params["c"] + jnp.sum(per_visible, axis=-1)


def exact_log_partition(params: Params, chunk: int = 1 << 16) -> jax.Array:
    """log Z summed exactly over the 2^H hidden configurations, ``chunk`` at a time (over the
    2^V visible ones of a Bernoulli RBM whose visible layer is the smaller).

    Args:
      params: a Gaussian RBM with at most 24 hidden units, or a Bernoulli RBM with at most 24
        units in one of its layers.
      chunk: configurations per step (a power of two is not required).

    Returns:
      Scalar log Z.
    """
    num_visible, num_hidden = params["W"].shape
    gaussian = "log_sigma" in params
    if not gaussian and num_hidden > num_visible:
        params, num_hidden = transpose(params), num_visible
    if num_hidden > MAX_EXACT_HIDDEN:
        raise ValueError(
            f"exact log Z enumerates 2^H states of one layer and needs H <= {MAX_EXACT_HIDDEN}; "
            f"got H={num_hidden}: use AIS (ais_log_partition)"
        )
    total = 1 << num_hidden
    chunk = min(chunk, total)
    num_chunks = -(-total // chunk)

    def chunk_lse(i):
        h = hidden_configurations(i * chunk, chunk, num_hidden)
        valid = i * chunk + jnp.arange(chunk) < total
        return jax.nn.logsumexp(jnp.where(valid, _log_unnormalised_hidden(params, h), -jnp.inf))

    return jax.nn.logsumexp(jax.lax.map(chunk_lse, jnp.arange(num_chunks)))


def ais_betas(num: int) -> np.ndarray:
    """``num`` + 1 inverse temperatures from 0 to 1, denser near 1 in Salakhutdinov & Murray's
    proportions (1 : 8 : 20 of the steps on [0, .5], [.5, .9], [.9, 1])."""
    n1, n2 = max(1, num // 29), max(1, 8 * num // 29)
    n3 = max(1, num - n1 - n2)
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, n1, endpoint=False),
            np.linspace(0.5, 0.9, n2, endpoint=False),
            np.linspace(0.9, 1.0, n3 + 1),
        ]
    )


def ais_log_partition(
    params: Params,
    base_bias: jax.Array,
    key: jax.Array,
    num_chains: int = 100,
    num_betas: int = 10_000,
) -> dict[str, jax.Array]:
    """AIS estimate of log Z of a Bernoulli RBM.

    The path is p_β(v) ∝ e^{(1-β) b_A·v + β b·v} Π_j (1 + e^{β (c_j + vW_j)}) from the
    base-rate model p_A (independent pixels with visible bias ``base_bias``, log Z_A =
    Σ softplus(b_A), times 2^H free hidden units at β = 0) to the RBM; one Gibbs sweep at each
    intermediate β.

    Args:
      params: a Bernoulli RBM.
      base_bias: the base-rate model's visible bias [V] (``data_log_odds`` of the training
        marginals).
      key: randomness.
      num_chains: independent AIS runs.
      num_betas: intermediate distributions.

    Returns:
      {"log_z": log Z_A + log mean w, "log_z_low"/"log_z_high": log(mean w ∓ 3 standard
      errors) + log Z_A (low is -inf when the interval reaches 0), "log_w_std"}.
    """
    if "log_sigma" in params:
        raise ValueError("AIS here is for Bernoulli RBMs; a Gaussian RBM needs exact log Z")
    betas = jnp.asarray(ais_betas(num_betas), jnp.float32)
    w, b, c = params["W"], params["b"], params["c"]

    def log_p(v, beta):
        hidden = jnp.sum(jax.nn.softplus(beta * (c + v @ w)), axis=-1)
        return v @ ((1.0 - beta) * base_bias + beta * b) + hidden

    def transition(v, beta, key):
        k_h, k_v = jax.random.split(key)
        h = jax.random.bernoulli(k_h, jax.nn.sigmoid(beta * (c + v @ w))).astype(v.dtype)
        logits = (1.0 - beta) * base_bias + beta * (b + h @ w.T)
        return jax.random.bernoulli(k_v, jax.nn.sigmoid(logits)).astype(v.dtype)

    def step(carry, inputs):
        v, log_w = carry
        beta_prev, beta, k = inputs
        log_w = log_w + log_p(v, beta) - log_p(v, beta_prev)
        return (transition(v, beta, k), log_w), None

    k_init, k_steps = jax.random.split(key)
    v0 = jax.random.bernoulli(k_init, jax.nn.sigmoid(base_bias), (num_chains, b.shape[0]))
    v0 = v0.astype(jnp.float32)
    keys = jax.random.split(k_steps, betas.shape[0] - 1)
    (_, log_w), _ = jax.lax.scan(step, (v0, jnp.zeros(num_chains)), (betas[:-1], betas[1:], keys))
    # At β = 0 the hidden units are free coins: Z_0 = Z_A · 2^H.
    log_z_base = jnp.sum(jax.nn.softplus(base_bias)) + c.shape[0] * jnp.log(2.0)
    return ais_estimate(log_w, log_z_base)


def ais_estimate(log_w: jax.Array, log_z_base: jax.Array) -> dict[str, jax.Array]:
    """log Z = log Z_base + log mean w from AIS log-weights [chains], with a ±3 standard-error
    interval of mean w (computed stably, relative to the mean) and the spread of log w."""
    num_chains = log_w.shape[0]
    log_mean = jax.nn.logsumexp(log_w) - jnp.log(num_chains)
    rel = jnp.exp(log_w - jax.nn.logsumexp(log_w))  # w_i / Σ w
    rel_se = jnp.sqrt(jnp.sum((rel * num_chains - 1.0) ** 2) / (num_chains - 1) / num_chains)
    return {
        "log_z": log_z_base + log_mean,
        "log_z_low": log_z_base + log_mean + jnp.log(jnp.maximum(1.0 - 3.0 * rel_se, 0.0)),
        "log_z_high": log_z_base + log_mean + jnp.log1p(3.0 * rel_se),
        "log_w_std": jnp.std(log_w),
    }


def nll(params: Params, v: jax.Array, log_z: jax.Array) -> jax.Array:
    """-log p(v) = F(v) + log Z per example [B], in nats."""
    return free_energy(params, v) + log_z
