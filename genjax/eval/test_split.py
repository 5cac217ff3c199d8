"""A method's per-example metrics averaged over the whole test split (padded batches, masked),
on one host or many."""

import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding

from genjax.data import Data, eval_batches, masked_mean, to_global


def make_eval_step(eval_metrics):
    """Masked sums of per-example metrics over a global batch (works across hosts)."""

    def eval_step(params, batch, mask, key):
        metrics = eval_metrics(params, batch, key)
        return {k: jnp.sum(v * mask) for k, v in metrics.items()}

    return jax.jit(eval_step)


def evaluate(
    eval_step, params, data: Data, batch_size: int, key: jax.Array, shard: NamedSharding
) -> dict[str, float]:
    """Mean of each per-example metric over the test split; batch i keyed by fold_in(key, i).

    Args:
      eval_step: from ``make_eval_step``.
      params: the parameters evaluated.
      data: the dataset (its test split).
      batch_size: global evaluation batch.
      key: evaluation randomness.
      shard: the data sharding of the mesh.

    Returns:
      metric name -> mean over the real test rows.
    """
    batches = eval_batches(data.test, batch_size, data.transform)
    return masked_mean(
        (eval_step(params, to_global(b, shard), to_global(m, shard), jax.random.fold_in(key, i)), m)
        for i, (b, m) in enumerate(batches)
    )
