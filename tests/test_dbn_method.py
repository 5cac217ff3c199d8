"""The DBN on the spine: greedy stages (each layer updated only in its own stage, the top
starting as the first layer transposed), resume across a stage boundary, the report's bounds
beside the exact marginal, one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax import energy as E
from genjax.data import DataInfo
from tests.helpers import (
    assert_resume_is_bitwise_exact,
    data_of,
    method_of,
    tiny_dbn_config,
    training_of,
)


def test_each_layer_trains_only_in_its_stage_and_the_top_starts_transposed():
    config = tiny_dbn_config(steps=4)
    config.dbn.stage_steps = 2  # stages [0, 2) and [2, 4)
    config.optim.layer1.learning_rate = 0.0  # so layer1 after its first step is its start
    data = data_of(config)
    batch = jax.tree.map(jnp.asarray, data.transform({k: v[:32] for k, v in data.train.items()}))
    init, step = training_of(config)
    step = jax.jit(step)
    states = [init(jax.random.key(0), batch)]
    for _ in range(4):
        states.append(step(states[-1], batch, jax.random.key(1))[0])
    layer = lambda s, n: jax.device_get(s.params[n])
    changed = lambda a, b, n: any(
        np.abs(layer(a, n)[k] - layer(b, n)[k]).max() > 0 for k in ("W", "b", "c")
    )
    assert changed(states[0], states[1], "layer0") and changed(states[1], states[2], "layer0")
    assert not changed(states[0], states[2], "layer1")  # stage 0: the top waits
    assert not changed(states[2], states[4], "layer0")  # stage 1: the bottom is frozen
    top, bottom = layer(states[3], "layer1"), layer(states[2], "layer0")
    for k, v in E.transpose(bottom).items():
        np.testing.assert_array_equal(top[k], v)
    _, metrics = step(states[2], batch, jax.random.key(1))
    assert float(metrics["layer0_loss"]) == 0.0 and float(metrics["layer1_grad_norm"]) > 0


@pytest.mark.slow
def test_resume_across_the_stage_boundary_and_the_report(tmp_path):
    """Resume at step 10, where the top's stage begins with its warm start; the straight run's
    report holds the bounds beside the exact marginal, with exact and AIS log Z."""
    summary = assert_resume_is_bitwise_exact(tiny_dbn_config, tmp_path, first=10, total=20)
    assert summary["nll_examples"] == 297
    assert abs(summary["top_ais_log_z"] - summary["top_exact_log_z"]) < 0.1
    exact = summary["test_nll_exact"]
    assert exact < 64 * np.log(2.0)
    assert summary["test_nll_bound_exact"] >= exact - 0.02  # the bound is above the NLL
    assert summary["test_nll_is_exact"] <= summary["test_nll_bound_exact"] + 1e-6
    assert abs(summary["test_nll_is_exact"] - exact) < 0.1
    log_z_gap = summary["top_ais_log_z"] - summary["top_exact_log_z"]
    for kind in ("bound", "is"):
        gap = summary[f"test_nll_{kind}_ais"] - summary[f"test_nll_{kind}_exact"]
        np.testing.assert_allclose(gap, log_z_gap, atol=1e-4)
    assert "layer0_test_nll_exact" in summary and "test_nll_bound" in summary
    for name in ("samples", "filters", "chain"):
        assert (tmp_path / "straight" / f"{name}.png").exists()


def test_bad_configs_are_one_line_errors():
    info = DataInfo((8, 8, 1), 10, True)
    config = tiny_dbn_config()
    config.model.hidden = (8, 32)
    with pytest.raises(ValueError, match=r"needs sizes n_\(l\+1\) = n_\(l-1\).*dbn.init='random'"):
        method_of(config, info)
    config.dbn.init = "random"
    method_of(config, info)
    config.dbn.init = "tied"
    with pytest.raises(ValueError, match="unknown dbn.init 'tied'; valid: transpose, random"):
        method_of(config, info)
    with pytest.raises(ValueError, match="needs binary data"):
        method_of(tiny_dbn_config(), DataInfo((8, 8, 1), 10, False))
    config.dbn.init, config.dbn.stage_steps = "random", 0
    with pytest.raises(ValueError, match="dbn.stage_steps must be >= 1; got 0"):
        method_of(config, info)


def test_binarized_mnist_config_builds_the_500_2000_net():
    from configs import dbn

    config = dbn.get_config("dataset=binarized_mnist")
    method = method_of(config, DataInfo((28, 28, 1), 0, True))
    shapes = jax.eval_shape(method.init, jax.random.key(0), None)
    assert shapes["layer0"]["W"].shape == (784, 500) and shapes["layer1"]["W"].shape == (500, 2000)
    assert [p.steps for p in method.players] == [(0, 125_000), (125_000, 250_000)]
    assert method.players[1].warm_start is None  # 784 != 2000: the top starts at random
