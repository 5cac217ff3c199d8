"""Image-to-image translation data (pix2pix: paired; CycleGAN: unpaired).

A translation split holds aligned rows: "input" (source / domain-A images) and "image" (target
/ domain-B images), raw uint8, plus "input_label" and "label" (int32) where the domains have
labels. Unpaired domains become N = max(Na, Nb) rows so that the grain pipeline, which indexes
every array of a split alike, serves them unchanged: in training row i holds A[i % Na] and
B[perm[i] % Nb] (perm a fixed permutation of N, seed 0); in test row i holds A[i % Na] and
B[i % Nb] with weights "input_weight" = (i < Na) and "image_weight" = (i < Nb), so that each
test image counts once. Train images are stored at ``load_size`` (the method random-crops them
to ``image_size``), test images at ``image_size``. The transform maps both to [-1, 1].

Tasks: "photo_colorization" (luma -> RGB patch) and "photo_edges" (Canny edges -> RGB patch),
paired, from the photos datasets; "digits_mnist5k" (8x8 digits upsampled -> MNIST's 20x20 digit
box downsampled, both 16x16), unpaired; "folder:PATH" (either layout of the pix2pix/CycleGAN
repository, see ``folders.py``); "cycle_gan/NAME" (the TFDS cycle_gan configs), unpaired.
"""

import dataclasses
import os
from collections.abc import Callable

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

from genjax.data.datasets import default_data_dir, get_spec, open_source, open_tfds, read_all
from genjax.data.embedded.photos import luma8
from genjax.data.folders import (
    folder_layout,
    read_folder,
    read_paired_folder,
    resize_array,
    resize_image,
)
from genjax.data.info import DataInfo
from genjax.data.transforms import to_float

Batch = dict[str, np.ndarray]
# The built-in tasks and their default image_size (folder: and cycle_gan/: 256).
DEFAULT_SIZES = {"photo_colorization": 32, "photo_edges": 32, "digits_mnist5k": 16}
TRANSLATION_TASKS = tuple(DEFAULT_SIZES)
FOLDER, CYCLE_GAN = "folder:", "cycle_gan/"
DIRECTIONS = ("AtoB", "BtoA")
SWAP = {
    "input": "image",
    "image": "input",
    "input_label": "label",
    "label": "input_label",
    "input_weight": "image_weight",
    "image_weight": "input_weight",
}


@dataclasses.dataclass(frozen=True)
class Domain:
    """One side of a task: channels, largest raw pixel value, number of labels (0: none)."""

    channels: int
    levels: int
    num_classes: int = 0


@dataclasses.dataclass(frozen=True)
class Task:
    """A translation task, known without reading its data.

    Attributes:
      pairing: "paired" or "unpaired".
      size: the default image_size.
      a, b: the source and target domains (direction AtoB).
    """

    pairing: str
    size: int
    a: Domain
    b: Domain


def is_translation(name: str) -> bool:
    """Whether ``name`` names a translation task (it may still be malformed)."""
    return name in TRANSLATION_TASKS or name.startswith((FOLDER, CYCLE_GAN))


def default_size(name: str) -> int:
    """The default image_size of translation task ``name``."""
    return DEFAULT_SIZES.get(name, 256)


def folder_path(name: str) -> str:
    """The path of a "folder:PATH" name, ``~`` expanded."""
    return os.path.expanduser(name[len(FOLDER) :])


def cycle_gan_configs() -> tuple[str, ...]:
    """The configs of TFDS's ``cycle_gan`` builder (horse2zebra, facades, maps, ...)."""
    return tuple(c.name for c in tfds.builder_cls("cycle_gan").BUILDER_CONFIGS)


def check_name(name: str) -> None:
    """One-line error unless ``name`` is a well-formed translation name (no disk access)."""
    if name.startswith(FOLDER) and not name[len(FOLDER) :].strip():
        raise ValueError(f"data.name {name!r} needs a folder: folder:PATH")
    if name.startswith(CYCLE_GAN):
        configs = cycle_gan_configs()
        if name[len(CYCLE_GAN) :] not in configs:
            raise ValueError(
                f"unknown cycle_gan dataset {name!r}; valid: "
                + ", ".join(CYCLE_GAN + c for c in configs)
            )
    elif name not in TRANSLATION_TASKS and not name.startswith(FOLDER):
        raise ValueError(
            f"unknown translation task {name!r}; valid: {', '.join(TRANSLATION_TASKS)}"
        )


def task_of(name: str, channels: int = 0) -> Task:
    """The Task of a translation name; folders are told apart by their subfolders' names.

    Args:
      name: a translation name.
      channels: 0 for the task's own; 1 or 3 for folder: and cycle_gan/ images.

    Returns:
      The Task.
    """
    check_name(name)
    rgb, size = Domain(channels or 3, 255), default_size(name)
    if name == "photo_colorization":
        return Task("paired", size, Domain(1, 255), rgb)
    if name == "photo_edges":
        return Task("paired", size, Domain(1, 1), rgb)
    if name == "digits_mnist5k":
        return Task("unpaired", size, Domain(1, 16, 10), Domain(1, 255, 10))
    if name.startswith(CYCLE_GAN):
        return Task("unpaired", size, rgb, rgb)
    return Task(folder_layout(folder_path(name))[0], size, rgb, rgb)


def check_options(name: str, image_size: int, load_size: int, channels: int) -> None:
    """One-line errors for sizes and channels that do not fit translation task ``name``."""
    check_name(name)
    for field, value in (("image_size", image_size), ("load_size", load_size)):
        if value < 0:
            raise ValueError(f"data.{field} must be >= 0 (0: the default); got {value}")
    if channels not in (0, 1, 3):
        raise ValueError(f"data.channels must be 0 (the task's own), 1 or 3; got {channels}")
    if channels and name in TRANSLATION_TASKS:
        raise ValueError(
            f"data.channels applies to folder: and cycle_gan/ datasets; {name} has its own "
            "channels: remove it"
        )
    size = image_size or default_size(name)
    if load_size and load_size < size:
        raise ValueError(
            f"data.load_size={load_size} must be >= data.image_size={size} (train images are "
            "stored at load_size and randomly cropped to image_size)"
        )


def translation_info(
    name: str, image_size: int = 0, channels: int = 0, direction: str = "AtoB", flip: bool = False
) -> DataInfo:
    """The DataInfo of a translation task, without reading its data.

    Args:
      name: a translation name.
      image_size: side length of the images (0: the task's default).
      channels: 0 for the task's own; 1 or 3 for folder: and cycle_gan/ images.
      direction: "AtoB" or "BtoA" (swaps input and target).
      flip: horizontal flips in training (done by the method).

    Returns:
      image_shape and levels of the target, input_shape of the source, the target's labels.
    """
    task = task_of(name, channels)
    source, target = (task.a, task.b) if direction == "AtoB" else (task.b, task.a)
    size = image_size or task.size
    return DataInfo(
        image_shape=(size, size, target.channels),
        num_classes=target.num_classes,
        binary=False,
        pixel_range="symmetric",
        levels=target.levels,
        input_shape=(size, size, source.channels),
        pairing=task.pairing,
        flip=flip,
    )


def translation_transform(info: DataInfo, input_levels: int) -> Callable[[Batch], Batch]:
    """The batch transform: "input" and "image" from raw uint8 to float32 in [-1, 1]."""

    def transform(batch: Batch) -> Batch:
        return {
            **batch,
            "input": to_float(batch["input"], input_levels, "symmetric"),
            "image": to_float(batch["image"], info.levels, "symmetric"),
        }

    return transform


def align_unpaired(a: Batch, b: Batch, train: bool, seed: int = 0) -> Batch:
    """Two unpaired domains as N = max(Na, Nb) aligned rows (see the module docstring).

    Args:
      a, b: {"image": [N?, ...], "label"?: [N?]} of each domain.
      train: training rows (B drawn through a fixed permutation) or test rows (in order, with
        "input_weight" and "image_weight").
      seed: the permutation's seed.

    Returns:
      {"input", "image", "input_label"?, "label"?, "input_weight"?, "image_weight"?}.
    """
    na, nb = len(a["image"]), len(b["image"])
    rows = np.arange(max(na, nb))
    rows_b = np.random.default_rng(seed).permutation(len(rows)) if train else rows
    ia, ib = rows % na, rows_b % nb
    out = {"input": a["image"][ia], "image": b["image"][ib]}
    if "label" in a:
        out["input_label"] = a["label"][ia].astype(np.int32)
    if "label" in b:
        out["label"] = b["label"][ib].astype(np.int32)
    if not train:
        out["input_weight"] = (rows < na).astype(np.float32)
        out["image_weight"] = (rows < nb).astype(np.float32)
    return out


def _photo_pairs(name: str, split: str, image_size: int, size: int, data_dir: str) -> Batch:
    """Rows of a photo task: patches of "photos" (image_size <= 32) or "photos64", resized to
    ``size``; the input is the luma (colorization) or the edges of the resized patch."""
    dataset = "photos" if image_size <= 32 else "photos64"
    raw = read_all(open_source(dataset, split, data_dir), get_spec(dataset), extra=("edges",))
    image = resize_array(raw["image"], size, 255)
    if name == "photo_colorization":
        x = luma8(image)
    else:
        x = resize_array(raw["edges"], size, 1)
    return {"input": x, "image": image}


def _digit_domains(split: str, size: int, data_dir: str) -> tuple[Batch, Batch]:
    """digits_16px (17 levels) and mnist5k_16px (256 levels), resized to ``size``."""
    out = []
    for dataset in ("digits_16px", "mnist5k_16px"):
        spec = get_spec(dataset)
        raw = read_all(open_source(dataset, split, data_dir), spec)
        out.append({**raw, "image": resize_array(raw["image"], size, spec.levels)})
    return out[0], out[1]


def _cycle_gan_domains(
    name: str, split: str, size: int, channels: int, data_dir: str, download: bool
) -> tuple[Batch, Batch]:
    """The A and B images of a TFDS cycle_gan config's split (trainA/trainB or testA/testB)."""
    out = []
    for side in ("A", "B"):
        source = open_tfds(name, f"{split}{side}", data_dir, download, name)
        images = [
            resize_image(Image.fromarray(np.asarray(source[i]["image"])), size, channels)
            for i in range(len(source))
        ]
        out.append({"image": np.stack(images)})
    return out[0], out[1]


def read_split(
    name: str,
    split: str,
    image_size: int = 0,
    load_size: int = 0,
    channels: int = 0,
    data_dir: str = "",
    download: bool = False,
) -> Batch:
    """One split of a translation task as aligned raw rows, direction AtoB.

    Args:
      name: a translation name.
      split: "train" (stored at load_size) or "test" (at image_size).
      image_size, load_size, channels: the data section's fields (0: defaults).
      data_dir: TFDS data directory ("": the default).
      download: let TFDS download a missing cycle_gan dataset.

    Returns:
      {"input": uint8 [N, s, s, Ca], "image": uint8 [N, s, s, Cb], labels and weights}.
    """
    task = task_of(name, channels)
    image_size = image_size or task.size
    size = (load_size or image_size) if split == "train" else image_size
    channels = channels or 3
    data_dir = data_dir or default_data_dir()
    if name in ("photo_colorization", "photo_edges"):
        return _photo_pairs(name, split, image_size, size, data_dir)
    if name == "digits_mnist5k":
        a, b = _digit_domains(split, size, data_dir)
    elif name.startswith(CYCLE_GAN):
        a, b = _cycle_gan_domains(name, split, size, channels, data_dir, download)
    else:
        pairing, dirs = folder_layout(folder_path(name))
        if pairing == "paired":
            x, y = read_paired_folder(dirs[split][0], size, channels)
            return {"input": x, "image": y}
        a, b = ({"image": read_folder(d, size, channels)} for d in dirs[split])
    return align_unpaired(a, b, train=split == "train")


def swap_direction(batch: Batch) -> Batch:
    """The rows with input and target exchanged (direction BtoA), labels and weights too."""
    return {SWAP.get(key, key): value for key, value in batch.items()}


def input_levels(name: str, channels: int = 0, direction: str = "AtoB") -> int:
    """The largest raw value of the source images (1 for edges, 16 for digits, else 255)."""
    task = task_of(name, channels)
    return (task.a if direction == "AtoB" else task.b).levels
