"""Vectorised pixel transforms on whole host batches (numpy, no per-record Python)."""

import numpy as np
from PIL import Image

PIXEL_RANGES = ("unit", "symmetric")
VARIANTS = ("gray", "binary")


def to_float(images: np.ndarray, levels: int, pixel_range: str = "unit") -> np.ndarray:
    """uint8 levels 0..``levels`` -> float32 in [0, 1] ("unit") or [-1, 1] ("symmetric")."""
    x = images.astype(np.float32) / float(levels)
    if pixel_range == "symmetric":
        return 2.0 * x - 1.0
    if pixel_range != "unit":
        raise ValueError(f"unknown pixel_range {pixel_range!r}; valid: {', '.join(PIXEL_RANGES)}")
    return x


def binarize(images: np.ndarray, threshold: int) -> np.ndarray:
    """Static binarisation: 1.0 where the raw pixel is >= threshold, else 0.0 (float32)."""
    return (images >= threshold).astype(np.float32)


def preprocess(images: np.ndarray, levels: int, variant: str, pixel_range: str) -> np.ndarray:
    """Raw uint8 images -> model inputs, NHWC float32.

    Args:
      images: raw pixels 0..levels.
      levels: largest raw value.
      variant: "binary" thresholds at half the range (digits: pixel >= 8), "gray" scales.
      pixel_range: for "gray", "unit" [0, 1] or "symmetric" [-1, 1].

    Returns:
      float32 array of the same shape.
    """
    if variant == "binary":
        return binarize(images, threshold=(levels + 1) // 2)
    if variant != "gray":
        raise ValueError(f"unknown data variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return to_float(images, levels, pixel_range)


def perturb(images: np.ndarray, levels: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Replace each pixel, with probability ``rate``, by a level uniform on 0..levels (Ren et
    al. 2019's input perturbation for a background model).

    Args:
      images: raw pixels 0..levels, any shape.
      levels: largest raw value.
      rate: probability that a pixel is replaced.
      rng: the draws' generator.

    Returns:
      An array of the same shape and dtype.
    """
    replace = rng.random(images.shape) < rate
    noise = rng.integers(0, levels + 1, size=images.shape)
    return np.where(replace, noise, images).astype(images.dtype)


def center_crop_resize(images: np.ndarray, crop: tuple[int, int], size: int) -> np.ndarray:
    """Center-crop each image to ``crop`` then resize to ``size`` x ``size`` (bilinear)."""
    h, w = images.shape[1:3]
    top, left = (h - crop[0]) // 2, (w - crop[1]) // 2
    cropped = images[:, top : top + crop[0], left : left + crop[1]]
    out = [
        np.asarray(
            Image.fromarray(im.squeeze(-1) if im.shape[-1] == 1 else im).resize(
                (size, size), Image.BILINEAR
            )
        )
        for im in cropped
    ]
    out = np.stack(out)
    return out[..., None] if out.ndim == 3 else out
