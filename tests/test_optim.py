"""Learning-rate schedules against their closed forms."""

import numpy as np
import pytest

from genjax.optim import OptimConfig, make_schedule


def test_linear_tail_is_constant_then_linear_to_zero():
    """pix2pix / CycleGAN: the peak rate for the first half, then a straight line to 0."""
    cfg = OptimConfig(learning_rate=2e-4, schedule="linear_tail", warmup_steps=0)
    lr = make_schedule(cfg, 1000)
    steps = np.array([0, 250, 499, 500, 750, 999, 1000])
    expected = 2e-4 * np.clip(1.0 - np.maximum(steps - 500, 0) / 500, 0.0, 1.0)
    np.testing.assert_allclose([float(lr(s)) for s in steps], expected, rtol=1e-4, atol=1e-12)


def test_unknown_schedule_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown optim.schedule 'linear'; valid: .*linear_tail"):
        OptimConfig(schedule="linear")


def test_weight_decay_needs_adamw_and_adamw_applies_it():
    """Adam and SGD would ignore optim.weight_decay (it was silently dropped once): a one-line
    error; AdamW's decoupled decay shrinks a weight with zero gradient by lr * wd per step."""
    import jax.numpy as jnp

    from genjax.optim import make_optimizer

    for name in ("adam", "sgd"):
        with pytest.raises(ValueError, match="set optim.name='adamw'"):
            OptimConfig(name=name, weight_decay=0.1)
    cfg = OptimConfig(
        name="adamw", learning_rate=0.1, weight_decay=0.5, schedule="constant", warmup_steps=0
    )
    tx = make_optimizer(cfg, 10)
    params = {"w": jnp.ones(3)}
    updates, _ = tx.update({"w": jnp.zeros(3)}, tx.init(params), params)
    np.testing.assert_allclose(updates["w"], -0.1 * 0.5 * np.ones(3), rtol=1e-6)
