"""Estimators against exact answers on a linear-Gaussian latent-variable model, where
log p(x) is closed form; latent-space utilities against their definitions."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genjax import losses
from genjax.inference import latent
from genjax.inference.importance import importance_log_likelihood

DZ, DX, SIGMA = 2, 3, 0.5


@pytest.fixture(scope="module")
def model():
    """p(z) = N(0, I), p(x|z) = N(Wz + b, sigma^2 I): p(x) = N(b, W W^T + sigma^2 I)."""
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(DX, DZ)), rng.normal(size=DX)
    x = rng.multivariate_normal(b, w @ w.T + SIGMA**2 * np.eye(DX), size=4)
    exact = stats.multivariate_normal(b, w @ w.T + SIGMA**2 * np.eye(DX)).logpdf(x)
    # Exact posterior, then deliberately detuned so importance sampling has work to do.
    prec = np.eye(DZ) + w.T @ w / SIGMA**2
    cov = np.linalg.inv(prec)
    post_mean = (cov @ w.T @ (x - b).T / SIGMA**2).T
    q_mean = post_mean + 0.3
    q_logvar = np.log(np.diag(cov) * 1.5)[None].repeat(len(x), 0)
    return dict(
        w=w, b=b, x=x, exact=exact, q_mean=q_mean, q_logvar=q_logvar, cov=cov, post_mean=post_mean
    )


def log_weight_fn(m, q_mean, q_logvar):
    w, b, x = (jnp.asarray(m[k], jnp.float32) for k in ("w", "b", "x"))
    q_mean, q_logvar = jnp.asarray(q_mean, jnp.float32), jnp.asarray(q_logvar, jnp.float32)

    def fn(key, n):
        z = q_mean + jnp.exp(0.5 * q_logvar) * jax.random.normal(key, (n, *q_mean.shape))
        log_px_z = losses.gaussian_log_prob(x, z @ w.T + b, jnp.log(SIGMA), batch_ndim=2)
        log_pz = losses.standard_normal_log_prob(z, batch_ndim=2)
        log_q = losses.gaussian_log_prob_logvar(z, q_mean, q_logvar, batch_ndim=2)
        return log_px_z + log_pz - log_q

    return fn


def exact_elbo(m):
    """Closed-form ELBO of the diagonal q: E_q log p(x|z) - KL(q || p)."""
    w, b, x = m["w"], m["b"], m["x"]
    mu, var = m["q_mean"], np.exp(m["q_logvar"])
    resid = x - mu @ w.T - b
    trace = np.einsum("ij,bj,ij->b", w, var, w)
    e_log_lik = -0.5 * DX * np.log(2 * np.pi * SIGMA**2) - ((resid**2).sum(-1) + trace) / (
        2 * SIGMA**2
    )
    kl = 0.5 * np.sum(var + mu**2 - 1 - np.log(var), axis=-1)
    return e_log_lik - kl


def test_importance_sampled_log_likelihood_matches_closed_form(model):
    fn = log_weight_fn(model, model["q_mean"], model["q_logvar"])
    est = jax.jit(importance_log_likelihood, static_argnums=(0, 2, 3))(
        fn, jax.random.key(0), 5000, 500
    )
    np.testing.assert_allclose(est, model["exact"], atol=0.05)


def test_exact_posterior_gives_exact_answer_with_one_sample(model):
    """With q = p(z|x) every weight equals p(x): zero variance, so K=1 is exact."""
    q_logvar = np.log(np.diag(model["cov"]))[None].repeat(4, 0)
    # The posterior covariance is not diagonal in general; rotate W so that it is.
    u, s, vt = np.linalg.svd(model["w"], full_matrices=False)
    rotated = dict(model, w=u * s)  # W V = U S: same p(x), diagonal posterior covariance
    prec = np.eye(DZ) + np.diag(s**2) / SIGMA**2
    cov = np.linalg.inv(prec)
    mean = (cov @ (u * s).T @ (model["x"] - model["b"]).T / SIGMA**2).T
    q_logvar = np.log(np.diag(cov))[None].repeat(4, 0)
    fn = log_weight_fn(rotated, mean, q_logvar)
    est = importance_log_likelihood(fn, jax.random.key(3), 10, 10)
    np.testing.assert_allclose(est, model["exact"], atol=1e-4)


def test_iwae_bound_rises_with_k_toward_log_px_and_elbo_is_below(model):
    fn = log_weight_fn(model, model["q_mean"], model["q_logvar"])
    elbo = exact_elbo(model)
    assert np.all(elbo <= model["exact"])

    @functools.partial(jax.jit, static_argnums=0)
    def mean_bound(k, key):
        keys = jax.random.split(key, 4000)
        return jnp.mean(jax.vmap(lambda kk: losses.iwae_bound(fn(kk, k)))(keys), axis=0)

    bounds = [np.asarray(mean_bound(k, jax.random.key(k))) for k in (1, 4, 32, 256)]
    np.testing.assert_allclose(bounds[0], elbo, atol=0.1)  # k=1 is the ELBO (SE 0.03)
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        assert np.all(hi > lo), (lo, hi)
    assert np.all(bounds[-1] <= model["exact"] + 0.01)
    assert np.all(model["exact"] - bounds[-1] < 0.1 * (model["exact"] - elbo))


def test_importance_sampling_rejects_uneven_chunks():
    with pytest.raises(ValueError, match="multiple of chunk_size"):
        importance_log_likelihood(lambda k, n: jnp.zeros((n, 1)), jax.random.key(0), 10, 3)


def test_lerp_and_slerp_endpoints_and_norms():
    z0, z1 = jnp.array([1.0, 0.0, 0.0]), jnp.array([0.0, 2.0, 0.0])
    path = jax.jit(latent.lerp, static_argnums=2)(z0, z1, 5)
    np.testing.assert_allclose(path[np.array([0, -1])], np.stack([z0, z1]), atol=1e-6)
    np.testing.assert_allclose(path[2], [0.5, 1.0, 0.0], atol=1e-6)
    u0, u1 = jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0])
    arc = jax.jit(latent.slerp, static_argnums=2)(u0, u1, 7)
    np.testing.assert_allclose(arc[np.array([0, -1])], np.stack([u0, u1]), atol=1e-6)
    np.testing.assert_allclose(jnp.linalg.norm(arc, axis=-1), 1.0, atol=1e-6)  # stays on circle
    angles = np.arctan2(arc[:, 1], arc[:, 0])
    np.testing.assert_allclose(np.diff(angles), np.pi / 2 / 6, atol=1e-5)  # constant speed
    np.testing.assert_allclose(latent.slerp(u0, 3 * u0, 3), latent.lerp(u0, 3 * u0, 3), atol=1e-6)


def test_traversal_varies_one_dimension_and_holds_the_rest():
    z = jnp.arange(4.0)
    values = jnp.array([-1.0, 0.5, 2.0])
    grid = latent.traversal(z, [1, 3], values)
    assert grid.shape == (2, 3, 4)
    np.testing.assert_allclose(grid[0, :, 1], values)
    np.testing.assert_allclose(grid[1, :, 3], values)
    np.testing.assert_allclose(grid[0][:, np.array([0, 2, 3])], np.tile([0.0, 2.0, 3.0], (3, 1)))
    np.testing.assert_allclose(grid[1][:, np.array([0, 1, 2])], np.tile([0.0, 1.0, 2.0], (3, 1)))


def test_perturbation_sensitivity_finds_the_dimensions_that_matter():
    weights = jnp.array([2.0, 0.0, 0.5])
    decode = lambda z: z * weights  # dimension 1 is inactive
    z = jax.random.normal(jax.random.key(0), (16, 3))
    sens = latent.perturbation_sensitivity(decode, z, delta=1.0)
    np.testing.assert_allclose(sens, weights**2 / 3, rtol=1e-6)


def test_decoded_grids_have_one_row_per_path_and_decode_the_endpoints():
    rng = np.random.default_rng(3)
    starts, ends = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    decode = lambda z: jnp.broadcast_to(z[:, None, None, :], (z.shape[0], 2, 2, 5))
    grids = latent.interpolation_grids(decode, starts, ends, 7)
    for name in ("interpolation_lerp", "interpolation_slerp"):
        g = np.asarray(grids[name])
        assert g.shape == (3, 7, 2, 2, 5)
        np.testing.assert_allclose(g[:, 0, 0, 0], starts, rtol=1e-5)
        np.testing.assert_allclose(g[:, -1, 0, 0], ends, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        grids["interpolation_lerp"][:, 3, 0, 0], (starts + ends) / 2, rtol=1e-5
    )
    trav = np.asarray(latent.traversal_grid(decode, starts[0], [1, 4], jnp.linspace(-1.0, 1.0, 3)))
    assert trav.shape == (2, 3, 2, 2, 5)
    np.testing.assert_allclose(trav[1, :, 0, 0, 4], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(trav[1, :, 0, 0, 0], starts[0, 0])
