"""Exclusive file locks between processes (layer 0: the standard library only).

An OS lock (``fcntl.flock``) on a lock file: the kernel releases it when the holder exits or is
killed, so a crash (kill -9 included) never leaves a stale lock behind.
"""

import contextlib
import fcntl
import os
import socket
import time
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


class LockHeldError(ValueError):
    """Another live process holds the lock; the message names it."""


def try_lock(path: str, what: str) -> int:
    """Take an exclusive lock on ``path`` without waiting, record the holder in the file, and
    return its descriptor (keep it open for as long as the lock should hold; ``os.close``
    releases it, and so does the process's death).

    Args:
      path: the lock file; its directory must exist.
      what: the locked thing, for the error, e.g. "workdir runs/vae".

    Raises:
      LockHeldError: one line naming the holder's pid, host and start time.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise LockHeldError(
            f"{what} is in use by {holder}: wait for that run to end, stop it, or pass "
            "another --workdir"
        ) from None
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()} since {started}".encode(), 0)
    return fd
