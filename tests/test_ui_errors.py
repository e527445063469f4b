"""Crashes write a log and show a Chinese dialog; logs never carry a full ID number or phone."""

from __future__ import annotations

import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from app.config import DataPaths
from app.logs import setup_logging
from ui import app as ui_app
from ui.dialogs.errors import ErrorDialog
from ui_helpers import screenshot, when_modal


def test_unhandled_exception_logs_and_shows_chinese_dialog(qtbot, tmp_path, monkeypatch):
    paths = DataPaths(tmp_path / "data").ensure()
    setup_logging(paths.logs)
    # Process-wide hooks: keep pytest's own, note what the app installs.
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    installed = {}
    monkeypatch.setattr(ui_app.faulthandler, "enable", lambda file: installed.setdefault("crash_file", file.name))
    monkeypatch.setattr(ui_app, "qInstallMessageHandler", lambda handler: installed.setdefault("qt", handler))
    ui_app.install_error_handling(paths)
    assert installed["crash_file"].endswith("crash.log") and installed["qt"] is ui_app._qt_message
    seen = {}

    def look(dialog):
        seen["details"] = dialog.details
        screenshot(dialog, "error-dialog")
        buttons = {b.text(): b for b in dialog.findChildren(QPushButton)}
        buttons["复制详细信息"].click()
        buttons["关闭"].click()

    when_modal(look, kind=ErrorDialog)
    try:
        raise RuntimeError("导入时出错 11010519491231002X 13812345678")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert "RuntimeError" in seen["details"]
    assert "11010519491231002X" not in seen["details"] and "110105********002X" in seen["details"]
    assert "13812345678" not in QGuiApplication.clipboard().text()
    log_text = (paths.logs / "station.log").read_text(encoding="utf-8")
    assert "unhandled exception" in log_text and "RuntimeError" in log_text
    assert "11010519491231002X" not in log_text and "13812345678" not in log_text
    assert (paths.logs / "crash.log").exists()
    ui_app._crash_file.close()  # the app keeps it open for its whole life; a test must not leak it
