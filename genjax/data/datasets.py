"""Datasets by name: embedded TFDS builders and standard TFDS datasets read through
``tfds.data_source`` (array_record, no TensorFlow needed at read time)."""

import contextlib
import dataclasses
import logging
import os

import numpy as np
import tensorflow_datasets as tfds

from genjax.data.embedded.digits import GenjaxDigits
from genjax.data.embedded.mnist5k import GenjaxMnist5k
from genjax.data.embedded.photos import GenjaxPhotos, GenjaxPhotos64
from genjax.locks import file_lock


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What the pipeline needs to know about a dataset.

    Attributes:
      tfds_name: the TFDS builder name.
      image_shape: (H, W, C) of the raw images.
      levels: largest raw pixel value (16 for digits, 255 for 8-bit images, 1 if binary).
      num_classes: number of labels, 0 if the dataset has none.
      splits: our split name -> TFDS split name.
      builder: an embedded builder class, prepared locally on first use.
      crop_resize: ((crop_h, crop_w), size) center crop then resize, or None.
    """

    tfds_name: str
    image_shape: tuple[int, int, int]
    levels: int
    num_classes: int
    splits: dict[str, str] = dataclasses.field(
        default_factory=lambda: {"train": "train", "test": "test"}
    )
    builder: type | None = None
    crop_resize: tuple[tuple[int, int], int] | None = None

    @property
    def output_shape(self) -> tuple[int, int, int]:
        if self.crop_resize is None:
            return self.image_shape
        size = self.crop_resize[1]
        return (size, size, self.image_shape[-1])


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec("genjax_digits", (8, 8, 1), 16, 10, builder=GenjaxDigits),
    # The 8x8 digits upsampled to 16x16 (bilinear, 17 levels kept): domain A of digits_mnist5k.
    "digits_16px": DatasetSpec(
        "genjax_digits", (8, 8, 1), 16, 10, builder=GenjaxDigits, crop_resize=((8, 8), 16)
    ),
    "mnist5k": DatasetSpec("genjax_mnist5k", (28, 28, 1), 255, 10, builder=GenjaxMnist5k),
    # mnist5k's central 20x20 (MNIST's digit box: each digit was size-normalised into 20x20,
    # then centred by mass in 28x28) resized to 16x16, bilinear: domain B of digits_mnist5k,
    # framed as the digits, which fill their 8x8 frame.
    "mnist5k_16px": DatasetSpec(
        "genjax_mnist5k", (28, 28, 1), 255, 10, builder=GenjaxMnist5k, crop_resize=((20, 20), 16)
    ),
    "photos": DatasetSpec("genjax_photos", (32, 32, 3), 255, 0, builder=GenjaxPhotos),
    "photos64": DatasetSpec("genjax_photos64", (64, 64, 3), 255, 0, builder=GenjaxPhotos64),
    "mnist": DatasetSpec("mnist", (28, 28, 1), 255, 10),
    "fashion_mnist": DatasetSpec("fashion_mnist", (28, 28, 1), 255, 10),
    "binarized_mnist": DatasetSpec(
        "binarized_mnist", (28, 28, 1), 1, 0, splits={"train": "train", "test": "test"}
    ),
    "cifar10": DatasetSpec("cifar10", (32, 32, 3), 255, 10),
    "celeb_a": DatasetSpec("celeb_a", (218, 178, 3), 255, 0, crop_resize=((140, 140), 64)),
}


class DatasetNotPreparedError(FileNotFoundError):
    """A TFDS dataset is absent from ``data_dir`` and downloading was not asked for."""


def get_spec(name: str) -> DatasetSpec:
    """The spec of dataset ``name``, or a one-line error listing the valid names."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


class _NotVariantFolders(logging.Filter):
    """Drops TFDS's "Variant folder ... has no dataset_info.json" warnings: TFDS logs them for
    the empty version folder it makes itself while looking for a dataset that is not prepared
    yet, before the real message (prepared now, or a one-line not-prepared error)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Variant folder")


@contextlib.contextmanager
def quiet_variant_folders():
    """Within: absl's logger without TFDS's variant-folder warnings (``_NotVariantFolders``)."""
    logger, quiet = logging.getLogger("absl"), _NotVariantFolders()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def default_data_dir() -> str:
    """``$TFDS_DATA_DIR`` if set, else ``~/tensorflow_datasets`` (TFDS's own default)."""
    return os.environ.get("TFDS_DATA_DIR", os.path.expanduser("~/tensorflow_datasets"))


def open_source(name: str, split: str, data_dir: str | None = None, download: bool = False):
    """A random-access source of ``{"image": uint8 [H, W, C], "label"?: int}`` records.

    Embedded datasets are prepared locally the first time (seconds, no network). TFDS datasets
    are opened with ``download=False`` unless ``download`` is True.

    Args:
      name: a key of ``DATASETS``.
      split: "train" or "test".
      data_dir: TFDS data directory; None means ``default_data_dir()``.
      download: let TFDS download and prepare a missing dataset (needs internet).

    Returns:
      An object with ``__len__`` and ``__getitem__``.
    """
    spec = get_spec(name)
    if split not in spec.splits:
        raise ValueError(f"unknown split {split!r} for {name}; valid: {', '.join(spec.splits)}")
    data_dir = data_dir or default_data_dir()
    with quiet_variant_folders():
        return _open(spec, name, split, data_dir, download)


def _open(spec: DatasetSpec, name: str, split: str, data_dir: str, download: bool):
    """``open_source``'s work, for a checked split."""
    if spec.builder is not None:
        builder = spec.builder(data_dir=data_dir, file_format="array_record")
        if not builder.is_prepared():  # processes preparing it at once: one does, the rest wait
            os.makedirs(data_dir, exist_ok=True)
            with file_lock(os.path.join(data_dir, f"{spec.tfds_name}.lock")):
                builder = spec.builder(data_dir=data_dir, file_format="array_record")
                if not builder.is_prepared():
                    builder.download_and_prepare()
        return builder.as_data_source(split=spec.splits[split])
    return open_tfds(spec.tfds_name, spec.splits[split], data_dir, download, name)


def open_tfds(tfds_name: str, split: str, data_dir: str, download: bool, name: str):
    """``tfds.data_source`` of a TFDS dataset in array_record format.

    Args:
      tfds_name: the TFDS name, with its config if any (e.g. "cycle_gan/facades").
      split: the TFDS split name.
      data_dir: TFDS data directory.
      download: let TFDS download and prepare a missing dataset (needs internet).
      name: the genjax name, for the prepare command of the error.

    Returns:
      A random-access source; a one-line DatasetNotPreparedError if it is absent.
    """
    try:
        return tfds.data_source(
            tfds_name,
            split=split,
            data_dir=data_dir,
            download=download,
            builder_kwargs={"file_format": "array_record"},
        )
    # TFDS signals an absent dataset with KeyError (no splits), and one prepared only as
    # TFRecord (no random access) with NotImplementedError: both need preparing as array_record.
    except (KeyError, AssertionError, NotImplementedError, FileNotFoundError) as err:
        raise DatasetNotPreparedError(
            f"dataset {name!r} is not prepared in {data_dir} (array_record format); prepare it "
            f"once on a machine with internet: `python -m experiments.prepare --dataset={name} "
            f"--data_dir={data_dir}`, or set --config.data.download=True"
        ) from err


def read_all(
    source, spec: DatasetSpec, chunk: int = 1024, extra: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Read a whole split into memory as ``{"image": uint8 [N, H, W, C], "label"?: int32 [N]}``.

    Args:
      source: a random-access source from ``open_source``.
      spec: its dataset spec (for cropping and labels).
      chunk: records processed (cropped, stacked) at a time.
      extra: further features to stack as they are stored (e.g. photos' "edges", "photo").

    Returns:
      Dict of stacked numpy arrays.
    """
    from genjax.data.transforms import center_crop_resize

    images, labels, more = [], [], {key: [] for key in extra}
    for start in range(0, len(source), chunk):
        records = [source[i] for i in range(start, min(start + chunk, len(source)))]
        for key in extra:
            more[key].append(np.stack([np.asarray(r[key]) for r in records]))
        batch = np.stack([np.asarray(r["image"]) for r in records])
        if spec.crop_resize is not None:
            batch = center_crop_resize(batch, *spec.crop_resize)
        images.append(batch.astype(np.uint8))
        if spec.num_classes:
            labels.append(np.asarray([r["label"] for r in records], np.int32))
    out = {"image": np.concatenate(images)}
    if spec.num_classes:
        out["label"] = np.concatenate(labels)
    return {**out, **{key: np.concatenate(parts) for key, parts in more.items()}}
