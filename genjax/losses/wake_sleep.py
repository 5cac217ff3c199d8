"""Wake-sleep (Hinton et al. 1995) and reweighted wake-sleep (Bornschein & Bengio 2015)
surrogates, as functions of log-probabilities at the recognition net's draws."""

import math

import jax
import jax.numpy as jnp


def wake_sleep_loss(
    log_p: jax.Array, log_q: jax.Array, log_q_dream: jax.Array | None = None
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Surrogate whose gradient is (reweighted) wake-sleep's update, to be minimised.

    With K draws h_k ~ q(h | x) per example (the draws themselves held fixed):
    - K = 1, wake-sleep: the generative net fits log p(x, h_1);
    - K > 1, reweighted wake-sleep: both nets fit their log-probabilities at the K draws,
      weighted by the self-normalised importance weights w̃_k ∝ p(x, h_k) / q(h_k | x)
      (held fixed): the wake updates of p and of q;
    - ``log_q_dream``: the sleep update of q, log q(h | x) at dreams (x, h) ~ p (held fixed).

    Args:
      log_p: log p(x, h_k) [K, B], differentiable in the generative net only.
      log_q: log q(h_k | x) [K, B], differentiable in the recognition net only.
      log_q_dream: log q(h | x) of dreams [B'], or None for no sleep phase.

    Returns:
      (loss, {"log_weight_bound"}): the metric is log (1/K) Σ_k w_k averaged over the batch, a
      lower bound on log p(x).
    """
    k = log_p.shape[0]
    log_w = jax.lax.stop_gradient(log_p - log_q)
    weights = jax.nn.softmax(log_w, axis=0)
    loss = -jnp.mean(jnp.sum(weights * log_p, axis=0))
    if k > 1:
        loss = loss - jnp.mean(jnp.sum(weights * log_q, axis=0))
    if log_q_dream is not None:
        loss = loss - jnp.mean(log_q_dream)
    bound = jax.nn.logsumexp(log_w, axis=0) - math.log(k)
    return loss, {"log_weight_bound": jnp.mean(bound)}
