"""pix2pix / CycleGAN losses and the pool of past fakes, jitted, against NumPy references."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import losses

RNG = np.random.default_rng(0)
REAL_MAP = RNG.normal(size=(3, 6, 6, 1)).astype(np.float32) * 3
FAKE_MAP = RNG.normal(size=(2, 5, 5, 1)).astype(np.float32) * 3  # unequal shapes on purpose


def _bce_with_logits(x, target):
    """PyTorch's BCEWithLogitsLoss (mean reduction) against a constant target map."""
    return np.mean(np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x))))


DISCRIMINATOR = {
    "vanilla": lambda r, f: 0.5 * (_bce_with_logits(r, 1.0) + _bce_with_logits(f, 0.0)),
    "lsgan": lambda r, f: 0.5 * (np.mean((r - 1) ** 2) + np.mean(f**2)),
}
GENERATOR = {
    "vanilla": lambda f: _bce_with_logits(f, 1.0),
    "lsgan": lambda f: np.mean((f - 1) ** 2),
}


def test_l1_cycle_and_identity_losses_match_numpy():
    a, b = RNG.normal(size=(2, 4, 4, 3)), RNG.normal(size=(2, 4, 4, 3))
    expected = np.mean(np.abs(a - b))
    for fn in (losses.l1_loss, losses.cycle_consistency_loss, losses.identity_loss):
        got = jax.jit(fn)(a, b)
        assert got.shape == ()
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_cycle_and_identity_losses_are_exactly_zero_for_identity_generators():
    """G = F = identity on identical domains: F(G(x)) = x and G(y) = y, so both terms are 0."""
    x = jnp.asarray(RNG.uniform(-1, 1, size=(2, 8, 8, 3)), jnp.float32)
    g = f = lambda images: images
    assert float(jax.jit(losses.cycle_consistency_loss)(x, f(g(x)))) == 0.0
    assert float(jax.jit(losses.identity_loss)(x, g(x))) == 0.0


@pytest.mark.parametrize("name", sorted(losses.PATCH_GAN_LOSSES))
def test_patch_gan_losses_match_numpy(name):
    game = losses.PATCH_GAN_LOSSES[name]
    d_loss, metrics = jax.jit(game.discriminator)(REAL_MAP, FAKE_MAP)
    np.testing.assert_allclose(d_loss, DISCRIMINATOR[name](REAL_MAP, FAKE_MAP), rtol=1e-5)
    np.testing.assert_allclose(metrics["d_real"], REAL_MAP.mean(), rtol=1e-5)
    np.testing.assert_allclose(metrics["d_fake"], FAKE_MAP.mean(), rtol=1e-5)
    np.testing.assert_allclose(
        0.5 * (metrics["d_loss_real"] + metrics["d_loss_fake"]), d_loss, rtol=1e-6
    )
    g_loss, _ = jax.jit(game.generator)(FAKE_MAP)
    np.testing.assert_allclose(g_loss, GENERATOR[name](FAKE_MAP), rtol=1e-5)


def test_vanilla_patch_loss_is_stable_and_exact_at_extremes():
    big = jnp.full((1, 2, 2, 1), 200.0)
    d_loss, _ = losses.patch_vanilla_discriminator(big, -big)
    g_loss, _ = losses.patch_vanilla_generator(big)
    np.testing.assert_allclose([d_loss, g_loss], [0.0, 0.0], atol=1e-6)
    assert np.isfinite(losses.patch_vanilla_generator(-big)[0])
    # D = 1/2 everywhere (logit 0): each BCE term is log 2, the discriminator's loss too.
    d_loss, _ = losses.patch_vanilla_discriminator(jnp.zeros((2, 3, 3, 1)), jnp.zeros((1, 3, 3, 1)))
    np.testing.assert_allclose(d_loss, np.log(2), rtol=1e-6)


# ---- the image pool ----------------------------------------------------------------------


def _ids(start: int, stop: int) -> np.ndarray:
    """Images whose single pixel is their id, so returned images can be traced."""
    return np.arange(start, stop, dtype=np.float32).reshape(-1, 1, 1, 1)


def test_pool_fill_phase_then_swap_statistics():
    size, n = 5, 4000
    pool, key = losses.pool_init(size, (1, 1, 1)), jax.random.key(0)
    out, new = jax.jit(losses.pool_query)(pool, _ids(1, n + 1), key)
    ids, returned = _ids(1, n + 1).ravel(), np.asarray(out).ravel()
    np.testing.assert_array_equal(returned[:size], ids[:size])  # filling: returned as given
    mirror, slots = list(ids[:size]), []
    for query, got in zip(ids[size:], returned[size:], strict=True):
        if got == query:
            continue
        assert got < query and got in mirror  # a stored image, inserted earlier
        slot = mirror.index(got)
        mirror[slot] = query  # the new image takes the returned one's slot
        slots.append(slot)
    np.testing.assert_array_equal(np.asarray(new["images"]).ravel(), mirror)
    assert int(new["count"]) == size
    m, bound = n - size, 4 * math.sqrt(0.25 / (n - size))
    assert abs(len(slots) / m - 0.5) < bound
    counts = np.bincount(slots, minlength=size) / len(slots)  # slots chosen uniformly
    np.testing.assert_array_less(np.abs(counts - 1 / size), 4 * math.sqrt(0.2 * 0.8 / len(slots)))


def test_pool_carries_across_queries_and_is_a_checkpointable_pytree():
    query = jax.jit(losses.pool_query)
    pool = losses.pool_init(5, (1, 1, 1))
    out, pool = query(pool, _ids(1, 4), jax.random.key(1))
    np.testing.assert_array_equal(out, _ids(1, 4))
    assert int(pool["count"]) == 3
    out, pool2 = query(pool, _ids(4, 7), jax.random.key(2))
    np.testing.assert_array_equal(np.asarray(out)[:2], _ids(4, 6))  # the pool fills up
    assert int(pool2["count"]) == 5
    assert np.asarray(out)[2, 0, 0, 0] in (6.0, 1.0, 2.0, 3.0, 4.0, 5.0)
    assert jax.tree.structure(pool2) == jax.tree.structure(pool)
    assert pool2["images"].dtype == jnp.float32 and pool2["count"].dtype == jnp.int32


def test_pool_is_deterministic_given_the_key_and_stops_gradients():
    query = jax.jit(losses.pool_query)
    pool = losses.pool_init(3, (1, 1, 1))
    images = _ids(1, 200)
    a, pa = query(pool, images, jax.random.key(3))
    b, pb = query(pool, images, jax.random.key(3))
    c, _ = query(pool, images, jax.random.key(4))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pa["images"], pb["images"])
    assert not np.array_equal(a, c)
    grad = jax.grad(lambda x: jnp.sum(losses.pool_query(pool, x, jax.random.key(3))[0]))(images)
    np.testing.assert_array_equal(grad, 0.0)


def test_pool_of_size_zero_returns_the_images():
    pool = losses.pool_init(0, (2, 2, 3))
    images = RNG.normal(size=(4, 2, 2, 3)).astype(np.float32)
    out, new = losses.pool_query(pool, images, jax.random.key(0))
    np.testing.assert_array_equal(out, images)
    assert new["images"].shape == (0, 2, 2, 3) and int(new["count"]) == 0
