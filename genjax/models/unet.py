"""The diffusion U-Net (Ho et al. 2020, in the shape of improved DDPM): sinusoidal time
embedding, residual blocks with group norm, optional self-attention at chosen resolutions,
class conditioning by a learned embedding whose extra "null" label serves classifier-free
guidance.
"""

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from genjax.models.autoencoder import check_image_shape
from genjax.models.conv_paths import conv_general_dilated
from genjax.models.layers import check_downsampling, conv_kernel_init


def conv(features: int, kernel: tuple[int, int], **kwargs) -> nn.Conv:
    """``nn.Conv`` with ``conv_kernel_init`` unless another kernel_init is given, on the
    faster path for its shape (``conv_paths``)."""
    return nn.Conv(
        features,
        kernel,
        **{"kernel_init": conv_kernel_init, "conv_general_dilated": conv_general_dilated, **kwargs},
    )


def sinusoidal_embedding(t: jax.Array, dim: int, max_period: float = 10_000.0) -> jax.Array:
    """Transformer-style embedding of (possibly fractional) steps t [B] -> [B, dim]."""
    half = dim // 2
    freqs = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / half)
    args = jnp.asarray(t, jnp.float32)[:, None] * freqs[None]
    return jnp.concatenate([jnp.sin(args), jnp.cos(args)], axis=-1)


def fourier_features(x: jax.Array, exponents: Sequence[int]) -> jax.Array:
    """x [..., C] with sin(2ⁿπ x) and cos(2ⁿπ x) for each n appended: [..., C (1 + 2 len(n))]."""
    if not exponents:
        return x
    freqs = jnp.asarray([2.0**n * math.pi for n in exponents], x.dtype)
    args = (x[..., None] * freqs).reshape(*x.shape[:-1], -1)
    return jnp.concatenate([x, jnp.sin(args), jnp.cos(args)], axis=-1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, plus the projected embedding, GroupNorm-SiLU-(dropout)-conv,
    residual."""

    features: int
    groups: int = 8
    dropout: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, emb: jax.Array, train: bool = False) -> jax.Array:
        h = conv(self.features, (3, 3))(nn.silu(nn.GroupNorm(self.groups)(x)))
        h = h + nn.Dense(self.features)(nn.silu(emb))[:, None, None, :]
        h = nn.silu(nn.GroupNorm(self.groups)(h))
        if self.dropout > 0:
            h = nn.Dropout(self.dropout, deterministic=not train)(h)
        h = conv(self.features, (3, 3), kernel_init=nn.initializers.zeros)(h)
        skip = x if x.shape[-1] == self.features else conv(self.features, (1, 1))(x)
        return skip + h


class AttentionBlock(nn.Module):
    """Single-head self-attention over the H·W positions, residual."""

    groups: int = 8

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b, h, w, c = x.shape
        seq = nn.GroupNorm(self.groups)(x).reshape(b, h * w, c)
        # flax's SelfAttention (deprecated) under its old name, so checkpoints carry over.
        attend = nn.MultiHeadDotProductAttention(
            num_heads=1, out_kernel_init=nn.initializers.zeros, name="SelfAttention_0"
        )
        out = attend(seq)
        return x + out.reshape(b, h, w, c)


class UNet(nn.Module):
    """(x_t [B, H, W, C], t [B], labels [B] or None) -> a tensor shaped like x_t (ε, v or x_0).

    Attributes:
      image_shape: (H, W, C).
      channels: width at full resolution.
      channel_mults: width multiplier per resolution; len - 1 stride-2 downsamplings.
      num_res_blocks: residual blocks per resolution on the way down (one more on the way up).
      attention_resolutions: spatial sizes (e.g. 16) at which self-attention follows each block.
      num_classes: >0 adds a label embedding with num_classes + 1 rows; label ``num_classes``
        (or labels=None) is the unconditional "null" class of classifier-free guidance.
      groups: GroupNorm groups (must divide every width).
      fourier_exponents: n of the input's Fourier features sin(2ⁿπ x), cos(2ⁿπ x), joined to
        x's channels before the first convolution (the VDM's fine-scale detail, Kingma et al.
        2021, appendix C); () for none.
      out_channels: output channels; 0: the image's (twice them for a learned variance).
      dropout: dropout rate inside every residual block when called with ``train=True``
        (which needs a "dropout" rng); 0: none.
    """

    image_shape: Sequence[int]
    channels: int = 64
    channel_mults: Sequence[int] = (1, 2, 2)
    num_res_blocks: int = 2
    attention_resolutions: Sequence[int] = ()
    num_classes: int = 0
    groups: int = 8
    fourier_exponents: Sequence[int] = ()
    out_channels: int = 0
    dropout: float = 0.0

    @nn.compact
    def __call__(
        self, x: jax.Array, t: jax.Array, y: jax.Array | None = None, train: bool = False
    ) -> jax.Array:
        check_image_shape(x, self.image_shape)
        check_downsampling(self.image_shape, len(self.channel_mults) - 1)
        widths = [self.channels * m for m in self.channel_mults]
        bad = [w for w in [self.channels, *widths] if w % self.groups]
        if bad:
            raise ValueError(f"GroupNorm groups={self.groups} must divide every width; got {bad}")
        dim = 4 * self.channels
        emb = sinusoidal_embedding(t, self.channels)
        emb = nn.Dense(dim)(nn.silu(nn.Dense(dim)(emb)))
        if self.num_classes:
            labels = jnp.full((x.shape[0],), self.num_classes) if y is None else y
            emb = emb + nn.Embed(self.num_classes + 1, dim)(labels)

        def block(h, width):
            h = ResBlock(width, self.groups, self.dropout)(h, emb, train)
            return AttentionBlock(self.groups)(h) if h.shape[1] in self.attention_resolutions else h

        h = conv(self.channels, (3, 3))(fourier_features(x, self.fourier_exponents))
        skips = [h]
        for level, width in enumerate(widths):
            for _ in range(self.num_res_blocks):
                h = block(h, width)
                skips.append(h)
            if level < len(widths) - 1:
                h = conv(width, (3, 3), strides=(2, 2))(h)
                skips.append(h)
        h = ResBlock(widths[-1], self.groups, self.dropout)(h, emb, train)
        h = AttentionBlock(self.groups)(h)
        h = ResBlock(widths[-1], self.groups, self.dropout)(h, emb, train)
        for level, width in reversed(list(enumerate(widths))):
            for _ in range(self.num_res_blocks + 1):
                h = block(jnp.concatenate([h, skips.pop()], axis=-1), width)
            if level > 0:
                b, hh, ww, c = h.shape
                h = jax.image.resize(h, (b, 2 * hh, 2 * ww, c), "nearest")
                h = conv(width, (3, 3))(h)
        h = nn.silu(nn.GroupNorm(self.groups)(h))
        out = self.out_channels or self.image_shape[-1]
        return conv(out, (3, 3), kernel_init=nn.initializers.zeros)(h)
