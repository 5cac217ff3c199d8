"""Importance sampling of the training step t for the variational bound's terms (Nichol &
Dhariwal 2021, sec. 3.3): p_t ∝ sqrt(E[L_t²]) from the last ``history`` values of L_t seen at
each step, mixed with a little of the uniform distribution; uniform until every step has a
full history. The estimate L_t / (T p_t) stays unbiased for the uniform average of L_t.

The history is a pytree carried in the train step's model state (``genjax.methods.base``), so
it is checkpointed and resumed with everything else.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

HISTORY = 10  # values of L_t kept per step
UNIFORM_PROB = 0.001  # the uniform distribution's share of p_t


class LossHistory(NamedTuple):
    """values [T, HISTORY]: the last values of L_t per step (oldest first); counts [T]: how
    many of them are filled (at most HISTORY)."""

    values: jax.Array
    counts: jax.Array


def init_history(num_steps: int, history: int = HISTORY) -> LossHistory:
    return LossHistory(jnp.zeros((num_steps, history)), jnp.zeros((num_steps,), jnp.int32))


def probabilities(h: LossHistory, uniform_prob: float = UNIFORM_PROB) -> jax.Array:
    """p_t [T]: ∝ sqrt(mean of the history's L_t²) mixed with ``uniform_prob`` of uniform;
    uniform until every step's history is full."""
    num_steps, history = h.values.shape
    weights = jnp.sqrt(jnp.mean(h.values**2, axis=-1))
    weights = weights / jnp.maximum(jnp.sum(weights), 1e-30)
    mixed = (1.0 - uniform_prob) * weights + uniform_prob / num_steps
    full = jnp.all(h.counts >= history) & (jnp.sum(weights) > 0)
    return jnp.where(full, mixed, jnp.full((num_steps,), 1.0 / num_steps))


def sample_steps(h: LossHistory, key: jax.Array, num: int) -> tuple[jax.Array, jax.Array]:
    """``num`` steps t ~ p and their weights 1/(T p_t), which make L_t/(T p_t)·T unbiased.

    Returns:
      (t int32 [num], weights [num]).
    """
    p = probabilities(h)
    t = jax.random.choice(key, p.shape[0], (num,), p=p)
    return t.astype(jnp.int32), 1.0 / (p.shape[0] * p[t])


def update_history(h: LossHistory, t: jax.Array, losses: jax.Array) -> LossHistory:
    """The history with each (t_i, L_i) appended in batch order: into the next free slot of
    step t_i, or, when full, dropping its oldest value."""
    history = h.values.shape[1]

    def push(i, state):
        values, counts = state
        ti, li = t[i], losses[i].astype(values.dtype)
        row, n = values[ti], counts[ti]
        shifted = jnp.where(n >= history, jnp.roll(row, -1).at[-1].set(li), row.at[n].set(li))
        return values.at[ti].set(shifted), counts.at[ti].set(jnp.minimum(n + 1, history))

    values, counts = jax.lax.fori_loop(0, t.shape[0], push, (h.values, h.counts))
    return LossHistory(values, counts)
