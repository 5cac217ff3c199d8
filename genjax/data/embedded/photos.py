"""RGB patches of the colour photographs that scikit-image and scikit-learn ship (no download),
with their Canny edges, as TFDS builders: ``GenjaxPhotos`` (32 x 32) and ``GenjaxPhotos64``.

Each photograph is resized (PIL Lanczos, antialiased) so its shorter side is 8 * P pixels
(P the patch size; for P = 64 six of the ten photographs are enlarged), Canny edges (sigma 1)
are found on the ITU-R 601 luminance of the whole resized photograph (no patch-border
artefacts), and P x P patches are cut on a grid of stride P / 2, row by row. Split by
photograph: chelsea and flower are the test photographs, the other eight train. Records:
{"image": uint8 [P, P, 3], "edges": uint8 [P, P, 1] in {0, 1}, "photo": index into ``PHOTOS``},
in photograph then grid order (deterministic).

Patches per split (measured): P = 32: train 2,295, test 690 (chelsea 345, flower 345);
P = 64: train 2,265, test 675 (chelsea 345, flower 330). A square photograph gives 15 x 15.
"""

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image

PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "motorcycle_left",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "china",
    "flower",
)
TEST_PHOTOS = ("chelsea", "flower")
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601, as PIL's convert("L")


def load_photo(name: str) -> np.ndarray:
    """One of ``PHOTOS`` as uint8 [H, W, 3]."""
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return np.asarray(load_sample_image(f"{name}.jpg"), np.uint8)
    import skimage.data

    if name == "motorcycle_left":
        return np.asarray(skimage.data.stereo_motorcycle()[0], np.uint8)
    return np.asarray(getattr(skimage.data, name)(), np.uint8)[..., :3]


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of RGB pixels (any leading shape, last axis 3) as float in the input's
    units: 0.299 R + 0.587 G + 0.114 B."""
    return rgb.astype(np.float64) @ np.asarray(LUMA)


def luma8(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of uint8 RGB pixels as uint8 [..., 1], in exact integer arithmetic
    (rounded half up): (299 R + 587 G + 114 B + 500) // 1000."""
    luma = (rgb.astype(np.int64) @ np.asarray([299, 587, 114]) + 500) // 1000
    return luma.astype(np.uint8)[..., None]


def resize_shorter(photo: np.ndarray, short: int) -> np.ndarray:
    """``photo`` resized (Lanczos) so its shorter side is ``short`` pixels, aspect kept."""
    h, w = photo.shape[:2]
    scale = short / min(h, w)
    size = (max(short, round(w * scale)), max(short, round(h * scale)))  # PIL: (W, H)
    return np.asarray(Image.fromarray(photo).resize(size, Image.Resampling.LANCZOS))


def photo_patches(photo: np.ndarray, patch: int) -> tuple[np.ndarray, np.ndarray]:
    """The patches of one photograph and their edges.

    Args:
      photo: uint8 [H, W, 3].
      patch: patch size P.

    Returns:
      (uint8 images [N, P, P, 3], uint8 edges [N, P, P, 1] in {0, 1}), row-major grid order.
    """
    from skimage.feature import canny

    small = resize_shorter(photo, 8 * patch)
    edges = canny(luminance(small) / 255.0, sigma=1.0).astype(np.uint8)
    stride = patch // 2
    tops = range(0, small.shape[0] - patch + 1, stride)
    lefts = range(0, small.shape[1] - patch + 1, stride)
    cut = lambda a: np.stack([a[t : t + patch, s : s + patch] for t in tops for s in lefts])
    return cut(small), cut(edges)[..., None]


class GenjaxPhotos(tfds.core.GeneratorBasedBuilder):
    """32 x 32 RGB patches of ten shipped photographs, with Canny edges; split by photograph."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Test photographs: chelsea, flower."}
    PATCH = 32

    def _info(self) -> tfds.core.DatasetInfo:
        p = self.PATCH
        return self.dataset_info_from_configs(
            description=f"{p}x{p} patches (stride {p // 2}) of skimage/sklearn sample photos.",
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Tensor(shape=(p, p, 3), dtype=np.uint8),
                    "edges": tfds.features.Tensor(shape=(p, p, 1), dtype=np.uint8),
                    "photo": tfds.features.ClassLabel(names=list(PHOTOS)),
                }
            ),
            disable_shuffling=True,
        )

    def _split_generators(self, dl_manager):
        train = [n for n in PHOTOS if n not in TEST_PHOTOS]
        return {
            "train": self._generate_examples(train),
            "test": self._generate_examples(list(TEST_PHOTOS)),
        }

    def _generate_examples(self, names: list[str]):
        for name in names:
            images, edges = photo_patches(load_photo(name), self.PATCH)
            for i, (image, edge) in enumerate(zip(images, edges, strict=True)):
                yield f"{name}_{i:05d}", {"image": image, "edges": edge, "photo": name}


class GenjaxPhotos64(GenjaxPhotos):
    """64 x 64 RGB patches of the same photographs (see ``GenjaxPhotos``)."""

    PATCH = 64
