"""Deep belief nets (Hinton, Osindero & Teh 2006) as pure functions of a stack of Bernoulli RBMs.

``layers`` is a sequence of RBM parameter dicts, bottom first: layer l couples h_l (its
visibles; h_0 = v) with h_{l+1}. The generative model is the top RBM over (h_{L-1}, h_L)
followed by directed sigmoid layers p(h_l | h_{l+1}) = σ(b_l + W_l h_{l+1}) down to v; the
recognition model is q(h_{l+1} | h_l) = σ(c_l + h_l W_l), each layer's own posterior.

For one sample h ~ q(· | v) the log weight is
  log w = Σ_{l<L-1} [log p(h_l | h_{l+1}) - log q(h_{l+1} | h_l)] - F_top(h_{L-1}),
so log p(v) ≥ E_q[log w] - log Z_top (the variational bound) and log mean_k w_k - log Z_top
is an importance-sampled estimate (a stochastic lower bound that tightens with K).
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from genjax.energy.partition import hidden_configurations
from genjax.energy.rbm import Params, free_energy, gibbs_chain, hidden_logits
from genjax.losses.likelihoods import bernoulli_log_prob

Layers = Sequence[Params]


def down_logits(layer: Params, h_above: jax.Array) -> jax.Array:
    """Logits of the directed p(h_below | h_above) = σ(b + W h_above)."""
    return layer["b"] + h_above @ layer["W"].T


def recognise(layers: Layers, v: jax.Array, key: jax.Array) -> list[jax.Array]:
    """Binary samples [h_1, ..., h_depth] up the stack, h_{l+1} ~ q(· | h_l), ``depth`` =
    len(layers): the data each greedy stage trains its RBM on (h_l for layer l)."""
    states, h = [], v
    for i, layer in enumerate(layers):
        p = jax.nn.sigmoid(hidden_logits(layer, h))
        h = jax.random.bernoulli(jax.random.fold_in(key, i), p).astype(v.dtype)
        states.append(h)
    return states


def log_weights(layers: Layers, v: jax.Array, key: jax.Array, num_samples: int) -> jax.Array:
    """log w of ``num_samples`` draws from q(h | v) per example, without log Z_top: [K, B].

    Args:
      layers: the stack, bottom first (one layer: an RBM, log w = -F(v) for every draw).
      v: binary visibles [B, V].
      key: randomness.
      num_samples: K draws per example.

    Returns:
      log p*(v, h) - log q(h | v) with p* the generative model's unnormalised joint.
    """
    h = jnp.broadcast_to(v, (num_samples, *v.shape))
    log_w = jnp.zeros(h.shape[:-1], v.dtype)
    for i, layer in enumerate(layers[:-1]):
        up_logits = hidden_logits(layer, h)
        up = jax.random.bernoulli(jax.random.fold_in(key, i), jax.nn.sigmoid(up_logits))
        up = up.astype(v.dtype)
        down = bernoulli_log_prob(h, down_logits(layer, up), h.ndim - 1)
        log_w += down - bernoulli_log_prob(up, up_logits, up.ndim - 1)
        h = up
    return log_w - free_energy(layers[-1], h)


def bounds(log_w: jax.Array, log_z_top: jax.Array) -> dict[str, jax.Array]:
    """Per-example lower bounds on log p(v) in nats from ``log_weights`` [K, B]:
    {"elbo": mean_k log w - log Z, "is": log mean_k w - log Z}."""
    k = log_w.shape[0]
    return {
        "elbo": jnp.mean(log_w, axis=0) - log_z_top,
        "is": jax.nn.logsumexp(log_w, axis=0) - jnp.log(k) - log_z_top,
    }


def generate(
    layers: Layers, key: jax.Array, num: int, steps: int, trajectory: bool = False
) -> jax.Array:
    """Gibbs in the top RBM from uniform noise, then one downward pass of binary samples.

    Args:
      layers: the stack, bottom first.
      key: randomness.
      num: samples.
      steps: Gibbs sweeps in the top RBM.
      trajectory: return every sweep, each carried down the stack.

    Returns:
      p(v | h_1) probabilities [num, V] (the last Gibbs state itself for a one-layer stack);
      with ``trajectory``, [steps, num, V].
    """
    k_init, k_gibbs, k_down = jax.random.split(key, 3)
    top = layers[-1]
    h = jax.random.bernoulli(k_init, 0.5, (num, top["W"].shape[0])).astype(jnp.float32)
    out = gibbs_chain(top, h, k_gibbs, steps, trajectory)
    states = out[1] if trajectory else out
    if len(layers) == 1:
        return states
    for i in range(len(layers) - 2, 0, -1):  # binary draws down to h_1
        p = jax.nn.sigmoid(down_logits(layers[i], states))
        states = jax.random.bernoulli(jax.random.fold_in(k_down, i), p).astype(states.dtype)
    return jax.nn.sigmoid(down_logits(layers[0], states))


def exact_log_prob(
    layers: Layers, v: jax.Array, log_z_top: jax.Array, chunk: int = 1 << 14
) -> jax.Array:
    """Exact log p(v) of a two-layer DBN, summing h_1 over its 2^H1 states, ``chunk`` at a
    time: log Σ_h1 p(v | h_1) e^{-F_top(h_1)} / Z_top. Per example [B].

    Args:
      layers: exactly two RBMs, the first with at most 24 hidden units.
      v: binary visibles [B, V].
      log_z_top: the top RBM's log Z.
      chunk: h_1 states per step.
    """
    if len(layers) != 2:
        raise ValueError(f"exact log p(v) sums one hidden layer: needs 2 layers, got {len(layers)}")
    bottom, top = layers
    num_hidden = bottom["c"].shape[0]
    if num_hidden > 24:
        raise ValueError(f"exact log p(v) enumerates 2^H1 states: needs H1 <= 24, got {num_hidden}")
    total = 1 << num_hidden
    chunk = min(chunk, total)

    def chunk_lse(i):
        h = hidden_configurations(i * chunk, chunk, num_hidden)
        logits = down_logits(bottom, h)  # [C, V]
        log_joint = v @ logits.T - jnp.sum(jax.nn.softplus(logits), axis=-1) - free_energy(top, h)
        valid = i * chunk + jnp.arange(chunk) < total
        return jax.nn.logsumexp(jnp.where(valid, log_joint, -jnp.inf), axis=-1)  # [B]

    per_chunk = jax.lax.map(chunk_lse, jnp.arange(-(-total // chunk)))
    return jax.nn.logsumexp(per_chunk, axis=0) - log_z_top
