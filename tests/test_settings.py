"""Settings that protect the data (daily backup, idle lock) are an admin's to change, wherever they are written."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.services import operators
from app.services.context import Context
from app.services.errors import PermissionDenied
from app.settings import Settings
from ui.pages.settings import SettingsPage


def _actor(store, username):
    return operators.authenticate(store, username, f"{username}123")


def test_only_an_admin_may_change_the_settings_that_protect_the_data(demo_store):
    settings = Settings(demo_store.paths.settings)
    clerk = _actor(demo_store, "clerk")
    with pytest.raises(PermissionDenied, match="只有管理员可以更改“每天自动备份”"):
        settings.set("daily_backup", False, actor=clerk)
    with pytest.raises(PermissionDenied, match="无操作自动锁定"):
        settings.set("idle_lock_minutes", 240, actor=clerk)
    with pytest.raises(PermissionDenied):
        settings.set("daily_backup", False)  # who changes it must be said
    assert Settings(demo_store.paths.settings).get("daily_backup") is True
    assert Settings(demo_store.paths.settings).get("idle_lock_minutes") == 10
    settings.set("daily_backup", False, actor=_actor(demo_store, "admin"))
    assert Settings(demo_store.paths.settings).get("daily_backup") is False
    settings.set("last_operator", "clerk")  # remembering who logged in protects nothing


def test_the_settings_page_shows_protected_settings_read_only_to_a_clerk(qtbot, demo_store):
    settings = Settings(demo_store.paths.settings)
    page = SettingsPage(Context(store=demo_store, actor=_actor(demo_store, "clerk")), settings)
    qtbot.addWidget(page)
    page.show()
    for widget in (page.daily, page.idle):
        assert not widget.isEnabled()
        assert "管理员" in widget.toolTip()
    qtbot.mouseClick(page.daily, Qt.MouseButton.LeftButton)
    page.idle.setValue(200)  # even if the value were changed by other means, it is not written
    assert settings.get("daily_backup") is True and settings.get("idle_lock_minutes") == 10

    admin_page = SettingsPage(Context(store=demo_store, actor=_actor(demo_store, "admin")), settings)
    qtbot.addWidget(admin_page)
    assert admin_page.daily.isEnabled() and admin_page.idle.isEnabled()
    admin_page.daily.setChecked(False)
    assert Settings(demo_store.paths.settings).get("daily_backup") is False


def test_two_settings_on_one_file_keep_each_others_changes(tmp_path):
    """The main window's settings writing 上次登录的操作员 kept the folder a file dialog had remembered meanwhile."""
    path = tmp_path / "settings.json"
    window, dialog = Settings(path), Settings(path)
    dialog.set("folder_pdf", str(tmp_path))
    window.set("last_operator", "clerk")
    assert Settings(path).get("folder_pdf") == str(tmp_path) and Settings(path).get("last_operator") == "clerk"


@pytest.mark.parametrize("take_the_backups", [False, True])
def test_restoring_says_whose_passwords_come_back_and_keeps_todays_operators_unless_ticked(qtbot, demo_store, monkeypatch, take_the_backups):
    from PySide6.QtWidgets import QMessageBox

    from app.services.errors import ServiceError
    from ui_helpers import when_modal

    admin = Context(store=demo_store, actor=_actor(demo_store, "admin"))
    backup = demo_store.backup(kind="manual")
    operators.update_operator(admin, "admin", password="changed-since")
    page = SettingsPage(admin, Settings(demo_store.paths.settings))
    qtbot.addWidget(page)
    page.show()
    asked, told = [], []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _title, text, *a, **k: told.append(text))

    def answer(box):
        asked.append(box.text())
        box.checkBox().setChecked(take_the_backups)
        next(b for b in box.buttons() if b.text() == "恢复").click()

    when_modal(answer, kind=QMessageBox)
    page.table.selectRow(next(i for i, b in enumerate(page.backups) if b.path == backup))
    page.restore_selected()
    qtbot.waitUntil(lambda: bool(told), timeout=20_000)
    assert "已从备份恢复" in told[0] and "区里不会重复记录" in told[0]  # why 等待同步的变更 jumps (a trial)
    when = backup.stem.split("-")  # manual-YYYYmmdd-HHMMSS-ffffff
    # as dates read everywhere: 2027年1月4日, no leading zeros
    assert f"{when[1][:4]}年{int(when[1][4:6])}月{int(when[1][6:])}日" in asked[0] and "密码" in asked[0]
    assert all(f"（{username}，" in asked[0] for username in ("admin", "clerk"))  # by name, both lists
    old, new = ("admin123", "changed-since") if take_the_backups else ("changed-since", "admin123")
    assert operators.authenticate(demo_store, "admin", old).username == "admin"
    with pytest.raises(ServiceError):
        operators.authenticate(demo_store, "admin", new)
