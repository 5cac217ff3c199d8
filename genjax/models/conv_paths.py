"""Convolutions by the faster of two paths for their shape, chosen once at trace time.

On CPU, XLA runs a convolution whose output map has at most 2×2 positions (the deepest maps of
the digits networks: the DCGAN discriminator's last layer, the U-Net's 2×2 level) on a generic
slow kernel. For those, im2col by strided slices of the padded input and one dot is faster
(its gradient is a pad and two dots): measured side by side (forward and both gradients,
batch 64) on a 4×4×32 -> 2×2×64 4×4 stride-2 convolution, 1.9× faster; the digits U-Net's
whole train step 1.4× faster, the DCGAN's unchanged (README, Benchmarks). Every other shape,
and every shape off CPU, keeps ``lax.conv_general_dilated``. The two agree to float32
rounding (the dot sums in another order; tests/test_conv_paths.py).

Use as flax's ``nn.Conv(..., conv_general_dilated=conv_general_dilated)``.
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
