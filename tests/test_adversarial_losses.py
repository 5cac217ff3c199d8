"""Adversarial losses and penalties, jitted, against NumPy and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from genjax import losses

RNG = np.random.default_rng(0)
REAL, FAKE = RNG.normal(size=7) * 3, RNG.normal(size=5) * 3  # unequal sizes on purpose


def _log_sigmoid(x):
    return np.log(special.expit(x))


DISCRIMINATOR = {
    "non_saturating": lambda r, f: -_log_sigmoid(r).mean() - np.log1p(-special.expit(f)).mean(),
    "hinge": lambda r, f: np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean(),
    "least_squares": lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean(),
    "wasserstein": lambda r, f: f.mean() - r.mean(),
}
GENERATOR = {
    "non_saturating": lambda f: -_log_sigmoid(f).mean(),
    "minimax": lambda f: np.log1p(-special.expit(f)).mean(),
    "hinge": lambda f: -f.mean(),
    "least_squares": lambda f: 0.5 * ((f - 1) ** 2).mean(),
    "wasserstein": lambda f: -f.mean(),
}


@pytest.mark.parametrize("name", sorted(losses.ADVERSARIAL_LOSSES))
def test_each_game_matches_numpy(name):
    game = losses.ADVERSARIAL_LOSSES[name]
    d_ref = DISCRIMINATOR["non_saturating" if name == "minimax" else name](REAL, FAKE)
    d_loss, metrics = jax.jit(game.discriminator)(REAL, FAKE)
    np.testing.assert_allclose(d_loss, d_ref, rtol=1e-5)
    np.testing.assert_allclose(metrics["d_real"], REAL.mean(), rtol=1e-5)
    np.testing.assert_allclose(metrics["d_fake"], FAKE.mean(), rtol=1e-5)
    g_loss, _ = jax.jit(game.generator)(FAKE)
    np.testing.assert_allclose(g_loss, GENERATOR[name](FAKE), rtol=1e-5)


def test_logit_losses_are_stable_for_extreme_logits():
    d_loss, _ = losses.non_saturating_discriminator(jnp.array([200.0]), jnp.array([-200.0]))
    g_loss, _ = losses.non_saturating_generator(jnp.array([200.0]))
    np.testing.assert_allclose([d_loss, g_loss], [0.0, 0.0], atol=1e-6)
    assert np.isfinite(losses.minimax_generator(jnp.array([-200.0, 200.0]))[0])


def test_optimal_discriminator_value_of_the_original_game():
    """At D = 1/2 everywhere (logit 0) the discriminator's loss is 2 log 2."""
    d_loss, _ = losses.non_saturating_discriminator(jnp.zeros(4), jnp.zeros(4))
    np.testing.assert_allclose(d_loss, 2 * np.log(2), rtol=1e-6)


def _linear(w):
    return lambda x: x.reshape(x.shape[0], -1) @ w


def test_gradient_penalty_of_unit_norm_linear_discriminator_is_zero():
    w = RNG.normal(size=12)
    w /= np.linalg.norm(w)
    real, fake = RNG.normal(size=(6, 2, 2, 3)), RNG.normal(size=(6, 2, 2, 3))
    gp = jax.jit(losses.gradient_penalty, static_argnums=0)(
        _linear(jnp.asarray(w)), real, fake, jax.random.key(0)
    )
    np.testing.assert_allclose(gp, 0.0, atol=1e-6)


def test_gradient_penalty_of_linear_discriminator_is_norm_minus_one_squared():
    w = jnp.asarray(RNG.normal(size=12))
    real, fake = RNG.normal(size=(6, 12)), RNG.normal(size=(6, 12))
    gp = losses.gradient_penalty(_linear(w), real, fake, jax.random.key(1))
    np.testing.assert_allclose(gp, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-5)
    # Double backprop: d/dw (||w|| - 1)² = 2 (||w|| - 1) w / ||w||.
    grad = jax.grad(lambda v: losses.gradient_penalty(_linear(v), real, fake, jax.random.key(1)))(w)
    n = np.linalg.norm(w)
    np.testing.assert_allclose(grad, 2 * (n - 1) * np.asarray(w) / n, rtol=1e-4)


def test_gradient_penalty_of_quadratic_discriminator_matches_numpy():
    """D(x) = Σ a x², so ∇D(x̂) = 2 a x̂ at the interpolates x̂ = εx + (1-ε)x̃."""
    a = RNG.uniform(0.1, 1.0, size=(3, 4))
    real, fake = RNG.normal(size=(5, 3, 4)), RNG.normal(size=(5, 3, 4))
    key = jax.random.key(2)
    apply_fn = lambda x: jnp.sum(jnp.asarray(a) * x**2, axis=(1, 2))
    got = losses.gradient_penalty(apply_fn, real, fake, key)
    eps = np.asarray(jax.random.uniform(key, (5, 1, 1), jnp.float32))
    mixed = eps * real + (1 - eps) * fake
    norms = np.linalg.norm((2 * a * mixed).reshape(5, -1), axis=-1)
    np.testing.assert_allclose(got, np.mean((norms - 1) ** 2), rtol=1e-5)


def test_r1_penalty_matches_closed_forms():
    w = jnp.asarray(RNG.normal(size=12))
    real = RNG.normal(size=(6, 12))
    np.testing.assert_allclose(losses.r1_penalty(_linear(w), real), np.sum(w**2), rtol=1e-5)
    a = RNG.uniform(0.1, 1.0, size=12)
    apply_fn = lambda x: jnp.sum(jnp.asarray(a) * x**2, axis=-1)
    expected = np.mean(np.sum((2 * a * real) ** 2, axis=-1))
    np.testing.assert_allclose(
        jax.jit(losses.r1_penalty, static_argnums=0)(apply_fn, real), expected, rtol=1e-5
    )


def test_one_pass_gives_the_scores_and_r1s_gradient_norms():
    """D(x) = Σ a x² per example: the scores and ||2 a x||² from one VJP; the penalties take
    them in place of a second pass and give the same R1."""
    a = RNG.uniform(0.1, 1.0, size=12)
    apply_fn = lambda x: jnp.sum(jnp.asarray(a) * x**2, axis=-1)
    real, fake = (RNG.normal(size=(6, 12)).astype(np.float32) for _ in range(2))
    scores, sq = losses.scores_and_input_grad_sq_norms(apply_fn, jnp.asarray(real))
    np.testing.assert_allclose(scores, np.sum(a * real**2, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(sq, np.sum((2 * a * real) ** 2, axis=-1), rtol=1e-5)
    key = jax.random.key(0)
    given, parts = losses.adversarial_penalties(apply_fn, real, fake, key, 10.0, 2.0, sq)
    computed, _ = losses.adversarial_penalties(apply_fn, real, fake, key, 10.0, 2.0)
    np.testing.assert_allclose(given, computed, rtol=1e-6)
    np.testing.assert_allclose(parts["r1"], np.mean(np.sum((2 * a * real) ** 2, -1)), rtol=1e-5)
