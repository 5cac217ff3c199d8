"""Each loss, jitted, against a NumPy / SciPy / closed-form reference."""

import jax
import numpy as np
import pytest
from scipy import special, stats

from genjax import losses

RNG = np.random.default_rng(0)


def test_bernoulli_log_prob_matches_numpy():
    logits = RNG.normal(size=(4, 3, 3, 1)) * 5
    x = RNG.integers(0, 2, size=logits.shape).astype(np.float64)
    p = special.expit(logits)
    expected = np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=(1, 2, 3))
    got = jax.jit(losses.bernoulli_log_prob)(x, logits)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bernoulli_log_prob_is_stable_for_extreme_logits():
    got = losses.bernoulli_log_prob(np.array([[1.0, 0.0]]), np.array([[200.0, -200.0]]))
    np.testing.assert_allclose(got, [0.0], atol=1e-6)


def test_gaussian_log_prob_matches_scipy():
    mean, x = RNG.normal(size=(5, 6)), RNG.normal(size=(5, 6))
    log_scale = RNG.normal(size=(6,)) * 0.3
    expected = stats.norm(mean, np.exp(log_scale)).logpdf(x).sum(-1)
    got = jax.jit(losses.gaussian_log_prob)(x, mean, log_scale)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_batch_ndim_keeps_leading_axes():
    z = RNG.normal(size=(7, 5, 3))
    got = losses.standard_normal_log_prob(z, batch_ndim=2)
    np.testing.assert_allclose(got, stats.norm().logpdf(z).sum(-1), rtol=1e-5)


def test_kl_diag_gaussians_matches_closed_form_and_monte_carlo():
    mq, lq = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)) * 0.5
    mp, lp = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4)) * 0.5
    vq, vp = np.exp(lq), np.exp(lp)
    expected = 0.5 * np.sum(np.log(vp / vq) + (vq + (mq - mp) ** 2) / vp - 1, axis=-1)
    got = jax.jit(losses.kl_diag_gaussians)(mq, lq, mp, lp)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    z = mq + np.sqrt(vq) * RNG.normal(size=(200_000, 3, 4))
    mc = (stats.norm(mq, np.sqrt(vq)).logpdf(z) - stats.norm(mp, np.sqrt(vp)).logpdf(z)).sum(-1)
    np.testing.assert_allclose(mc.mean(0), expected, atol=0.03)


def test_kl_to_standard_normal_is_zero_at_the_prior():
    np.testing.assert_allclose(losses.kl_diag_gaussians(np.zeros((2, 3)), np.zeros((2, 3))), 0.0)


def test_gaussian_log_prob_logvar_matches_scipy():
    z, m, lv = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    expected = stats.norm(m, np.exp(0.5 * lv)).logpdf(z).sum(-1)
    np.testing.assert_allclose(losses.gaussian_log_prob_logvar(z, m, lv), expected, rtol=1e-5)


def test_previous_names_warn_and_keep_their_argument_order():
    x = RNG.integers(0, 2, size=(3, 5)).astype(np.float64)
    logits, mean, z = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    log_scale = RNG.normal(size=(3, 5)) * 0.3
    cases = [
        (lambda: losses.bernoulli_log_likelihood(logits, x), losses.bernoulli_log_prob(x, logits)),
        (
            lambda: losses.gaussian_log_likelihood(mean, log_scale, z),
            losses.gaussian_log_prob(z, mean, log_scale),
        ),
        (
            lambda: losses.gaussian_log_density_logvar(z, mean, log_scale),
            losses.gaussian_log_prob_logvar(z, mean, log_scale),
        ),
        (lambda: losses.standard_normal_log_density(z), losses.standard_normal_log_prob(z)),
    ]
    for old, new in cases:
        with pytest.warns(DeprecationWarning, match="deprecated and goes in the next release"):
            got = old()
        np.testing.assert_array_equal(got, new)


def test_elbo_and_beta_elbo():
    ll, kl = RNG.normal(size=8) - 10, np.abs(RNG.normal(size=8))
    np.testing.assert_allclose(jax.jit(losses.elbo)(ll, kl), ll - kl, rtol=1e-6)
    np.testing.assert_allclose(losses.beta_elbo(ll, kl, 4.0), ll - 4.0 * kl, rtol=1e-6)
    loss, metrics = jax.jit(losses.elbo_loss, static_argnums=2)(ll, kl, 4.0)
    np.testing.assert_allclose(loss, -np.mean(ll - 4.0 * kl), rtol=1e-6)
    np.testing.assert_allclose(metrics["elbo"], np.mean(ll - kl), rtol=1e-6)


def test_iwae_bound_matches_numpy_and_reduces_to_elbo_at_k1():
    lw = RNG.normal(size=(10, 6)) * 3
    expected = special.logsumexp(lw, axis=0) - np.log(10)
    np.testing.assert_allclose(jax.jit(losses.iwae_bound)(lw), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.iwae_bound(lw[:1]), lw[0], rtol=1e-6)
    loss, metrics = losses.iwae_loss(lw)
    np.testing.assert_allclose(loss, -expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(metrics["elbo"], lw.mean(), rtol=1e-5)


@pytest.mark.parametrize("weight", [0.0, 0.1])
def test_sparse_autoencoder_loss(weight):
    ll, codes = RNG.normal(size=5) - 3, RNG.normal(size=(5, 4))
    loss, metrics = jax.jit(losses.sparse_autoencoder_loss, static_argnums=2)(ll, codes, weight)
    l1 = np.abs(codes).sum(-1).mean()
    np.testing.assert_allclose(loss, -ll.mean() + weight * l1, rtol=1e-5)
    np.testing.assert_allclose(metrics["l1"], l1, rtol=1e-5)


def test_losses_import_nothing_but_jax_numpy_optax():
    import ast
    import pathlib

    allowed = {"jax", "numpy", "optax", "genjax", "__future__"}
    allowed |= {"math", "typing", "collections", "functools", "warnings"}  # standard library
    for path in pathlib.Path(losses.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("genjax"):
                    assert name.startswith("genjax.losses"), f"{path.name} imports {name}"
