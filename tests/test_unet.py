"""The diffusion U-Net: shapes at every configured size, conditioning, clear errors."""

import warnings

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.models.unet import AttentionBlock, UNet, sinusoidal_embedding

SIZES = {  # (image shape, channel multipliers, attention resolutions)
    "digits": ((8, 8, 1), (1, 2, 2), (4,)),
    "mnist": ((28, 28, 1), (1, 2, 2), (7,)),
    "cifar10": ((32, 32, 3), (1, 2, 2, 2), (16,)),
    "celeb_a": ((64, 64, 3), (1, 1, 2, 2, 4), (16,)),
}


@pytest.mark.parametrize("name", sorted(SIZES))
def test_output_has_the_input_shape(name):
    shape, mults, attention = SIZES[name]
    net = UNet(shape, 32, mults, 1, attention, num_classes=10)
    x, t, y = jnp.zeros((2, *shape)), jnp.array([0, 999]), jnp.array([3, 10])
    params = jax.eval_shape(net.init, jax.random.key(0), x, t, y)
    out = jax.eval_shape(net.apply, params, x, t, y)
    assert out.shape == (2, *shape)


@pytest.mark.slow
def test_labels_and_time_change_the_output_and_none_is_the_null_class():
    net = UNet((8, 8, 1), 8, (1,), 1, (8,), num_classes=10, groups=4)  # attention too
    x = jax.random.normal(jax.random.key(0), (3, 8, 8, 1))
    params = jax.jit(net.init)(jax.random.key(1), x, jnp.zeros(3), jnp.zeros(3, jnp.int32))
    params = jax.tree.map(
        lambda a: a + 0.05 * jax.random.normal(jax.random.key(2), a.shape), params
    )
    t = jnp.array([5.0, 5.0, 5.0])
    apply = jax.jit(net.apply)
    out = lambda y, t=t: np.asarray(apply(params, x, t, y))
    assert np.abs(out(jnp.array([0, 0, 0])) - out(jnp.array([1, 1, 1]))).max() > 1e-4
    assert np.abs(out(jnp.array([0, 0, 0])) - out(jnp.array([0, 0, 0]), t + 100)).max() > 1e-4
    np.testing.assert_array_equal(out(None), out(jnp.full(3, 10)))


def test_sinusoidal_embedding_matches_its_formula():
    t = np.array([0.0, 3.0, 250.5])
    got = np.asarray(sinusoidal_embedding(t, 8))
    freqs = np.exp(-np.log(10_000.0) * np.arange(4) / 4)
    expected = np.concatenate([np.sin(t[:, None] * freqs), np.cos(t[:, None] * freqs)], -1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_bad_sizes_are_clear_errors():
    x = jnp.zeros((1, 28, 28, 1))
    with pytest.raises(ValueError, match="not divisible by 2\\*\\*3"):
        UNet((28, 28, 1), 16, (1, 2, 2, 2)).init(jax.random.key(0), x, jnp.zeros(1))
    with pytest.raises(ValueError, match="groups=8 must divide every width; got \\[12"):
        UNet((28, 28, 1), 12, (1, 2)).init(jax.random.key(0), x, jnp.zeros(1))
    with pytest.raises(ValueError, match="image shape mismatch"):
        UNet((8, 8, 1), 16, (1, 2)).init(jax.random.key(0), x, jnp.zeros(1))


def test_attention_block_keeps_flax_self_attention_parameters_and_values():
    """AttentionBlock calls MultiHeadDotProductAttention (flax deprecates SelfAttention) under
    SelfAttention's name: the same parameter tree (old checkpoints load) and outputs."""

    class Old(nn.Module):
        @nn.compact
        def __call__(self, x):
            b, h, w, c = x.shape
            seq = nn.GroupNorm(8)(x).reshape(b, h * w, c)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                out = nn.SelfAttention(num_heads=1, out_kernel_init=nn.initializers.zeros)(seq)
            return x + out.reshape(b, h, w, c)

    x = jax.random.normal(jax.random.key(0), (2, 4, 4, 16))
    new_params = AttentionBlock(8).init(jax.random.key(1), x)
    old_params = Old().init(jax.random.key(1), x)
    assert jax.tree.structure(new_params) == jax.tree.structure(old_params)
    for a, b in zip(jax.tree.leaves(new_params), jax.tree.leaves(old_params), strict=True):
        np.testing.assert_array_equal(a, b)
    # Non-zero output weights, so the attention's value reaches the output.
    params = jax.tree.map(lambda p: p + 0.1, old_params)
    np.testing.assert_array_equal(AttentionBlock(8).apply(params, x), Old().apply(params, x))
