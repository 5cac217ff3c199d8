"""What a method needs to know of its data, and model-space images mapped back to [0, 1]."""

import dataclasses

import jax


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """What a method needs to know of its data.

    Attributes:
      image_shape: (H, W, C) per example.
      num_classes: number of labels (0: unlabelled).
      binary: images are {0, 1}.
      pixel_range: "unit" [0, 1] or "symmetric" [-1, 1] for non-binary data.
      levels: largest raw pixel value: gray images lie on levels + 1 evenly spaced values
        (17 for digits, 256 for 8-bit images), the bins of a discrete likelihood.
      input_shape: translation data: (H, W, C) of the input (source, domain-A) images at
        image_size; None for ordinary datasets.
      pairing: "paired" or "unpaired" for translation data, "" for ordinary datasets.
      flip: translation data: flip training pairs horizontally (done by the method).

    For translation data image_shape, num_classes and levels describe the target (domain-B)
    images, binary is False and pixel_range "symmetric".
    """

    image_shape: tuple[int, int, int]
    num_classes: int
    binary: bool
    pixel_range: str = "unit"
    levels: int = 255
    input_shape: tuple[int, int, int] | None = None
    pairing: str = ""
    flip: bool = False

    @property
    def num_pixels(self) -> int:
        """H * W * C."""
        h, w, c = self.image_shape
        return h * w * c


def display(x: jax.Array, info: DataInfo) -> jax.Array:
    """Model-space images -> [0, 1] for grids and sample-quality features."""
    return (x + 1.0) / 2.0 if (not info.binary and info.pixel_range == "symmetric") else x
