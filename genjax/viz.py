"""Image grids to PNG (layer 0: numpy and PIL only)."""

import numpy as np
from PIL import Image


def grid(images: np.ndarray, pad: int = 1, scale: int = 0) -> np.ndarray:
    """Tile images into one uint8 HWC picture.

    Args:
      images: [rows, cols, H, W, C] or [N, H, W, C] (laid out near-square), values in [0, 1].
      pad: pixels of white between tiles.
      scale: integer upscaling; 0 picks one so tiles are at least 32 pixels high.

    Returns:
      uint8 array [rows * (H + pad) + pad, cols * (W + pad) + pad, 3].
    """
    images = np.asarray(images, np.float32)
    if images.ndim == 4:
        n = images.shape[0]
        cols = int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / cols))
        blank = np.ones((rows * cols - n, *images.shape[1:]), np.float32)
        images = np.concatenate([images, blank]).reshape(rows, cols, *images.shape[1:])
    rows, cols, h, w, c = images.shape
    scale = scale or max(1, 32 // h)
    images = np.repeat(np.repeat(images, scale, axis=2), scale, axis=3)
    h, w = h * scale, w * scale
    if c == 1:
        images = np.repeat(images, 3, axis=-1)
    out = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), np.float32)
    for r in range(rows):
        for col in range(cols):
            top, left = pad + r * (h + pad), pad + col * (w + pad)
            out[top : top + h, left : left + w] = images[r, col, ..., :3]
    return (np.clip(np.nan_to_num(out), 0.0, 1.0) * 255).round().astype(np.uint8)


def save_grid(path: str, images: np.ndarray, **kwargs) -> np.ndarray:
    """Write ``grid(images)`` to ``path`` as PNG and return the picture."""
    picture = grid(images, **kwargs)
    Image.fromarray(picture).save(path)
    return picture
