"""Every sampler, driven by the exact score of Gaussian data, draws that Gaussian."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import diffusion as D
from genjax.diffusion import samplers

MU = np.array([0.5, -0.3])
SIGMA = np.array([[0.3, 0.1], [0.1, 0.2]])
N = 10_000


def _precision(mean_coef, var_coef):
    """(m² Σ + s² I)^-1 for per-example m², s² of shape [B]."""
    cov = mean_coef[:, None, None] * SIGMA + var_coef[:, None, None] * jnp.eye(2)
    return jnp.linalg.inv(cov)


def exact_eps(d, x, t):
    """E[ε | x_t] = √(1-ᾱ) (ᾱΣ + (1-ᾱ)I)^-1 (x_t - √ᾱ μ) for data N(μ, Σ)."""
    abar = d.alphas_cumprod[t]
    centred = x - jnp.sqrt(abar)[:, None] * MU
    return jnp.sqrt(1 - abar)[:, None] * jnp.einsum(
        "bij,bj->bi", _precision(abar, 1 - abar), centred
    )


def exact_score(sde, x, t):
    m, s = sde.marginal(t)
    return -jnp.einsum("bij,bj->bi", _precision(m**2, s**2), x - m[:, None] * MU)


def _check(x, mean_tol=0.03, cov_rtol=0.08):
    x = np.asarray(x, np.float64)
    assert np.all(np.isfinite(x))
    np.testing.assert_allclose(x.mean(0), MU, atol=mean_tol)
    np.testing.assert_allclose(np.cov(x.T), SIGMA, rtol=cov_rtol, atol=0.015)


@pytest.fixture(scope="module")
def d():
    return D.schedule("linear", 1000)


def test_ddpm_ancestral(d):
    fn = jax.jit(
        lambda k: samplers.ddpm_sample(d, functools.partial(exact_eps, d), k, (N, 2), None)
    )
    _check(fn(jax.random.key(0)))


def test_ddim_50_deterministic_steps(d):
    sample = functools.partial(samplers.ddim_sample, num_steps=50, eta=0.0, clip=None)
    fn = jax.jit(lambda k: sample(d, functools.partial(exact_eps, d), k, (N, 2)))
    _check(fn(jax.random.key(1)))


def test_ddim_with_eta_one_over_every_step_is_ddpm(d):
    """σ_t² = β̃_t and √ᾱ_{t-1}x̂_0 + √(1-ᾱ_{t-1}-β̃_t) ε̂ is the posterior mean: the same chain.
    (With η = 1 and large strides DDIM under-disperses: x̂_0 is a point estimate.)"""
    small = D.schedule("linear", 100)
    eps_fn = functools.partial(exact_eps, small)
    key = jax.random.key(2)
    ddim = samplers.ddim_sample(small, eps_fn, key, (64, 2), num_steps=100, eta=1.0, clip=None)
    ddpm = samplers.ddpm_sample(small, eps_fn, key, (64, 2), clip=None)
    np.testing.assert_allclose(ddim, ddpm, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(samplers.ddim_timesteps(1000, 4), [999, 666, 333, 0])
    with pytest.raises(ValueError, match=r"DDIM steps must be in \[1, 1000\]; got 0"):
        samplers.ddim_timesteps(1000, 0)


def test_euler_maruyama_on_the_reverse_vp_sde():
    sde = D.VPSDE()
    fn = jax.jit(
        lambda k: samplers.euler_maruyama_sample(
            sde, functools.partial(exact_score, sde), k, (N, 2), num_steps=1000
        )
    )
    _check(fn(jax.random.key(3)))


@pytest.mark.parametrize("sde", [D.VPSDE(), D.VESDE(sigma_max=10.0)], ids=["vp", "ve"])
def test_heun_on_the_probability_flow_ode(sde):
    fn = jax.jit(
        lambda k: samplers.heun_sample(sde, functools.partial(exact_score, sde), k, (N, 2), 100)
    )
    _check(fn(jax.random.key(4)))


def test_guidance_scale_zero_is_the_unconditional_model_and_one_the_conditional(d):
    shift = jnp.array([0.4, 0.4])
    uncond = functools.partial(exact_eps, d)
    cond = lambda x, t: uncond(x - jnp.sqrt(d.alphas_cumprod[t])[:, None] * shift, t)

    def run(eps_fn):
        return samplers.ddim_sample(d, eps_fn, jax.random.key(5), (256, 2), num_steps=20, clip=None)

    for scale, expected in ((0.0, uncond), (1.0, cond)):
        guided = lambda x, t, s=scale: samplers.classifier_free_guidance(
            uncond(x, t), cond(x, t), s
        )
        np.testing.assert_allclose(run(guided), run(expected), rtol=1e-5, atol=1e-5)
    # The conditional model here is the data shifted by `shift`: its samples' mean moves by it.
    np.testing.assert_allclose(np.mean(run(cond), 0) - np.mean(run(uncond), 0), shift, atol=5e-3)


def test_samplers_clip_to_the_data_range_by_default():
    """A wild model (ε̂ = 30 everywhere) leaves [-1, 1] by far unclipped; by default x̂_0 is
    clipped and DDIM's last step returns it."""
    d = D.schedule("linear", 100)
    wild = lambda x, t: jnp.full_like(x, 30.0)
    key = jax.random.key(7)
    clipped = samplers.ddim_sample(d, wild, key, (8, 2), num_steps=10)
    assert float(jnp.abs(clipped).max()) <= 1.0
    assert float(jnp.abs(samplers.ddim_sample(d, wild, key, (8, 2), 10, clip=None)).max()) > 10
    ancestral = samplers.ddpm_sample(d, wild, key, (8, 2))
    assert float(jnp.abs(ancestral).max()) <= 1.0 + 1e-6
