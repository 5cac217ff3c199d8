"""A method's per-example metrics averaged over the whole test split (padded batches, masked),
on one host or many."""

import jax
import jax.numpy as jnp
import numpy as np
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
    index, count = jax.process_index(), jax.process_count()
    batches = eval_batches(data.test, batch_size, data.transform, index, count)
    rows = len(data.test["image"])
    # Each process holds its slice of batch i; the step's masked sums are over the whole batch,
    # and so is the mask whose sum counts its real rows.
    return masked_mean(
        (
            eval_step(params, to_global(b, shard), to_global(m, shard), jax.random.fold_in(key, i)),
            np.arange(i * batch_size, (i + 1) * batch_size) < rows,
        )
        for i, (b, m) in enumerate(batches)
    )
