"""What every experiment main shares: turning expected errors into one line on stderr."""

import sys
from collections.abc import Callable

from genjax.data import DatasetNotPreparedError

EXPECTED = (ValueError, KeyError, AttributeError, FloatingPointError, DatasetNotPreparedError)


def friendly_errors(run: Callable, main: Callable) -> int:
    """Run ``run(main)``; an expected error prints ``error: <one line>`` and returns 1.

    Set GENJAX_TRACEBACK=1 for the full traceback.
    """
    import os

    from absl import logging

    logging.set_verbosity(logging.WARNING)
    try:
        run(main)
    except EXPECTED as err:
        if os.environ.get("GENJAX_TRACEBACK"):
            raise
        message = str(err).strip().strip("'\"").splitlines()[0] if str(err) else repr(err)
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0
