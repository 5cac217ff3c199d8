"""Data (layer 0): datasets by name (embedded TFDS builders and TFDS sources), vectorised
pixel transforms, grain pipelines, global batches, ``DataInfo`` and the typed data section.

May import: the standard library, numpy, jax, grain, tensorflow_datasets, PIL and
``genjax.checks`` — nothing else of genjax.
"""

from genjax.data.datasets import (
    DATASETS,
    DatasetNotPreparedError,
    DatasetSpec,
    get_spec,
    open_source,
    read_all,
)
from genjax.data.info import DataInfo, display
from genjax.data.loading import Data, DataConfig, describe, load_data
from genjax.data.pipeline import (
    EpochBatchIndices,
    eval_batches,
    masked_mean,
    to_global,
    train_iterator,
)
from genjax.data.transforms import preprocess

__all__ = [
    "DATASETS",
    "Data",
    "DataConfig",
    "DataInfo",
    "DatasetNotPreparedError",
    "DatasetSpec",
    "EpochBatchIndices",
    "describe",
    "display",
    "eval_batches",
    "get_spec",
    "load_data",
    "masked_mean",
    "open_source",
    "preprocess",
    "read_all",
    "to_global",
    "train_iterator",
]
