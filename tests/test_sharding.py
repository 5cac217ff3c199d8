"""On 8 CPU devices the sharded step gives the loss and parameters of 1 device (1e-5)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# Every test here runs the mains or a training in a subprocess: end to end.
pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def results(cases: tuple[str, ...]) -> dict:
    """``python -m tests.sharded_step CASES`` on 8 CPU devices: its JSON."""
    env = dict(
        os.environ,
        # Appended: the suite's XLA flags (conftest.py: faster compiles) carry over.
        XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=8",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=ROOT,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tests.sharded_step", *cases],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# One test, one subprocess, over every case and the batch error (separate tests would compile
# and prepare data once per pytest-xdist worker: measured slower in all). The cases: a
# conditional DCGAN (its critic updated twice per step on strided halves), a CycleGAN step
# (instance norm, four networks, the image pools' draws), MADE (a mask drawn per step), a
# variational diffusion model (antithetic times across the global batch, the schedule's
# variance-minimising gradient) and a learned-variance DDPM (importance-sampled steps, the
# loss history in the model state).
CASES = ("cgan", "cyclegan", "made", "vdm", "iddpm")


def test_eight_devices_match_one_device_and_refuse_an_indivisible_batch():
    """Each case's steps on 1 and on 8 devices: the same losses, parameters and model state
    (1e-5); a batch that the devices do not divide is a one-line error."""
    out = results(CASES)
    for case in CASES:
        one, eight = out[case]["1"], out[case]["8"]
        np.testing.assert_allclose(eight["losses"], one["losses"], rtol=1e-5, atol=1e-5)
        for a, b in zip(eight["params"], one["params"], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    message = out["batch_error"]
    assert message is not None and "\n" not in message
    assert "train.batch_size=100 is not divisible by the 8 devices" in message
    assert "multiple of 8" in message
