"""Long store work in a background thread gives way to the window's thread.

SQLite's driver lets go of the interpreter lock around every row it writes or reads and takes it back a few
microseconds later. A thread waiting for the lock — the window's, to paint a cell or run a timer — is
woken, finds it taken again, and waits once more: CPython asks the holder to yield only when no switch at
all happened in its interval, and each of those brief releases counts as one. While a settlement wrote
400,000 rows this way the window stalled 60–170 ms at a time (bench/ui_bench.py), though every other
part of the job yields every 0.2 ms.

So a background thread calls ``give_way()`` between slices of a bulk insert and, through SQLite's progress
handler, every ``PROGRESS_OPS`` steps of any statement (a long read of many rows included): if the
window's thread has not run for ``STARVED_S``, it sleeps a moment, long enough for the window to take the
lock and use it. The UI says when it last ran (``set_watch``); without a UI (the command line, the
district server, tests of the services) nothing ever waits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

STARVED_S = 0.025  # the window's own timer beats every 10 ms while a job runs
PAUSE_S = 0.001
SLICE = 256  # rows per executemany between two chances to give way
PROGRESS_OPS = 20_000  # SQLite virtual-machine steps between two chances inside one statement (about 0.2 ms)

_since_window_ran: Callable[[], float] | None = None


def set_watch(since_window_ran: Callable[[], float] | None) -> None:
    """``since_window_ran()``: seconds since the window's thread last ran Python (None: no window)."""
    global _since_window_ran
    _since_window_ran = since_window_ran


def give_way() -> bool:
    """Sleep a moment if the window's thread has been kept waiting; True if it did."""
    watch = _since_window_ran
    if watch is None or threading.current_thread() is threading.main_thread() or watch() < STARVED_S:
        return False
    time.sleep(PAUSE_S)
    return True


def slices(rows: list, size: int | None = None):
    """``rows`` in slices of ``size`` (``SLICE``), giving way between them."""
    size = size or SLICE
    for start in range(0, len(rows), size):
        if start:
            give_way()
        yield rows[start:start + size]
