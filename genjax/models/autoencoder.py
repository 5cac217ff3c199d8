"""Encoders and decoders (MLP or convolutional, optionally class-conditional) and the
deterministic autoencoder built from them."""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from genjax.models.layers import MLP, ConvTrunk, DeconvTrunk, check_downsampling

ARCHITECTURES = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian")


def check_image_shape(x: jax.Array, image_shape: Sequence[int]) -> None:
    """Raise a one-line error when a batch's image shape differs from the model's."""
    if tuple(x.shape[1:]) != tuple(image_shape):
        raise ValueError(
            f"image shape mismatch: the model expects {tuple(image_shape)} per example but got "
            f"{tuple(x.shape[1:])}; build the model for this dataset (model.image_shape) or "
            "feed images of the expected shape"
        )


def with_labels(h: jax.Array, y: jax.Array | None, num_classes: int) -> jax.Array:
    """Append one-hot labels to features ``h`` [B, F] (unchanged when unconditional)."""
    if num_classes == 0:
        return h
    if y is None:
        raise ValueError(f"this model is class-conditional ({num_classes} classes): pass labels")
    return jnp.concatenate([h, jax.nn.one_hot(y, num_classes, dtype=h.dtype)], axis=-1)


class Encoder(nn.Module):
    """Image -> ``out_dim`` features (a code, or the mean and log-variance of q(z|x)).

    Attributes:
      image_shape: (H, W, C) expected per example.
      out_dim: width of the output.
      architecture: "mlp" or "conv".
      hidden: MLP widths (after the conv trunk when architecture is "conv").
      conv_features: channel widths of the stride-2 convolutions.
      num_classes: >0 makes the encoder class-conditional (one-hot labels appended).
    """

    image_shape: Sequence[int]
    out_dim: int
    architecture: str = "mlp"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (32, 64)
    num_classes: int = 0

    @nn.compact
    def __call__(self, x: jax.Array, y: jax.Array | None = None) -> jax.Array:
        check_image_shape(x, self.image_shape)
        if self.architecture == "conv":
            check_downsampling(self.image_shape, len(self.conv_features))
            h = ConvTrunk(self.conv_features)(x)
        else:
            h = x.reshape(x.shape[0], -1)
        h = with_labels(h, y, self.num_classes)
        return MLP((*self.hidden, self.out_dim))(h)


class Decoder(nn.Module):
    """Latent -> parameters of p(x|z): Bernoulli logits, or a Gaussian mean and log-scale.

    The Gaussian log-scale is one learned parameter per pixel, shared across examples.
    """

    image_shape: Sequence[int]
    likelihood: str = "bernoulli"
    architecture: str = "mlp"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (32, 64)
    num_classes: int = 0

    @nn.compact
    def __call__(self, z: jax.Array, y: jax.Array | None = None) -> dict[str, jax.Array]:
        h = with_labels(z, y, self.num_classes)
        if self.architecture == "conv":
            h = nn.relu(MLP(self.hidden)(h))
            out = DeconvTrunk(tuple(reversed(self.conv_features)), self.image_shape)(h)
        else:
            out = MLP((*self.hidden, int(np.prod(self.image_shape))))(h)
            out = out.reshape(z.shape[0], *self.image_shape)
        if self.likelihood == "bernoulli":
            return {"logits": out}
        log_scale = self.param("log_scale", nn.initializers.zeros, tuple(self.image_shape))
        return {"mean": out, "log_scale": jnp.maximum(log_scale, -7.0)}


class EncoderDecoder(nn.Module):
    """Fields shared by the autoencoder and the VAE: one Encoder and one Decoder."""

    image_shape: Sequence[int]
    latent_dim: int
    likelihood: str = "bernoulli"
    architecture: str = "mlp"
    hidden: Sequence[int] = (256, 256)
    conv_features: Sequence[int] = (32, 64)
    num_classes: int = 0

    def make_parts(self, encoder_out_dim: int) -> tuple[Encoder, Decoder]:
        """Call from ``setup``: the encoder (``encoder_out_dim`` outputs) and the decoder."""
        common = dict(
            image_shape=self.image_shape,
            architecture=self.architecture,
            hidden=self.hidden,
            conv_features=self.conv_features,
            num_classes=self.num_classes,
        )
        encoder = Encoder(out_dim=encoder_out_dim, **common)
        return encoder, Decoder(likelihood=self.likelihood, **common)


class Autoencoder(EncoderDecoder):
    """Deterministic autoencoder: ``encode`` gives a code, ``decode`` likelihood parameters."""

    def setup(self):
        self.encoder, self.decoder = self.make_parts(self.latent_dim)

    def encode(self, x: jax.Array, y: jax.Array | None = None) -> jax.Array:
        return self.encoder(x, y)

    def decode(self, z: jax.Array, y: jax.Array | None = None) -> dict[str, jax.Array]:
        return self.decoder(z, y)

    def __call__(self, x: jax.Array, y: jax.Array | None = None) -> dict[str, jax.Array]:
        return self.decode(self.encode(x, y), y)
