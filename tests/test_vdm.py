"""The variational diffusion model's pieces: the continuous-time loss against its closed form on
Gaussian data with the exact denoiser, the discrete bound tending to it, the prior and the
reconstruction against NumPy, the variance-minimising gradient, the monotone schedule, and the
reverse steps' marginals."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.diffusion import vdm as P
from genjax.losses import vdm as L
from genjax.models.vdm import MonotoneDense, NoiseSchedule

S2 = 0.25  # the data's variance: x ~ N(0, S2) in every dimension


def exact_eps(z: jax.Array, gamma: jax.Array) -> jax.Array:
    """E[ε | z_t] for x ~ N(0, S2): σ z / (α² S2 + σ²)."""
    alpha, sigma = P.alpha_sigma(gamma)
    a, s = alpha[:, None], sigma[:, None]
    return s * z / (a**2 * S2 + s**2)


def closed_form(g0: float, g1: float, dims: int) -> float:
    """½ ∫ γ' E||ε - ε̂*||² dt = ½ D [log(1 + S2 e^{-γ_0}) - log(1 + S2 e^{-γ_1})]."""
    return 0.5 * dims * (math.log1p(S2 * math.exp(-g0)) - math.log1p(S2 * math.exp(-g1)))


def _random_schedule(seed: int, kind: str = "learned", positive: str = "abs"):
    """A learned schedule with every parameter redrawn (raw weights of both signs)."""
    sched = NoiseSchedule(kind, -6.0, 4.0, features=8, positive=positive)
    params = sched.init(jax.random.key(seed), jnp.zeros(2))
    leaves, tree = jax.tree.flatten(params)
    keys = jax.random.split(jax.random.key(seed + 100), len(leaves))
    noisy = [p + 2.0 * jax.random.normal(k, p.shape) for p, k in zip(leaves, keys, strict=True)]
    return sched, jax.tree.unflatten(tree, noisy)


@pytest.mark.parametrize("kind", ["fixed", "learned"])
def test_continuous_loss_matches_its_closed_form_with_the_exact_denoiser(kind):
    """E_t,x,ε[L_∞] depends only on the endpoints, whatever the schedule's shape: a linear γ
    and a random learned one both give the closed form, within 4 standard errors (n = 200,000
    draws of (t, x, ε), 4 dimensions)."""
    n, dims = 200_000, 4
    sched, params = _random_schedule(0, kind)
    g0, g1 = (float(g) for g in sched.apply(params, method=NoiseSchedule.endpoints))
    k_t, k_x, k_e = jax.random.split(jax.random.key(1), 3)

    @jax.jit
    def losses(t, x, eps):
        gamma, dgamma = jax.jvp(lambda u: sched.apply(params, u), (t,), (jnp.ones_like(t),))
        z = P.z_sample(x, gamma, eps)
        return L.continuous_diffusion_loss(exact_eps(z, gamma), eps, dgamma)

    t = L.antithetic_times(k_t, n)
    x = math.sqrt(S2) * jax.random.normal(k_x, (n, dims))
    values = np.asarray(losses(t, x, jax.random.normal(k_e, (n, dims))), np.float64)
    want = closed_form(g0, g1, dims)
    se = values.std() / math.sqrt(n)
    assert se < 0.01 * want
    assert abs(values.mean() - want) < 4 * se, (values.mean(), want, se)


def test_discrete_bound_tends_to_the_continuous_one_from_above():
    """The T-step loss with the exact denoiser, averaged over its T steps (E||ε - ε̂*||² is
    D α² S2 / (α² S2 + σ²) at each), decreases in T towards the closed form of L_∞."""
    sched, params = _random_schedule(3)
    g0, g1 = (float(g) for g in sched.apply(params, method=NoiseSchedule.endpoints))
    dims, want = 4, closed_form(g0, g1, 4)
    gaps = []

    @functools.partial(jax.jit, static_argnums=0)
    def mean_loss(steps):
        t = jnp.arange(1, steps + 1) / steps
        g_t, g_s = sched.apply(params, t), sched.apply(params, t - 1.0 / steps)
        snr = S2 * jnp.exp(-g_t)
        error = jnp.sqrt(snr / (1.0 + snr))[:, None] * jnp.ones((steps, dims))  # ε - ε̂* (rms)
        return jnp.mean(L.discrete_diffusion_loss(error, 0.0, g_t, g_s, steps))

    for steps in (10, 100, 1000, 10_000):
        gaps.append(float(mean_loss(steps)) - want)
    assert all(g > 0 for g in gaps), gaps
    assert gaps == sorted(gaps, reverse=True), gaps
    assert gaps[-1] < 1e-3 * want and gaps[0] > 10 * gaps[-1], gaps


def test_prior_and_reconstruction_against_numpy():
    rng = np.random.default_rng(0)
    values = np.linspace(-1.0, 1.0, 17)
    x = values[rng.integers(0, 17, size=(3, 4, 4, 1))]
    z = x + 0.1 * rng.normal(size=x.shape)
    for g0, g1 in ((-5.0, 3.0), (-2.0, 6.0)):
        var1 = 1.0 / (1.0 + np.exp(-g1))
        kl = 0.5 * ((1 - var1) * x**2 + var1 - np.log(var1) - 1.0)
        np.testing.assert_allclose(
            L.prior_loss(jnp.asarray(x), jnp.asarray(g1)), kl.sum(axis=(1, 2, 3)), rtol=1e-5
        )
        logits = -0.5 * np.exp(-g0) * (z[..., None] - values) ** 2
        logp = (
            logits
            - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1))[..., None]
            - logits.max(-1, keepdims=True)
        )
        picked = np.take_along_axis(logp, np.abs(x[..., None] - values).argmin(-1)[..., None], -1)
        got = L.reconstruction_loss(jnp.asarray(x), jnp.asarray(z), jnp.asarray(g0), values)
        np.testing.assert_allclose(got, -picked.sum(axis=(1, 2, 3, 4)), rtol=1e-4)


def test_variance_minimising_gradient_is_that_of_the_square_for_the_shape_only():
    """inputs get ∇ mean(L); the shape gets ∇ mean(L²) (= 2 L ∇L per example)."""

    def per_example(inputs, shape):
        w, x = inputs
        return jnp.sum((x @ w) ** 2, axis=-1) * jnp.exp(shape[:, 0]) + shape[:, 1] ** 2

    rng = np.random.default_rng(1)
    inputs = (jnp.asarray(rng.normal(size=(3, 2))), jnp.asarray(rng.normal(size=(5, 3))))
    shape = jnp.asarray(rng.normal(size=(5, 2)))
    wrapped = L.variance_minimising(per_example)
    np.testing.assert_allclose(wrapped(inputs, shape), per_example(inputs, shape), rtol=1e-6)
    got_in, got_shape = jax.grad(lambda i, s: jnp.mean(wrapped(i, s)), (0, 1))(inputs, shape)
    want_in = jax.grad(lambda i: jnp.mean(per_example(i, shape)))(inputs)
    want_shape = jax.grad(lambda s: jnp.mean(per_example(inputs, s) ** 2))(shape)
    chex_close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    jax.tree.map(chex_close, got_in, want_in)
    chex_close(got_shape, want_shape)


@pytest.mark.parametrize("positive", ["abs", "softplus"])
def test_learned_schedule_is_monotone_on_random_parameters(positive):
    t = jnp.linspace(0.0, 1.0, 2001)
    for seed in range(5):
        sched, params = _random_schedule(seed, positive=positive)
        gamma = np.asarray(sched.apply(params, t), np.float64)
        g0, g1 = (float(g) for g in sched.apply(params, method=NoiseSchedule.endpoints))
        assert np.all(np.diff(gamma) >= -1e-5 * (g1 - g0)), (seed, np.diff(gamma).min())
        np.testing.assert_allclose(gamma[[0, -1]], [g0, g1], rtol=1e-5, atol=1e-5)
        assert g1 > g0


def test_schedule_errors_are_one_line():
    x = jnp.zeros((2, 1))
    with pytest.raises(ValueError, match="would not keep the schedule monotone") as err:
        MonotoneDense(3, positive="identity").init(jax.random.key(0), x)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="need gamma_min < gamma_max"):
        NoiseSchedule("learned", 5.0, -13.3).init(jax.random.key(0), jnp.zeros(2))
    with pytest.raises(ValueError, match="valid: fixed, scalar, learned"):
        NoiseSchedule("cosine").init(jax.random.key(0), jnp.zeros(2))


def test_antithetic_times_cover_the_interval_evenly():
    t = np.sort(np.asarray(L.antithetic_times(jax.random.key(0), 8)))
    assert 0.0 <= t[0] < 1.0 / 8 and t[-1] < 1.0
    np.testing.assert_allclose(np.diff(t), 1.0 / 8, rtol=1e-5)


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
def test_reverse_steps_with_the_exact_denoiser_keep_the_marginals(sampler):
    """Gaussian data, exact ε̂: 200 reverse steps from z_1 ~ N(0, 1) end at z_0 with the
    variance of q(z_0) = α_0² S2 + σ_0² (n = 20,000; DDIM is deterministic but its map keeps
    the marginal too)."""
    sched = NoiseSchedule("fixed", -6.0, 6.0)
    gamma_fn = lambda t: sched.apply({}, t)
    z0 = P.sample(exact_eps, gamma_fn, jax.random.key(0), (20_000, 1), 200, sampler)
    a0, s0 = P.alpha_sigma(jnp.asarray(-6.0))
    want = float(a0**2 * S2 + s0**2)
    np.testing.assert_allclose(float(jnp.var(z0)), want, rtol=0.04)
    assert abs(float(jnp.mean(z0))) < 0.02


def test_decode_picks_the_nearest_level():
    values = jnp.linspace(-1.0, 1.0, 17)
    g0 = jnp.asarray(-8.0)
    alpha, _ = P.alpha_sigma(g0)
    x = values[jnp.asarray([0, 3, 8, 16])]
    got = P.decode(alpha * (x + 0.05), g0, values)  # within half a level (1/16)
    np.testing.assert_allclose(got, x)
