"""The run's working directory: checked writable and locked for one run at a time, before any
data is loaded or anything compiled."""

import os
import tempfile

from genjax.locks import try_lock

LOCK_NAME = ".lock"


def check_workdir(workdir: str) -> str:
    """Create ``workdir`` if needed and prove it writable; returns its absolute path.

    Raises:
      ValueError: one line when it is a file, cannot be created, or cannot be written.
    """
    path = os.path.abspath(workdir)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"--workdir {workdir} is a file, not a directory: pass a directory")
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):  # a read-only mount fails here, even for root
            pass
    except OSError as err:
        raise ValueError(
            f"--workdir {workdir} is not writable ({err.strerror}): pass a writable directory"
        ) from None
    return path


def lock_workdir(workdir: str) -> int:
    """Lock ``workdir`` for this run (released when the process ends, however it ends).

    Returns:
      The lock's file descriptor; keep it open for the run.

    Raises:
      LockHeldError: one line naming the pid and host of the run that holds it.
    """
    return try_lock(os.path.join(workdir, LOCK_NAME), f"--workdir {workdir}")


def release_workdir(fd: int | None) -> None:
    """Release a lock from ``lock_workdir`` (None: nothing held, as off process 0)."""
    if fd is not None:
        os.close(fd)
