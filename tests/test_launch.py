"""The launcher's supervision of its processes (fast: plain Python children, no training)."""

import subprocess
import sys

import pytest

from experiments.launch import supervise


def _child(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


def test_the_first_process_to_fail_is_named_even_when_its_peer_dies_right_after(tmp_path):
    """Process 1 fails; process 0 fails 20 ms later (a gloo peer aborts that fast): both exits
    fall within one 0.2 s polling period, which once named process 0 as the first."""
    flag = tmp_path / "failed"
    peer = (
        "import os, time\n"
        f"while not os.path.exists({str(flag)!r}): time.sleep(0.001)\n"
        "time.sleep(0.02); os._exit(4)"
    )
    first = f"import os, time\ntime.sleep(0.3)\nopen({str(flag)!r}, 'w').close()\nos._exit(3)"
    procs = [_child(peer), _child(first)]
    with pytest.raises(RuntimeError) as err:
        supervise(procs, grace=30)
    assert str(err.value) == (
        "process 1 of 2 failed (exit code 3); then process 0 stopped (exit code 4)"
    )


def test_a_process_that_hangs_after_a_failure_is_stopped_after_the_grace_period():
    procs = [_child("import time; time.sleep(60)"), _child("import os; os._exit(2)")]
    with pytest.raises(RuntimeError, match=r"^process 1 of 2 failed \(exit code 2\); then "):
        supervise(procs, grace=0.5)
    assert procs[0].returncode == -9  # SIGKILL after 0.5 s, not 60 s


def test_processes_that_all_finish_return_zero():
    assert supervise([_child("pass"), _child("pass")], grace=1) == 0
