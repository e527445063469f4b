"""#13 start-up: the login window is up before the data layer loads, and the store opens behind it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from ui import app as ui_app
from ui.dialogs.login import LoginDialog

from ui_helpers import when_modal

ROOT = Path(__file__).resolve().parent.parent


def _probe(data_dir: Path, *extra: str) -> dict[str, list[str]]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "bench.startup_probe", str(data_dir), *extra], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines() if line.strip()}


def test_the_login_window_comes_up_before_sqlalchemy_the_rules_and_the_pages(demo_store):
    """`station` with no subcommand, as a village PC starts it: nothing heavy is imported before the
    login window shows, and the login typed at once goes through to a populated 工作台."""
    root = demo_store.paths.root
    demo_store.close()
    Settings(root / "settings.json").set("station_name", "艾山街道杨家庄村新时代文明实践站")
    steps = _probe(root, "--login", "admin:admin123")
    assert steps["login_shown"][1] == "-"  # none of sqlalchemy, sqlmodel, app.db, app.models, app.rules, ui.pages
    assert float(steps["process"][0]) <= float(steps["login_shown"][0]) <= float(steps["logged_in"][0]) <= float(steps["dashboard"][0])
    assert steps["pinyin"] == ["loaded"]  # behind the login: the first volunteer saved does not wait 0.3 s for it
    assert steps["dashboard"][1] == "fresh"  # the first login: no figures kept yet
    again = _probe(root, "--login", "admin:admin123")  # the next login shows the figures kept from this one at once
    assert again["dashboard"][1] == "kept" and float(again["dashboard"][0]) <= float(again["fresh"][0])


def test_the_command_line_entry_opens_the_desktop_without_building_every_subcommand():
    from app.cli import desktop_start

    assert desktop_start([]) is not None
    assert desktop_start(["--data-dir", "D:\\台账"]).data_dir == "D:\\台账"
    for argv in (["info"], ["-h"], ["--version"], ["--data-dir"], ["--data-dir", "x", "volunteer", "list"]):
        assert desktop_start(argv) is None, argv
    code = ("import sys; from app.cli import desktop_start; desktop_start(['--data-dir', 'x']); import ui.app; "
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'app.db', 'app.models', 'ui.main_window') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _finish(window, lock) -> None:
    """As ``station`` ends a run (ui/app.py ``end_run``): the window deleted by Qt, not left to the collector."""
    ui_app.end_run(QApplication.instance(), window, lock, window.ctx.store.paths.root)


def _store_held_back(demo_store, monkeypatch, **settings):
    """The demo's data dir with ``settings`` saved, and an Event: the store does not open until it is set
    (a slow disk), so the test acts on the login window while it waits."""
    import threading

    root = demo_store.paths.root
    demo_store.close()
    for key, value in settings.items():
        Settings(root / "settings.json").set(key, value)
    release = threading.Event()
    real_open = ui_app.open_store_behind
    monkeypatch.setattr(ui_app, "open_store_behind", lambda paths: (release.wait(30), real_open(paths))[1])
    return root, release


def test_a_password_entered_while_the_store_opens_logs_in_as_soon_as_it_is_open(qtbot, demo_store, monkeypatch):
    root, release = _store_held_back(demo_store, monkeypatch, last_operator="clerk")
    seen = {}

    def type_and_enter(dialog: LoginDialog) -> None:
        seen["store"], seen["combo_enabled"] = dialog.store, dialog.username.isEnabled()
        dialog.password.setText("clerk123")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        seen["pending"], seen["message"], seen["visible"] = dialog.pending, dialog.opening.text(), dialog.isVisible()
        release.set()

    when_modal(type_and_enter, kind=LoginDialog, attempts=500)
    sys.setswitchinterval(0.005)  # CPython's default
    _app, window, lock = ui_app.start(str(root))
    try:
        assert sys.getswitchinterval() == pytest.approx(0.0002)  # background jobs let the GUI thread have the GIL sooner
        assert seen["store"] is None and not seen["combo_enabled"]
        assert seen["pending"] and "打开后马上登录" in seen["message"] and seen["visible"]
        assert window is not None and window.ctx.actor.username == "clerk"
        assert Settings(root / "settings.json").get("station_name") == "艾山街道杨家庄村新时代文明实践站"
        # a small screen (a village PC's 1366×768; the offscreen one here) is used whole: 1200 px of it squeezed
        # the pages' buttons and search boxes (a trial)
        assert window.screen().availableGeometry().width() < ui_app.MAXIMIZED_BELOW and window.isMaximized()
    finally:
        _finish(window, lock)


def test_the_early_login_waits_for_the_store_then_takes_a_wrong_then_right_password(qtbot, demo_store, monkeypatch):
    """The window is up with the cached station name and no store; the store arrives; a wrong password is
    refused with the usual message and the right one opens the window."""
    root, release = _store_held_back(demo_store, monkeypatch, station_name="旧名字")
    seen = {}

    def while_opening(dialog: LoginDialog) -> None:
        seen["title_before"] = dialog.title.text()
        seen["store_before"] = dialog.store
        seen["combo_before"] = dialog.username.isEnabled()
        release.set()

        def once_open() -> None:
            if dialog.store is None:
                QTimer.singleShot(20, once_open)
                return
            seen["title_after"] = dialog.title.text()
            dialog.password.setText("wrong-password")
            qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
            seen["error"] = dialog.error.text()
            dialog.password.setText("admin123")
            qtbot.keyClick(dialog.password, Qt.Key.Key_Return)

        QTimer.singleShot(0, once_open)

    when_modal(while_opening, kind=LoginDialog, attempts=500)
    _app, window, lock = ui_app.start(str(root))
    try:
        assert seen["title_before"] == "旧名字" and seen["store_before"] is None and not seen["combo_before"]
        assert seen["title_after"] == "艾山街道杨家庄村新时代文明实践站"
        assert "密码" in seen["error"]
        assert window is not None and window.ctx.actor.username == "admin"
    finally:
        _finish(window, lock)


def test_quitting_while_the_store_opens_starts_nothing(qtbot, demo_store):
    root = demo_store.paths.root
    demo_store.close()
    when_modal(lambda dialog: dialog.reject(), kind=LoginDialog, attempts=500)
    _app, window, lock = ui_app.start(str(root))
    assert window is None
    assert not any(type(w).__name__ == "MainWindow" and w.isVisible() for w in QApplication.topLevelWidgets())
    if lock is not None:
        lock.unlock()


def test_a_store_that_cannot_open_closes_the_early_login_and_says_why(qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    root = tmp_path / "data"
    root.mkdir()
    (root / "station.db").write_bytes(b"")  # 0 bytes: a power cut during a write
    shown = {}
    when_modal(lambda box: (shown.setdefault("text", box.text()), box.accept()), kind=QMessageBox, attempts=500)
    _app, window, lock = ui_app.start(str(root))
    assert window is None and "0 字节" in shown["text"]
    assert not any(isinstance(w, LoginDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
    if lock is not None:
        lock.unlock()
