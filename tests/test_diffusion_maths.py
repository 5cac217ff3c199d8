"""Diffusion coefficients and processes against closed forms and Monte Carlo."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import diffusion as D

RNG = np.random.default_rng(0)


BETAS = {"linear": D.linear_betas(100), "cosine": D.cosine_betas(100)}


@pytest.fixture(scope="module", params=sorted(BETAS))
def d(request):
    return D.schedule(request.param, 100)


def test_linear_endpoints_and_cosine_alpha_bar():
    np.testing.assert_allclose(D.linear_betas(1000)[[0, -1]], [1e-4, 0.02])
    np.testing.assert_allclose(D.linear_betas(250)[[0, -1]], [4e-4, 0.08])  # same total noise
    betas = D.cosine_betas(1000)
    assert betas.max() <= 0.999 and np.all(betas > 0)
    abar = np.cumprod(1 - betas)
    t = np.arange(1, 1001) / 1000
    unclipped = betas < 0.999
    np.testing.assert_allclose(abar[unclipped], D.cosine_alpha_bar(t)[unclipped], rtol=1e-10)
    with pytest.raises(ValueError, match="unknown beta schedule 'quadratic'; valid: linear"):
        D.schedule("quadratic", 10)


def test_posterior_equals_bayes_rule_for_the_two_gaussians(d):
    """q(x_{t-1}|x_t,x_0) ∝ N(x_{t-1}; √ᾱ_{t-1}x_0, 1-ᾱ_{t-1}) · N(x_t; √α_t x_{t-1}, β_t)."""
    t = np.arange(1, d.num_steps)
    x0, xt = RNG.normal(size=(t.size, 3)), RNG.normal(size=(t.size, 3))
    betas = next(b for b in BETAS.values() if np.allclose(b, d.betas))
    abar = np.cumprod(1 - betas)
    prior_mean, prior_var = np.sqrt(abar[t - 1])[:, None] * x0, (1 - abar[t - 1])[:, None]
    alpha, beta = (1 - betas[t])[:, None], betas[t][:, None]
    var = 1.0 / (1.0 / prior_var + alpha / beta)
    mean = var * (prior_mean / prior_var + np.sqrt(alpha) * xt / beta)
    got_mean, got_var, got_log_var = jax.jit(D.q_posterior)(d, x0, xt, jnp.asarray(t))
    np.testing.assert_allclose(got_mean, mean, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(got_var, np.broadcast_to(var, got_var.shape), rtol=2e-4)
    np.testing.assert_allclose(got_log_var, np.log(np.broadcast_to(var, got_var.shape)), atol=2e-4)
    # t = 0: the posterior is x_0 itself; its clipped log-variance borrows t = 1's.
    m0, v0, lv0 = D.q_posterior(d, x0[:1], xt[:1], jnp.zeros(1, jnp.int32))
    np.testing.assert_allclose(m0, x0[:1], rtol=1e-5, atol=1e-6)
    assert float(v0.max()) == 0.0 and np.allclose(lv0, np.log(float(d.posterior_variance[1])))


def test_q_sample_matches_its_mean_and_variance_and_the_chain_of_one_step_kernels(d):
    n, x0 = 200_000, 0.7
    key = jax.random.key(0)
    for t in (0, 10, 50, 99):
        ts = jnp.full((n,), t)
        xt = D.q_sample(d, jnp.full((n, 1), x0), ts, jax.random.normal(key, (n, 1)))
        mean, var = D.q_mean_variance(d, jnp.full((1, 1), x0), jnp.array([t]))
        se = np.sqrt(float(var[0, 0]) / n)
        assert abs(float(xt.mean()) - float(mean[0, 0])) < 4 * se
        np.testing.assert_allclose(float(xt.var()), float(var[0, 0]), rtol=0.02)
    # x_{t} from t+1 one-step kernels N(√α x, β) has the marginal q(x_t | x_0).
    x = np.full(n, x0)
    for beta in np.asarray(d.betas[:51], np.float64):
        x = np.sqrt(1 - beta) * x + np.sqrt(beta) * RNG.normal(size=n)
    mean, var = D.q_mean_variance(d, jnp.full((1, 1), x0), jnp.array([50]))
    assert abs(x.mean() - float(mean[0, 0])) < 4 * np.sqrt(float(var[0, 0]) / n)
    np.testing.assert_allclose(x.var(), float(var[0, 0]), rtol=0.02)


def test_parameterisations_invert_each_other(d):
    x0, eps = RNG.normal(size=(6, 4, 4, 1)), RNG.normal(size=(6, 4, 4, 1))
    t = jnp.asarray(RNG.integers(0, 90, size=6))
    xt = D.q_sample(d, x0, t, eps)
    np.testing.assert_allclose(D.predict_x0_from_eps(d, xt, t, eps), x0, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(D.predict_eps_from_x0(d, xt, t, x0), eps, rtol=1e-3, atol=1e-3)
    v = D.v_target(d, x0, t, eps)
    np.testing.assert_allclose(D.predict_x0_from_v(d, xt, t, v), x0, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sde", [D.VPSDE(), D.VESDE()], ids=["vp", "ve"])
def test_marginals_solve_the_moment_equations(sde):
    """dm/dt = -½β m (VP) or 0 (VE); d s²/dt = -β s² + β (VP) or g² (VE)."""
    t = jnp.linspace(0.05, 0.95, 10)
    h = 1e-3
    m = lambda u: np.asarray(sde.marginal(u)[0], np.float64)
    s2 = lambda u: np.asarray(sde.marginal(u)[1], np.float64) ** 2
    dm, ds2 = (m(t + h) - m(t - h)) / (2 * h), (s2(t + h) - s2(t - h)) / (2 * h)
    g2 = np.asarray(sde.diffusion(t), np.float64) ** 2
    if isinstance(sde, D.VPSDE):
        beta = np.asarray(sde.beta(t))
        np.testing.assert_allclose(dm, -0.5 * beta * m(t), rtol=1e-2)
        np.testing.assert_allclose(ds2, -beta * s2(t) + g2, rtol=1e-2, atol=1e-3)
    else:
        np.testing.assert_allclose(dm, 0.0, atol=1e-6)
        np.testing.assert_allclose(ds2, g2, rtol=1e-2)


def test_euler_maruyama_forward_matches_the_vp_marginal():
    sde, n, steps, x0 = D.VPSDE(), 20_000, 1000, 1.5
    dt = 1.0 / steps
    x = np.full(n, x0)
    for i in range(steps // 2):  # to t = 0.5
        t = jnp.asarray(i * dt)
        x = x + float(sde.drift(jnp.ones(()), t)) * x * dt
        x = x + float(sde.diffusion(t)) * np.sqrt(dt) * RNG.normal(size=n)
    mean, std = sde.marginal(jnp.asarray(0.5))
    assert abs(x.mean() - float(mean) * x0) < 4 * float(std) / np.sqrt(n) + 5e-3
    np.testing.assert_allclose(x.std(), float(std), rtol=0.03)


@pytest.mark.parametrize("probability_flow", [False, True], ids=["sde", "ode"])
@pytest.mark.parametrize("sde", [D.VPSDE(), D.VESDE(sigma_max=5.0)], ids=["vp", "ve"])
def test_reverse_process_with_the_exact_score_recovers_gaussian_data(sde, probability_flow):
    """Data N(μ, σ0²): p_t = N(m μ, m²σ0² + s²) and its score are closed form; integrating the
    reverse SDE / ODE from samples of p_1 down to t≈0 gives back the data's mean and std."""
    mu, sigma0, n, steps = 0.8, 0.3, 20_000, 1000

    def score(x, t):
        m, s = sde.marginal(t)
        m, s = m.reshape(-1, 1), s.reshape(-1, 1)
        return -(x - m * mu) / (m**2 * sigma0**2 + s**2)

    m1, s1 = sde.marginal(jnp.ones(()))
    key = jax.random.key(1)
    x = m1 * mu + jnp.sqrt(m1**2 * sigma0**2 + s1**2) * jax.random.normal(key, (n, 1))
    ts = jnp.linspace(1.0, 1e-3, steps + 1)

    def step(x, inputs):
        t, t_next, k = inputs
        dt = t_next - t  # negative
        tb = jnp.full((n,), t)
        x = x + D.reverse_drift(sde, score, x, tb, probability_flow) * dt
        if not probability_flow:
            x = x + sde.diffusion(t) * jnp.sqrt(-dt) * jax.random.normal(k, x.shape)
        return x, None

    keys = jax.random.split(jax.random.key(2), steps)
    x, _ = jax.jit(lambda x: jax.lax.scan(step, x, (ts[:-1], ts[1:], keys)))(x)
    m0, s0 = sde.marginal(jnp.asarray(1e-3))
    np.testing.assert_allclose(float(x.mean()), float(m0) * mu, atol=0.02)
    target_std = float(jnp.sqrt(m0**2 * sigma0**2 + s0**2))
    np.testing.assert_allclose(float(x.std()), target_std, rtol=0.05)
