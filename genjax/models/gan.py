"""Generators and discriminators: MLP or DCGAN-style convolutional, optionally
class-conditional, with optional spectral normalisation in the discriminator."""

import functools
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from genjax.models.autoencoder import check_image_shape, with_labels
from genjax.models.conv_paths import conv_general_dilated
from genjax.models.layers import MLP, DeconvTrunk, check_downsampling, conv_kernel_init
from genjax.models.spectral import SpectralConv, SpectralDense

ARCHITECTURES = ("mlp", "conv")
CONDITIONING = ("projection", "concat")
OUTPUTS = {"tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid}


class Generator(nn.Module):
    """Latent (and label) -> image.

    The convolutional generator is DCGAN's: a dense layer to a (H/2^k, W/2^k) map, then k
    stride-2 4x4 transposed convolutions (ReLU) and a 3x3 convolution to the image channels.

    Attributes:
      image_shape: (H, W, C) of the output.
      architecture: "mlp" or "conv".
      hidden: MLP widths.
      conv_features: channel widths from the coarsest map upward.
      num_classes: >0 appends a one-hot label to z.
      output: "tanh" for [-1, 1] data, "sigmoid" for [0, 1] data.
    """

    image_shape: Sequence[int]
    architecture: str = "conv"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (128, 64)
    num_classes: int = 0
    output: str = "tanh"

    @nn.compact
    def __call__(self, z: jax.Array, y: jax.Array | None = None) -> jax.Array:
        h = with_labels(z, y, self.num_classes)
        if self.architecture == "conv":
            x = DeconvTrunk(self.conv_features, self.image_shape, kernel_size=4)(h)
        else:
            x = MLP((*self.hidden, int(np.prod(self.image_shape))))(h)
            x = x.reshape(z.shape[0], *self.image_shape)
        return OUTPUTS[self.output](x)


class Discriminator(nn.Module):
    """Image (and label) -> (score [B], features [B, F]).

    The convolutional discriminator is DCGAN's: stride-2 4x4 convolutions with leaky ReLU(0.2)
    and no normalisation (so gradient penalties stay per-example), then a linear score. The
    features are the last hidden layer, used by the VAE-GAN's reconstruction loss.

    Attributes:
      image_shape: (H, W, C) expected per example.
      architecture: "mlp" or "conv".
      hidden: MLP widths.
      conv_features: channel widths of the stride-2 convolutions.
      num_classes: >0 makes the score class-conditional.
      conditioning: "projection" (score += <embed(y), features>, Miyato & Koyama 2018) or
        "concat" (one-hot label planes appended to the input).
      spectral_norm: spectrally normalise every layer's weight.
      power_iterations: power steps per call for the spectral norm.
    """

    image_shape: Sequence[int]
    architecture: str = "conv"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (64, 128)
    num_classes: int = 0
    conditioning: str = "projection"
    spectral_norm: bool = False
    power_iterations: int = 10

    @nn.compact
    def __call__(self, x: jax.Array, y: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        check_image_shape(x, self.image_shape)
        if self.num_classes and y is None:
            raise ValueError(
                f"this discriminator is class-conditional ({self.num_classes} classes): pass labels"
            )
        if self.spectral_norm:
            dense = functools.partial(SpectralDense, iterations=self.power_iterations)
            conv = functools.partial(SpectralConv, iterations=self.power_iterations)
        else:
            dense = nn.Dense
            conv = functools.partial(
                nn.Conv,
                padding="SAME",
                kernel_init=conv_kernel_init,
                conv_general_dilated=conv_general_dilated,
            )
        concat = self.num_classes > 0 and self.conditioning == "concat"
        if self.architecture == "conv":
            check_downsampling(self.image_shape, len(self.conv_features))
            h = x
            if concat:
                planes = jax.nn.one_hot(y, self.num_classes, dtype=x.dtype)[:, None, None, :]
                h = jnp.concatenate(
                    [h, jnp.broadcast_to(planes, (*x.shape[:3], planes.shape[-1]))], -1
                )
            for width in self.conv_features:
                h = nn.leaky_relu(conv(width, kernel_size=(4, 4), strides=(2, 2))(h), 0.2)
            h = h.reshape(x.shape[0], -1)
        else:
            h = with_labels(x.reshape(x.shape[0], -1), y, self.num_classes if concat else 0)
            for width in self.hidden:
                h = nn.leaky_relu(dense(width)(h), 0.2)
        score = dense(1)(h)[:, 0]
        if self.num_classes > 0 and self.conditioning == "projection":
            embed = nn.Embed(
                self.num_classes, h.shape[-1], embedding_init=nn.initializers.normal(0.02)
            )
            score = score + jnp.sum(embed(y) * h, axis=-1)
        return score, h
