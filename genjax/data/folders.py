"""Image folders in the two layouts of the pix2pix / CycleGAN authors' repository
(junyanz/pytorch-CycleGAN-and-pix2pix), read with PIL, and the resizing translation data uses.

Paired ("aligned"): PATH/train/, PATH/test/ (or PATH/val/) of side-by-side images, A the left
half and B the right half (width = 2 x height). Unpaired: PATH/trainA/, trainB/, testA/, testB/.
"""

import os

import numpy as np
from PIL import Image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".tif", ".tiff", ".webp")
UNPAIRED_DIRS = ("trainA", "trainB", "testA", "testB")
PAIRED_LAYOUT = "PATH/train/ and PATH/test/ (or val/) of side-by-side A|B images"
UNPAIRED_LAYOUT = "PATH/trainA/, trainB/, testA/, testB/"


def folder_layout(path: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """Which layout ``path`` has, from its subfolders' names alone (no image is read).

    Args:
      path: the dataset folder.

    Returns:
      ("paired", {"train": (train_dir,), "test": (test_or_val_dir,)}) or
      ("unpaired", {"train": (trainA, trainB), "test": (testA, testB)}), the folders joined
      onto ``path``; a one-line FileNotFoundError naming what is missing otherwise.
    """
    sub = lambda name: os.path.join(path, name)
    layouts = f"expected {PAIRED_LAYOUT} (paired) or {UNPAIRED_LAYOUT} (unpaired)"
    if not os.path.isdir(path):
        raise FileNotFoundError(f"dataset folder {path} does not exist; {layouts}")
    present = [d for d in UNPAIRED_DIRS if os.path.isdir(sub(d))]
    if present:
        missing = [f"{d}/" for d in UNPAIRED_DIRS if d not in present]
        if missing:
            raise FileNotFoundError(
                f"dataset folder {path} has no {', '.join(missing)}; the unpaired layout needs "
                f"{UNPAIRED_LAYOUT.replace('PATH', path)}"
            )
        return "unpaired", {
            "train": (sub("trainA"), sub("trainB")),
            "test": (sub("testA"), sub("testB")),
        }
    if not os.path.isdir(sub("train")):
        raise FileNotFoundError(f"dataset folder {path} has no train/ nor trainA/; {layouts}")
    test = next((sub(d) for d in ("test", "val") if os.path.isdir(sub(d))), None)
    if test is None:
        raise FileNotFoundError(
            f"dataset folder {path} has train/ but no test/ nor val/; the paired layout needs "
            f"{PAIRED_LAYOUT.replace('PATH', path)}"
        )
    return "paired", {"train": (sub("train"),), "test": (test,)}


def image_files(folder: str) -> list[str]:
    """The image files under ``folder`` (recursively, as the authors' ``make_dataset``), in
    sorted order; a one-line error if there are none."""
    files = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not files:
        raise FileNotFoundError(
            f"{folder} holds no images ({', '.join(e[1:] for e in IMAGE_EXTENSIONS)})"
        )
    return files


def resize_image(image: Image.Image, size: int, channels: int) -> np.ndarray:
    """A PIL image as uint8 [size, size, channels]: converted to RGB (3) or luma "L" (1, ITU-R
    601 weights), resized bicubic (as the authors' transforms) unless already that size."""
    image = image.convert("RGB" if channels == 3 else "L")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    array = np.asarray(image, np.uint8)
    return array if array.ndim == 3 else array[..., None]


def resize_array(images: np.ndarray, size: int, levels: int) -> np.ndarray:
    """uint8 images [N, H, W, C] with values 0..``levels`` resized to [N, size, size, C]:
    bicubic clipped to the levels, nearest for binary images (levels == 1); unchanged when
    already that size."""
    if images.shape[1:3] == (size, size):
        return images
    method = Image.Resampling.NEAREST if levels == 1 else Image.Resampling.BICUBIC
    squeeze = images.shape[-1] == 1
    out = np.stack(
        [
            np.asarray(Image.fromarray(im[..., 0] if squeeze else im).resize((size, size), method))
            for im in images
        ]
    )
    out = np.minimum(out, levels).astype(np.uint8)
    return out[..., None] if squeeze else out


def read_folder(folder: str, size: int, channels: int) -> np.ndarray:
    """Every image under ``folder`` as uint8 [N, size, size, channels] (see ``resize_image``)."""
    out = []
    for path in image_files(folder):
        with Image.open(path) as image:
            out.append(resize_image(image, size, channels))
    return np.stack(out)


def read_paired_folder(folder: str, size: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """The side-by-side images under ``folder`` split into their halves.

    Args:
      folder: a folder of A|B images, each twice as wide as high.
      size: output side length of each half.
      channels: 3 (RGB) or 1 (luma).

    Returns:
      (A, B), uint8 [N, size, size, channels] each: A the left halves, B the right halves.
    """
    a, b = [], []
    for path in image_files(folder):
        with Image.open(path) as image:
            w, h = image.size
            if w != 2 * h:
                raise ValueError(
                    f"{path} is {w}x{h} (width x height); the paired layout needs side-by-side "
                    f"A|B images twice as wide as high (A left, B right)"
                )
            a.append(resize_image(image.crop((0, 0, h, h)), size, channels))
            b.append(resize_image(image.crop((h, 0, w, h)), size, channels))
    return np.stack(a), np.stack(b)
