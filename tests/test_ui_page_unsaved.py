"""Typed on a page, not yet saved: never lost without a word. A new user's trial typed the 实践所信息's 开放时间 and
二维码内容, then clicked another page — or closed the program — and both were gone, with no question and nothing to
recover. Now the window asks: 保存, 放弃修改, or 继续编辑 (the default: nothing is lost by pressing Enter or Esc)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.services.station import get_station
from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
from ui_helpers import type_text, when_modal


def _answer(qtbot, label: str, seen: list[str]):
    def press(box) -> None:
        seen.append(box.text())
        qtbot.mouseClick(next(b for b in box.buttons() if b.text() == label), Qt.MouseButton.LeftButton)

    return press


def _station_page_with_typing(qtbot, window):
    window.go("station")
    page = window.pages["station"]
    stored = get_station(window.ctx).opening_hours
    page.inputs["opening_hours"].clear()
    type_text(qtbot, page.inputs["opening_hours"], "Mon-Fri 9:00-12:00")
    assert page.unsaved() == "实践站概况"
    return page, stored


def test_leaving_the_page_asks_and_staying_keeps_the_text(qtbot, window):
    page, stored = _station_page_with_typing(qtbot, window)
    seen: list[str] = []
    when_modal(_answer(qtbot, "继续编辑", seen), kind=QMessageBox)
    window.go("volunteers")
    assert seen == ["“实践站概况”中有尚未保存的修改。要保存吗？"]
    assert window.stack.currentWidget() is page and window.nav.currentRow() == window.page_keys.index("station")
    assert page.inputs["opening_hours"].text() == "Mon-Fri 9:00-12:00"
    page.refresh()  # a sync or another window's save refreshes the page: what is being typed stays
    assert page.inputs["opening_hours"].text() == "Mon-Fri 9:00-12:00"
    assert get_station(window.ctx).opening_hours == stored

    when_modal(_answer(qtbot, "放弃修改", seen), kind=QMessageBox)
    window.go("volunteers")
    assert window.stack.currentWidget() is window.pages["volunteers"]
    window.go("station")  # back: the stored value, and nothing asked on leaving again
    assert page.inputs["opening_hours"].text() == (stored or "") and page.unsaved() == ""
    window.go("dashboard")
    assert len(seen) == 2 and window.stack.currentWidget() is window.pages["dashboard"]


def test_leaving_the_page_can_save_and_a_refused_save_stays(qtbot, window):
    page, _stored = _station_page_with_typing(qtbot, window)
    seen: list[str] = []
    page.inputs["name"].clear()  # a required field emptied: the save is refused, the page stays with its message
    when_modal(_answer(qtbot, "保存", seen), kind=QMessageBox)
    window.go("volunteers")
    assert window.stack.currentWidget() is page and page.errors["name"].text()
    type_text(qtbot, page.inputs["name"], "示范村新时代文明实践站")
    when_modal(_answer(qtbot, "保存", seen), kind=QMessageBox)
    window.go("volunteers")
    assert window.stack.currentWidget() is window.pages["volunteers"] and len(seen) == 2
    assert get_station(window.ctx).opening_hours == "Mon-Fri 9:00-12:00"


def test_closing_the_program_asks_and_can_be_called_off(qtbot, window):
    page, stored = _station_page_with_typing(qtbot, window)
    seen: list[str] = []
    when_modal(_answer(qtbot, "放弃修改", seen), kind=QMessageBox)  # leave the page first: it is asked about then
    window.go("dashboard")
    page.inputs["opening_hours"].setText("typed again")  # typed again on the page, then the dashboard shown
    window.stack.setCurrentWidget(window.pages["dashboard"])
    when_modal(_answer(qtbot, "继续编辑", seen), kind=QMessageBox)
    assert not window.close()  # the window's ×: it stays, the page with the typing comes forward
    assert window.isVisible() and window.stack.currentWidget() is page
    assert window.nav.currentRow() == window.page_keys.index("station")
    assert page.inputs["opening_hours"].text() == "typed again" and len(seen) == 2
    when_modal(_answer(qtbot, "保存", seen), kind=QMessageBox)
    assert window.close()
    assert get_station(window.ctx).opening_hours == "typed again"


def _log_in(qtbot, username: str, password: str, then=None):
    from ui.dialogs.login import LoginDialog

    def fill(dialog) -> None:
        if then is not None:
            then()  # the next modal's handler, set before this one's exec() returns
        dialog.username.setCurrentIndex(dialog.username.findData(username))
        type_text(qtbot, dialog.password, password)
        dialog.try_login()

    when_modal(fill, kind=LoginDialog)


def test_the_idle_locks_switch_keeps_typing_on_a_page_as_its_authors_draft(qtbot, window):
    """A trial: the admin typed the 开放时间, walked away; the idle lock came up and 王录入 pressed 切换操作员. The
    pages were made anew for the clerk and the admin's typing was gone. Now it is the admin's draft: the clerk sees
    the stored value, and the admin, at the next login, is offered it back and finds it typed on the page."""
    from app.drafts import DraftBox
    from ui.dialogs.login import LockDialog
    from ui.drafts import RecoveryDialog

    _page, stored = _station_page_with_typing(qtbot, window)
    when_modal(lambda lock: (_log_in(qtbot, "clerk", "clerk123"), lock.done(LockDialog.SWITCH)), kind=LockDialog)
    window.lock()  # the idle time ran out; nobody is asked about the page (its author is not there)
    assert window.ctx.actor.username == "clerk"
    page = window.pages["station"]
    assert page.inputs["opening_hours"].text() == (stored or "") and page.unsaved() == ""
    drafts = DraftBox(window.ctx.store.paths.root).pending()
    assert [(d.operator, d.title) for d in drafts] == [("admin", "实践站概况")]
    assert drafts[0].extra["typed"]["opening_hours"] == "Mon-Fri 9:00-12:00"
    from app.services.station import update_station

    update_station(window.ctx, activity_day="每月20日")  # the clerk saves another field meanwhile

    offered: list[str] = []

    def restore(dialog) -> None:
        offered.extend(dialog.list.item(i).text() for i in range(dialog.list.count()))
        dialog.done(RecoveryDialog.RESTORE)

    _log_in(qtbot, "admin", "admin123", then=lambda: when_modal(restore, kind=RecoveryDialog))
    assert window.switch_operator()  # 文件 → 切换操作员: the clerk typed nothing, so nothing is asked
    assert window.ctx.actor.username == "admin"
    assert len(offered) == 1 and offered[0].startswith("实践站概况 — 杨红霞填写")
    page = window.pages["station"]
    assert window.stack.currentWidget() is page
    assert page.inputs["opening_hours"].text() == "Mon-Fri 9:00-12:00" and page.unsaved() == "实践站概况"
    # only what the admin typed comes back: the clerk's saved 固定活动日 is not put back to the admin's older value
    assert page.inputs["activity_day"].text() == "每月20日"
    assert DraftBox(window.ctx.store.paths.root).pending() == []  # on the page now: leaving it asks, as ever
    assert get_station(window.ctx).opening_hours == stored
    page.discard_unsaved()  # (closing the window at the end would ask, as it should)


def test_switching_operator_from_the_menu_asks_about_typing_first(qtbot, window):
    """The operator is at the PC when choosing 文件 → 切换操作员: asked as on leaving the page, and 继续编辑 stays."""
    page, stored = _station_page_with_typing(qtbot, window)
    seen: list[str] = []
    when_modal(_answer(qtbot, "继续编辑", seen), kind=QMessageBox)
    assert not window.switch_operator()
    assert seen and window.ctx.actor.username == "admin" and window.pages["station"] is page
    assert page.inputs["opening_hours"].text() == "Mon-Fri 9:00-12:00"
    when_modal(_answer(qtbot, "保存", seen), kind=QMessageBox)
    _log_in(qtbot, "clerk", "clerk123")
    assert window.switch_operator()
    assert window.ctx.actor.username == "clerk" and get_station(window.ctx).opening_hours == "Mon-Fri 9:00-12:00"


def test_calling_off_the_login_after_the_idle_locks_switch_goes_back_to_the_lock(qtbot, window):
    """切换操作员 on the idle lock, then 取消 on the login: the window was left open as the operator who had walked
    away — anyone at the PC had the admin's ledger without a password. It goes back to the lock."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.dialogs.login import LockDialog, LoginDialog

    shown: list[str] = []

    def call_off(login) -> None:
        cancel = login.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel)
        shown.append(cancel.text())
        when_modal(unlock, kind=LockDialog)  # the lock again, for the password of the operator who walked away
        cancel.click()

    def unlock(lock) -> None:
        shown.append("locked again")
        type_text(qtbot, lock.password, "admin123")
        lock.try_unlock()

    def switch(lock) -> None:
        when_modal(call_off, kind=LoginDialog)
        lock.done(LockDialog.SWITCH)

    when_modal(switch, kind=LockDialog)
    window.lock()
    qtbot.waitUntil(lambda: "locked again" in shown and not window.locked, timeout=10_000)
    assert shown == ["取消", "locked again"] and window.ctx.actor.username == "admin"


def test_a_window_whose_typing_cannot_be_kept_keeps_the_pc_its_operator_s_and_says_why(qtbot, window):
    """A trial: 切换操作员 over 新增项目 (a form that keeps no draft) lost what was typed there. Such a window keeps the
    lock to its operator's password, and the lock says why no one else can come in."""
    from ui.dialogs.login import LockDialog
    from ui.pages.station import RoomDialog

    room = RoomDialog(window.ctx, parent=window)  # keeps no draft
    qtbot.addWidget(room)
    room.show()
    type_text(qtbot, room.name, "second room")
    seen: dict = {}

    def look_and_unlock(lock) -> None:
        switch = next(b for b in lock.findChildren(QPushButton) if b.text() == "切换操作员")
        seen.update(switch=switch.isVisible(), why=lock.kept_open.text() if lock.kept_open.isVisible() else "")
        type_text(qtbot, lock.password, "admin123")
        lock.try_unlock()

    when_modal(look_and_unlock, kind=LockDialog)
    window.lock()
    assert seen == {"switch": False, "why": "“功能室”还开着，其中的内容无法替他保留，所以现在不能切换操作员，只能由本人解锁。"}
    assert room.isVisible() and room.name.text() == "second room"
    room.reject()


@pytest.mark.parametrize("how", ["called off", "same operator"])
def test_a_switch_at_the_lock_that_ends_with_the_same_operator_leaves_the_forms_as_they_were(qtbot, window, how):
    """A trial: a form open, 切换操作员 on the lock, the login called off, the same operator back with their password —
    the form was gone, closed for a switch that never happened, and came back only through the recovery list. The
    login now comes first over the open forms: called off (then the lock again) or the same operator logging in,
    the form stays as it was."""
    from ui.dialogs.login import LockDialog, LoginDialog
    from ui.dialogs.volunteer import VolunteerDialog

    window.go("volunteers")
    form = VolunteerDialog(window.ctx, parent=window.page("volunteers"))
    qtbot.addWidget(form)
    form.show()
    type_text(qtbot, form.name, "Wang")
    seen: list[str] = []

    def unlock(lock) -> None:
        seen.append("locked again")
        type_text(qtbot, lock.password, "admin123")
        lock.try_unlock()

    def login(dialog) -> None:
        seen.append(f"login over the form: {form.isVisible()}")
        if how == "called off":
            when_modal(unlock, kind=LockDialog)
            dialog.reject()
        else:
            dialog.username.setCurrentIndex(dialog.username.findData("admin"))
            type_text(qtbot, dialog.password, "admin123")
            dialog.try_login()

    def switch(lock) -> None:
        when_modal(login, kind=LoginDialog)
        lock.done(LockDialog.SWITCH)

    pages_before = window.page("volunteers")
    when_modal(switch, kind=LockDialog)
    window.lock()
    qtbot.waitUntil(lambda: not window.locked and len(seen) == (2 if how == "called off" else 1), timeout=10_000)
    assert seen[0] == "login over the form: True"
    assert form.isVisible() and form.name.text() == "Wang" and window.ctx.actor.username == "admin"
    assert window.page("volunteers") is pages_before  # nothing rebuilt: nobody else came in
    form.reject()
