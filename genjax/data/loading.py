"""From the config's data section to in-memory splits, their transform and the DataInfo methods
are built on: ordinary datasets (``DATASETS``) and translation tasks (``translation.py``)."""

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from genjax.checks import check_choice, read_section
from genjax.data import translation
from genjax.data.datasets import DATASETS, get_spec, open_source, read_all
from genjax.data.info import DataInfo
from genjax.data.transforms import PIXEL_RANGES, VARIANTS, perturb, preprocess

Batch = dict[str, np.ndarray]
# The fields that apply to translation tasks only, with their defaults.
TRANSLATION_FIELDS = {
    "image_size": 0,
    "load_size": 0,
    "flip": False,
    "channels": 0,
    "direction": "AtoB",
}


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """``config.data``.

    Attributes:
      name: a ``genjax.data.DATASETS`` name, or a translation task: "photo_colorization",
        "photo_edges", "digits_mnist5k", "folder:PATH" or "cycle_gan/NAME".
      variant: "binary" (thresholded at half the range) or "gray" (translation: "gray").
      pixel_range: "unit" [0, 1] or "symmetric" [-1, 1] for gray data (translation:
        "symmetric").
      data_dir: TFDS data directory ("": $TFDS_DATA_DIR or ~/tensorflow_datasets).
      download: let TFDS download a missing dataset (needs internet).
      image_size: translation: side length of the images (0: the task's default, 32 for the
        photo tasks, 16 for digits_mnist5k, 256 for folders and cycle_gan).
      load_size: translation: side length of the stored training images, randomly cropped to
        image_size by the method (0: image_size; the pix2pix paper's 286 for 256).
      flip: translation: flip training pairs horizontally (done by the method).
      channels: translation: 0 for the task's own; 1 (luma) or 3 for folder: and cycle_gan/.
      direction: translation: "AtoB", or "BtoA" to swap input and target.
      exclude_label: drop this class from the training split (the test split is kept whole):
        held-out-class outlier detection. -1: keep every class.
      perturb: replace each training pixel, with this probability, by a level drawn uniformly
        (once, at load, seed 0): the training data of Ren et al. (2019)'s background model.
      train_per_class: keep this many training rows of each class (``per_class_subset`` with
        ``subset_seed``): the labelled few of data-augmentation studies. 0: keep every row.
      subset_seed: which rows ``train_per_class`` keeps.
    """

    name: str = "digits"
    variant: str = "binary"
    pixel_range: str = "unit"
    data_dir: str = ""
    download: bool = False
    image_size: int = 0
    load_size: int = 0
    flip: bool = False
    channels: int = 0
    direction: str = "AtoB"
    exclude_label: int = -1
    perturb: float = 0.0
    train_per_class: int = 0
    subset_seed: int = 0

    def __post_init__(self):
        check_choice("data.variant", self.variant, VARIANTS)
        check_choice("data.pixel_range", self.pixel_range, PIXEL_RANGES)
        check_choice("data.direction", self.direction, translation.DIRECTIONS)
        if not translation.is_translation(self.name):
            _check_ordinary(self)
            return
        if self.exclude_label != -1 or self.perturb or self.train_per_class:
            raise ValueError(
                f"data.exclude_label, data.perturb and data.train_per_class apply to ordinary "
                f"datasets, not to the translation task {self.name}: remove them"
            )
        if self.variant != "gray" or self.pixel_range != "symmetric":
            raise ValueError(
                f"translation data {self.name} is gray-level in [-1, 1]: set "
                "data.variant='gray' and data.pixel_range='symmetric'"
            )
        translation.check_options(self.name, self.image_size, self.load_size, self.channels)

    @property
    def is_translation(self) -> bool:
        """Whether ``name`` is a translation task."""
        return translation.is_translation(self.name)

    @classmethod
    def read(cls, section: Mapping | None, strict: bool = True) -> "DataConfig":
        """The typed data section (one-line errors for unknown fields and values)."""
        return read_section(section, cls, "data", owner="the data pipeline", strict=strict)


def _check_ordinary(cfg: DataConfig) -> None:
    """One-line errors for an unknown dataset, or translation fields set for an ordinary one."""
    if cfg.name not in DATASETS:
        raise ValueError(
            f"unknown dataset {cfg.name!r}; valid datasets: {', '.join(sorted(DATASETS))}; "
            f"translation: {', '.join(translation.TRANSLATION_TASKS)}, folder:PATH, cycle_gan/NAME"
        )
    set_ = [f"data.{k}" for k, default in TRANSLATION_FIELDS.items() if getattr(cfg, k) != default]
    if set_:
        raise ValueError(
            f"{', '.join(set_)} apply to translation data only, not to {cfg.name}: remove them"
        )
    classes = DATASETS[cfg.name].num_classes
    if cfg.exclude_label != -1 and not 0 <= cfg.exclude_label < classes:
        raise ValueError(
            f"data.exclude_label={cfg.exclude_label} is not a class of {cfg.name} "
            + (f"(labels 0..{classes - 1}); " if classes else "(it has no labels); ")
            + "set a label that exists, or -1 to keep every class"
        )
    if not 0.0 <= cfg.perturb < 1.0:
        raise ValueError(f"data.perturb is a probability in [0, 1); got {cfg.perturb}")
    if cfg.train_per_class < 0 or (cfg.train_per_class and not classes):
        raise ValueError(
            f"data.train_per_class={cfg.train_per_class} needs a labelled dataset and a count "
            f">= 1 per class ({cfg.name} has {classes} classes); 0 keeps every row"
        )


def per_class_subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Sorted indices of ``per_class`` rows of each class, drawn without replacement by
    ``seed`` (the same rows for the same labels, count and seed).

    Raises:
      ValueError: when a class has fewer rows than ``per_class``.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        if len(rows) < per_class:
            raise ValueError(
                f"class {c} has {len(rows)} training rows, fewer than train_per_class="
                f"{per_class}; lower it (0 keeps every row)"
            )
        keep.append(rng.choice(rows, per_class, replace=False))
    return np.sort(np.concatenate(keep))


@dataclasses.dataclass(frozen=True)
class Data:
    """Both splits in memory (raw uint8 images), the batch transform, and the data's info."""

    train: Batch
    test: Batch
    transform: Callable[[Batch], Batch]
    info: DataInfo


def describe(cfg: DataConfig) -> DataInfo:
    """The DataInfo of a dataset from its spec and the data section, without reading it (a
    folder: task's layout is told from its subfolders' names)."""
    if cfg.is_translation:
        return translation.translation_info(
            cfg.name, cfg.image_size, cfg.channels, cfg.direction, cfg.flip
        )
    spec = get_spec(cfg.name)
    binary = cfg.variant == "binary" or spec.levels == 1
    return DataInfo(spec.output_shape, spec.num_classes, binary, cfg.pixel_range, spec.levels)


def load_translation(cfg: DataConfig) -> Data:
    """Read a translation task's splits (aligned rows, see ``translation.py``), oriented by
    ``cfg.direction``, with the transform to [-1, 1]."""
    splits = {}
    for split in ("train", "test"):
        rows = translation.read_split(
            cfg.name, split, cfg.image_size, cfg.load_size, cfg.channels, cfg.data_dir, cfg.download
        )
        splits[split] = translation.swap_direction(rows) if cfg.direction == "BtoA" else rows
    info = describe(cfg)
    levels = translation.input_levels(cfg.name, cfg.channels, cfg.direction)
    return Data(
        splits["train"], splits["test"], translation.translation_transform(info, levels), info
    )


def load_data(cfg: DataConfig) -> Data:
    """Open, read and describe a dataset (or a translation task).

    Args:
      cfg: the typed data section.

    Returns:
      A Data; images are transformed per batch by ``transform`` (vectorised numpy).
    """
    if cfg.is_translation:
        return load_translation(cfg)
    spec = get_spec(cfg.name)
    splits = {
        split: read_all(open_source(cfg.name, split, cfg.data_dir or None, cfg.download), spec)
        for split in ("train", "test")
    }
    train = splits["train"]
    if cfg.exclude_label != -1:
        train = {k: v[train["label"] != cfg.exclude_label] for k, v in train.items()}
    if cfg.train_per_class:
        keep = per_class_subset(train["label"], cfg.train_per_class, cfg.subset_seed)
        train = {k: v[keep] for k, v in train.items()}
    if cfg.perturb:
        image = perturb(train["image"], spec.levels, cfg.perturb, np.random.default_rng(0))
        train = {**train, "image": image}
    splits["train"] = train

    def transform(batch: Batch) -> Batch:
        image = preprocess(batch["image"], spec.levels, cfg.variant, cfg.pixel_range)
        return {**batch, "image": image}

    return Data(splits["train"], splits["test"], transform, describe(cfg))
