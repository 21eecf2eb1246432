"""Silence what C libraries print on the process's stderr (LibRaw writes "Unexpected end of file" and the like),
so that a failure stays the tool's one line of error.

The redirect is of file descriptor 2, which every thread shares: `STDERR_LOCK` is held for its duration, and the
CLI's messages take the same lock, so a line printed from another thread waits instead of vanishing.
"""

import contextlib
import os
import sys
import threading
from typing import Iterator

STDERR_LOCK = threading.RLock()


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    with STDERR_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable fd 2 (embedded, closed): nothing to silence
            yield
            return
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
