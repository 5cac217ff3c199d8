"""Deep belief nets against enumeration: the exact marginal, the variational bound and the
importance-sampled estimate on nets small enough to sum; a top RBM that is the transposed first
layer makes the bound tight and equal to the RBM's own likelihood; samples follow p(v)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import energy as E
from genjax.energy import dbn as D


def binary_states(n: int) -> np.ndarray:
    return np.asarray(list(itertools.product([0.0, 1.0], repeat=n)), np.float64)


def random_layers(key, sizes, scale=1.0):
    layers = []
    for i in range(len(sizes) - 1):
        k_w, k_b, k_c = jax.random.split(jax.random.fold_in(key, i), 3)
        layers.append(
            {
                "W": scale * jax.random.normal(k_w, (sizes[i], sizes[i + 1])),
                "b": 0.5 * jax.random.normal(k_b, (sizes[i],)),
                "c": 0.5 * jax.random.normal(k_c, (sizes[i + 1],)),
            }
        )
    return layers


def log_sigmoid_bernoulli(x, logits):
    return np.sum(x * logits - np.logaddexp(0.0, logits), axis=-1)


def brute_force_log_p(layers, xs):
    """log p(v) in float64 NumPy by summing every hidden layer, the top RBM's two included."""
    w = [{k: np.asarray(a, np.float64) for k, a in layer.items()} for layer in layers]
    top = w[-1]
    states = [binary_states(layer["W"].shape[1]) for layer in w]
    # Top RBM joint over (h_{L-1}, h_L), normalised by brute force.
    below, above = binary_states(top["W"].shape[0]), states[-1]
    neg_e = below @ top["b"][:, None] + (above @ top["c"])[None] + below @ top["W"] @ above.T
    log_top = np.logaddexp.reduce(neg_e, axis=1)
    log_top -= np.logaddexp.reduce(log_top)  # log p(h_{L-1})
    # Down the directed layers: log p(h_{l} | h_{l+1}) for every pair of configurations.
    log_p = log_top  # over the configurations of the current layer
    for layer in reversed(w[:-1]):
        lower = binary_states(layer["W"].shape[0]) if layer is not w[0] else xs
        upper = binary_states(layer["W"].shape[1])
        logits = layer["b"][None] + upper @ layer["W"].T  # [U, D]
        cond = np.stack([log_sigmoid_bernoulli(x, logits) for x in lower])  # [Lo, U]
        log_p = np.logaddexp.reduce(cond + log_p[None], axis=1)
    return log_p


def test_exact_log_prob_and_bounds_match_enumeration():
    layers = random_layers(jax.random.key(0), (5, 3, 4))
    xs = binary_states(5)
    reference = brute_force_log_p(layers, xs)
    np.testing.assert_allclose(np.exp(reference).sum(), 1.0, rtol=1e-9)
    log_z = E.exact_log_partition(layers[1])
    exact = D.exact_log_prob(layers, jnp.asarray(xs, jnp.float32), log_z, chunk=3)
    np.testing.assert_allclose(exact, reference, atol=1e-4)
    # The variational bound by enumerating q(h1 | v), against its Monte Carlo estimate.
    w0 = {k: np.asarray(a, np.float64) for k, a in layers[0].items()}
    h1 = binary_states(3)
    q_logits = xs @ w0["W"] + w0["c"]  # [X, 3]
    log_q = np.stack([log_sigmoid_bernoulli(h, q_logits) for h in h1], axis=1)  # [X, H]
    log_pv = np.stack([log_sigmoid_bernoulli(xs, w0["b"] + h @ w0["W"].T) for h in h1], axis=1)
    log_top_h = -np.asarray(E.free_energy(layers[1], jnp.asarray(h1, jnp.float32)), np.float64)
    elbo = np.sum(np.exp(log_q) * (log_pv + log_top_h[None] - log_q), axis=1) - float(log_z)
    assert np.all(elbo <= reference + 1e-6) and np.mean(reference - elbo) > 0.05
    log_w = D.log_weights(layers, jnp.asarray(xs, jnp.float32), jax.random.key(1), 100_000)
    est = D.bounds(log_w, log_z)
    np.testing.assert_allclose(est["elbo"], elbo, atol=0.03)
    np.testing.assert_allclose(est["is"], reference, atol=0.02)


def test_three_layer_importance_estimate_matches_enumeration():
    layers = random_layers(jax.random.key(2), (4, 3, 2, 3))
    xs = binary_states(4)
    reference = brute_force_log_p(layers, xs)
    np.testing.assert_allclose(np.exp(reference).sum(), 1.0, rtol=1e-9)
    log_w = D.log_weights(layers, jnp.asarray(xs, jnp.float32), jax.random.key(3), 50_000)
    est = D.bounds(log_w, E.exact_log_partition(layers[-1]))
    np.testing.assert_allclose(est["is"], reference, atol=0.03)
    assert np.all(np.asarray(est["elbo"]) < reference)


def test_transposed_top_layer_makes_the_bound_tight_and_equal_to_the_rbm():
    """With W2 = W1ᵀ the top RBM's marginal over h1 is the first RBM's own, so the DBN is that
    RBM and q(h1 | v) is its exact posterior: every log weight equals log p_RBM(v)."""
    (rbm,) = random_layers(jax.random.key(4), (6, 5))
    layers = [rbm, E.transpose(rbm)]
    xs = jnp.asarray(binary_states(6), jnp.float32)
    log_z = E.exact_log_partition(layers[1])
    np.testing.assert_allclose(log_z, E.exact_log_partition(rbm), rtol=1e-6)
    rbm_log_p = -E.nll(rbm, xs, E.exact_log_partition(rbm))
    log_w = D.log_weights(layers, xs, jax.random.key(5), 64)
    np.testing.assert_allclose(log_w - log_z, jnp.broadcast_to(rbm_log_p, log_w.shape), atol=2e-5)
    np.testing.assert_allclose(D.exact_log_prob(layers, xs, log_z), rbm_log_p, atol=2e-5)


def test_exact_log_z_enumerates_the_smaller_layer():
    (rbm,) = random_layers(jax.random.key(6), (6, 30), scale=0.5)
    w = {k: np.asarray(a, np.float64) for k, a in rbm.items()}
    vs = binary_states(6)  # Z = Σ_v e^{b·v} Π_j (1 + e^{c_j + vW_j})
    log_unnorm = vs @ w["b"] + np.sum(np.logaddexp(0.0, w["c"] + vs @ w["W"]), axis=1)
    np.testing.assert_allclose(E.exact_log_partition(rbm), np.logaddexp.reduce(log_unnorm), 1e-6)
    assert E.exact_is_feasible(6, 30) and not E.exact_is_feasible(30, 30)
    assert not E.exact_is_feasible(6, 30, gaussian=True)
    with pytest.raises(ValueError, match="needs H <= 24; got H=30"):
        E.exact_log_partition(random_layers(jax.random.key(7), (30, 30))[0])


@pytest.mark.parametrize("sizes", [(4, 3, 3), (4, 2, 3, 2)])
def test_samples_follow_the_dbn_marginal(sizes):
    layers = random_layers(jax.random.key(8), sizes)
    reference = np.exp(brute_force_log_p(layers, binary_states(4)))
    p = D.generate(layers, jax.random.key(9), 40_000, steps=50)
    v = np.asarray(jax.random.bernoulli(jax.random.key(10), p), np.int64)
    empirical = np.bincount(v @ np.array([8, 4, 2, 1]), minlength=16) / len(v)
    assert 0.5 * np.abs(empirical - reference).sum() < 0.02
    if len(sizes) > 3:
        return
    frames = D.generate(layers, jax.random.key(9), 5, steps=7, trajectory=True)
    assert frames.shape == (7, 5, 4)
    np.testing.assert_allclose(frames[-1], D.generate(layers, jax.random.key(9), 5, steps=7))
