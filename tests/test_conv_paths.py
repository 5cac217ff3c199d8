"""The im2col path equals XLA's convolution (forward and both gradients, to float32 rounding)
on the shapes it takes, and the choice is made by output size at trace time."""

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
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    cot = jnp.asarray(RNG.normal(size=want.shape), jnp.float32)
    grads = lambda f: jax.grad(lambda a, b: jnp.sum(f(a, b, strides, padding) * cot), (0, 1))(x, w)
    for got, ref in zip(grads(_dispatched), grads(_reference), strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


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
    np.testing.assert_allclose(fast.apply(params, x), plain.apply(params, x), rtol=1e-5, atol=1e-6)


def test_a_one_d_convolution_keeps_xlas_path():
    """A 1-d flax convolution (3-d input) passes straight to XLA's convolution, bitwise."""
    x = jnp.asarray(RNG.normal(size=(2, 3, 4)), jnp.float32)
    plain = nn.Conv(5, (3,), strides=(2,))
    fast = nn.Conv(5, (3,), strides=(2,), conv_general_dilated=conv_paths.conv_general_dilated)
    params = plain.init(jax.random.key(0), x)
    assert "conv_general_dilated" in str(jax.make_jaxpr(fast.apply)(params, x))
    np.testing.assert_array_equal(fast.apply(params, x), plain.apply(params, x))
