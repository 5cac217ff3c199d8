"""Train-step options: K steps per dispatch equal K dispatches of one step; bfloat16 compute
keeps float32 master weights and tracks the float32 loss; every method under every option
(the one loss contract); bad values are one-line errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genjax.methods import METHODS
from tests.helpers import data_of, tiny_config, tiny_config_of, training_of


@pytest.mark.slow
def test_ten_steps_per_call_end_where_one_step_per_call_does(tmp_path):
    from genjax.run.experiment import train_and_evaluate
    from genjax.run.restore import load_trained

    states = {}
    for k in (1, 10):
        config = tiny_config(steps=20, log_every=10, eval_every=20, ckpt_every=10)
        config.train.steps_per_call = k
        summary = train_and_evaluate(config, str(tmp_path / f"k{k}"))
        assert summary["steps"] == 20
        states[k] = jax.device_get(load_trained(str(tmp_path / f"k{k}")).state)
    assert int(states[10].step) == 20
    for a, b in zip(jax.tree.leaves(states[10]), jax.tree.leaves(states[1]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    config.train.steps_per_call = 3
    with pytest.raises(ValueError, match="steps_per_call=3 must divide train.steps=20"):
        train_and_evaluate(config, str(tmp_path / "k3"))


@pytest.mark.slow  # trains a U-Net in two precisions
def test_bfloat16_compute_keeps_float32_weights_and_tracks_the_float32_loss():
    config = tiny_config()
    data = data_of(config)
    batch = jax.tree.map(jnp.asarray, data.transform({k: v[:32] for k, v in data.train.items()}))
    losses = {}
    for dtype in ("float32", "bfloat16"):
        config.train.compute_dtype = dtype
        init, step = training_of(config)
        state = init(jax.random.key(0), batch)
        new, metrics = jax.jit(step)(state, batch, jax.random.key(1))
        assert {x.dtype for x in jax.tree.leaves(new.params)} == {jnp.dtype(jnp.float32)}
        assert metrics["loss"].dtype == jnp.float32 and np.isfinite(float(metrics["grad_norm"]))
        losses[dtype] = float(metrics["loss"])
    # The whole loss runs in bfloat16, reductions included (8-bit mantissa): 2% here.
    np.testing.assert_allclose(losses["bfloat16"], losses["float32"], rtol=5e-2)
    assert losses["bfloat16"] != losses["float32"]  # it really computed in bfloat16
    config.train.compute_dtype = "float16"
    with pytest.raises(ValueError, match="unknown train.compute_dtype 'float16'; valid: float32"):
        training_of(config)


@pytest.fixture(scope="module")
def batches():
    """Two train batches of 32 gray and 32 binary digits (labels too), and of each
    translation task the translation methods' tiny configs use."""
    from genjax.data import DataConfig, load_data

    out = {}
    for variant in ("binary", "gray"):
        for pixel_range in ("unit", "symmetric"):
            data = load_data(DataConfig(variant=variant, pixel_range=pixel_range))
            rows = [
                data.transform({k: v[i : i + 32] for k, v in data.train.items()}) for i in (0, 32)
            ]
            out[variant, pixel_range] = rows
    for method in ("pix2pix", "cyclegan"):  # the translation methods' batches
        data = data_of(tiny_config_of(method))
        name = data.info.pairing and tiny_config_of(method).data.name
        out[name] = [
            data.transform({k: v[i : i + 32] for k, v in data.train.items()}) for i in (0, 32)
        ]
    return out


def _training(method: str, dtype: str, k: int, batches):
    """(init, step, example batch, the step's inputs for two steps) of a tiny config."""
    config = tiny_config_of(method, steps_per_call=k, log_every=2, **RUN.get(method, {}))
    config.train.compute_dtype = dtype
    if config.data.name in batches:  # translation pairs
        rows = batches[config.data.name]
    else:
        rows = batches[config.data.variant, config.data.pixel_range]
    rows = [jax.tree.map(jnp.asarray, r) for r in rows]
    init, step = training_of(config)
    calls = [jax.tree.map(lambda *xs: jnp.stack(xs), *rows)] if k == 2 else rows
    return init, step, rows[0], calls


OPTIONS = [(dtype, k) for dtype in ("float32", "bfloat16") for k in (1, 2)]


def _assert_lowers(method: str, options, batches) -> None:
    """The step of each (dtype, K) option traces and lowers to XLA, every floating output
    (parameters, optimizer and model state, metrics) float32."""
    key = jax.random.key(1)
    for dtype, k in options:
        init, step, example, calls = _training(method, dtype, k, batches)
        state = jax.eval_shape(init, key, example)
        traced = jax.jit(step).trace(state, calls[0], key)
        traced.lower()  # lowering rules run here (LAPACK has no bfloat16 eigensolver, say)
        outputs = jax.tree.leaves(traced.out_info)  # the new state and the metrics
        floats = {x.dtype for x in outputs if jnp.issubdtype(x.dtype, jnp.floating)}
        assert floats == {jnp.dtype(jnp.float32)}, (dtype, k)


# The quick suite lowers the plain step and both wrappers composed; the slow one the rest.
QUICK = [("float32", 1), ("bfloat16", 2)]


# The U-Nets' and CycleGAN's four networks take seconds to trace: in the slow suite.
HEAVY = ("cyclegan", "diffusion", "vdm")


@pytest.mark.parametrize(
    "method",
    [pytest.param(m, marks=pytest.mark.slow) if m in HEAVY else m for m in sorted(METHODS)],
)
def test_every_method_lowers_plain_and_in_bfloat16_inside_a_scan(method, batches):
    """The one loss contract for every method: its step lowers in float32 at one step per
    call, and in bfloat16 inside a K = 2 lax.scan (both wrappers composed)."""
    _assert_lowers(method, QUICK, batches)


# One method of each kind of step beyond a single loss (a single loss -- the VAE -- runs in
# bfloat16 in the quick suite and at K = 10 vs K = 1 end to end above): a loss with model state
# (PCD chains), players with a critic updated twice per step on strided halves, and greedy
# staged players.
# These run all four options; every other method lowers the two options the quick suite does
# not (its compile-and-run would cost minutes of suite time): all 56 combinations lower.
RUN = {"rbm": {}, "cgan": {"n_critic": 2}, "dbn": {}}


@pytest.mark.slow
@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_kind_of_step_trains_two_steps_and_every_method_lowers_every_option(method, batches):
    """Three kinds of step run two steps in each dtype and at K = 1 and 2, every parameter
    float32 and every metric finite, and two steps of K = 2 equal two of K = 1 in float32;
    every other method lowers the two options the quick suite leaves out."""
    if method not in RUN:
        _assert_lowers(method, [o for o in OPTIONS if o not in QUICK], batches)
        return
    results = {}
    for dtype, k in OPTIONS:
        init, step, example, calls = _training(method, dtype, k, batches)
        state = jax.jit(init)(jax.random.key(0), example)
        step = jax.jit(step)
        for batch in calls:
            state, metrics = step(state, batch, jax.random.key(1))
        assert int(state.step) == 2
        assert {x.dtype for x in jax.tree.leaves(state.params)} == {jnp.dtype(jnp.float32)}
        assert all(np.isfinite(float(v)) for v in metrics.values()), (dtype, k, metrics)
        results[dtype, k] = jax.device_get(state)
    for a, b in zip(*(jax.tree.leaves(results["float32", k]) for k in (1, 2)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    if method == "rbm":  # the tiny RBM config trains by PCD: its chains advanced in bfloat16 too
        assert results["bfloat16", 2].model_state["chains"].dtype == jnp.float32
