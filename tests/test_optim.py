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
