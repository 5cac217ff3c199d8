"""The inputs of the outlier protocols: corrupted test images, and MNIST made into the digits'
8x8 format (dataset shift). NumPy only, seeded by a Generator."""

import numpy as np
from PIL import Image

from genjax.data.info import DataInfo


def flip_pixels(images: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Flip exactly round(fraction * D) of each binary image's D pixels, chosen uniformly.

    Args:
      images: {0, 1} float images [N, H, W, C].
      fraction: share of pixels flipped, in [0, 1].
      rng: draws the pixels.

    Returns:
      The corrupted images, same shape and dtype.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"the flipped fraction is in [0, 1]; got {fraction}")
    flat = images.reshape(len(images), -1)
    count = int(round(fraction * flat.shape[1]))
    chosen = np.argsort(rng.random(flat.shape), axis=1)[:, :count]
    out = flat.copy()
    rows = np.arange(len(flat))[:, None]
    out[rows, chosen] = 1.0 - out[rows, chosen]
    return out.reshape(images.shape)


def gaussian_noise(
    images: np.ndarray, sigma: float, info: DataInfo, rng: np.random.Generator
) -> np.ndarray:
    """Add N(0, (sigma * range)^2) to gray images, clip to the pixel range and round to the
    data's levels (the models' likelihoods are of quantised pixels).

    Args:
      images: gray images in the data's pixel range, [N, H, W, C].
      sigma: the noise's standard deviation as a fraction of the pixel range's width.
      info: the data's levels and pixel range.
      rng: draws the noise.

    Returns:
      The corrupted images, float32.
    """
    low = -1.0 if info.pixel_range == "symmetric" else 0.0
    width = 1.0 - low
    noisy = np.clip(images + rng.normal(0.0, sigma * width, images.shape), low, 1.0)
    step = width / info.levels
    return (np.round((noisy - low) / step) * step + low).astype(np.float32)


def corrupt(
    images: np.ndarray, strength: float, info: DataInfo, rng: np.random.Generator
) -> np.ndarray:
    """Binary data: ``strength`` of the pixels flipped; gray: Gaussian noise of that σ."""
    if info.binary:
        return flip_pixels(images, strength, rng)
    return gaussian_noise(images, strength, info, rng)


def corruption_name(strength: float, info: DataInfo) -> str:
    """How a corruption reads in tables: "10% flipped" or "noise σ=0.10"."""
    return f"{strength:.0%} flipped" if info.binary else f"noise σ={strength:.2f}"


def mnist_as_digits(images: np.ndarray) -> np.ndarray:
    """MNIST digits made the way scikit-learn's digits were (UCI optdigits): each digit's ink
    box padded to a centred square, scaled to a 32x32 bitmap (bilinear, thresholded at half),
    then the lit pixels of each 4x4 block counted: 8x8 images of levels 0..16.

    Args:
      images: uint8 [N, 28, 28, 1] (or [N, 28, 28]), 0..255.

    Returns:
      uint8 [N, 8, 8, 1] in 0..16: the digits dataset's raw format.
    """
    images = np.asarray(images).reshape(len(images), *np.asarray(images).shape[1:3])
    out = np.zeros((len(images), 8, 8, 1), np.uint8)
    for i, image in enumerate(images):
        rows, cols = np.flatnonzero(image.max(axis=1)), np.flatnonzero(image.max(axis=0))
        if not len(rows):
            continue
        box = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        side = max(box.shape)
        square = np.zeros((side, side), np.uint8)
        top, left = (side - box.shape[0]) // 2, (side - box.shape[1]) // 2
        square[top : top + box.shape[0], left : left + box.shape[1]] = box
        big = np.asarray(Image.fromarray(square).resize((32, 32), Image.BILINEAR)) >= 128
        out[i, :, :, 0] = big.reshape(8, 4, 8, 4).sum(axis=(1, 3))
    return out
