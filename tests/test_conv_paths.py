"""The im2col path and the phase path of transposed convolutions equal XLA's own (forward and
both gradients, within 1e-6 of the output's scale) on the shapes they take, and the choice is
made by shape at trace time."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from genjax.models import conv_paths

RNG = np.random.default_rng(0)
DN = ("NHWC", "HWIO", "NHWC")

# (input shape, kernel shape, strides, padding): the DCGAN discriminator's last layer, a 3x3
# SAME convolution on a 2x2 map (the U-Net's deepest level), an asymmetric pad, a 1x1 output.
SMALL = [
    ((4, 4, 4, 3), (4, 4, 3, 5), (2, 2), "SAME"),
    ((4, 2, 2, 6), (3, 3, 6, 4), (1, 1), "SAME"),
    ((3, 2, 2, 2), (2, 3, 2, 3), (1, 2), ((1, 0), (2, 1))),
    ((2, 4, 4, 2), (4, 4, 2, 3), (1, 1), "VALID"),
]


def _assert_close(got, want, tol=1e-6):
    """|got - want| <= tol * max|want|: equal to float32 rounding at the output's scale."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= tol * np.max(np.abs(want)), np.max(np.abs(got - want))


def _reference(x, w, strides, padding):
    return lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=DN)


def _dispatched(x, w, strides, padding):
    numbers = lax.conv_dimension_numbers(x.shape, w.shape, DN)
    return conv_paths.conv_general_dilated(x, w, strides, padding, dimension_numbers=numbers)


@pytest.mark.parametrize("shape", SMALL)
def test_im2col_matches_xla_forward_and_gradients(shape):
    xs, ws, strides, padding = shape
    x = jnp.asarray(RNG.normal(size=xs), jnp.float32)
    w = jnp.asarray(RNG.normal(size=ws), jnp.float32)
    out = _dispatched(x, w, strides, padding)
    want = _reference(x, w, strides, padding)
    assert out.shape == want.shape and out.shape[1] * out.shape[2] <= conv_paths.SMALL_MAP
    _assert_close(out, want)
    cot = jnp.asarray(RNG.normal(size=want.shape), jnp.float32)
    grads = lambda f: jax.jit(  # one program each: faster than op by op
        jax.grad(lambda a, b: jnp.sum(f(a, b, strides, padding) * cot), (0, 1))
    )(x, w)
    for got, ref in zip(grads(_dispatched), grads(_reference), strict=True):
        _assert_close(got, ref)


def test_the_path_is_chosen_by_output_size():
    """A 2x2 output takes the dot; a 4x4 output, a dilated kernel and a grouped convolution
    keep XLA's convolution, bitwise."""
    jaxpr = lambda f, *a: str(jax.make_jaxpr(f)(*a))
    x, w = jnp.ones((2, 4, 4, 4)), jnp.ones((3, 3, 4, 4))
    numbers = lax.conv_dimension_numbers(x.shape, w.shape, DN)
    small = lambda a, b: conv_paths.conv_general_dilated(a, b, (2, 2), "SAME", None, None, numbers)
    large = lambda a, b: conv_paths.conv_general_dilated(a, b, (1, 1), "SAME", None, None, numbers)
    assert "conv_general_dilated" not in jaxpr(small, x, w) and "dot_general" in jaxpr(small, x, w)
    assert "conv_general_dilated" in jaxpr(large, x, w)
    np.testing.assert_array_equal(large(x, w), _reference(x, w, (1, 1), "SAME"))
    dilated = lambda a, b: conv_paths.conv_general_dilated(
        a, b, (2, 2), "SAME", None, (2, 2), numbers
    )
    assert "conv_general_dilated" in jaxpr(dilated, x, w)
    grouped_w = jnp.ones((3, 3, 2, 4))
    grouped = lambda a, b: conv_paths.conv_general_dilated(
        a, b, (2, 2), "SAME", None, None, numbers, feature_group_count=2
    )
    assert "conv_general_dilated" in jaxpr(grouped, x, grouped_w)


def test_a_flax_conv_on_the_fast_path_keeps_its_parameters_and_output():
    x = jnp.asarray(RNG.normal(size=(3, 4, 4, 2)), jnp.float32)
    plain = nn.Conv(5, (4, 4), strides=(2, 2))
    fast = nn.Conv(5, (4, 4), strides=(2, 2), conv_general_dilated=conv_paths.conv_general_dilated)
    params = plain.init(jax.random.key(0), x)
    assert jax.tree.structure(fast.init(jax.random.key(0), x)) == jax.tree.structure(params)
    _assert_close(fast.apply(params, x), plain.apply(params, x))


def test_a_one_d_convolution_keeps_xlas_path():
    """A 1-d flax convolution (3-d input) passes straight to XLA's convolution, bitwise."""
    x = jnp.asarray(RNG.normal(size=(2, 3, 4)), jnp.float32)
    plain = nn.Conv(5, (3,), strides=(2,))
    fast = nn.Conv(5, (3,), strides=(2,), conv_general_dilated=conv_paths.conv_general_dilated)
    params = plain.init(jax.random.key(0), x)
    assert "conv_general_dilated" in str(jax.make_jaxpr(fast.apply)(params, x))
    np.testing.assert_array_equal(fast.apply(params, x), plain.apply(params, x))


# (input H, W, kernel side, stride, padding, transposed kernel): DCGAN's 4x4 at stride 2 from
# 2x2 and 4x4 maps, the conv decoders' 3x3, a non-square map, a kernel smaller than the stride
# (a phase with no taps), a stride of 3; PyTorch's ConvTranspose2d of the translation networks
# (k4 p1: pads (2, 2); k3 p1 output_padding 1: pads (1, 2)) with their transposed kernels.
TRANSPOSED = [
    (2, 2, 4, 2, "SAME", False),
    (4, 4, 4, 2, "SAME", False),
    (3, 5, 3, 2, "SAME", False),
    (4, 4, 3, 2, "SAME", False),
    (3, 3, 1, 2, "SAME", False),
    (2, 2, 6, 3, "SAME", False),
    (4, 2, 4, 2, ((2, 2), (2, 2)), True),
    (3, 4, 3, 2, ((1, 2), (1, 2)), True),
]


@pytest.mark.parametrize("case", TRANSPOSED)
def test_phase_transposed_convolution_matches_xla_forward_and_gradients(case):
    h, w, k, s, padding, flip = case
    x = jnp.asarray(RNG.normal(size=(2, h, w, 3)), jnp.float32)
    kernel = jnp.asarray(RNG.normal(size=(k, k, 5, 3) if flip else (k, k, 3, 5)), jnp.float32)
    ref = lambda a, b: lax.conv_transpose(
        a, b, (s, s), padding, dimension_numbers=DN, transpose_kernel=flip
    )
    phases = lambda a, b: conv_paths.conv_transpose(a, b, (s, s), padding, transpose_kernel=flip)
    want = jax.jit(ref)(x, kernel)
    assert want.shape == (2, h * s, w * s, 5)
    _assert_close(jax.jit(phases)(x, kernel), want)
    cot = jnp.asarray(RNG.normal(size=want.shape), jnp.float32)
    grads = lambda f: jax.jit(jax.grad(lambda a, b: jnp.sum(f(a, b) * cot), (0, 1)))(x, kernel)
    for got, expected in zip(grads(phases), grads(ref), strict=True):
        _assert_close(got, expected)
    assert f"lhs_dilation=({s}, {s})" not in str(jax.make_jaxpr(phases)(x, kernel))  # no zeros
    assert f"lhs_dilation=({s}, {s})" in str(jax.make_jaxpr(ref)(x, kernel))


def test_a_transposed_convolution_with_unequal_phases_keeps_xlas_path():
    """Pads (1, 1) on a 3x3 kernel give an odd output side: XLA's own, bitwise."""
    x = jnp.asarray(RNG.normal(size=(2, 3, 3, 2)), jnp.float32)
    kernel = jnp.asarray(RNG.normal(size=(3, 3, 2, 4)), jnp.float32)
    pads = ((1, 1), (1, 1))
    assert conv_paths.phase_shape(x.shape, kernel.shape, (2, 2), pads) is None
    got = conv_paths.conv_transpose(x, kernel, (2, 2), pads)
    want = lax.conv_transpose(x, kernel, (2, 2), pads, dimension_numbers=DN)
    assert got.shape == (2, 5, 5, 4)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="multiples of the strides"):
        conv_paths.phase_conv_transpose(x, kernel, (2, 2), pads)


def test_the_deconv_trunk_keeps_flax_conv_transposes_parameters_and_output():
    """DeconvTrunk's transposed convolutions: the same parameter tree and initial values as
    flax's nn.ConvTranspose, and its output."""
    from genjax.models.layers import ACTIVATIONS, DeconvTrunk, conv_kernel_init

    class Reference(nn.Module):  # DeconvTrunk as it was, on nn.ConvTranspose
        features: tuple
        out_shape: tuple
        kernel_size: int

        @nn.compact
        def __call__(self, z):
            h, w = self.out_shape[0] // 4, self.out_shape[1] // 4
            x = nn.relu(nn.Dense(h * w * self.features[0])(z))
            x = x.reshape(z.shape[0], h, w, self.features[0])
            for width in self.features:
                k = (self.kernel_size, self.kernel_size)
                x = ACTIVATIONS["relu"](
                    nn.ConvTranspose(width, k, strides=(2, 2), kernel_init=conv_kernel_init)(x)
                )
            return nn.Conv(self.out_shape[-1], (3, 3), kernel_init=conv_kernel_init)(x)

    z = jnp.asarray(RNG.normal(size=(3, 6)), jnp.float32)
    for k in (3, 4):
        new = DeconvTrunk((8, 4), (8, 8, 1), kernel_size=k)
        old = Reference((8, 4), (8, 8, 1), k)
        params = jax.jit(new.init)(jax.random.key(1), z)
        reference = jax.jit(old.init)(jax.random.key(1), z)
        assert jax.tree.structure(params) == jax.tree.structure(reference)
        for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(reference), strict=True):
            np.testing.assert_array_equal(a, b)
        _assert_close(jax.jit(new.apply)(params, z), jax.jit(old.apply)(params, z))


@pytest.mark.parametrize("use_bias", [True, False])
def test_the_translation_layer_keeps_flax_conv_transposes_parameters_and_output(use_bias):
    """PyTorch's ConvTranspose2d(k3, p1, output_padding 1) as the ResNet generator builds it:
    flax's parameters, initial values and output."""
    from genjax.models.layers import ConvTranspose

    x = jnp.asarray(RNG.normal(size=(2, 4, 3, 6)), jnp.float32)
    pads = ((1, 2), (1, 2))
    init = nn.initializers.normal(0.02)
    new = ConvTranspose(
        5, (3, 3), (2, 2), init, padding=pads, transpose_kernel=True, use_bias=use_bias
    )
    old = nn.ConvTranspose(
        5,
        (3, 3),
        strides=(2, 2),
        padding=pads,
        use_bias=use_bias,
        transpose_kernel=True,
        kernel_init=init,
    )
    params = new.init(jax.random.key(2), x)
    reference = old.init(jax.random.key(2), x)
    assert jax.tree.structure(params) == jax.tree.structure(reference)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(reference), strict=True):
        np.testing.assert_array_equal(a, b)
    params = jax.tree.map(lambda p: p + 0.1, params)  # a nonzero bias too
    _assert_close(new.apply(params, x), old.apply(params, x))
