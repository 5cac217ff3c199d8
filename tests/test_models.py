"""Network shapes for every architecture and size, and clear shape errors."""

import jax
import jax.numpy as jnp
import pytest

from genjax.models.autoencoder import Autoencoder, Decoder, Encoder
from genjax.models.vae import VAE


@pytest.mark.parametrize("shape", [(8, 8, 1), (28, 28, 1), (32, 32, 3)])
@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_vae_shapes(shape, arch, likelihood):
    model = VAE(
        shape,
        latent_dim=5,
        likelihood=likelihood,
        architecture=arch,
        hidden=(16,),
        conv_features=(4, 8),
    )
    x = jnp.zeros((3, *shape))
    key = jax.random.key(0)
    params = jax.eval_shape(model.init, key, x, key)  # shapes only: traced, not compiled
    mean, log_var = jax.eval_shape(lambda p: model.apply(p, x, method=VAE.encode), params)
    assert mean.shape == log_var.shape == (3, 5)
    out = jax.eval_shape(lambda p: model.apply(p, jnp.zeros((3, 5)), method=VAE.decode), params)
    if likelihood == "bernoulli":
        assert out["logits"].shape == (3, *shape)
    else:
        assert out["mean"].shape == (3, *shape) and out["log_scale"].shape == shape


def test_conditional_encoder_and_decoder_use_labels():
    enc = Encoder((8, 8, 1), out_dim=4, hidden=(8,), num_classes=10)
    x, y = jnp.ones((2, 8, 8, 1)), jnp.array([1, 2])
    params = enc.init(jax.random.key(0), x, y)
    assert not jnp.allclose(enc.apply(params, x, y), enc.apply(params, x, jnp.array([3, 4])))
    dec = Decoder((8, 8, 1), hidden=(8,), num_classes=10)
    dparams = dec.init(jax.random.key(1), jnp.ones((2, 3)), y)
    with pytest.raises(ValueError, match="class-conditional"):
        dec.apply(dparams, jnp.ones((2, 3)))


def test_autoencoder_round_trip_shapes():
    model = Autoencoder((8, 8, 1), latent_dim=6, hidden=(16,))
    x = jnp.zeros((4, 8, 8, 1))
    params = jax.eval_shape(model.init, jax.random.key(0), x)
    codes = jax.eval_shape(lambda p: model.apply(p, x, method=Autoencoder.encode), params)
    assert codes.shape == (4, 6)
    assert jax.eval_shape(model.apply, params, x)["logits"].shape == (4, 8, 8, 1)


def test_wrong_image_shape_names_expected_and_got():
    model = VAE((8, 8, 1), latent_dim=2, hidden=(4,))
    key = jax.random.key(0)
    params = jax.eval_shape(model.init, key, jnp.zeros((1, 8, 8, 1)), key)
    with pytest.raises(ValueError, match=r"expects \(8, 8, 1\) per example but got \(28, 28, 1\)"):
        jax.eval_shape(
            lambda p: model.apply(p, jnp.zeros((1, 28, 28, 1)), method=VAE.encode), params
        )


def test_conv_stages_must_divide_the_image():
    model = VAE((28, 28, 1), latent_dim=2, architecture="conv", conv_features=(4, 4, 4))
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="not divisible by 2\\*\\*3=8"):
        jax.eval_shape(model.init, key, jnp.zeros((1, 28, 28, 1)), key)


def test_conv_kernel_init_is_flax_lecun_normal():
    """Drawn as a matrix for compile speed; the same distribution, bitwise the same values
    under partitionable threefry."""
    import flax.linen as nn
    import numpy as np

    from genjax.models.layers import conv_kernel_init

    key = jax.random.key(3)
    for shape in ((3, 3, 8, 16), (4, 4, 32, 1), (1, 1, 5, 7)):
        got = conv_kernel_init(key, shape)
        assert got.shape == shape
        if jax.config.jax_threefry_partitionable:
            np.testing.assert_array_equal(got, nn.initializers.lecun_normal()(key, shape))
    big = np.asarray(conv_kernel_init(key, (3, 3, 64, 256)))  # fan-in 576
    np.testing.assert_allclose(big.std(), 1.0 / np.sqrt(576), rtol=0.02)
    assert abs(big.mean()) < 0.002
