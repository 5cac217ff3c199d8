"""Data (layer 0): datasets by name (embedded TFDS builders and TFDS sources), translation
tasks (paired and unpaired image-to-image data, image folders), vectorised pixel transforms,
grain pipelines, global batches, ``DataInfo`` and the typed data section.

May import: the standard library, numpy, jax, grain, tensorflow_datasets, PIL, scikit-learn
and scikit-image (the embedded builders, when they build) and ``genjax.checks`` — nothing else
of genjax.
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
from genjax.data.loading import Data, DataConfig, describe, load_data, load_translation
from genjax.data.pipeline import (
    EpochBatchIndices,
    eval_batches,
    masked_mean,
    to_global,
    train_iterator,
)
from genjax.data.transforms import preprocess
from genjax.data.translation import (
    TRANSLATION_TASKS,
    align_unpaired,
    is_translation,
    swap_direction,
    translation_info,
)

__all__ = [
    "DATASETS",
    "Data",
    "DataConfig",
    "DataInfo",
    "DatasetNotPreparedError",
    "DatasetSpec",
    "EpochBatchIndices",
    "TRANSLATION_TASKS",
    "align_unpaired",
    "describe",
    "display",
    "eval_batches",
    "get_spec",
    "is_translation",
    "load_data",
    "load_translation",
    "masked_mean",
    "open_source",
    "preprocess",
    "read_all",
    "swap_direction",
    "to_global",
    "train_iterator",
    "translation_info",
]
