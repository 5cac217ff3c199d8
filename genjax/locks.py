"""Exclusive file locks between processes (layer 0: the standard library only).

An OS lock (``fcntl.flock``) on a lock file: the kernel releases it when the holder exits or is
killed, so a crash never leaves a stale lock behind.
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if absent) for the block, waiting for it.

    Args:
      path: the lock file; its directory must exist.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
