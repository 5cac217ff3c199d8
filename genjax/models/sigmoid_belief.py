"""Helmholtz machines (Dayan et al. 1995): a sigmoid belief net p(x, h_1..h_L) generating
top-down and a recognition net q(h_1..h_L | x) inferring bottom-up, both as pure functions of
parameter dicts, trained by the wake-sleep and reweighted wake-sleep (Bornschein & Bengio 2015)
surrogate of ``genjax.losses.wake_sleep_loss``.

Generative params: {"top": [H_L] logits of the factorised top prior, "layers": [{"W": [H_l,
H_{l-1}], "b": [H_{l-1}]} for l = L..1]} with H_0 = the visible size. Recognition params:
{"layers": [{"W": [H_{l-1}, H_l], "b": [H_l]} for l = 1..L]}.
"""

import jax
import jax.numpy as jnp

from genjax.losses.likelihoods import bernoulli_log_prob
from genjax.losses.wake_sleep import wake_sleep_loss

Params = dict


def init_params(key: jax.Array, num_visible: int, hidden: tuple[int, ...], scale: float = 0.01):
    """(generative, recognition) params; hidden lists H_1 (next to x) .. H_L (top)."""
    sizes = (num_visible, *hidden)
    keys = jax.random.split(key, 2 * len(hidden))
    gen = {
        "top": jnp.zeros(hidden[-1]),
        "layers": [
            {
                "W": scale * jax.random.normal(keys[i], (sizes[i + 1], sizes[i])),
                "b": jnp.zeros(sizes[i]),
            }
            for i in reversed(range(len(hidden)))
        ],
    }
    rec = {
        "layers": [
            {
                "W": scale * jax.random.normal(keys[len(hidden) + i], (sizes[i], sizes[i + 1])),
                "b": jnp.zeros(sizes[i + 1]),
            }
            for i in range(len(hidden))
        ]
    }
    return gen, rec


def _bernoulli_log_prob(logits: jax.Array, x: jax.Array) -> jax.Array:
    """Σ log Bernoulli(x; sigmoid(logits)) over the last axis."""
    return bernoulli_log_prob(x, logits, batch_ndim=x.ndim - 1)


def _sample(key, logits):
    return jax.random.bernoulli(key, jax.nn.sigmoid(logits)).astype(logits.dtype)


def recognise(rec: Params, x: jax.Array, key: jax.Array) -> tuple[list[jax.Array], jax.Array]:
    """h ~ q(h | x) bottom-up: ([h_1, .., h_L], log q(h | x) [...batch])."""
    states, log_q, below = [], 0.0, x
    for layer, k in zip(rec["layers"], jax.random.split(key, len(rec["layers"])), strict=True):
        logits = below @ layer["W"] + layer["b"]
        below = _sample(k, logits)
        log_q = log_q + _bernoulli_log_prob(logits, below)
        states.append(below)
    return states, log_q


def recognition_log_prob(rec: Params, x: jax.Array, states: list[jax.Array]) -> jax.Array:
    """log q(h | x) of given states."""
    log_q, below = 0.0, x
    for layer, h in zip(rec["layers"], states, strict=True):
        log_q = log_q + _bernoulli_log_prob(below @ layer["W"] + layer["b"], h)
        below = h
    return log_q


def generative_log_prob(gen: Params, x: jax.Array, states: list[jax.Array]) -> jax.Array:
    """log p(x, h) = log p(h_L) + Σ log p(h_{l-1} | h_l), with h_0 = x."""
    log_p = _bernoulli_log_prob(jnp.broadcast_to(gen["top"], states[-1].shape), states[-1])
    below = [x, *states[:-1]]  # the layer each generative layer emits, top-down
    for layer, above, target in zip(gen["layers"], reversed(states), reversed(below), strict=True):
        log_p = log_p + _bernoulli_log_prob(above @ layer["W"] + layer["b"], target)
    return log_p


def dream(gen: Params, key: jax.Array, num: int) -> tuple[jax.Array, list[jax.Array]]:
    """(x, [h_1, .., h_L]) ~ p top-down (the sleep phase's fantasies)."""
    keys = jax.random.split(key, len(gen["layers"]) + 1)
    h = _sample(keys[0], jnp.broadcast_to(gen["top"], (num, gen["top"].shape[0])))
    states = [h]
    for layer, k in zip(gen["layers"], keys[1:], strict=True):
        h = _sample(k, h @ layer["W"] + layer["b"])
        states.append(h)
    x = states.pop()
    return x, states[::-1]


def log_weights(gen: Params, rec: Params, x: jax.Array, key: jax.Array, num: int):
    """log p(x, h_k) - log q(h_k | x) for k = 1..num draws h_k ~ q: [num, B] (and the draws)."""
    xs = jnp.broadcast_to(x, (num, *x.shape))
    states, log_q = recognise(rec, xs, key)
    return generative_log_prob(gen, xs, states) - log_q, states


def wake_sleep_surrogate(gen, rec, x, key, num_samples: int = 1, sleep: bool = True):
    """``genjax.losses.wake_sleep_loss`` of this Helmholtz machine on data ``x`` [B, V].

    num_samples = 1 is classic wake-sleep (its sleep phase always on); K > 1 reweighted
    wake-sleep with K draws from q per example, plus the sleep update of q when ``sleep``.

    Returns:
      (loss, {"log_weight_bound"}).
    """
    k_wake, k_sleep = jax.random.split(key)
    xs = jnp.broadcast_to(x, (num_samples, *x.shape))
    states, _ = recognise(jax.lax.stop_gradient(rec), xs, k_wake)
    states = [jax.lax.stop_gradient(h) for h in states]
    log_p = generative_log_prob(gen, xs, states)
    log_q = recognition_log_prob(rec, xs, states)
    log_q_dream = None
    if sleep or num_samples == 1:
        dream_x, dream_h = dream(jax.lax.stop_gradient(gen), k_sleep, x.shape[0])
        log_q_dream = recognition_log_prob(rec, dream_x, dream_h)
    return wake_sleep_loss(log_p, log_q, log_q_dream)
