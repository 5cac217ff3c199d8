"""Data: datasets by name, vectorised transforms, grain pipelines and global batches."""

from genjax.data.datasets import (
    DATASETS,
    DatasetNotPreparedError,
    DatasetSpec,
    get_spec,
    open_source,
    read_all,
)
from genjax.data.pipeline import EpochBatchIndices, eval_batches, to_global, train_iterator
from genjax.data.transforms import preprocess

__all__ = [
    "DATASETS",
    "DatasetNotPreparedError",
    "DatasetSpec",
    "EpochBatchIndices",
    "eval_batches",
    "get_spec",
    "open_source",
    "preprocess",
    "read_all",
    "to_global",
    "train_iterator",
]
