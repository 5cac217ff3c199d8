"""Faults a long run meets: a second run on the same workdir, a workdir that cannot be written,
a broken newest checkpoint, a checkpoint of another model, a full disk."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from genjax.locks import LockHeldError, try_lock
from genjax.run import experiment
from genjax.run.experiment import train_and_evaluate
from genjax.run.restore import load_trained
from genjax.train import checkpoint
from genjax.train.checkpoint import CheckpointMismatchError, SaveError
from tests.helpers import tiny_config


@pytest.fixture
def no_data_load(monkeypatch):
    """Fail the test if the run gets as far as loading data."""

    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the error")

    monkeypatch.setattr(experiment, "load_data", refuse)


def test_a_second_run_on_a_locked_workdir_is_refused_before_loading_data(tmp_path, no_data_load):
    fd = try_lock(str(tmp_path / ".lock"), "test")
    try:
        with pytest.raises(LockHeldError) as err:
            train_and_evaluate(tiny_config(), str(tmp_path))
    finally:
        os.close(fd)
    message = str(err.value)
    assert f"--workdir {tmp_path} is in use by pid {os.getpid()} on host " in message
    assert socket.gethostname() in message and "\n" not in message


def test_the_kernel_frees_the_lock_of_a_killed_holder(tmp_path):
    path = str(tmp_path / ".lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from genjax.locks import try_lock; "
            f"try_lock({path!r}, 'x'); print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(LockHeldError, match=f"in use by pid {holder.pid} on host"):
        try_lock(path, "x")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    os.close(try_lock(path, "x"))  # no stale lock: taken at once


def test_a_workdir_that_is_a_file_or_unwritable_is_one_line(tmp_path, monkeypatch, no_data_load):
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(ValueError, match=f"--workdir {afile} is a file, not a directory"):
        train_and_evaluate(tiny_config(), str(afile))

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("genjax.run.workdir.tempfile.TemporaryFile", read_only)
    with pytest.raises(ValueError, match=r"is not writable \(Read-only file system\): pass a"):
        train_and_evaluate(tiny_config(), str(tmp_path / "w"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny VAE trained 20 steps, checkpoints at 10 and 20 (copied by each test)."""
    workdir = tmp_path_factory.mktemp("trained")
    train_and_evaluate(tiny_config(steps=20), str(workdir))
    return workdir


def _copy(trained, tmp_path):
    dest = tmp_path / "w"
    shutil.copytree(trained, dest)
    return dest


@pytest.mark.slow  # trains and resumes
def test_a_truncated_newest_checkpoint_is_set_aside_and_the_run_resumes_before_it(
    trained, tmp_path, capsys
):
    workdir = _copy(trained, tmp_path)
    files = glob.glob(str(workdir / "checkpoints/20/state/ocdbt.process_0/d/*"))
    biggest = max(files, key=os.path.getsize)
    with open(biggest, "r+b") as f:
        f.truncate(100)
    summary = train_and_evaluate(tiny_config(steps=30), str(workdir))
    assert summary["resumed_from"] == 10
    lines = [line for line in capsys.readouterr().err.splitlines() if "checkpoint" in line]
    assert len(lines) == 1 and lines[0].startswith(
        "warning: checkpoint at step 20 does not restore ("
    ), lines
    assert lines[0].endswith(f"moved to {workdir}/checkpoints/broken-20")
    kept = workdir / "checkpoints" / "broken-20" / "state" / "ocdbt.process_0" / "d"
    assert os.path.getsize(kept / os.path.basename(biggest)) == 100  # set aside, not deleted
    assert sorted(os.listdir(workdir / "checkpoints")) == ["10", "20", "30", "broken-20"]


@pytest.mark.slow  # trains
def test_a_checkpoint_of_another_model_is_one_line_and_left_untouched(trained, tmp_path):
    workdir = _copy(trained, tmp_path)
    other = tiny_config(steps=30)
    other.model.hidden = (48,)
    with pytest.raises(CheckpointMismatchError) as err:
        train_and_evaluate(other, str(workdir))
    message = str(err.value)
    assert message.startswith(f"the checkpoint at step 20 in {workdir}/checkpoints does not fit")
    assert "saved (32,), this model (48,)" in message and "\n" not in message
    assert sorted(os.listdir(workdir / "checkpoints")) == ["10", "20"]


@pytest.mark.slow  # trains
def test_a_full_disk_is_one_line_and_the_last_good_checkpoint_loads(trained, tmp_path, monkeypatch):
    workdir = _copy(trained, tmp_path)
    # 1. Too little room for the next save: refused before anything is written.
    usage = shutil.disk_usage(workdir)
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", lambda p: usage._replace(free=300 * 2**10))
    with pytest.raises(SaveError) as err:
        train_and_evaluate(tiny_config(steps=30), str(workdir))
    message = str(err.value)
    assert message.startswith(f"saving the checkpoint of step 30 in {workdir}/checkpoints failed")
    assert "0.3 MiB free there); the last good checkpoint, step 20, is kept" in message
    monkeypatch.undo()
    # 2. The disk fills during the write: the partial save is removed, step 20 stays.
    real_save = ocp.CheckpointManager.save

    def fill_up(self, step, *args, **kwargs):
        if step == 30:
            os.makedirs(os.path.join(self.directory, "30.orbax-checkpoint-tmp-1/state"))
            raise OSError(28, "No space left on device")
        return real_save(self, step, *args, **kwargs)

    monkeypatch.setattr(ocp.CheckpointManager, "save", fill_up)
    with pytest.raises(SaveError, match=r"step 30 .* failed \(OSError: \[Errno 28\] No space"):
        train_and_evaluate(tiny_config(steps=30), str(workdir))
    assert sorted(os.listdir(workdir / "checkpoints")) == ["10", "20"]
    restored = load_trained(str(workdir))
    assert restored.step == 20
    assert all(np.isfinite(x).all() for x in jax.tree.leaves(restored.state.params))


def test_the_cluster_comes_from_the_config_then_the_environment():
    from genjax.run.distributed import DistributedConfig, cluster

    env = {"JAX_COORDINATOR_ADDRESS": "10.0.0.1:1234", "JAX_NUM_PROCESSES": "4"}
    env["JAX_PROCESS_ID"] = "3"
    assert cluster(DistributedConfig(), env) == {
        "coordinator_address": "10.0.0.1:1234",
        "num_processes": 4,
        "process_id": 3,
    }
    given = DistributedConfig(coordinator_address="h:1", num_processes=2, process_id=0)
    assert cluster(given, env) == {
        "coordinator_address": "h:1",
        "num_processes": 2,
        "process_id": 0,
    }
    assert cluster(DistributedConfig(), {}) == dict.fromkeys(
        ("coordinator_address", "num_processes", "process_id")
    )  # JAX detects SLURM, Open MPI, Kubernetes or a Cloud TPU itself
    with pytest.raises(ValueError, match="JAX_NUM_PROCESSES='two' must be a whole number"):
        cluster(DistributedConfig(), {"JAX_NUM_PROCESSES": "two"})
    with pytest.raises(ValueError, match=r"process id 4 is outside 0..3 \(4 processes\)"):
        cluster(DistributedConfig(), {**env, "JAX_PROCESS_ID": "4"})


def test_messages_are_cut_at_a_word_boundary():
    from genjax.checks import clip

    text = "ValueError: " + " ".join(f"word{i}" for i in range(100)) + "\nsecond line"
    cut = clip(text, 60)
    assert len(cut) <= 62 and cut.endswith(" …") and "second" not in cut
    assert cut[:-2] == text[: len(cut) - 2] and text[len(cut) - 2] == " "  # whole words only
    assert clip("short\nmore") == "short"
