"""Benches run with nobody at the keyboard, so nothing in them may wait for a person.

- Every bench that drives the program's main window builds it with ``main_window`` here: its idle lock is
  off (after ``idle_lock_minutes`` without input the lock's password box came up in the middle of
  bench/ui_bench.py and ``make bench`` waited for good).
- Each step of ``make bench`` runs under ``step``: one that has not finished within its (generous) limit
  ends the run, naming the step, with every thread's stack; the GUI thread may be inside a modal box, where
  no exception reaches it.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
from contextlib import contextmanager


def main_window(ctx, settings):
    """The program's main window for a bench: as the program builds it, with its idle lock stopped."""
    from ui.main_window import MainWindow

    window = MainWindow(ctx, settings)
    window.idle.stop()
    return window


@contextmanager
def step(name: str, seconds: float):
    """Fail the whole run with exit code 1 if the step ``name`` takes longer than ``seconds``."""

    def overrun() -> None:
        minutes = seconds / 60
        print(f"\n基准测试超时：“{name}”在 {minutes:g} 分钟内没有完成（可能在等人操作）。\n"
              f"bench timed out: step '{name}' did not finish within {minutes:g} min (waiting for a person?).",
              file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(1)

    timer = threading.Timer(seconds, overrun)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
