"""Image-to-image translation networks of pix2pix (Isola et al. 2017) and CycleGAN (Zhu et al.
2017), with the behaviour of the authors' PyTorch code (junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py``): the U-Net and ResNet generators and the PatchGAN discriminator.

Images are NHWC; generators end in tanh, so outputs lie in [-1, 1]. Convolutions are PyTorch's
(explicit zero padding, transposed convolutions with PyTorch's padding / output_padding and
kernel orientation), weights are drawn from N(0, 0.02) and biases start at 0 (the authors'
``init_type normal``). As the authors, a convolution followed by batch normalisation has no
bias; the outermost U-Net encoder convolution follows the same rule although no norm follows it.

Normalisation is stateless (no ``batch_stats`` collection): "batch" normalises with the current
batch's statistics, as the authors' BatchNorm2d in training mode, which is also how they test
(without ``--eval``); "instance" normalises each example over H, W without affine parameters;
"none" is the identity.
"""

import math
from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from genjax.models.conv_paths import conv_general_dilated
from genjax.models.layers import ConvTranspose

NORMS = ("batch", "instance", "none")
EPS = 1e-5
LEAK = 0.2


def normal_init(stddev: float = 0.02, mean: float = 0.0) -> Callable:
    """N(mean, stddev²) initializer, drawn as a 2-D [prod(shape[:-1]), shape[-1]] matrix and
    reshaped (XLA on CPU compiles rank-4 draws slowly, see ``layers.conv_kernel_init``).

    Args:
      stddev: standard deviation.
      mean: mean.

    Returns:
      An initializer ``(key, shape, dtype) -> array``.
    """

    def init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
        flat = jax.random.normal(key, (math.prod(shape[:-1]), shape[-1]), dtype)
        return (mean + stddev * flat).reshape(shape)

    return init


def check_norm(norm: str) -> None:
    """One-line error for an unknown normalisation name."""
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")


class Norm(nn.Module):
    """Stateless normalisation over NHWC maps, eps 1e-5, biased variance (as PyTorch).

    Attributes:
      kind: "batch" (statistics over N, H, W; learnable scale ~ N(1, 0.02) and bias 0),
        "instance" (per example over H, W; no affine) or "none".
    """

    kind: str

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        check_norm(self.kind)
        if self.kind == "none":
            return x
        axes = (0, 1, 2) if self.kind == "batch" else (1, 2)
        mean = jnp.mean(x, axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axes, keepdims=True)
        y = (x - mean) * jax.lax.rsqrt(var + EPS)
        if self.kind == "batch":
            scale = self.param("scale", normal_init(0.02, 1.0), (x.shape[-1],))
            bias = self.param("bias", nn.initializers.zeros, (x.shape[-1],))
            y = y * scale + bias
        return y


def torch_conv(
    features: int, kernel_size: int, stride: int, padding: int, use_bias: bool, name: str
) -> nn.Conv:
    """PyTorch's ``Conv2d`` with zero padding on both sides, weights ~ N(0, 0.02).

    Args:
      features: output channels.
      kernel_size: square kernel side.
      stride: stride in both directions.
      padding: zeros added on each side.
      use_bias: whether the layer has a bias (initialised to 0).
      name: the submodule's name.

    Returns:
      The Flax layer.
    """
    return nn.Conv(
        features,
        (kernel_size, kernel_size),
        strides=(stride, stride),
        padding=((padding, padding), (padding, padding)),
        use_bias=use_bias,
        kernel_init=normal_init(),
        conv_general_dilated=conv_general_dilated,
        name=name,
    )


def torch_conv_transpose(
    features: int,
    kernel_size: int,
    padding: int,
    output_padding: int,
    use_bias: bool,
    name: str,
) -> ConvTranspose:
    """PyTorch's stride-2 ``ConvTranspose2d(padding, output_padding)``: output size
    2(H - 1) - 2·padding + kernel_size + output_padding, the kernel [k, k, C_out, C_in]
    oriented as PyTorch's (the transpose of a convolution), weights ~ N(0, 0.02).

    Args:
      features: output channels.
      kernel_size: square kernel side.
      padding: PyTorch's ``padding``.
      output_padding: PyTorch's ``output_padding`` (extra rows/columns at the end).
      use_bias: whether the layer has a bias (initialised to 0).
      name: the submodule's name.

    Returns:
      The Flax layer.
    """
    lo = kernel_size - 1 - padding
    pads = ((lo, lo + output_padding),) * 2
    return ConvTranspose(
        features,
        (kernel_size, kernel_size),
        (2, 2),
        normal_init(),
        padding=pads,
        transpose_kernel=True,
        use_bias=use_bias,
        name=name,
    )


def reflect_pad(x: jax.Array, pad: int) -> jax.Array:
    """PyTorch's ``ReflectionPad2d(pad)`` on NHWC (mirror without repeating the edge)."""
    return jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")


def _check_divisible(x: jax.Array, factor: int, what: str) -> None:
    if x.ndim != 4 or x.shape[1] % factor or x.shape[2] % factor:
        raise ValueError(f"{what} needs NHWC images with H, W divisible by {factor}: {x.shape}")


# ---- U-Net (pix2pix) ---------------------------------------------------------------------


def unet_widths(num_downs: int, features: int) -> list[int]:
    """Encoder widths of the authors' U-Net: ngf, 2ngf, 4ngf, 8ngf, 8ngf, ... (num_downs)."""
    return [features * min(2**i, 8) for i in range(num_downs)]


def unet_dropout_levels(num_downs: int) -> list[int]:
    """Levels (0 = outermost) whose decoder ends in dropout, as the authors: the num_downs - 5
    8ngf blocks between the 4ngf->8ngf block and the innermost one (three for unet_256)."""
    return list(range(4, num_downs - 1))


def unet_skip_shapes(height: int, width: int, num_downs: int, features: int) -> list[tuple]:
    """Per-example shapes (H, W, C) of the encoder maps the U-Net concatenates onto its
    decoder, outermost first (num_downs - 1 of them; the innermost map is the bottleneck).

    Args:
      height, width: the input's spatial size (divisible by 2**num_downs).
      num_downs: number of stride-2 downsamplings.
      features: the outermost width (the authors' ngf).

    Returns:
      [(height / 2^(i+1), width / 2^(i+1), widths[i]) for i < num_downs - 1].
    """
    widths = unet_widths(num_downs, features)
    return [(height >> (i + 1), width >> (i + 1), widths[i]) for i in range(num_downs - 1)]


class UNetGenerator(nn.Module):
    """The authors' U-Net (``unet_256`` is num_downs=8, ``unet_128`` num_downs=7).

    Encoder level i: [LeakyReLU(0.2) unless i = 0] -> 4x4 stride-2 conv -> [norm unless
    outermost or innermost]. Decoder level i: ReLU -> 4x4 stride-2 transposed conv -> [norm and
    optional dropout, then concatenation after the skip] or, at the outermost level, tanh.
    The encoder maps are sown as ``intermediates/skip{i}`` (read them with
    ``mutable=["intermediates"]``).

    Attributes:
      out_channels: output image channels.
      num_downs: number of halvings; the image side must be divisible by 2**num_downs.
      features: outermost width (ngf); widths double per level up to 8·ngf.
      norm: "batch", "instance" or "none".
      dropout: rate of the dropout in ``unet_dropout_levels`` (0 leaves it out).
    """

    out_channels: int
    num_downs: int
    features: int = 64
    norm: str = "batch"
    dropout: float = 0.5

    @nn.compact
    def __call__(self, x: jax.Array, *, dropout: bool) -> jax.Array:
        check_norm(self.norm)
        if self.num_downs < 1:
            raise ValueError(f"num_downs must be >= 1, got {self.num_downs}")
        _check_divisible(x, 2**self.num_downs, f"a U-Net with num_downs={self.num_downs}")
        n, bias = self.num_downs, self.norm != "batch"
        widths, skips, h = unet_widths(n, self.features), [], x
        for i, width in enumerate(widths):
            h = nn.leaky_relu(h, LEAK) if i > 0 else h
            h = torch_conv(width, 4, 2, 1, bias, name=f"down{i}")(h)
            h = Norm(self.norm, name=f"down_norm{i}")(h) if 0 < i < n - 1 else h
            skips.append(h)
            if i < n - 1:
                self.sow("intermediates", f"skip{i}", h)
        for i in reversed(range(n)):
            outer = widths[i - 1] if i > 0 else self.out_channels
            h = torch_conv_transpose(outer, 4, 1, 0, bias or i == 0, name=f"up{i}")(nn.relu(h))
            if i == 0:
                return jnp.tanh(h)
            h = Norm(self.norm, name=f"up_norm{i}")(h)
            if self.dropout > 0 and i in unet_dropout_levels(n):
                h = nn.Dropout(self.dropout, deterministic=not dropout)(h)
            h = jnp.concatenate([skips[i - 1], h], axis=-1)


# ---- PatchGAN ----------------------------------------------------------------------------


def _patch_strides(num_layers: int) -> list[int]:
    """Strides of the NLayerDiscriminator's 4x4 convolutions, first to last."""
    return [2] * max(num_layers, 1) + [1, 1]


def patch_receptive_field(num_layers: int) -> int:
    """Side of the input patch one PatchGAN output sees (70 for num_layers=3, 16 for 1).

    Args:
      num_layers: the discriminator's number of stride-2 layers.

    Returns:
      The receptive field in pixels.
    """
    field = 1
    for stride in reversed(_patch_strides(num_layers)):
        field = (field - 1) * stride + 4
    return field


class PatchDiscriminator(nn.Module):
    """The authors' NLayerDiscriminator ("basic" is num_layers=3, the 70x70 PatchGAN).

    4x4 convolutions with padding 1: stride 2 for the first num_layers (widths ndf, 2ndf, ...
    capped at 8ndf), then stride 1 twice (the last to one channel); LeakyReLU(0.2) between
    them; norm on every hidden layer except the first.

    Attributes:
      features: first width (ndf).
      num_layers: stride-2 layers (3: a 256 px image gives 30x30 logits).
      norm: "batch", "instance" or "none".
    """

    features: int = 64
    num_layers: int = 3
    norm: str = "batch"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        """Image batch [B, H, W, C] -> logits [B, h, w, 1], one per overlapping patch."""
        check_norm(self.norm)
        bias = self.norm != "batch"
        h = nn.leaky_relu(torch_conv(self.features, 4, 2, 1, True, name="conv0")(x), LEAK)
        strides = _patch_strides(self.num_layers)
        for n, stride in enumerate(strides[1:-1], start=1):
            width = self.features * min(2**n, 8)
            h = torch_conv(width, 4, stride, 1, bias, name=f"conv{n}")(h)
            h = nn.leaky_relu(Norm(self.norm, name=f"norm{n}")(h), LEAK)
        return torch_conv(1, 4, 1, 1, True, name=f"conv{len(strides) - 1}")(h)


# ---- ResNet generator (CycleGAN) ---------------------------------------------------------


class ResnetBlock(nn.Module):
    """x + [reflect 1, 3x3 conv, norm, ReLU, (dropout), reflect 1, 3x3 conv, norm](x)."""

    features: int
    norm: str
    dropout: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, *, dropout: bool = False) -> jax.Array:
        bias = self.norm != "batch"
        h = torch_conv(self.features, 3, 1, 0, bias, name="conv0")(reflect_pad(x, 1))
        h = nn.relu(Norm(self.norm, name="norm0")(h))
        if self.dropout > 0:
            h = nn.Dropout(self.dropout, deterministic=not dropout)(h)
        h = torch_conv(self.features, 3, 1, 0, bias, name="conv1")(reflect_pad(h, 1))
        return x + Norm(self.norm, name="norm1")(h)


class ResnetGenerator(nn.Module):
    """The authors' ResnetGenerator (``resnet_9blocks`` / ``resnet_6blocks``).

    Reflection pad 3 + 7x7 conv (ngf), two 3x3 stride-2 convs (2ngf, 4ngf), num_blocks residual
    blocks, two 3x3 stride-2 transposed convs (padding 1, output_padding 1: exactly twice the
    size; 2ngf, ngf), each conv followed by norm and ReLU; reflection pad 3 + 7x7 conv to
    out_channels, tanh. Input H, W must be divisible by 4 (output shape = input shape).

    Attributes:
      out_channels: output image channels.
      features: ngf.
      num_blocks: residual blocks.
      norm: "batch", "instance" or "none".
      dropout: rate inside each residual block (0 leaves it out, CycleGAN's default).
    """

    out_channels: int
    features: int = 64
    num_blocks: int = 9
    norm: str = "instance"
    dropout: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, *, dropout: bool = False) -> jax.Array:
        check_norm(self.norm)
        _check_divisible(x, 4, "the ResNet generator")
        bias, f = self.norm != "batch", self.features
        h = torch_conv(f, 7, 1, 0, bias, name="conv_in")(reflect_pad(x, 3))
        h = nn.relu(Norm(self.norm, name="norm_in")(h))
        for i, mult in enumerate((2, 4)):
            h = torch_conv(f * mult, 3, 2, 1, bias, name=f"down{i}")(h)
            h = nn.relu(Norm(self.norm, name=f"down_norm{i}")(h))
        for b in range(self.num_blocks):
            block = ResnetBlock(f * 4, self.norm, self.dropout, name=f"block{b}")
            h = block(h, dropout=dropout)
        for i, mult in enumerate((2, 1)):
            h = torch_conv_transpose(f * mult, 3, 1, 1, bias, name=f"up{i}")(h)
            h = nn.relu(Norm(self.norm, name=f"up_norm{i}")(h))
        h = torch_conv(self.out_channels, 7, 1, 0, True, name="conv_out")(reflect_pad(h, 3))
        return jnp.tanh(h)
