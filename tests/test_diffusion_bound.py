"""The variational bound (bits/dim) of a diffusion, against its analytic value.

The model is the exact denoiser of Gaussian data N(μ, s²): x̂_0(x_t) = E[x_0 | x_t], linear in
x_t. Every middle term is then the closed form ½ c₁² E[(x_0 - x̂_0)²] / β̃_t, the prior term a
Gaussian KL, and the decoder term a one-dimensional expectation done by Gauss–Hermite
quadrature, all in float64 NumPy, independent of the code under test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genjax import diffusion as D

MU, S, BINS = 0.2, 0.3, 256


def gaussian_denoiser(abar: np.ndarray):
    """(a_t, b_t) with E[x_0 | x_t] = a_t x_t + b_t for x_0 ~ N(MU, S²)."""
    a = np.sqrt(abar) * S**2 / (abar * S**2 + 1.0 - abar)
    return a, MU * (1.0 - a * np.sqrt(abar))


def analytic_bound(d: D.Diffusion, x0: np.ndarray) -> dict[str, np.ndarray]:
    """Per-example prior, decoder and middle terms (nats) of the exact Gaussian denoiser."""
    f64 = lambda v: np.asarray(v, np.float64)
    abar, coef1, var = f64(d.alphas_cumprod), f64(d.posterior_mean_coef1), f64(d.posterior_variance)
    a, b = gaussian_denoiser(abar)
    x = x0[:, None]
    err2 = ((1.0 - a * np.sqrt(abar)) * x - b) ** 2 + a**2 * (1.0 - abar)  # E_ε[(x0 - x̂0)²]
    kl = (0.5 * coef1[1:] ** 2 * err2[:, 1:] / var[1:]).sum(-1)
    a_t = abar[-1]
    prior = 0.5 * (-np.log(1.0 - a_t) + (1.0 - a_t) + a_t * x0**2 - 1.0)
    # Decoder: x_1 = √ᾱ_0 x_0 + √(1-ᾱ_0) ε, mean x̂_0(x_1), std √β̃_1 (the clipped variance).
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    x1 = np.sqrt(abar[0]) * x + np.sqrt(1.0 - abar[0]) * nodes[None]
    mean, std, half = a[0] * x1 + b[0], np.sqrt(var[1]), 1.0 / (BINS - 1)
    upper = np.where(x >= 1.0 - half / 2, 1.0, stats.norm.cdf(x + half, mean, std))
    lower = np.where(x <= -1.0 + half / 2, 0.0, stats.norm.cdf(x - half, mean, std))
    decoder = -(np.log(np.maximum(upper - lower, 1e-300)) * weights).sum(-1)  # far nodes: ~0 weight
    return {"prior": prior, "decoder": decoder, "kl": kl}


@pytest.mark.parametrize("name,steps", [("linear", 1000), ("cosine", 200)])
def test_bound_of_the_exact_gaussian_denoiser_matches_its_analytic_value(name, steps):
    d = D.schedule(name, steps)
    rng = np.random.default_rng(0)
    raw = np.clip(np.round((MU + S * rng.normal(size=20_000) + 1.0) / 2.0 * (BINS - 1)), 0, 255)
    x0 = -1.0 + 2.0 * raw / (BINS - 1)
    a, b = (jnp.asarray(v, jnp.float32) for v in gaussian_denoiser(np.float64(d.alphas_cumprod)))

    def eps_fn(xt, t):
        x0_hat = a[t][:, None] * xt + b[t][:, None]
        return D.predict_eps_from_x0(d, xt, t, x0_hat)

    bound = jax.jit(lambda x, k: D.variational_bound(d, eps_fn, x, k, BINS))
    got = bound(jnp.asarray(x0[:, None], jnp.float32), jax.random.key(1))
    want = analytic_bound(d, x0)
    np.testing.assert_allclose(np.mean(got["prior"]), np.mean(want["prior"]), rtol=1e-3, atol=1e-7)
    np.testing.assert_allclose(np.mean(got["decoder"]), np.mean(want["decoder"]), rtol=0.01)
    np.testing.assert_allclose(np.mean(got["kl"]), np.mean(want["kl"]), rtol=0.01)
    total = sum(want.values())
    np.testing.assert_allclose(np.mean(got["total"]), np.mean(total), rtol=0.005)
    bits = np.mean(total) / np.log(2.0)  # one dimension per example
    np.testing.assert_allclose(np.mean(got["bits_per_dim"]), bits, rtol=0.005)
    # Above the empirical entropy on the 256 levels (7.27 bits), as any bound is; the gap
    # (0.8 bits) is the fixed reverse variance β̃_t, below the true reverse step's.
    p = np.bincount(raw.astype(int), minlength=BINS) / raw.size
    entropy = -np.sum(p[p > 0] * np.log2(p[p > 0]))
    assert entropy < bits < entropy + 1.0, (entropy, bits)
