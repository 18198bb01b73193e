"""Ctrl-Z while this process holds the store's write lock: it stops once the transaction
is over, not in the middle of it.

A refresh stopped with Ctrl-Z (SIGTSTP, sent to the refresh and its parse workers) in
the middle of a write kept the store's write lock until someone resumed it: every mark
the reader or `tuinews mark-read` tried meanwhile waited out the busy timeout and was not
saved. With `defer_stops_during_writes`, a SIGTSTP that comes during a write transaction
stops the process right after it (a fraction of a second); at any other time at once.
SIGSTOP cannot be caught: `kill -STOP` still stops a process where it is.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_state = threading.Lock()
_open_writes = 0  # write transactions open in this process
_stop_pending = False  # a SIGTSTP came while one was open
_installed = False


def defer_stops_during_writes() -> None:
    """Handle SIGTSTP in this process as above (the main thread only, as signals are)."""
    global _installed
    signal.signal(signal.SIGTSTP, _on_stop_request)
    _installed = True


def _on_stop_request(signum: int, frame: FrameType | None) -> None:
    global _stop_pending
    # A handler runs between two bytecodes of the main thread, which may hold `_state`:
    # a plain read and write here, never the lock.
    _stop_pending = True
    if not _open_writes and _stop_pending:  # none open, or it closed meanwhile
        _stop_pending = False
        _stop()


def _stop() -> None:
    # SIGSTOP rather than SIGTSTP with its default action back: nothing to restore after
    # SIGCONT, and the shell sees the job stopped as ever.
    os.kill(os.getpid(), signal.SIGSTOP)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Around one write transaction: a SIGTSTP meanwhile stops the process after it."""
    global _open_writes, _stop_pending
    if not _installed:
        yield
        return
    with _state:
        _open_writes += 1
    try:
        yield
    finally:
        with _state:
            _open_writes -= 1
            stop = _stop_pending and not _open_writes
            if stop:
                _stop_pending = False
        if stop:
            _stop()
