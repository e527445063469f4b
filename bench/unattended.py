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


class NobodyAtTheKeyboard:
    """While a bench drives the window: every message box is answered at once instead of waiting for a
    click, and what it said is kept (``said``) so the bench can tell a done box (导入完成) from a failure
    (无法结算). The static ``QMessageBox`` calls return at once — OK, or No/取消 to a question, so nothing
    is deleted on a bench's behalf — and a watch on a 50 ms timer (it runs inside a modal box's own event
    loop too) closes any box, file or input dialog made another way. Past ``deadline`` (``time.monotonic()``,
    set by the step measured) the watch also rejects whatever modal window is on top, naming it, so the
    step returns and fails with a message instead of waiting for good."""

    def __init__(self, app):
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QMessageBox

        self.said: list[tuple[str, str, str]] = []  # (kind, title, text)
        self.stuck: list[str] = []  # modal windows rejected past the deadline
        self.deadline: float | None = None
        self._saved = {name: QMessageBox.__dict__[name] for name in ("information", "warning", "critical", "question")}
        Button = QMessageBox.StandardButton

        def answer(kind: str, result):
            def box(_parent, title, text, *_a, **_k):
                self.said.append((kind, str(title), str(text)))
                return result

            return staticmethod(box)

        QMessageBox.information = answer("information", Button.Ok)
        QMessageBox.warning = answer("warning", Button.Ok)
        QMessageBox.critical = answer("critical", Button.Ok)
        QMessageBox.question = answer("question", Button.No)
        self.timer = QTimer(app)
        self.timer.timeout.connect(self._watch)
        self.timer.start(50)

    def take(self) -> list[tuple[str, str, str]]:
        said, self.said = self.said, []
        return said

    def _watch(self) -> None:
        import time

        from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QInputDialog, QMessageBox

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, (QMessageBox, QFileDialog, QInputDialog)) and widget.isVisible():
                text = widget.text() if isinstance(widget, QMessageBox) else ""
                self.said.append((type(widget).__name__, widget.windowTitle(), text))
                widget.reject()
        if self.deadline is not None and time.monotonic() > self.deadline:
            top = QApplication.activeModalWidget()
            if isinstance(top, QDialog):
                self.stuck.append(f"{type(top).__name__}“{top.windowTitle()}”")
                top.reject()

    def close(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.timer.stop()
        for name, original in self._saved.items():
            setattr(QMessageBox, name, original)
