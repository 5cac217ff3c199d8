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


@pytest.fixture(scope="module")
def results():
    env = dict(
        os.environ,
        # Appended: the suite's XLA flags (conftest.py: faster compiles) carry over.
        XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=8",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=ROOT,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tests.sharded_step"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


# One test over both cases and the batch error: the subprocess computes them together, once
# (separate tests would run it once per pytest-xdist worker that picks one of them).
def test_eight_devices_match_one_device_and_refuse_an_indivisible_batch(results):
    """A conditional DCGAN's two-player step, a CycleGAN step, MADE's (a mask drawn per step),
    a variational diffusion model's and a learned-variance DDPM's (importance-sampled steps,
    the loss history in the model state) on 1 and on 8 devices: the same losses, parameters and
    model state (1e-5)."""
    for case in ("cgan", "cyclegan", "made", "vdm", "iddpm"):
        one, eight = results[case]["1"], results[case]["8"]
        np.testing.assert_allclose(eight["losses"], one["losses"], rtol=1e-5, atol=1e-5)
        for a, b in zip(eight["params"], one["params"], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    message = results["batch_error"]
    assert message is not None and "\n" not in message
    assert "train.batch_size=100 is not divisible by the 8 devices" in message
    assert "multiple of 8" in message
