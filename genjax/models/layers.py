"""Building blocks shared by every family: MLPs and strided convolutional trunks."""

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from genjax.models.conv_paths import conv_general_dilated, conv_transpose


def conv_kernel_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
    """Flax's default (transposed) convolution init, LeCun normal over fan-in = kh·kw·C_in,
    drawn as a [fan_in, C_out] matrix and reshaped. With partitionable threefry (JAX's
    default) the values are bitwise those of the 4-D draw, but XLA on CPU compiles a rank-4
    draw about 5x slower (1 s per kernel), which dominated a U-Net's start-up."""
    fan_in = math.prod(shape[:-1])
    return nn.initializers.lecun_normal()(key, (fan_in, shape[-1]), dtype).reshape(shape)


class MLP(nn.Module):
    """Dense layers with an activation between them (none after the last).

    Attributes:
      features: output width of each layer.
      activation: nonlinearity between layers.
    """

    features: Sequence[int]
    activation: str = "relu"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        for i, width in enumerate(self.features):
            x = nn.Dense(width)(x)
            if i < len(self.features) - 1:
                x = act(x)
        return x


ACTIVATIONS = {"relu": nn.relu, "gelu": nn.gelu, "silu": nn.silu, "tanh": jnp.tanh, "elu": nn.elu}


def check_downsampling(image_shape: Sequence[int], num_halvings: int) -> tuple[int, int]:
    """Spatial size after ``num_halvings`` stride-2 convolutions, or a clear error.

    Args:
      image_shape: (H, W, C).
      num_halvings: number of stride-2 stages.

    Returns:
      (H, W) divided by 2**num_halvings.
    """
    h, w = image_shape[0], image_shape[1]
    factor = 2**num_halvings
    if h % factor or w % factor:
        raise ValueError(
            f"image shape {tuple(image_shape)} is not divisible by 2**{num_halvings}={factor}; "
            f"use fewer conv_features stages (now {num_halvings}) or resize the images"
        )
    return h // factor, w // factor


class ConvTrunk(nn.Module):
    """Stride-2 3x3 convolutions, one per entry of ``features``, then flatten."""

    features: Sequence[int]
    activation: str = "relu"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        for width in self.features:
            layer = nn.Conv(
                width,
                (3, 3),
                strides=(2, 2),
                kernel_init=conv_kernel_init,
                conv_general_dilated=conv_general_dilated,
            )
            x = act(layer(x))
        return x.reshape(x.shape[0], -1)


class ConvTranspose(nn.Module):
    """flax's 2-d ``nn.ConvTranspose`` (its parameters: names, shapes, initialisers and
    creation order, so checkpoints carry over), computed by ``conv_paths.conv_transpose`` (on
    CPU one ordinary convolution per output phase, interleaved, instead of a convolution over
    a zero-dilated input).

    Attributes:
      features: output channels.
      kernel_size: (kh, kw).
      strides: (sh, sw).
      kernel_init: the kernel's initialiser.
      padding: "SAME" or ((low, high), (low, high)), as ``nn.ConvTranspose`` takes it.
      transpose_kernel: the kernel is [kh, kw, C_out, C_in], flipped (PyTorch's convention).
      use_bias: add a bias (initialised to zero).
    """

    features: int
    kernel_size: Sequence[int]
    strides: Sequence[int]
    kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
    padding: str | Sequence[tuple[int, int]] = "SAME"
    transpose_kernel: bool = False
    use_bias: bool = True

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        io = (self.features, x.shape[-1]) if self.transpose_kernel else (x.shape[-1], self.features)
        kernel = self.param("kernel", self.kernel_init, (*self.kernel_size, *io), jnp.float32)
        bias = None
        if self.use_bias:
            bias = self.param("bias", nn.initializers.zeros_init(), (self.features,), jnp.float32)
        dtype = jnp.result_type(x, kernel, *([] if bias is None else [bias]))  # flax's promotion
        y = conv_transpose(
            x.astype(dtype),
            kernel.astype(dtype),
            tuple(self.strides),
            self.padding,
            self.transpose_kernel,
        )
        return y if bias is None else y + bias.astype(dtype)


class DeconvTrunk(nn.Module):
    """Dense to a small feature map, then stride-2 transposed convolutions up to full size.

    Attributes:
      features: channel widths from the coarsest map upward (reverse of the encoder).
      out_shape: (H, W, C_out) of the output.
      kernel_size: side of the transposed-convolution kernels (4 in DCGAN, which avoids the
        checkerboard of a 3x3 kernel at stride 2).
    """

    features: Sequence[int]
    out_shape: Sequence[int]
    activation: str = "relu"
    kernel_size: int = 3

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        h, w = check_downsampling(self.out_shape, len(self.features))
        x = act(nn.Dense(h * w * self.features[0])(z)).reshape(z.shape[0], h, w, self.features[0])
        for i, width in enumerate(self.features):
            k = (self.kernel_size, self.kernel_size)
            layer = ConvTranspose(width, k, (2, 2), conv_kernel_init, name=f"ConvTranspose_{i}")
            x = act(layer(x))
        return nn.Conv(self.out_shape[-1], (3, 3), padding="SAME", kernel_init=conv_kernel_init)(x)
