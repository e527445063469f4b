"""Every page and dialog on a village PC's screen: 1366×768 with a 40 px taskbar leaves 1366×728."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.services import activities, operators
from app.services.context import Context
from app.settings import Settings
from ui.dialogs.activity import ActivityDialog
from ui.fit import check_dialogs, check_window
from ui.main_window import MainWindow
from ui_helpers import screenshot, type_text

WIDTH, HEIGHT = 1366, 728


def test_every_page_and_dialog_fits_1366x728(qtbot, demo_store):
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    shots = []

    def shoot(name, widget):
        shots.append(screenshot(widget, f"fit-{name}"))

    misfits = check_window(window, WIDTH, HEIGHT, shoot) + check_dialogs(window, WIDTH, HEIGHT, shoot)
    assert misfits == [], [str(m) for m in misfits]
    assert len(shots) >= len(window.page_keys) + 15
    # and the check can fail: a screen too small for the lists is reported, page by page
    assert any("志愿者" in str(m) for m in check_window(window, 800, 600))
    window.idle.stop()


@pytest.mark.parametrize("width, height", [(1366, 728), (1280, 688)])  # 1366×768, and 1920×1080 at 150 %, less the taskbar
def test_every_page_and_dialog_opens_within_the_screen(qtbot, demo_store, width, height):
    """The print preview opened at 900×1000 on a 1366×768 screen; the check shrank each dialog to the screen
    before measuring, so it never saw it."""
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.idle.stop()
    misfits = check_window(window, width, height) + check_dialogs(window, width, height)
    assert misfits == [], [str(m) for m in misfits]


def test_the_check_lists_a_window_that_opens_taller_than_the_screen(qtbot, demo_store, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from ui import soak

    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.idle.stop()

    def too_tall():
        dialog = QDialog(window)
        dialog.resize(900, 1000)
        return dialog

    monkeypatch.setattr(soak, "dialog_factories", lambda _window: {"太高的窗口": too_tall})
    assert [str(m) for m in check_dialogs(window, 1366, 728)] == ["窗口“太高的窗口”：打开时 900×1000，屏幕可用 1366×696"]


def test_the_activity_form_saves_with_enter_on_a_768_screen(qtbot, demo_store):
    """It was 680×900 with an 877 px minimum: 保存 below the screen, and Enter opened 添加志愿者."""
    ctx = Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123"))
    dialog = ActivityDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.resize(dialog.width(), min(dialog.height(), HEIGHT - 32))
    assert dialog.minimumSizeHint().height() <= HEIGHT - 32
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert dialog.rect().contains(save.geometry().translated(save.parentWidget().mapTo(dialog, save.parentWidget().rect().topLeft())))
    before = activities.count_activities(ctx)
    type_text(qtbot, dialog.title_edit, "Enter 保存的活动")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    assert dialog.result() == 1 and activities.count_activities(ctx) == before + 1


@pytest.mark.parametrize("screen", ["1366x728", "1280x688"])
def test_selftest_finds_nothing_that_does_not_fit(tmp_path, screen):
    """On an installed PC: `station selftest --screen 宽x高` lists what does not fit, here nothing."""
    result = subprocess.run([sys.executable, "-m", "app.cli", "selftest", "--screen", screen, "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent, timeout=300,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8", "QT_QPA_PLATFORM": "offscreen"})
    assert "放不下" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 0 and "屏幕适配" in result.stdout and "自检通过" in result.stdout
