"""Image grids to PNG, with a title and row and column labels (layer 0: numpy and PIL only)."""

import dataclasses
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MIN_TILE = 48  # pixels: tiles are upscaled by an integer factor to at least this height
FONT_SIZE = 12
TITLE_BAND, LABEL_BAND = 20, 16  # heights of the title and the column-label bands


@dataclasses.dataclass(frozen=True)
class Labelled:
    """A grid whose axes are named.

    Attributes:
      images: [rows, cols, H, W, C] in [0, 1].
      row_labels: one per row (top to bottom), or () for none.
      col_labels: one per column (left to right), or () for none.
      legend: what grey levels or colours mean, added to the picture's title ("" for none).
    """

    images: np.ndarray
    row_labels: Sequence[str] = ()
    col_labels: Sequence[str] = ()
    legend: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.images)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """The images, so code that reads a report's arrays reads a labelled one alike."""
        return np.asarray(self.images, dtype)

    def __getitem__(self, index) -> np.ndarray:
        return np.asarray(self.images)[index]

    def __post_init__(self):
        rows, cols = np.shape(self.images)[:2]
        for what, labels, n in (("row", self.row_labels, rows), ("column", self.col_labels, cols)):
            if labels and len(labels) != n:
                raise ValueError(f"{len(labels)} {what} labels for a grid of {n} {what}s")


def layout(n: int) -> tuple[int, int]:
    """(rows, cols) of a near-square grid of ``n`` tiles, filled row by row."""
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols


def grid(images: np.ndarray, pad: int = 1, scale: int = 0) -> np.ndarray:
    """Tile images into one uint8 HWC picture.

    Args:
      images: [rows, cols, H, W, C] or [N, H, W, C] (laid out near-square), values in [0, 1].
      pad: pixels of white between tiles.
      scale: integer upscaling; 0 picks one so tiles are at least MIN_TILE pixels high.

    Returns:
      uint8 array [rows * (H + pad) + pad, cols * (W + pad) + pad, 3].
    """
    images = np.asarray(images, np.float32)
    if images.ndim == 4:
        n = images.shape[0]
        rows, cols = layout(n)
        blank = np.ones((rows * cols - n, *images.shape[1:]), np.float32)
        images = np.concatenate([images, blank]).reshape(rows, cols, *images.shape[1:])
    rows, cols, h, w, c = images.shape
    scale = scale or max(1, -(-MIN_TILE // h))
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


def annotate(
    picture: np.ndarray,
    rows: int,
    cols: int,
    title: str = "",
    row_labels: Sequence[str] = (),
    col_labels: Sequence[str] = (),
) -> np.ndarray:
    """``picture`` (a ``grid`` of rows × cols tiles) on a white canvas with a title band above,
    a column label above each column and a row label left of each row.

    Returns:
      uint8 [H', W', 3] with the grid at the bottom right.
    """
    font = ImageFont.load_default(size=FONT_SIZE)
    width = lambda text: int(np.ceil(font.getlength(str(text))))
    left = max((width(t) for t in row_labels), default=0) + (8 if row_labels else 0)
    top = (TITLE_BAND if title else 0) + (LABEL_BAND if col_labels else 0)
    h, w = picture.shape[:2]
    canvas = Image.new("RGB", (max(left + w, width(title) + 8), top + h), "white")
    canvas.paste(Image.fromarray(picture), (left, top))
    draw = ImageDraw.Draw(canvas)
    if title:
        draw.text((4, 3), title, fill="black", font=font)
    tile_h, tile_w = (h - 1) / rows, (w - 1) / cols
    for j, text in enumerate(col_labels):
        draw.text((left + (j + 0.5) * tile_w, top - 2), str(text), "black", font, anchor="md")
    for i, text in enumerate(row_labels):
        draw.text((left - 4, top + (i + 0.5) * tile_h), str(text), "black", font, anchor="rm")
    return np.asarray(canvas)


def picture_of(images, title: str = "", **kwargs) -> np.ndarray:
    """The annotated picture of ``images`` (an array for ``grid``, or a ``Labelled`` grid)
    under ``title``."""
    labelled = images if isinstance(images, Labelled) else Labelled(np.asarray(images))
    tiles = grid(labelled.images, **kwargs)
    shape = np.shape(labelled.images)
    if len(shape) == 4:  # laid out by grid: near-square
        rows, cols = layout(shape[0])
    else:
        rows, cols = shape[:2]
    heading = " · ".join(t for t in (title, labelled.legend) if t)
    return annotate(tiles, rows, cols, heading, labelled.row_labels, labelled.col_labels)


def save_grid(path: str, images, title: str = "", **kwargs) -> np.ndarray:
    """Write ``picture_of(images, title)`` to ``path`` as PNG and return the picture."""
    picture = picture_of(images, title, **kwargs)
    Image.fromarray(picture).save(path)
    return picture
