"""Convolutions by the faster of two paths for their shape, chosen once at trace time, and
transposed convolutions without zero-dilation.

On CPU, XLA runs a convolution whose output map has at most 2×2 positions (the deepest maps of
the digits networks: the DCGAN discriminator's last layer, the U-Net's 2×2 level) on a generic
slow kernel. For those, im2col by strided slices of the padded input and one dot is faster
(its gradient is a pad and two dots): measured side by side (forward and both gradients,
batch 64) on a 4×4×32 -> 2×2×64 4×4 stride-2 convolution, 1.9× faster; the digits U-Net's
whole train step 1.4× faster, the DCGAN's unchanged (README, Benchmarks). Every other shape,
and every shape off CPU, keeps ``lax.conv_general_dilated``. The two agree to float32
rounding (the dot sums in another order; tests/test_conv_paths.py).

Use as flax's ``nn.Conv(..., conv_general_dilated=conv_general_dilated)``.

A stride-s transposed convolution is, to XLA, a convolution over the input with s - 1 zeros
inserted between pixels, which its CPU backend runs on the same slow generic kernel, multiplying
the zeros. ``conv_transpose`` computes it on CPU as one small ordinary convolution per output
phase, interleaved (``phase_conv_transpose``; layers.ConvTranspose, the DCGAN generator's and
the convolutional decoders' layers): the DCGAN step 2.1x faster (README, Benchmarks).
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax import lax

# Output maps of at most this many positions take the im2col path.
SMALL_MAP = 4
NHWC_HWIO = ("NHWC", "HWIO", "NHWC")


def im2col_conv(
    x: jax.Array,
    w: jax.Array,
    strides: Sequence[int],
    pads: Sequence[tuple[int, int]],
    precision=None,
    preferred_element_type=None,
) -> jax.Array:
    """A 2-d convolution (NHWC input, HWIO kernel) as one dot over im2col columns.

    Args:
      x: inputs [B, H, W, C_in].
      w: kernel [kh, kw, C_in, C_out].
      strides: (sh, sw).
      pads: ((top, bottom), (left, right)).
      precision, preferred_element_type: passed to the dot.

    Returns:
      [B, H_out, W_out, C_out], as ``lax.conv_general_dilated`` with the same arguments.
    """
    kh, kw, cin, cout = w.shape
    sh, sw = strides
    xp = jnp.pad(x, ((0, 0), tuple(pads[0]), tuple(pads[1]), (0, 0)))
    oh, ow = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    cols = [
        xp[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw, :]
        for i in range(kh)
        for j in range(kw)
    ]  # (kh, kw, C_in) order along the last axis, as the kernel reshapes
    return jnp.dot(
        jnp.concatenate(cols, axis=-1),
        w.reshape(kh * kw * cin, cout),
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


def uses_im2col(lhs_shape, rhs_shape, strides, pads, dilated: bool, groups: int) -> bool:
    """The trace-time choice: on CPU, an undilated ungrouped 2-d convolution (NHWC shapes)
    whose output map has at most SMALL_MAP positions."""
    if jax.default_backend() != "cpu" or dilated or groups != 1:
        return False
    oh = (lhs_shape[1] + sum(pads[0]) - rhs_shape[0]) // strides[0] + 1
    ow = (lhs_shape[2] + sum(pads[1]) - rhs_shape[1]) // strides[1] + 1
    return oh * ow <= SMALL_MAP


def conv_general_dilated(
    lhs: jax.Array,
    rhs: jax.Array,
    window_strides: Sequence[int],
    padding,
    lhs_dilation=None,
    rhs_dilation=None,
    dimension_numbers=None,
    feature_group_count: int = 1,
    batch_group_count: int = 1,
    precision=None,
    preferred_element_type=None,
) -> jax.Array:
    """``lax.conv_general_dilated``, by im2col where ``uses_im2col`` says so (NHWC/HWIO only)."""
    nhwc = lhs.ndim == 4 and dimension_numbers == lax.conv_dimension_numbers(
        lhs.shape, rhs.shape, NHWC_HWIO
    )
    dilated = any(d != 1 for d in (*(lhs_dilation or ()), *(rhs_dilation or ())))
    if nhwc and batch_group_count == 1:
        pads = padding
        if isinstance(padding, str):
            pads = lax.padtype_to_pads(lhs.shape[1:3], rhs.shape[:2], window_strides, padding)
        if uses_im2col(lhs.shape, rhs.shape, window_strides, pads, dilated, feature_group_count):
            return im2col_conv(lhs, rhs, window_strides, pads, precision, preferred_element_type)
    return lax.conv_general_dilated(
        lhs,
        rhs,
        window_strides,
        padding,
        lhs_dilation=lhs_dilation,
        rhs_dilation=rhs_dilation,
        dimension_numbers=dimension_numbers,
        feature_group_count=feature_group_count,
        batch_group_count=batch_group_count,
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


def transpose_pads(k: int, s: int, padding) -> tuple[int, int]:
    """The (low, high) padding of the zero-dilated input that ``lax.conv_transpose`` uses:
    its "SAME" rule, or explicit pads as given."""
    if padding != "SAME":
        return tuple(padding)
    low = k - 1 if s > k - 1 else -(-(k + s - 2) // 2)
    return low, k + s - 2 - low


def _axis(padding, i: int):
    """Axis i's padding: "SAME", or its (low, high)."""
    return padding if padding == "SAME" else padding[i]


def _phase_taps(k: int, s: int, low: int) -> list[tuple[int, int, int] | None]:
    """Per output phase p (output index s*m + p): the kernel taps it reads, t0, t0 + s, ...,
    as (t0, number of taps, lowest input offset d0); tap t0 + j*s reads input m + d0 + j.
    None for a phase that no tap reaches (a kernel smaller than the stride)."""
    phases = []
    for p in range(s):
        taps = [t for t in range(k) if (p + t - low) % s == 0]
        phases.append((taps[0], len(taps), (p + taps[0] - low) // s) if taps else None)
    return phases


def phase_conv_transpose(
    x: jax.Array, kernel: jax.Array, strides: Sequence[int], padding="SAME"
) -> jax.Array:
    """``lax.conv_transpose(x, kernel, strides, padding)`` (NHWC, HWIO, kernel not flipped) as
    one ordinary stride-1 convolution per output phase, interleaved (depth to space).

    Output pixel s*m + p of a stride-s transposed convolution reads only the kernel taps of
    phase p, each at a fixed offset from input pixel m (for a 4x4 kernel at stride 2: 2x2 taps
    per phase), so each phase is a small convolution of the un-dilated input: no multiply by
    an inserted zero, and a convolution that XLA's CPU fast kernels take (the zero-dilated
    one is not: the DCGAN generator's layers 2.5-7.6x faster, forward and backward).

    Args:
      x: inputs [B, H, W, C_in].
      kernel: [kh, kw, C_in, C_out].
      strides: (sh, sw).
      padding: "SAME" or ((low, high), (low, high)) of the zero-dilated input, as
        ``lax.conv_transpose`` takes them; the output's sides must be multiples of the
        strides (``phase_shape``).

    Returns:
      [B, H_out, W_out, C_out], as ``lax.conv_transpose``.
    """
    (kh, kw, _, cout), (sh, sw) = kernel.shape, strides
    b, h, w, _ = x.shape
    shape = phase_shape(x.shape, kernel.shape, strides, padding)
    if shape is None:
        raise ValueError(
            f"phase_conv_transpose needs output sides that are multiples of the strides "
            f"{tuple(strides)}; input {x.shape}, kernel {kernel.shape}, padding {padding}"
        )
    mh, mw = shape
    lo_h = transpose_pads(kh, sh, _axis(padding, 0))[0]
    lo_w = transpose_pads(kw, sw, _axis(padding, 1))[0]
    zero = jnp.zeros((), x.dtype)
    rows = []
    for ph in _phase_taps(kh, sh, lo_h):
        cols = []
        for pw in _phase_taps(kw, sw, lo_w):
            if ph is None or pw is None:
                cols.append(jnp.zeros((b, mh, mw, cout), x.dtype))
                continue
            (t_h, n_h, d_h), (t_w, n_w, d_w) = ph, pw
            taps = kernel[t_h : t_h + sh * (n_h - 1) + 1 : sh, t_w : t_w + sw * (n_w - 1) + 1 : sw]
            # Output m reads inputs m + d .. m + d + n - 1: pad (negative: crop) so that a
            # VALID window starting at each of the phase's outputs covers them.
            rows_pad = (-d_h, mh - 1 + d_h + n_h - 1 - (h - 1), 0)
            cols_pad = (-d_w, mw - 1 + d_w + n_w - 1 - (w - 1), 0)
            xp = lax.pad(x, zero, ((0, 0, 0), rows_pad, cols_pad, (0, 0, 0)))
            numbers = lax.conv_dimension_numbers(xp.shape, taps.shape, NHWC_HWIO)
            cols.append(conv_general_dilated(xp, taps, (1, 1), "VALID", dimension_numbers=numbers))
        rows.append(jnp.stack(cols, axis=3))  # [B, mh, mw, sw, C_out]
    return jnp.stack(rows, axis=2).reshape(b, mh * sh, mw * sw, cout)  # [B, mh, sh, mw, sw, C]


def phase_shape(x_shape, kernel_shape, strides, padding) -> tuple[int, int] | None:
    """Outputs per phase (rows, columns) of a 2-d transposed convolution, or None when an
    output side is not a multiple of its stride (phases of unequal length)."""
    out = []
    for i in range(2):
        k, s, n = kernel_shape[i], strides[i], x_shape[1 + i]
        low, high = transpose_pads(k, s, _axis(padding, i))
        size = (n - 1) * s + 1 + low + high - k + 1
        if size % s:
            return None
        out.append(size // s)
    return tuple(out)


def conv_transpose(
    x: jax.Array, kernel: jax.Array, strides: Sequence[int], padding="SAME", transpose_kernel=False
) -> jax.Array:
    """``lax.conv_transpose`` for NHWC/HWIO 2-d inputs: on CPU by ``phase_conv_transpose``
    (when every phase has as many outputs), elsewhere by XLA's own.

    Args:
      x, kernel, strides, padding, transpose_kernel: as ``lax.conv_transpose`` takes them
        (``transpose_kernel``: the kernel is a convolution's [kh, kw, C_out, C_in], flipped,
        PyTorch's ``ConvTranspose2d`` convention).

    Returns:
      The transposed convolution.
    """
    pads = padding if padding == "SAME" else tuple(tuple(p) for p in padding)
    if jax.default_backend() != "cpu" or phase_shape(x.shape, kernel.shape, strides, pads) is None:
        return lax.conv_transpose(
            x, kernel, strides, pads, dimension_numbers=NHWC_HWIO, transpose_kernel=transpose_kernel
        )
    if transpose_kernel:
        kernel = jnp.flip(kernel, (0, 1)).swapaxes(2, 3)
    return phase_conv_transpose(x, kernel, strides, pads)
