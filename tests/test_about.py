"""帮助 → 关于 and THIRD-PARTY-NOTICES (#27): what the program ships, under which licence, shown to the person."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit

import app
from app.services import operators
from app.services.context import Context
from app.settings import Settings
from ui.dialogs.about import AboutDialog, NoticesDialog
from ui.main_window import MainWindow
from ui_helpers import screenshot, when_modal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))
import notices

LOCKS = ROOT / "requirements" / notices.platform_tag()


def _locked() -> dict[str, str]:
    found = {}
    for name in ("desktop.lock", "district.lock"):
        for line in (LOCKS / name).read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+) ", line)
            if match:
                found[match.group(1)] = match.group(2)
    return found


def test_the_shipped_notices_are_those_the_locks_give():
    """`make lock` refreshes both; a lock changed without the notices fails here."""
    assert notices.OUT.read_text(encoding="utf-8") == notices.render(LOCKS), "run: python installer/notices.py"


def test_the_notices_name_every_locked_package_its_licence_and_the_qt_sources():
    text = notices.OUT.read_text(encoding="utf-8")
    listed = {notices.normal(m.group(1)): m.group(2) for m in re.finditer(r"^- (\S+) (\S+)  \[", text, re.MULTILINE)}
    assert listed == {notices.normal(n): v for n, v in _locked().items()}
    qt = _locked()["pyside6-essentials"]
    assert f"- PySide6_Essentials {qt}  [LGPL-3.0-only" in text and "用于：桌面程序\n" in text
    assert f"https://download.qt.io/official_releases/QtForPython/pyside6/PySide6-{qt}-src/" in text
    assert f"https://download.qt.io/official_releases/qt/{qt.rsplit('.', 1)[0]}/{qt}/single/" in text
    for licence in ("GNU LESSER GENERAL PUBLIC LICENSE\n                       Version 3", "GNU GENERAL PUBLIC LICENSE\n                       Version 3",
                    "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", "WenQuanYi", "Droid"):
        assert licence in text, licence
    # each package's own licence file, read from what it installed (reportlab's, requests' NOTICE)
    assert "ReportLab Inc." in text and "[licenses/NOTICE]" in text
    # the district server's packages are marked as such, not as the desktop's
    assert re.search(r"^- fastapi \S+  \[MIT\]  用于：区级服务器$", text, re.MULTILINE)


def test_an_environment_the_locks_no_longer_describe_is_refused(tmp_path):
    shutil.copytree(LOCKS, tmp_path / "locks")
    lock = tmp_path / "locks" / "desktop.lock"
    lock.write_text(re.sub(r"^reportlab==\S+ ", "reportlab==0.0.1 ", lock.read_text(encoding="utf-8"), flags=re.MULTILINE),
                    encoding="utf-8")
    with pytest.raises(SystemExit, match="reportlab（锁定 0.0.1"):
        notices.render(tmp_path / "locks")


def test_check_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    good = notices.OUT.read_text(encoding="utf-8")
    copy = tmp_path / "THIRD-PARTY-NOTICES.txt"
    copy.write_text(good.replace("- alembic", "- alembix"), encoding="utf-8")
    monkeypatch.setattr(notices, "OUT", copy)
    assert notices.main(["--check"]) == 1 and "不一致" in capsys.readouterr().out
    copy.write_text(good, encoding="utf-8")
    assert notices.main(["--check"]) == 0 and "一致" in capsys.readouterr().out


def test_help_about_shows_the_version_the_folder_and_the_licences(qtbot, demo_store):
    actor = operators.authenticate(demo_store, "admin", "admin123")
    window = MainWindow(Context(store=demo_store, actor=actor), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.pages["dashboard"].loaded)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    about = next(a for a in help_menu.actions() if a.text() == "关于实践站台账…")
    seen = {}

    def read_notices(box):
        assert isinstance(box, NoticesDialog)
        text = box.findChild(QPlainTextEdit).toPlainText()
        seen["notices"] = text
        assert box.width() <= 1366 and box.height() <= 728  # readable on the village PC's screen
        box.reject()

    def read_about(dialog):
        assert isinstance(dialog, AboutDialog)
        labels = "\n".join(label.text() for label in dialog.findChildren(QLabel))
        seen["labels"] = labels
        screenshot(dialog, "about")
        dialog.copy_button.click()
        seen["clipboard"] = QApplication.clipboard().text()
        seen["copied"] = dialog.copy_button.text()  # said, not silent
        when_modal(read_notices, kind=NoticesDialog)
        dialog.notices_button.click()  # exec()s the licences over the About box; returns when it is closed
        dialog.accept()

    when_modal(read_about, kind=AboutDialog)
    about.trigger()
    assert app.__version__ in seen["labels"] and str(demo_store.paths.root) in seen["labels"]
    assert "Apache License 2.0" in seen["labels"] and "LGPL" in seen["labels"]
    assert seen["clipboard"].startswith(f"实践站台账 {app.__version__}\n") and str(demo_store.paths.root) in seen["clipboard"]
    assert "Qt 6." in seen["clipboard"] and window.station_name in seen["clipboard"] and seen["copied"] == "已复制"
    assert seen["notices"] == notices.OUT.read_text(encoding="utf-8")
    window.idle.stop()


def test_a_missing_notices_file_says_so_in_chinese(qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr("ui.dialogs.about.resource_path", lambda: tmp_path)
    box = NoticesDialog()
    qtbot.addWidget(box)
    assert "找不到第三方软件许可文件" in box.text.toPlainText() and "重新安装" in box.text.toPlainText()
