"""Preemption: SIGTERM asks the run to save at the next step boundary and exit cleanly.

On one process a SIGTERM handler raises a flag that the loop reads between calls. On several,
JAX's preemption service (started by ``jax.distributed.initialize``) catches the signal on any
process and agrees on one step at which every process stops, so all save the same step.
"""

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

import jax
from jax.experimental import multihost_utils


@contextlib.contextmanager
def preemption_watch() -> Iterator[Callable[[int], bool]]:
    """For the block, a function ``stop(call)``: True once the run should save and stop.

    ``call`` counts the loop's calls from the run's start step (every process passes the same
    numbers, one per call, as JAX's sync point requires).
    """
    if jax.process_count() > 1:
        yield multihost_utils.reached_preemption_sync_point
        return
    if threading.current_thread() is not threading.main_thread():  # signals reach main only
        yield lambda call: False
        return
    raised = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: raised.append(signum))
    try:
        yield lambda call: bool(raised)
    finally:
        signal.signal(signal.SIGTERM, previous)
