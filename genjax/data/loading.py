"""From the config's data section to in-memory splits, their transform and the DataInfo methods
are built on."""

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from genjax.checks import check_choice, read_section
from genjax.data.datasets import get_spec, open_source, read_all
from genjax.data.info import DataInfo
from genjax.data.transforms import PIXEL_RANGES, VARIANTS, preprocess

Batch = dict[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """``config.data``.

    Attributes:
      name: a ``genjax.data.DATASETS`` name.
      variant: "binary" (thresholded at half the range) or "gray".
      pixel_range: "unit" [0, 1] or "symmetric" [-1, 1] for gray data.
      data_dir: TFDS data directory ("": $TFDS_DATA_DIR or ~/tensorflow_datasets).
      download: let TFDS download a missing dataset (needs internet).
    """

    name: str = "digits"
    variant: str = "binary"
    pixel_range: str = "unit"
    data_dir: str = ""
    download: bool = False

    def __post_init__(self):
        get_spec(self.name)
        check_choice("data.variant", self.variant, VARIANTS)
        check_choice("data.pixel_range", self.pixel_range, PIXEL_RANGES)

    @classmethod
    def read(cls, section: Mapping | None, strict: bool = True) -> "DataConfig":
        """The typed data section (one-line errors for unknown fields and values)."""
        return read_section(section, cls, "data", owner="the data pipeline", strict=strict)


@dataclasses.dataclass(frozen=True)
class Data:
    """Both splits in memory (raw uint8 images), the batch transform, and the data's info."""

    train: Batch
    test: Batch
    transform: Callable[[Batch], Batch]
    info: DataInfo


def describe(cfg: DataConfig) -> DataInfo:
    """The DataInfo of a dataset from its spec and the data section, without reading it."""
    spec = get_spec(cfg.name)
    binary = cfg.variant == "binary" or spec.levels == 1
    return DataInfo(spec.output_shape, spec.num_classes, binary, cfg.pixel_range, spec.levels)


def load_data(cfg: DataConfig) -> Data:
    """Open, read and describe a dataset.

    Args:
      cfg: the typed data section.

    Returns:
      A Data; images are transformed per batch by ``transform`` (vectorised numpy).
    """
    spec = get_spec(cfg.name)
    splits = {
        split: read_all(open_source(cfg.name, split, cfg.data_dir or None, cfg.download), spec)
        for split in ("train", "test")
    }

    def transform(batch: Batch) -> Batch:
        image = preprocess(batch["image"], spec.levels, cfg.variant, cfg.pixel_range)
        return {**batch, "image": image}

    return Data(splits["train"], splits["test"], transform, describe(cfg))
