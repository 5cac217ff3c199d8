"""The discrete diffusion's variational bound, every term: the prior KL at the last step,
the T - 1 per-step KLs and the discretised decoder at the first, from which bits/dim is read
(Ho et al. 2020, Nichol & Dhariwal 2021). The reverse step's variance is the forward
posterior's clipped β̃_t (DDPM's "fixed small"), or the network's learned interpolation
between β_t and β̃_t where ``eps_fn`` returns (ε̂, v)."""

import jax
import jax.numpy as jnp

from genjax.diffusion.schedules import (
    Diffusion,
    q_mean_variance,
    q_posterior,
    q_sample,
    reverse_step,
    split_output,
)
from genjax.losses.diffusion import nats_per_dim_to_bits, prior_kl, variational_bound_term


def variational_bound(
    d: Diffusion, eps_fn, x0: jax.Array, key: jax.Array, bins: int, clip: float | None = None
) -> dict[str, jax.Array]:
    """The negative variational bound of each example, with one x_t ~ q(x_t | x_0) per step.

    Runs all T steps in one ``lax.scan`` (T model evaluations of the batch).

    Args:
      d: the diffusion.
      eps_fn: (x_t, t [B]) -> predicted noise, or (noise, v) with v the learned variance's
        raw interpolation output (``schedules.learned_log_variance``).
      x0: data [B, ...] in [-1, 1] on ``bins`` levels.
      key: draws the noise of every step.
      bins: levels of the data (256 for 8-bit images).
      clip: clip x̂_0 to [-clip, clip] in the reverse steps (the model sampled with clipping).

    Returns:
      Per-example arrays [B]: "prior", "decoder" and "kl" (the sum of the T - 1 middle terms)
      in nats, "total" = their sum, and "bits_per_dim" = total / (dims · ln 2).
    """
    b = x0.shape[0]

    def term(carry, inputs):
        t, k = inputs
        tb = jnp.full((b,), t)
        xt = q_sample(d, x0, tb, jax.random.normal(k, x0.shape, x0.dtype))
        true_mean, _, true_log_var = q_posterior(d, x0, xt, tb)
        model_mean, model_log_var = reverse_step(d, *split_output(eps_fn(xt, tb)), xt, tb, clip)
        nats = variational_bound_term(
            x0, true_mean, true_log_var, model_mean, model_log_var, tb == 0, bins
        )
        return carry, nats

    steps = jnp.arange(d.num_steps)
    _, terms = jax.lax.scan(term, None, (steps, jax.random.split(key, d.num_steps)))
    mean, var = q_mean_variance(d, x0, jnp.full((b,), d.num_steps - 1))
    prior = prior_kl(mean, jnp.log(var))
    total = prior + jnp.sum(terms, axis=0)
    dims = x0[0].size
    return {
        "prior": prior,
        "decoder": terms[0],
        "kl": jnp.sum(terms[1:], axis=0),
        "total": total,
        "bits_per_dim": nats_per_dim_to_bits(total, dims),
    }
