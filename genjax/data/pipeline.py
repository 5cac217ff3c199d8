"""grain pipelines: shuffled training batches with a checkpointable position, ordered padded
evaluation batches, and host batches turned into global arrays sharded over the mesh."""

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import grain
import jax
import numpy as np
from jax.sharding import NamedSharding

Batch = dict[str, np.ndarray]


class EpochBatchIndices(grain.MapDataset):
    """Element k holds the record indices of this process's part of global batch k.

    Every epoch is a fresh permutation drawn from (seed, epoch); global batch k is its k-th
    run of ``batch_size * shard_count`` indices and process p takes the p-th contiguous slice
    of it. Global batches are thus the same whatever the number of processes (2 processes of 4
    devices train as 1 of 8), and processes read disjoint records. Incomplete final batches
    of an epoch are dropped. Random access means the position is one integer, restored exactly.
    """

    def __init__(
        self,
        num_records: int,
        batch_size: int,
        seed: int,
        shard_index: int = 0,
        shard_count: int = 1,
    ):
        super().__init__()
        global_batch = batch_size * shard_count
        if num_records < global_batch:
            raise ValueError(
                f"the global batch of {global_batch} ({shard_count} processes x {batch_size}) "
                f"exceeds the {num_records} training records; lower batch_size"
            )
        self._num_records = num_records
        self._batch_size = batch_size
        self._seed = seed
        self._offset = shard_index * batch_size
        self._global_batch = global_batch
        self._steps_per_epoch = num_records // global_batch
        self._cache: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return sys.maxsize

    def _permutation(self, epoch: int) -> np.ndarray:
        if self._cache is None or self._cache[0] != epoch:
            perm = np.random.default_rng([self._seed, epoch]).permutation(self._num_records)
            self._cache = (epoch, perm)
        return self._cache[1]

    def __getitem__(self, index: int) -> np.ndarray:
        epoch, step = divmod(index, self._steps_per_epoch)
        start = step * self._global_batch + self._offset
        return self._permutation(epoch)[start : start + self._batch_size]

    @property
    def steps_per_epoch(self) -> int:
        return self._steps_per_epoch


def train_iterator(
    arrays: Batch,
    batch_size: int,
    seed: int,
    transform: Callable[[Batch], Batch],
    shard_index: int = 0,
    shard_count: int = 1,
) -> grain.DatasetIterator:
    """Endless iterator of transformed host batches with ``get_state``/``set_state``.

    Args:
      arrays: the split in memory, e.g. {"image": [N, ...], "label": [N]}.
      batch_size: per-process batch size.
      seed: shuffling seed (each epoch reshuffles with (seed, epoch)).
      transform: vectorised map applied to each gathered batch.
      shard_index, shard_count: this process and the number of processes.

    Returns:
      A grain iterator; its state is ``{"next_index": k}``.
    """
    num_records = len(next(iter(arrays.values())))
    indices = EpochBatchIndices(num_records, batch_size, seed, shard_index, shard_count)
    ds = indices.map(lambda idx: transform({k: v[idx] for k, v in arrays.items()}))
    return iter(ds.to_iter_dataset(grain.ReadOptions(num_threads=1, prefetch_buffer_size=4)))


def eval_batches(
    arrays: Batch,
    batch_size: int,
    transform: Callable[[Batch], Batch],
    shard_index: int = 0,
    shard_count: int = 1,
) -> Iterator[tuple[Batch, np.ndarray]]:
    """The whole split in order, the last batch padded by repetition, with a 0/1 mask.

    Args:
      arrays: the split in memory.
      batch_size: global batch size (a multiple of the device count).
      transform: vectorised map applied to each batch.
      shard_index, shard_count: this process and the number of processes: each yields its
        contiguous slice of every global batch (the mask too).

    Yields:
      (batch, mask) where mask[i] is 1.0 for real rows and 0.0 for padding.
    """
    n = len(next(iter(arrays.values())))
    local = batch_size // shard_count
    for start in range(0, n, batch_size):
        idx = np.arange(start, start + batch_size)[shard_index * local : (shard_index + 1) * local]
        mask = (idx < n).astype(np.float32)
        idx = np.minimum(idx, n - 1)
        yield transform({k: v[idx] for k, v in arrays.items()}), mask


def to_global(batch: Batch, sharding: NamedSharding) -> dict[str, jax.Array]:
    """Assemble each process's host batch into global arrays split over the data axis."""
    return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), batch)


def masked_mean(pairs: Iterable[tuple[Mapping[str, Any], np.ndarray]]) -> dict[str, float]:
    """Mean of each per-example value over the real rows of padded evaluation batches.

    Args:
      pairs: (values, mask) per batch: values maps names to per-example arrays [B] (or to
        their masked sums, scalars: ``sum(v * mask)``), mask is ``eval_batches``'s [B] 0/1 mask.

    Returns:
      name -> sum over batches of sum(value * mask) / number of real rows (float64 sums).
    """
    sums, count = {}, 0.0
    for values, mask in pairs:
        mask = np.asarray(mask, np.float64)
        for name, v in values.items():
            v = np.asarray(v, np.float64)
            total = float(v) if v.ndim == 0 else float(np.sum(v * mask))
            sums[name] = sums.get(name, 0.0) + total
        count += float(mask.sum())
    return {name: total / count for name, total in sums.items()}
