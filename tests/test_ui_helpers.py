"""The tests' own helpers for modal windows: each acts only within the test that set it up."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ui_helpers import end_pollers, when_modal


def test_a_poller_ends_with_its_test(qtbot):
    """A poller whose window never came was still polling in the next test (its event loop stopped meanwhile
    while a test waited on a subprocess), and would have answered that test's question."""
    acted: list[str] = []
    when_modal(lambda box: (acted.append(box.windowTitle()), box.done(0)), kind=QMessageBox)
    end_pollers()  # what the autouse fixture does at the test's end
    def yes() -> None:
        box = QApplication.activeModalWidget()
        next(b for b in box.buttons() if box.standardButton(b) == QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(300, yes)
    answer = QMessageBox.question(None, "下一个测试的问题", "是否继续？")
    assert acted == [] and answer == QMessageBox.StandardButton.Yes


def test_a_poller_of_this_test_still_acts(qtbot):
    acted: list[str] = []
    when_modal(lambda box: (acted.append(box.windowTitle()), box.button(QMessageBox.StandardButton.No).click()),
               kind=QMessageBox)
    answer = QMessageBox.question(None, "本测试的问题", "是否继续？")
    assert acted == ["本测试的问题"] and answer == QMessageBox.StandardButton.No
