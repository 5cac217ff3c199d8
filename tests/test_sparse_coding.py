"""ISTA and FISTA codes against scikit-learn's coordinate-descent lasso, and their objective."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.decomposition import SparseCoder

from genjax.inference.sparse_coding import soft_threshold, sparse_encode
from genjax.losses import sparse_coding_objective


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    atoms = rng.normal(size=(12, 20))
    atoms /= np.linalg.norm(atoms, axis=1, keepdims=True)
    truth = rng.normal(size=(30, 12)) * (rng.uniform(size=(30, 12)) < 0.3)
    x = truth @ atoms + 0.05 * rng.normal(size=(30, 20))
    return x, atoms


@pytest.mark.parametrize("method", ["ista", "fista"])
def test_codes_equal_scikit_learns_lasso_cd(method):
    x, atoms = problem()
    penalty = 0.1
    coder = SparseCoder(
        atoms, transform_algorithm="lasso_cd", transform_alpha=penalty, transform_max_iter=10_000
    )
    want = coder.transform(x)
    got, steps = jax.jit(sparse_encode, static_argnames=("method", "max_iter"))(
        jnp.asarray(x, jnp.float32), jnp.asarray(atoms, jnp.float32), penalty, method, 20_000
    )
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert 0 < int(steps) < 20_000
    assert (np.asarray(got) == 0).mean() > 0.2  # the penalty zeroes codes
    ours = sparse_coding_objective(x, np.asarray(got, np.float64), atoms, penalty)
    theirs = sparse_coding_objective(x, want, atoms, penalty)
    assert np.all(np.asarray(ours) <= np.asarray(theirs) + 1e-5)


def test_fista_is_closer_to_the_optimum_than_ista_after_the_same_steps():
    x, atoms = problem(1)
    args = (jnp.asarray(x, jnp.float32), jnp.asarray(atoms, jnp.float32), 0.05)
    best = sparse_coding_objective(*args[:1], sparse_encode(*args, max_iter=20_000)[0], *args[1:])
    gaps = {}
    for method in ("ista", "fista"):
        codes, steps = sparse_encode(*args, method=method, max_iter=25, tol=0.0)
        assert int(steps) == 25
        gaps[method] = float(jnp.mean(sparse_coding_objective(args[0], codes, *args[1:]) - best))
    assert 0 <= gaps["fista"] < 0.5 * gaps["ista"], gaps


def test_soft_threshold_and_bad_method():
    np.testing.assert_array_equal(
        soft_threshold(jnp.asarray([-2.0, -0.5, 0.0, 0.3, 1.5]), 0.5), [-1.5, 0.0, 0.0, 0.0, 1.0]
    )
    with pytest.raises(ValueError, match="unknown sparse coding method 'omp'; valid: ista, fista"):
        sparse_encode(jnp.zeros((1, 3)), jnp.eye(3), 0.1, method="omp")


@pytest.mark.slow
def test_dictionary_learning_lowers_the_objective_and_keeps_unit_atoms(tmp_path):
    from configs import sparse_coding as sc_config
    from genjax.methods.sparse_coding import unit_atoms
    from genjax.run.experiment import train_and_evaluate
    from genjax.run.restore import load_trained
    from tests.helpers import _fast, method_of

    def config(steps):
        c = sc_config.get_config()
        c.model.num_atoms = 16
        c.sparse_coding.max_iter = 50
        return _fast(c, steps, {})

    first = train_and_evaluate(config(10), str(tmp_path / "short"))
    last = train_and_evaluate(config(60), str(tmp_path / "long"))
    assert last["test_objective"] < first["test_objective"]
    assert (tmp_path / "long" / "atoms.png").exists()
    params = load_trained(str(tmp_path / "long")).state.params
    np.testing.assert_allclose(np.linalg.norm(unit_atoms(params), axis=1), 1.0, rtol=1e-5)
    bad = config(10)
    bad.sparse_coding.method = "omp"
    with pytest.raises(ValueError, match="unknown sparse_coding.method 'omp'"):
        method_of(bad, None)
