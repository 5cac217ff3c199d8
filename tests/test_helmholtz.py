"""Helmholtz machines: log p(x, h) against enumeration, importance-sampled log p(x) against the
exact marginal, and wake-sleep / reweighted wake-sleep lowering the IS NLL on a fixed batch."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from genjax.inference import importance_log_likelihood
from genjax.models import sigmoid_belief as S
from tests.helpers import data_of, method_of


def perturbed(key, num_visible, hidden):
    gen, rec = S.init_params(key, num_visible, hidden, scale=1.0)
    gen["top"] = jax.random.normal(jax.random.fold_in(key, 1), gen["top"].shape)
    return gen, rec


def exact_log_marginal(gen, x, hidden):
    """log p(x) by enumerating every hidden configuration of every layer."""
    sizes = list(hidden)
    configs = [np.asarray(list(itertools.product([0.0, 1.0], repeat=n)), np.float32) for n in sizes]
    terms = []
    for combo in itertools.product(*configs):
        states = [jnp.broadcast_to(h, (x.shape[0], h.shape[0])) for h in combo]
        terms.append(S.generative_log_prob(gen, x, states))
    return jax.nn.logsumexp(jnp.stack(terms), axis=0)


def test_joint_and_recognition_normalise_and_is_estimate_matches_the_exact_marginal():
    hidden = (3, 2)
    gen, rec = perturbed(jax.random.key(0), 4, hidden)
    rec = jax.tree.map(lambda a: 0.3 * a, rec)  # a proposal of moderate spread
    xs = jnp.asarray(list(itertools.product([0.0, 1.0], repeat=4)), jnp.float32)
    exact = exact_log_marginal(gen, xs, hidden)
    np.testing.assert_allclose(jnp.sum(jnp.exp(exact)), 1.0, rtol=1e-5)  # p sums to one
    q_total = 0.0  # q(h | x) sums to one over every (h_1, h_2), for every x
    for h1, h2 in itertools.product(
        itertools.product([0.0, 1.0], repeat=3), itertools.product([0.0, 1.0], repeat=2)
    ):
        states = [jnp.broadcast_to(jnp.asarray(h, jnp.float32), (16, len(h))) for h in (h1, h2)]
        q_total = q_total + jnp.exp(S.recognition_log_prob(rec, xs, states))
    np.testing.assert_allclose(q_total, 1.0, rtol=1e-5)
    fn = lambda k, n: S.log_weights(gen, rec, xs, k, n)[0]
    estimate = importance_log_likelihood(fn, jax.random.key(1), 20_000, 1000)
    np.testing.assert_allclose(estimate, exact, atol=0.05)


def test_dreams_follow_the_generative_model():
    hidden = (2,)
    gen, _ = perturbed(jax.random.key(2), 3, hidden)
    x, states = S.dream(gen, jax.random.key(3), 40_000)
    assert states[0].shape == (40_000, 2)
    xs = jnp.asarray(list(itertools.product([0.0, 1.0], repeat=3)), jnp.float32)
    exact = np.exp(np.asarray(exact_log_marginal(gen, xs, hidden)))
    index = np.asarray(x, np.int64) @ np.array([4, 2, 1])
    empirical = np.bincount(index, minlength=8) / len(index)
    assert 0.5 * np.abs(empirical - exact).sum() < 0.02


@pytest.mark.slow  # trains a step end to end
@pytest.mark.parametrize("num_samples", [1, 5])
def test_wake_sleep_lowers_the_importance_sampled_nll_on_a_fixed_batch(num_samples):
    from configs import vae

    data = data_of(vae.get_config())
    x = jnp.asarray(data.transform(data.train)["image"][:64].reshape(64, -1))
    gen, rec = S.init_params(jax.random.key(4), 64, (16, 8))
    tx = optax.adam(3e-3)
    params = (gen, rec)
    opt = tx.init(params)

    @jax.jit
    def step(params, opt, key):
        loss_fn = lambda p: S.wake_sleep_surrogate(p[0], p[1], x, key, num_samples)[0]
        grads = jax.grad(loss_fn)(params)
        updates, opt = tx.update(grads, opt, params)
        return optax.apply_updates(params, updates), opt

    def is_nll(params):
        fn = lambda k, n: S.log_weights(params[0], params[1], x, k, n)[0]
        return -float(jnp.mean(importance_log_likelihood(fn, jax.random.key(5), 500, 100)))

    before = is_nll(params)
    for i in range(300):
        params, opt = step(params, opt, jax.random.key(i))
    after = is_nll(params)
    assert after < before - 5.0, (before, after)


@pytest.mark.slow
def test_helmholtz_run_reports_is_nll_and_refuses_gray_data(tmp_path):
    from configs import helmholtz
    from genjax.data import DataInfo
    from genjax.run.experiment import train_and_evaluate
    from tests.helpers import _fast

    config = _fast(helmholtz.get_config(), 30, {})
    config.model.hidden = (16, 8)
    summary = train_and_evaluate(config, str(tmp_path))
    assert summary["nll_samples"] == 20  # eval.nll_samples of the fast config
    assert 0 < summary["test_is_nll"] < 64 * np.log(2.0) + 10
    assert summary["test_is_nll"] <= -summary["test_bound_5"] + 0.5  # more samples, tighter
    assert (tmp_path / "samples.png").exists()
    with pytest.raises(ValueError, match="data.variant='binary'"):
        method_of(config, DataInfo((8, 8, 1), 10, False))
    config.helmholtz.num_samples = 0
    with pytest.raises(ValueError, match="num_samples must be >= 1; got 0"):
        method_of(config, DataInfo((8, 8, 1), 10, True))
