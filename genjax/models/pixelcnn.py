"""PixelCNN (van den Oord et al. 2016): the gated variant with a vertical and a horizontal stack
(no blind spot) and, optionally, class conditioning; and the original masked convolutions
(type A for the first layer, type B after) as a plain stack.

Raster order over the pixels of an image [B, H, W, C]: the outputs at pixel (r, c) depend on
the rows above it and the pixels left of it in its row only, every channel of them (tested by
the Jacobian). Output: logits [B, H, W] (Bernoulli) or [B, H, W, L] (L outputs per pixel: a
categorical's logits over L levels of a one-channel image, or the parameters of PixelCNN++'s
mixture of logistics, whose linear coupling orders the channels within a pixel).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def _shift_down(x: jax.Array) -> jax.Array:
    """Move every row one down (row 0 becomes zeros): rows < r reach row r."""
    return jnp.pad(x, ((0, 0), (1, 0), (0, 0), (0, 0)))[:, :-1]


def _shift_right(x: jax.Array) -> jax.Array:
    """Move every column one right (column 0 becomes zeros)."""
    return jnp.pad(x, ((0, 0), (0, 0), (1, 0), (0, 0)))[:, :, :-1]


def masked_kernel_mask(size: int, kind: str, channels_in: int, channels_out: int) -> np.ndarray:
    """The original PixelCNN's mask of a size x size kernel: rows above the centre, and the
    centre row left of the centre; type "B" also keeps the centre (one channel, so no colour
    ordering)."""
    mask = np.zeros((size, size, channels_in, channels_out), np.float32)
    mid = size // 2
    mask[:mid] = 1.0
    mask[mid, :mid] = 1.0
    if kind == "B":
        mask[mid, mid] = 1.0
    return mask


class MaskedConv(nn.Module):
    """A size x size convolution whose kernel is masked (type "A" or "B")."""

    features: int
    size: int
    kind: str

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        shape = (self.size, self.size, x.shape[-1], self.features)
        kernel = self.param("kernel", nn.initializers.lecun_normal(), shape)
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        mask = masked_kernel_mask(self.size, self.kind, x.shape[-1], self.features)
        y = jax.lax.conv_general_dilated(
            x, kernel * mask, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return y + bias


def coverage(height: int, width: int, first_kernel: int, kernel: int, layers: int) -> bool:
    """Whether a gated PixelCNN's last layer sees every earlier pixel of every position: the
    vertical stack reaches n0 + (L - 1) n rows up and columns either side, the horizontal
    stack n0 + 1 + (L - 1) n columns left (kernels 2 n0 + 1 and 2 n + 1)."""
    reach = first_kernel // 2 + (layers - 1) * (kernel // 2)
    return reach >= max(height - 2, width - 1)


def _output_head(h: jax.Array, hidden: int, out_levels: int) -> jax.Array:
    """Both PixelCNNs' head, inside the calling module: ReLU, 1x1 conv, ReLU, 1x1 conv to
    ``out_levels`` outputs per pixel (squeezed for one Bernoulli logit)."""
    out = nn.Conv(hidden, (1, 1), name="head0")(nn.relu(h))
    out = nn.Conv(out_levels, (1, 1), name="head1")(nn.relu(out))
    return out[..., 0] if out_levels == 1 else out


def _gate(x: jax.Array, cond: jax.Array | None) -> jax.Array:
    """tanh(a) * sigmoid(b) of the two halves of the channels, the class bias added first."""
    if cond is not None:
        x = x + cond[:, None, None, :]
    a, b = jnp.split(x, 2, axis=-1)
    return jnp.tanh(a) * jax.nn.sigmoid(b)


class GatedLayer(nn.Module):
    """One gated layer (van den Oord et al. 2016, fig. 2): the vertical stack's (n+1) x k
    convolution over rows at and above; the horizontal stack's 1 x (n+1) convolution over the
    pixels at and left, plus the vertical pre-activation shifted one row down; both gated;
    the horizontal output 1x1-projected with a residual connection (the first layer, type A,
    excludes the current pixel and has no residual)."""

    features: int
    kernel: int
    first: bool = False
    num_classes: int = 0
    dropout: float = 0.0

    @nn.compact
    def __call__(self, v, h, labels=None, train: bool = False):
        n, f = self.kernel // 2, self.features
        vp = jnp.pad(v, ((0, 0), (n, 0), (n, n), (0, 0)))
        v_pre = nn.Conv(2 * f, (n + 1, self.kernel), padding="VALID", name="v_conv")(vp)
        hp = jnp.pad(h, ((0, 0), (0, 0), (n, 0), (0, 0)))
        h_pre = nn.Conv(2 * f, (1, n + 1), padding="VALID", name="h_conv")(hp)
        if self.first:  # type A: the current pixel is excluded
            h_pre = _shift_right(h_pre)
        h_pre = h_pre + nn.Conv(2 * f, (1, 1), name="v_to_h")(_shift_down(v_pre))
        cond_v = cond_h = None
        if self.num_classes:
            onehot = jax.nn.one_hot(labels, self.num_classes)
            cond_v = nn.Dense(2 * f, use_bias=False, name="cond_v")(onehot)
            cond_h = nn.Dense(2 * f, use_bias=False, name="cond_h")(onehot)
        v_out = _gate(v_pre, cond_v)
        gated = _gate(h_pre, cond_h)
        if self.dropout > 0:  # on the horizontal stack's gate, before its 1x1 projection
            gated = nn.Dropout(self.dropout, deterministic=not train)(gated)
        h_out = nn.Conv(f, (1, 1), name="h_out")(gated)
        return v_out, h_out if self.first else h + h_out


class GatedPixelCNN(nn.Module):
    """The gated PixelCNN on images of any channel count (colour through a mixture head).

    Attributes:
      features: channels of both stacks.
      layers: gated layers (the first is type A).
      first_kernel: k of the first layer (7 in the paper).
      kernel: k of the others (3 in the paper).
      out_levels: 1 (Bernoulli logits) or L (categorical logits).
      hidden: channels of the 1x1 output head.
      num_classes: > 0: class-conditional (a learned bias per class in every gate).
      dropout: rate on each layer's horizontal gate in training (needs a "dropout" rng).
    """

    features: int = 64
    layers: int = 8
    first_kernel: int = 7
    kernel: int = 3
    out_levels: int = 1
    hidden: int = 256
    num_classes: int = 0
    dropout: float = 0.0

    @nn.compact
    def __call__(
        self, x: jax.Array, labels: jax.Array | None = None, train: bool = False
    ) -> jax.Array:
        x = 2.0 * x - 1.0
        v = h = x
        for i in range(self.layers):
            first = i == 0
            layer = GatedLayer(
                self.features,
                self.first_kernel if first else self.kernel,
                first,
                self.num_classes,
                self.dropout,
                name=f"layer{i}",
            )
            v, h = layer(v, h, labels, train)
        return _output_head(h, self.hidden, self.out_levels)


class MaskedPixelCNN(nn.Module):
    """The original PixelCNN: a type-A masked convolution, then type-B masked convolutions
    with ReLUs and residual connections (it has the blind spot the gated variant removes)."""

    features: int = 64
    layers: int = 8
    first_kernel: int = 7
    kernel: int = 3
    out_levels: int = 1
    hidden: int = 256

    @nn.compact
    def __call__(
        self, x: jax.Array, labels: jax.Array | None = None, train: bool = False
    ) -> jax.Array:
        del labels, train
        h = MaskedConv(self.features, self.first_kernel, "A", name="conv_a")(2.0 * x - 1.0)
        for i in range(1, self.layers):
            h = h + MaskedConv(self.features, self.kernel, "B", name=f"conv_b{i}")(nn.relu(h))
        return _output_head(h, self.hidden, self.out_levels)
