"""The RBM on the spine: persistent chains as checkpointed model state, exact and AIS test NLL
in the report, stateless checkpoints unchanged, one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import energy as E
from genjax.data import DataInfo
from genjax.train.checkpoint import from_saved, to_saved
from tests.helpers import (
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    tiny_config,
    tiny_rbm_config,
    training_of,
)


@pytest.mark.slow
def test_pcd_resume_is_bitwise_exact_chains_included(tmp_path):
    from genjax.run.restore import load_trained

    assert_resume_is_bitwise_exact(tiny_rbm_config, tmp_path, first=10, total=20)
    chains = load_trained(str(tmp_path / "stopped")).state.model_state["chains"]
    assert chains.shape == (20, 64)  # rbm.num_chains rows of 8x8 visibles
    assert set(np.unique(np.asarray(chains))) <= {0.0, 1.0}


def test_pcd_chains_advance_and_cd_carries_no_state():
    config = tiny_rbm_config()
    data = data_of(config)
    batch = jax.tree.map(jnp.asarray, data.transform({k: v[:20] for k, v in data.train.items()}))
    method = method_of(config, data.info)
    init, step = training_of(config, method)
    state = init(jax.random.key(0), batch)
    np.testing.assert_array_equal(state.model_state["chains"], batch["image"].reshape(20, 64))
    new, metrics = jax.jit(step)(state, batch, jax.random.key(1))
    assert np.abs(np.asarray(new.model_state["chains"] - state.model_state["chains"])).sum() > 0
    assert "free_energy_gap" in metrics
    config.rbm.sampler = "cd"
    init_cd, _ = training_of(config)
    assert init_cd(jax.random.key(0), batch).model_state is None
    assert "model_state" not in to_saved(init_cd(jax.random.key(0), batch))


def test_saved_tree_round_trips_with_and_without_model_state():
    config = tiny_config()
    data = data_of(config)
    batch = data.transform({k: v[:4] for k, v in data.train.items()})
    init, _ = training_of(config)
    state = init(jax.random.key(0), batch)
    saved = to_saved(state)
    assert set(saved) == {"step", "params", "opt_state", "ema_params"}  # as before model state
    back = from_saved(saved)
    assert back.model_state is None
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(state), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_run_reports_exact_and_ais_nll_side_by_side(tmp_path):
    from genjax.run.experiment import train_and_evaluate
    from tests.test_experiments import run_main

    config = tiny_rbm_config(steps=30, sampler="cd")
    summary = train_and_evaluate(config, str(tmp_path))
    assert summary["nll_examples"] == 297
    assert abs(summary["test_nll_ais"] - summary["test_nll_exact"]) < 0.1
    assert summary["ais_log_z_low"] <= summary["exact_log_z"] + 0.1
    assert summary["exact_log_z"] - 0.1 <= summary["ais_log_z_high"]
    np.testing.assert_allclose(summary["test_nll"], summary["test_nll_exact"], rtol=1e-5)
    assert summary["test_nll_exact"] < 64 * np.log(2.0)  # better than coin flips per pixel
    for name in ("samples", "filters", "chain"):
        assert (tmp_path / f"{name}.png").exists()
    code, _, err = run_main("experiments.sample", f"--workdir={tmp_path}", "--chain=3")
    assert code == 0, err[-2000:]
    assert (tmp_path / "samples" / "chain_step30_seed0.png").exists()
    # scikit-learn's RBM scored by the same exact estimator, next to this run.
    code, out, err = run_main("experiments.rbm_baseline", f"--workdir={tmp_path}", "--n_iter=5")
    assert code == 0, err[-2000:]
    import json

    results = json.loads(out[out.index("{") :])
    np.testing.assert_allclose(results["genjax_test_nll_exact"], summary["test_nll_exact"], 1e-5)
    assert 0 < results["sklearn_test_nll_exact"] < 64 * np.log(2.0) + 5


def test_many_hiddens_report_ais_only_and_bad_sampler_is_one_line():
    config = tiny_rbm_config(sampler="cd")
    config.model.num_hidden = 30
    info = DataInfo((8, 8, 1), 10, True)
    method = method_of(config, info)
    data = data_of(config)
    from genjax.data import eval_batches

    batches = list(eval_batches(data.test, 64, data.transform))[:1]
    params = method.init(jax.random.key(0), None)
    scalars, _ = method.report(params, batches, jax.random.key(1))
    assert "test_nll_ais" in scalars and "test_nll_exact" not in scalars
    assert "nll" not in method.eval_metrics(params, batches[0][0], jax.random.key(2))
    config.rbm.sampler = "gibbs"
    with pytest.raises(ValueError, match="unknown rbm.sampler 'gibbs'; valid: cd, pcd"):
        method_of(config, info)


def test_gaussian_sigma_is_floored_at_one_quantisation_bin():
    """A σ driven towards 0 (a pixel constant in training) counts as bin width / √12."""
    config = tiny_rbm_config(sampler="cd")
    info = DataInfo((8, 8, 1), 10, False, levels=16)
    method = method_of(config, info)
    params = method.init(jax.random.key(0), None)
    params["log_sigma"] = params["log_sigma"].at[0].set(-30.0)
    floor = np.log(1.0 / 16 / np.sqrt(12.0))
    v = jax.random.uniform(jax.random.key(1), (5, 64))
    got = method.eval_metrics(params, {"image": v.reshape(5, 8, 8, 1)}, jax.random.key(2))["nll"]
    at_floor = {**params, "log_sigma": params["log_sigma"].at[0].set(floor)}
    expected = E.nll(at_floor, v, E.exact_log_partition(at_floor))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
