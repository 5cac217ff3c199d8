"""RBM maths against NumPy and exact answers: free energy, conditionals, exact log Z by two
enumerations and by quadrature, AIS, the CD direction, and Gibbs sampling's stationary law."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import energy as E

RNG = np.random.default_rng(0)


def random_rbm(v: int, h: int, scale: float = 1.0, gaussian: bool = False) -> dict:
    params = {
        "W": jnp.asarray(scale * RNG.normal(size=(v, h)), jnp.float32),
        "b": jnp.asarray(RNG.normal(size=v), jnp.float32),
        "c": jnp.asarray(RNG.normal(size=h), jnp.float32),
    }
    if gaussian:
        params["log_sigma"] = jnp.asarray(0.3 * RNG.normal(size=v), jnp.float32)
    return params


def all_binary(n: int) -> np.ndarray:
    return np.asarray(list(itertools.product([0.0, 1.0], repeat=n)), np.float32)


def numpy_free_energy(p: dict, v: np.ndarray) -> np.ndarray:
    w, b, c = (np.float64(p[k]) for k in ("W", "b", "c"))
    if "log_sigma" in p:
        s = np.exp(np.float64(p["log_sigma"]))
        return ((v - b) ** 2 / (2 * s**2)).sum(-1) - np.logaddexp(0, c + (v / s) @ w).sum(-1)
    return -(v @ b) - np.logaddexp(0, c + v @ w).sum(-1)


@pytest.mark.parametrize("gaussian", [False, True])
def test_free_energy_matches_numpy_and_sums_the_energy_over_hiddens(gaussian):
    p = random_rbm(6, 5, gaussian=gaussian)
    v = RNG.normal(size=(7, 6)) if gaussian else (RNG.uniform(size=(7, 6)) < 0.5) * 1.0
    v = v.astype(np.float32)
    np.testing.assert_allclose(E.free_energy(p, v), numpy_free_energy(p, v), rtol=1e-5)
    h = all_binary(5)  # F(v) = -log Σ_h e^{-E(v, h)}
    energies = jax.vmap(lambda hh: E.energy(p, v, jnp.broadcast_to(hh, (7, 5))))(h)
    np.testing.assert_allclose(
        E.free_energy(p, v), -jax.nn.logsumexp(-energies, axis=0), rtol=1e-5, atol=1e-5
    )


def test_exact_log_z_by_hiddens_equals_brute_force_over_ten_visibles():
    p = random_rbm(10, 7)
    brute = jax.nn.logsumexp(-E.free_energy(p, all_binary(10)))
    for chunk in (1 << 16, 16, 24):  # one chunk; several; a last chunk only partly valid
        np.testing.assert_allclose(E.exact_log_partition(p, chunk), brute, rtol=1e-6)
    probs = np.exp(-np.asarray(E.nll(p, all_binary(10), brute), np.float64))
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-5)


def test_gaussian_rbm_exact_log_z_matches_quadrature():
    p = random_rbm(2, 3, scale=0.5, gaussian=True)
    grid = np.linspace(-12, 12, 1201, dtype=np.float32)
    v1, v2 = np.meshgrid(grid, grid, indexing="ij")
    v = np.stack([v1.ravel(), v2.ravel()], -1)
    step = grid[1] - grid[0]
    quad = np.log(np.exp(-numpy_free_energy(p, v)).sum() * step**2)
    np.testing.assert_allclose(E.exact_log_partition(p), quad, rtol=1e-4)


def test_exact_log_z_refuses_two_large_layers():
    with pytest.raises(ValueError, match="H <= 24; got H=25: use AIS"):
        E.exact_log_partition(random_rbm(25, 25))


def test_ais_is_within_a_tenth_of_a_nat_of_exact_log_z_with_twelve_hiddens():
    digits_like = RNG.uniform(0.05, 0.6, size=64)  # pixel marginals of the base-rate model
    p = random_rbm(64, 12, scale=1.0)  # weights of std 1, as large as a trained RBM's
    p["b"] = E.data_log_odds(jnp.asarray(digits_like, jnp.float32)) + 0.3 * p["b"]
    exact = float(E.exact_log_partition(p))
    base = E.data_log_odds(jnp.asarray(digits_like, jnp.float32))
    ais = jax.jit(E.ais_log_partition, static_argnums=(3, 4))(
        p, base, jax.random.key(0), 100, 10_000
    )
    assert abs(float(ais["log_z"]) - exact) < 0.1, (float(ais["log_z"]), exact)
    assert float(ais["log_z_low"]) <= exact + 0.1 and exact - 0.1 <= float(ais["log_z_high"])


def test_cd_step_moves_along_the_exact_log_likelihood_gradient():
    p = random_rbm(6, 4, scale=0.5)
    data = jnp.asarray((RNG.uniform(size=(32, 6)) < 0.3) * 1.0, jnp.float32)

    def exact_nll(params):
        return jnp.mean(E.free_energy(params, data)) + E.exact_log_partition(params)

    exact_grad = jax.grad(exact_nll)(p)
    chains = jnp.tile(data, (500, 1))  # many CD-1 chains: the expected CD direction

    def cd_grad(key):
        model = E.gibbs_chain(p, chains, key, 1)
        grad = jax.grad(lambda q: E.cd_loss(q, chains, model)[0])(p)
        return grad

    grad = cd_grad(jax.random.key(1))
    inner = sum(jnp.vdot(grad[k], exact_grad[k]) for k in p)
    assert float(inner) > 0.0
    cosine = inner / jnp.sqrt(
        sum(jnp.vdot(grad[k], grad[k]) for k in p)
        * sum(jnp.vdot(exact_grad[k], exact_grad[k]) for k in p)
    )
    assert float(cosine) > 0.5, float(cosine)
    # And one optimizer step along it lowers the exact NLL.
    moved = jax.tree.map(lambda a, g: a - 0.05 * g, p, grad)
    assert float(exact_nll(moved)) < float(exact_nll(p))


def test_gibbs_chains_sample_the_rbms_distribution():
    p = random_rbm(4, 3)
    states = all_binary(4)
    log_z = E.exact_log_partition(p)
    exact = np.exp(-np.asarray(E.nll(p, states, log_z), np.float64))
    v0 = jnp.zeros((4000, 4))
    v = jax.jit(E.gibbs_chain, static_argnums=3)(p, v0, jax.random.key(2), 50)
    index = np.asarray(v, np.int64) @ (1 << np.arange(3, -1, -1))
    empirical = np.bincount(index, minlength=16) / len(index)
    assert 0.5 * np.abs(empirical - exact).sum() < 0.03  # total variation


def test_gaussian_visible_conditionals_have_the_model_moments():
    p = random_rbm(3, 2, gaussian=True)
    h = jnp.asarray([[1.0, 0.0]] * 20000)
    v = E.sample_visible(p, h, jax.random.key(3))
    sigma = np.exp(np.asarray(p["log_sigma"]))
    want_mean = np.asarray(p["b"]) + sigma * np.asarray(p["W"])[:, 0]
    np.testing.assert_allclose(v.mean(0), want_mean, atol=0.03)
    np.testing.assert_allclose(v.std(0), sigma, rtol=0.03)
