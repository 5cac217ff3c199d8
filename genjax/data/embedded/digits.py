"""scikit-learn's 8x8 handwritten digits as a TFDS builder (no download: the data ships with
scikit-learn). Pixels keep their 17 raw gray levels 0..16; fixed split: the first 1500 rows
train, the last 297 test."""

import numpy as np
import tensorflow_datasets as tfds

NUM_TRAIN = 1500


class GenjaxDigits(tfds.core.GeneratorBasedBuilder):
    """sklearn.datasets.load_digits as {"image": uint8 [8, 8, 1] in 0..16, "label": 0..9}."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First 1500 rows train, last 297 test."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description="scikit-learn's 8x8 digits (UCI optdigits test set), 17 gray levels.",
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=(8, 8, 1), dtype=np.uint8),
                    "label": tfds.features.ClassLabel(num_classes=10),
                }
            ),
            supervised_keys=("image", "label"),
            disable_shuffling=True,
        )

    def _split_generators(self, dl_manager):
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = digits.images.astype(np.uint8)[..., None]
        labels = digits.target.astype(np.int64)
        return {
            "train": self._generate_examples(images[:NUM_TRAIN], labels[:NUM_TRAIN], 0),
            "test": self._generate_examples(images[NUM_TRAIN:], labels[NUM_TRAIN:], NUM_TRAIN),
        }

    def _generate_examples(self, images: np.ndarray, labels: np.ndarray, offset: int):
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            yield offset + i, {"image": image, "label": int(label)}
