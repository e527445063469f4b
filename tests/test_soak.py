"""A day of clicks in one process: the class of crash (a reference lost on every void Qt call,
``Fatal Python error: none_dealloc`` after ~5,000 calls on PySide6 6.12.0 / Python 3.11) that no short
test finds. If this test aborts the run, the PySide6 / Python pairing in pyproject.toml is wrong."""

from __future__ import annotations

import pytest

from app.services import operators
from app.services.context import Context
from app.settings import Settings
from ui.main_window import MainWindow
from ui.soak import soak

pytestmark = pytest.mark.slow


def test_soak_pages_dialogs_and_qt_calls(qtbot, demo_store, capsys):
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    from PySide6.QtWidgets import QApplication

    from ui.workers import install_garbage_collector

    collector = install_garbage_collector(QApplication.instance())  # the app's own collection, on its timer (conftest)
    collector.settle()  # and what is alive once the window is up frozen out of full collections, as the program does
    try:
        report = soak(window, page_rounds=60, dialog_rounds=5, calls=100_000)
    finally:
        collector.unsettle()
    window.idle.stop()
    with capsys.disabled():
        print("\nsoak:\n" + "\n".join(report.lines()))
    assert report.void_calls == 100_000
    assert report.page_visits == 60 * len(window.page_keys)
    assert report.dialogs_opened == 5 * len(report.dialog_kinds)
    # every form of the app was among them
    assert {"新增志愿者", "修改志愿者", "新增活动", "修改活动", "群众点单", "兑换", "锁定"} <= set(report.dialog_kinds)
    # Bounded memory: caches warm up in the first rounds and then stay (measured: +10 to +17 MB).
    assert report.growth < 80 * 1024 * 1024, report.lines()
