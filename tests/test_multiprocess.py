"""Real multi-process training on one machine: 2 processes x 4 CPU devices (gloo collectives,
a coordinator on 127.0.0.1, started by experiments.launch) against 1 process x 8 devices; a
resume across processes; a killed peer; a preemption."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import jax
import numpy as np
import pytest

from genjax.run.experiment import train_and_evaluate
from genjax.run.restore import load_trained

pytestmark = pytest.mark.slow  # every test trains in subprocesses

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = [
    "--config=configs/vae.py",
    "--config.model.hidden=(32,)",
    "--config.model.latent_dim=4",
    "--config.optim.warmup_steps=2",
    "--config.optim.decay_steps=100",
    "--config.train.batch_size=32",
    "--config.eval.batch_size=64",
    "--config.train.log_every=5",
    "--config.train.eval_every=10",
    "--config.train.ckpt_every=10",
    "--config.train.steps_per_call=1",
    "--config.train.progress=False",
    "--config.eval.nll_samples=100",
    "--config.eval.num_samples=16",
    "--config.eval.suite.enabled=False",
    "--config.distributed.heartbeat_timeout=5",
]


def _env(devices: int) -> dict:
    flags = [os.environ.get("XLA_FLAGS", ""), f"--xla_force_host_platform_device_count={devices}"]
    return {**os.environ, "XLA_FLAGS": " ".join(flags).strip(), "JAX_PLATFORMS": "cpu"}


def _run(args: list[str], devices: int = 4, timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=_env(devices),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return proc


def _launch(workdir, steps: int) -> subprocess.CompletedProcess:
    return _run(
        [
            "experiments.launch",
            "--processes=2",
            "--devices_per_process=4",
            "--",
            *TINY,
            f"--config.train.steps={steps}",
            f"--workdir={workdir}",
        ]
    )


def _leaves(workdir, step: int | None = None) -> list[np.ndarray]:
    return jax.tree.leaves(jax.device_get(load_trained(str(workdir), step).state))


def test_two_processes_train_as_one_and_resume_bitwise(tmp_path):
    """1 x 8 and 2 x 4 devices: the same parameters after 10 steps (1e-5) and the same test
    metrics; the 2-process run's checkpoint of step 10, resumed by 2 processes, ends exactly
    where the uninterrupted run does at step 20."""
    one, two, resumed = tmp_path / "one_process", tmp_path / "two", tmp_path / "resumed"
    out = _run(["experiments.train", *TINY, "--config.train.steps=10", f"--workdir={one}"], 8)
    straight = _launch(two, 20)  # keeps its checkpoint of step 10 too
    for a, b in zip(_leaves(two, 10), _leaves(one), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # The test split is gathered whole across processes: the same test metrics at step 10.
    test_at_10 = lambda workdir: next(
        row
        for row in map(json.loads, (workdir / "metrics.jsonl").read_text().splitlines())
        if row["split"] == "test" and row["step"] == 10
    )
    a, b = test_at_10(two), test_at_10(one)
    assert a.keys() == b.keys() and "elbo" in a
    for name in a.keys() - {"split", "step"}:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-4, err_msg=name)
    assert "test_rows=297" in straight.stdout and "test_rows=297" in out.stdout
    # One process speaks: the launcher shows process 0's summary lines only.
    assert sum(line.startswith("summary:") for line in straight.stdout.splitlines()) == 1
    shutil.copytree(two, resumed, ignore=shutil.ignore_patterns("20", "launch"))
    again = _launch(resumed, 20)
    assert "resumed_from=10" in again.stdout
    for a, b in zip(_leaves(resumed), _leaves(two), strict=True):
        np.testing.assert_array_equal(a, b)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def test_a_killed_peer_stops_the_run_with_one_line(tmp_path):
    args = [*TINY, "--config.train.steps=100000", f"--workdir={tmp_path}"]
    launcher = subprocess.Popen(
        [sys.executable, "-m", "experiments.launch", "--processes=2", "--devices_per_process=4"]
        + ["--grace=60", "--", *args],
        cwd=ROOT,
        env=_env(4),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (tmp_path / "checkpoints" / "10").exists():  # both processes are training
        assert launcher.poll() is None and time.monotonic() < deadline, launcher.communicate()
        time.sleep(0.5)
    os.kill(_children(launcher.pid)[1], signal.SIGKILL)
    out, err = launcher.communicate(timeout=120)  # the survivor stops within its heartbeat
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert launcher.returncode == 1
    assert lines == [lines[0]] and lines[0].startswith(
        "error: process 1 of 2 failed (killed by SIGKILL); then process 0 stopped"
    ), lines
    assert (tmp_path / "launch" / "process_0.log").exists()


def test_sigterm_saves_at_the_next_step_and_the_run_resumes_bitwise(tmp_path):
    """In this process (one compile for all three runs): a SIGTERM sent while it trains."""
    from tests.helpers import tiny_config

    stopped, straight = tmp_path / "stopped", tmp_path / "straight"
    metrics = stopped / "metrics.jsonl"

    def send_sigterm_once_training():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if metrics.exists() and '"split": "train"' in metrics.read_text():
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.05)

    threading.Thread(target=send_sigterm_once_training, daemon=True).start()
    summary = train_and_evaluate(tiny_config(steps=3000, ckpt_every=1000), str(stopped))
    step = summary["preempted_at"]
    assert 5 <= step < 3000 and not (stopped / "summary.json").exists()
    assert sorted(os.listdir(stopped / "checkpoints")) == [str(step)]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was put back
    total = step + 5
    assert train_and_evaluate(tiny_config(steps=total), str(stopped))["resumed_from"] == step
    train_and_evaluate(tiny_config(steps=total), str(straight))
    for a, b in zip(_leaves(stopped), _leaves(straight), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_bad_config_is_refused_once_not_once_per_process(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.launch", "--processes=2", "--devices_per_process=4"]
        + ["--", *TINY, "--config.train.batch_size=100", f"--workdir={tmp_path}"],
        cwd=ROOT,
        env=_env(4),
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert proc.returncode == 1
    assert lines[0].startswith("error: train.batch_size=100 is not divisible by the 8 devices")
    assert lines[1].startswith("error: process ") and len(lines) == 2, lines
