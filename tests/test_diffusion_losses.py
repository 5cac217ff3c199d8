"""Diffusion losses, jitted, against NumPy, SciPy and closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from genjax import diffusion as D
from genjax import losses

RNG = np.random.default_rng(0)


def test_denoising_regressions_match_numpy():
    pred, target = RNG.normal(size=(4, 3, 3, 1)), RNG.normal(size=(4, 3, 3, 1))
    w = RNG.uniform(size=4)
    per_example = ((pred - target) ** 2).reshape(4, -1).mean(-1)
    loss, m = jax.jit(losses.eps_prediction_loss)(pred, target, w)
    np.testing.assert_allclose(loss, np.mean(w * per_example), rtol=1e-5)
    np.testing.assert_allclose(m["mse"], per_example.mean(), rtol=1e-5)
    np.testing.assert_allclose(
        losses.x0_prediction_loss(pred, target)[0], per_example.mean(), rtol=1e-5
    )
    np.testing.assert_allclose(
        losses.x0_prediction_loss(pred, target, w)[0], np.mean(w * per_example), rtol=1e-5
    )
    abar = RNG.uniform(0.05, 0.95, size=4)
    v = np.sqrt(abar)[:, None, None, None] * target - np.sqrt(1 - abar)[:, None, None, None] * pred
    got, _ = jax.jit(losses.v_prediction_loss)(v + 0.1, pred, target, abar)
    np.testing.assert_allclose(got, 0.01, rtol=1e-4)
    got, _ = jax.jit(losses.v_prediction_loss)(
        v + 0.1 * w[:, None, None, None], pred, target, abar, w
    )
    np.testing.assert_allclose(got, np.mean(w * 0.01 * w**2), rtol=1e-4)
    # The v target is the schedule's.
    d = D.schedule("cosine", 50)
    t = jnp.asarray([3, 10, 20, 40])
    target_v = D.v_target(d, pred, t, target)
    zero, _ = losses.v_prediction_loss(target_v, pred, target, d.alphas_cumprod[t])
    np.testing.assert_allclose(zero, 0.0, atol=1e-10)


def test_gaussian_kl_matches_closed_form_and_monte_carlo():
    m1, m2 = RNG.normal(size=5), RNG.normal(size=5)
    lv1, lv2 = RNG.normal(size=5) * 0.5, RNG.normal(size=5) * 0.5
    s1, s2 = np.exp(0.5 * lv1), np.exp(0.5 * lv2)
    expected = np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    col = lambda a: a[:, None]  # five one-dimensional Gaussians: one KL each
    kl = jax.jit(losses.kl_diag_gaussians)(col(m1), col(lv1), col(m2), col(lv2))
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    x = m1 + s1 * RNG.normal(size=(400_000, 5))
    mc = (stats.norm(m1, s1).logpdf(x) - stats.norm(m2, s2).logpdf(x)).mean(0)
    np.testing.assert_allclose(mc, expected, atol=0.02)


def test_discretized_gaussian_sums_to_one_over_the_256_levels_and_matches_scipy():
    levels = -1.0 + 2.0 * np.arange(256) / 255.0
    for mean, log_scale in ((0.0, -2.0), (0.93, -4.0), (-1.2, 0.5)):
        logp = losses.discretized_gaussian_log_likelihood(levels, mean, log_scale)
        np.testing.assert_allclose(np.exp(np.asarray(logp, np.float64)).sum(), 1.0, rtol=1e-4)
    mean, log_scale = 0.1, -3.0
    dist = stats.norm(mean, np.exp(log_scale))
    inner = levels[1:-1]
    with np.errstate(divide="ignore"):
        expected = np.log(dist.cdf(inner + 1 / 255) - dist.cdf(inner - 1 / 255))
    got = jax.jit(losses.discretized_gaussian_log_likelihood)(inner, mean, log_scale)
    keep = expected > -8  # float32 CDF differences lose precision far in the tails
    np.testing.assert_allclose(np.asarray(got)[keep], expected[keep], rtol=1e-3, atol=1e-4)
    wide = stats.norm(mean, np.exp(-0.5))  # the edge bins reach to ±∞
    edges = losses.discretized_gaussian_log_likelihood(np.array([-1.0, 1.0]), mean, -0.5)
    np.testing.assert_allclose(
        edges, [wide.logcdf(-1 + 1 / 255), wide.logsf(1 - 1 / 255)], rtol=1e-4
    )


def test_dsm_with_the_exact_score_of_gaussian_data_equals_its_closed_form():
    """Data N(μ, σ0²), x_t = m x0 + s ε: E||s·∇log p_t(x_t) + ε||² = m²σ0² / (m²σ0² + s²)."""
    mu, sigma0, n = 0.5, 0.4, 200_000
    sde = D.VPSDE()
    t = jnp.full((n,), 0.3)
    m, s = (float(a[0]) for a in sde.marginal(t))
    x0 = mu + sigma0 * RNG.normal(size=(n, 1))
    eps = RNG.normal(size=(n, 1))
    xt = m * x0 + s * eps
    var = m**2 * sigma0**2 + s**2
    score = -(xt - m * mu) / var
    loss, _ = losses.denoising_score_matching_loss(score, eps, np.full(n, s))
    np.testing.assert_allclose(float(loss), m**2 * sigma0**2 / var, rtol=0.02)
    worse, _ = losses.denoising_score_matching_loss(score * 1.2, eps, np.full(n, s))
    assert float(worse) > float(loss)


def test_denoising_score_matching_reduces_as_the_other_regressions():
    score, eps = RNG.normal(size=(4, 3, 3, 2)), RNG.normal(size=(4, 3, 3, 2))
    std, w = RNG.uniform(0.1, 1.0, size=4), RNG.uniform(size=4)
    per_example = ((std[:, None, None, None] * score + eps) ** 2).reshape(4, -1).mean(-1)
    loss, m = jax.jit(losses.denoising_score_matching_loss)(score, eps, std, w)
    np.testing.assert_allclose(loss, np.mean(w * per_example), rtol=1e-5)
    np.testing.assert_allclose(m["mse"], per_example.mean(), rtol=1e-5)


def test_bits_per_dim():
    np.testing.assert_allclose(losses.nats_per_dim_to_bits(64 * np.log(2.0) * 3, 64), 3.0)
