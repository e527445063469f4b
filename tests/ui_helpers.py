"""Helpers for driving modal dialogs in pytest-qt tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


_pollers: list[dict] = []  # the pollers of the test running now: each ends with its test (conftest)


def end_pollers() -> None:
    """A poller whose window never came kept polling after its test, and would have acted on the next test's
    window; an event loop that did not run meanwhile (a test waiting on a subprocess) made that minutes later."""
    for state in _pollers:
        state["left"] = 0
    _pollers.clear()


def when_modal(action, *, kind=None, attempts: int = 250):
    """Run ``action(dialog)`` as soon as a modal dialog (of ``kind``) is up, for code that calls ``exec()``."""
    state = {"left": attempts}
    _pollers.append(state)

    def poll() -> None:
        if state["left"] <= 0:
            return  # its test is over
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


def answer_first_run_with_the_demo(qtbot) -> None:
    """When the first-run wizard comes up: choose the demo and 完成 on that first page (it asks for no account:
    the demo has a known login, and the window opens logged in with it)."""
    from ui.dialogs.wizard import FirstRunWizard

    def wizard(dialog):
        dialog.choice.demo.setChecked(True)
        dialog.button(dialog.WizardButton.FinishButton).click()

    when_modal(wizard, kind=FirstRunWizard)


def fill_station_page(qtbot, wizard, *, phone: str = "0531-76123456") -> None:
    """The first-run wizard's station page, as a village clerk fills it (a station of 艾山街道)."""
    type_text(qtbot, wizard.station.name, "红山村新时代文明实践站")
    type_text(qtbot, wizard.station.street, "艾山街道")
    type_text(qtbot, wizard.station.manager, "杨红霞")
    type_text(qtbot, wizard.station.phone, phone)


def type_chinese(widget, text: str) -> None:
    """Text committed by an input method, as Chinese is typed on a village PC (QTest's key clicks take
    ASCII only: Qt asserts on anything else)."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    widget.setFocus()
    QApplication.sendEvent(widget, event)


def watch_modals(seconds: float):
    """A timer that closes a modal window left in front for ``seconds`` and notes it: (the timer, the notes)."""
    import time

    from PySide6.QtWidgets import QMessageBox

    seen: dict = {"widget": None, "since": 0.0}
    stuck: list[str] = []

    def look() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or widget is not seen["widget"]:
            seen.update(widget=widget, since=time.monotonic())
        elif time.monotonic() - seen["since"] > seconds:
            text = widget.text() if isinstance(widget, QMessageBox) else ""
            stuck.append(f"“{widget.windowTitle()}” {text}".strip())
            seen.update(widget=None)
            widget.done(0)

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(min(1000, int(seconds * 250)))
    return timer, stuck
