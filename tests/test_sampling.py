"""Sampling techniques: the strata they promise, determinism by key, one-line errors, and on a
linear-Gaussian model (closed-form log p(x) and ELBO) unbiased estimates whose variance is below
simple random sampling's at equal K."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from genjax import losses
from genjax.inference import sampling as S

KEY = jax.random.key(0)


def test_latin_hypercube_puts_one_point_in_each_stratum_of_each_dimension():
    n, d = 64, 5
    u = np.asarray(S.latin_hypercube(KEY, n, d))
    assert u.shape == (n, d) and u.min() > 0 and u.max() < 1
    for j in range(d):
        np.testing.assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))
    # The dimensions are paired at random, not along the diagonal.
    assert not np.array_equal(np.argsort(u[:, 0]), np.argsort(u[:, 1]))


def test_stratified_grid_fills_every_cell_equally():
    n, d, strata = 72, 2, 3  # 9 cells, 8 points each
    u = np.asarray(S.stratified_uniform(KEY, n, d, strata))
    cells = np.floor(u * strata).astype(int)
    counts = np.bincount(cells[:, 0] * strata + cells[:, 1], minlength=strata**d)
    np.testing.assert_array_equal(counts, np.full(strata**d, n // strata**d))
    with pytest.raises(ValueError, match="70 samples do not divide into 3\\^2 = 9 strata"):
        S.stratified_uniform(KEY, 70, d, strata)


def test_sobol_points_are_scipys_scrambled_sequence():
    u = np.asarray(S.sobol_uniform(KEY, 32, 3))
    seed = int(jax.random.randint(KEY, (), 0, np.iinfo(np.int32).max))
    np.testing.assert_allclose(u, qmc.Sobol(3, scramble=True, seed=seed).random(32), atol=1e-7)
    # Balance of a (t, m, s)-net: each of the 32 strata of one coordinate holds one point.
    np.testing.assert_array_equal(np.sort(np.floor(u[:, 0] * 32)), np.arange(32))
    with pytest.raises(ValueError, match="Sobol points need a power of two; got 48 samples"):
        S.sobol_uniform(KEY, 48, 3)


@pytest.mark.parametrize("method", sorted(S.BASE_SAMPLERS))
def test_every_base_sampler_is_deterministic_by_key(method):
    a = S.normal_draws(method, KEY, 16, 2, strata=2)
    b = S.normal_draws(method, KEY, 16, 2, strata=2)
    c = S.normal_draws(method, jax.random.key(1), 16, 2, strata=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.all(np.isfinite(np.asarray(a)))


def test_unknown_sampler_and_bad_prior_settings_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown base sampler 'halton'; choose one of"):
        S.uniform_draws("halton", KEY, 8, 2)
    with pytest.raises(ValueError, match="temperature must be > 0; got 0"):
        S.tempered_normal(KEY, (4, 2), 0)
    with pytest.raises(ValueError, match="truncation threshold must be > 0; got -1"):
        S.truncated_normal(KEY, (4, 2), -1)


def test_truncation_never_draws_beyond_the_threshold_and_temperature_scales():
    z = np.asarray(S.truncated_normal(KEY, (20_000, 4), 0.5))
    assert np.abs(z).max() <= 0.5 and np.abs(z).max() > 0.49
    t = np.asarray(S.tempered_normal(KEY, (20_000, 4), 0.3))
    np.testing.assert_allclose(t.std(), 0.3, rtol=0.02)


def test_class_stratified_labels_are_exactly_balanced():
    labels = np.asarray(S.class_stratified_labels(30, 10, jax.random.key(3)))
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 3))
    assert not np.array_equal(labels, np.sort(labels))  # shuffled by the key
    with pytest.raises(ValueError, match="need a class-conditional model"):
        S.class_stratified_labels(30, 0)
    with pytest.raises(ValueError, match="31 samples do not divide into 10 classes"):
        S.class_stratified_labels(31, 10)


def test_effective_sample_size():
    np.testing.assert_allclose(S.effective_sample_size(jnp.zeros(50)), 50.0, rtol=1e-6)
    np.testing.assert_allclose(S.effective_sample_size(jnp.array([0.0, -50.0, -50.0])), 1.0)
    lw = np.random.default_rng(0).normal(size=(40, 3))
    w = np.exp(lw)
    np.testing.assert_allclose(
        S.effective_sample_size(jnp.asarray(lw)), w.sum(0) ** 2 / (w**2).sum(0), rtol=1e-5
    )


# A linear-Gaussian latent-variable model: p(z) = N(0, I), p(x | z) = N(Wz + b, σ² I), so
# p(x) = N(b, WWᵀ + σ² I); q(z | x) a detuned diagonal Gaussian, so the weights vary.
DZ, DX, SIGMA, K, REPEATS = 2, 3, 0.5, 64, 200


def linear_gaussian():
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(DX, DZ)), rng.normal(size=DX)
    cov_x = w @ w.T + SIGMA**2 * np.eye(DX)
    x = rng.multivariate_normal(b, cov_x)
    post_cov = np.linalg.inv(np.eye(DZ) + w.T @ w / SIGMA**2)
    q_mean = post_cov @ w.T @ (x - b) / SIGMA**2 + 0.3
    q_std = np.sqrt(np.diag(post_cov) * 1.5)
    log_px = stats.multivariate_normal(b, cov_x).logpdf(x)
    resid, var = x - w @ q_mean - b, q_std**2
    elbo = (
        -0.5 * DX * np.log(2 * np.pi * SIGMA**2)
        - (resid @ resid + np.sum(w**2 * var)) / (2 * SIGMA**2)
        - 0.5 * np.sum(var + q_mean**2 - 1 - np.log(var))
    )
    return dict(w=w, b=b, x=x, q_mean=q_mean, q_std=q_std, log_px=log_px, elbo=elbo)


def log_weights(m, eps):
    """log p(x, z) - log q(z | x) at z = μ + σ ε, for base draws ε [K, DZ]."""
    z = m["q_mean"] + m["q_std"] * eps
    log_px_z = losses.gaussian_log_prob(
        jnp.asarray(m["x"]), z @ m["w"].T + m["b"], jnp.log(SIGMA), batch_ndim=1
    )
    log_q = losses.gaussian_log_prob(z, m["q_mean"], jnp.log(m["q_std"]), batch_ndim=1)
    return log_px_z + losses.standard_normal_log_prob(z, batch_ndim=1) - log_q


@pytest.fixture(scope="module")
def estimates():
    """Per base sampler, REPEATS estimates at K draws each of p(x) / p_exact(x) (the mean
    importance weight, unbiased) and of the ELBO (the mean log weight, unbiased)."""
    m = linear_gaussian()
    weights = jax.jit(lambda eps: log_weights(m, eps))
    out = {}
    for method in ("random", "stratified", "latin_hypercube", "sobol"):
        ratio, elbo = [], []
        for r in range(REPEATS):
            eps = S.normal_draws(method, jax.random.key(r), K, DZ, strata=8)  # 64 cells, 1 each
            lw = np.asarray(weights(eps), np.float64)
            ratio.append(np.mean(np.exp(lw - m["log_px"])))
            elbo.append(np.mean(lw))
        out[method] = dict(ratio=np.array(ratio), elbo=np.array(elbo), exact_elbo=m["elbo"])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("method", ["random", "stratified", "latin_hypercube", "sobol"])
def test_estimators_are_unbiased_on_the_linear_gaussian_model(estimates, method):
    """The mean weight estimates p(x) and the mean log weight the ELBO, within 3 standard
    errors over 200 repeats of K = 64, with every base sampler."""
    e = estimates[method]
    for values, exact in ((e["ratio"], 1.0), (e["elbo"], e["exact_elbo"])):
        se = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - exact) < 3 * se + 1e-9, (method, values.mean(), exact, se)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["stratified", "latin_hypercube", "sobol"])
def test_stratified_and_quasi_random_draws_lower_the_variance(estimates, method):
    """At equal K, both estimators vary less across repeats than with simple random draws
    (measured: variance ratios 32 and 13 stratified, 7 and 48 Latin hypercube, 134 and 118
    Sobol, for p(x) and the ELBO)."""
    for name in ("ratio", "elbo"):
        reduction = estimates["random"][name].var() / estimates[method][name].var()
        assert reduction > 1.5, (method, name, reduction)


def test_log_weights_at_given_noise_equal_the_drawn_ones():
    """The base-sampler path (noise passed in) equals the usual one (noise drawn from the key)
    bitwise, for the pure loss and for the VAE."""
    from genjax.losses import reparameterize
    from genjax.losses.vae import gaussian_posterior_log_weights

    key, mean, log_var = jax.random.key(4), jnp.ones((3, 2)), jnp.full((3, 2), -1.0)
    fn = lambda z: -jnp.sum(z**2, axis=-1)
    drawn = gaussian_posterior_log_weights(fn, mean, log_var, key, 5)
    z = reparameterize(key, mean, log_var, 5)
    want = (
        fn(z)
        + losses.standard_normal_log_prob(z, batch_ndim=2)
        - losses.gaussian_log_prob_logvar(z, mean, log_var, batch_ndim=2)
    )
    np.testing.assert_array_equal(drawn, want)

    from genjax.methods.vae import log_weights, vae_log_weights_at
    from genjax.models.vae import VAE

    model = VAE((4, 4, 1), latent_dim=2, hidden=(8,))
    x = (jax.random.uniform(key, (3, 4, 4, 1)) > 0.5).astype(jnp.float32)
    params = model.init(key, x, key)
    eps = jax.random.normal(key, (5, 3, 2))
    np.testing.assert_array_equal(
        log_weights(model, params, x, None, key, 5), vae_log_weights_at(model, params, x, None, eps)
    )


def test_variance_table_ratios_and_bad_flags():
    """experiments.sampling_variance: each technique's mean per-example variance over repeats
    and its ratio to simple random sampling's; a bad technique is one line, before any load."""
    from genjax.applications.sampling_report import markdown, summarize
    from tests.test_experiments import run_main

    rng = np.random.default_rng(0)
    wide, narrow = rng.normal(0, 2.0, (400, 30)), rng.normal(0, 1.0, (400, 30))
    report = summarize(
        {"random": {"is_nll": wide, "elbo": wide}, "sobol": {"is_nll": narrow, "elbo": narrow}},
        k=64,
        repeats=400,
        dataset="digits",
        step=10,
    )
    sobol = report["techniques"]["sobol"]["elbo"]
    np.testing.assert_allclose(sobol["variance"], narrow.var(axis=0, ddof=1).mean())
    np.testing.assert_allclose(sobol["variance_ratio_random_over_this"], 4.0, rtol=0.15)
    assert report["examples"] == 30 and "| sobol |" in markdown(report)
    code, _, err = run_main(
        "experiments.sampling_variance", "--workdir=/nonexistent", "--methods=random,stratified"
    )
    assert code != 0
    assert "--methods: 'stratified' is not one of random, latin_hypercube, sobol" in err
    assert "checkpoints" not in err  # refused before looking for the run


def test_importance_statistics_ess_is_kish_of_every_draw():
    """The chunked scan's effective sample size equals Kish's of all K log weights at once, and
    its log p(x) is importance_log_likelihood's, bitwise."""
    from genjax.inference import importance_log_likelihood, importance_statistics

    shift = jnp.array([0.0, 1.0, 3.0])
    fn = lambda k, n: shift * jax.random.normal(k, (n, 3))  # noqa: E731  [n, B=3]
    key = jax.random.key(9)
    log_p, ess = importance_statistics(fn, key, 40, 8)
    every = jnp.concatenate([fn(k, 8) for k in jax.random.split(key, 5)])
    np.testing.assert_allclose(ess, S.effective_sample_size(every), rtol=1e-5)
    np.testing.assert_allclose(ess[0], 40.0, rtol=1e-6)  # equal weights: ESS = K
    assert float(ess[2]) < float(ess[1]) < 40.0
    np.testing.assert_array_equal(log_p, importance_log_likelihood(fn, key, 40, 8))
