"""Helpers for driving modal dialogs in pytest-qt tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def when_modal(action, *, kind=None, attempts: int = 250):
    """Run ``action(dialog)`` as soon as a modal dialog (of ``kind``) is up, for code that calls ``exec()``."""
    state = {"left": attempts}

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None and (kind is None or isinstance(dialog, kind)):
            try:
                action(dialog)
            except BaseException:
                dialog.done(0)  # a failed check must fail the test, not leave exec() waiting (reject may be refused: the lock)
                raise
            return
        state["left"] -= 1
        if state["left"] > 0:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def screenshot(widget, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    widget.grab().save(str(path))
    return path


def type_text(qtbot, widget, text: str) -> None:
    """Type like a person: ASCII through QTest key clicks, Chinese as key events carrying the
    committed text (what an input method delivers), since QTest only knows ASCII keys."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch))
