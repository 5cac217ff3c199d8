"""The benchmark harness: every method has a default config, XLA's FLOP count is the one a
matmul must have, and one config's figures (K = 2 against K = 1, the profile) are consistent
(no timing thresholds here: speed targets live in experiments/benchmark.py's table)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.benchmark import DEFAULT_CONFIGS, load_config
from genjax.methods import METHODS
from genjax.tools.benchmark import benchmark, cost_of, markdown_table
from tests.helpers import tiny_rbm_config


def test_every_method_has_a_default_config_that_names_it():
    assert set(DEFAULT_CONFIGS) == set(METHODS)
    for name, spec in DEFAULT_CONFIGS.items():
        assert load_config(spec).method == name


def test_flops_come_from_xla_cost_analysis():
    a = jnp.ones((64, 32))
    b = jnp.ones((32, 16))
    flops, peak = cost_of(jax.jit(lambda x, y: x @ y).lower(a, b).compile())
    assert flops == 2 * 64 * 32 * 16
    assert peak >= 4 * (64 * 32 + 32 * 16 + 64 * 16)  # arguments and output, float32


@pytest.mark.slow
def test_one_config_reports_consistent_figures():
    config = tiny_rbm_config(sampler="cd")
    config.train.steps_per_call = 2
    config.train.log_every = 2
    row = benchmark(config, windows=1, peak=1e9, steps=4, profile=True)
    for key in ("compile_s", "bare_steps_per_s", "loop_steps_per_s", "peak_mb", "sample_s"):
        assert row[key] > 0, key
    v, h, b = 64, 8, config.train.batch_size  # a CD-1 step is a few [B, V] x [V, H] products
    assert 2 * b * v * h * 3 <= row["flops_per_step"] <= 2 * b * v * h * 40
    np.testing.assert_allclose(
        row["achieved_flops"], row["flops_per_step"] * row["bare_steps_per_s"]
    )
    np.testing.assert_allclose(row["examples_per_s"], row["bare_steps_per_s"] * b)
    assert row["flops_fraction"] == row["achieved_flops"] / 1e9
    assert row["sampler_steps"] == config.rbm.sample_steps
    assert row["speedup"] == row["loop_steps_per_s"] / row["k1_loop_steps_per_s"]
    # The profile's dots are the step's products, per step although K = 2 run per call.
    dots = sum(r["flops_per_step"] for r in row["profile"] if r["kind"] == "dot")
    assert 2 * b * v * h * 3 <= dots <= row["flops_per_step"]
    assert "| rbm | float32 | 32 | 2 |" in markdown_table([row])


def test_bad_window_settings_are_refused_in_one_line():
    config = tiny_rbm_config(sampler="cd")
    with pytest.raises(ValueError, match="windows must be at least 1"):
        benchmark(config, windows=0)
    with pytest.raises(ValueError, match="steps per timed window must be at least 1, got 0"):
        benchmark(config, steps=0)
