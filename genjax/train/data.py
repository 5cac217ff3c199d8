"""From a config to in-memory splits, their transform and the DataInfo methods are built on."""

import dataclasses
from collections.abc import Callable

import ml_collections
import numpy as np

from genjax.data import get_spec, open_source, preprocess, read_all
from genjax.data.transforms import PIXEL_RANGES, VARIANTS
from genjax.methods.base import DataInfo, check_choice

Batch = dict[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Data:
    """Both splits in memory (raw uint8 images), the batch transform, and the data's info."""

    train: Batch
    test: Batch
    transform: Callable[[Batch], Batch]
    info: DataInfo


def load_data(config: ml_collections.ConfigDict) -> Data:
    """Open, read and describe ``config.data`` (name, variant, pixel_range, data_dir, download).

    Returns:
      A Data; images are transformed per batch by ``transform`` (vectorised numpy).
    """
    d = config.data
    spec = get_spec(d.name)
    check_choice("data.variant", d.variant, VARIANTS)
    check_choice("data.pixel_range", d.pixel_range, PIXEL_RANGES)
    splits = {
        split: read_all(open_source(d.name, split, d.data_dir or None, d.download), spec)
        for split in ("train", "test")
    }
    binary = d.variant == "binary" or spec.levels == 1

    def transform(batch: Batch) -> Batch:
        return {**batch, "image": preprocess(batch["image"], spec.levels, d.variant, d.pixel_range)}

    info = DataInfo(spec.output_shape, spec.num_classes, binary, d.pixel_range, spec.levels)
    return Data(splits["train"], splits["test"], transform, info)
