"""活动台账 → 开始签到: the QR code, arrivals appearing live, a rejected newcomer, 确认签到结果."""

from __future__ import annotations

from datetime import date, datetime, time

import requests
from PySide6.QtCore import Qt
from sqlmodel import select

from signin import server as signin
from app.models import Participation, Volunteer
from app.services import activities
from conftest import make_id
from test_signin import people, phone
from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
from ui.dialogs.signin import SigninDialog
from ui_helpers import screenshot


def test_the_clerk_runs_a_signin_and_confirms_it(qtbot, window, demo_store, monkeypatch):
    today = date(2026, 11, 28)
    event = activities.add_activity(window.ctx, title="周六义诊", category="医疗健身", date=today, start_time=time(9), end_time=time(11))
    clock = {"now": datetime.combine(today, time(8, 55))}
    original = signin.SigninServer.__init__
    monkeypatch.setattr(signin.SigninServer, "__init__",
                        lambda self, store, activity_id, host, port=0, **kw: original(self, store, activity_id, host, port, clock=lambda: clock["now"]))
    window.go("activities")
    page = window.pages["activities"]
    page.year.setCurrentIndex(page.year.findData(2026))
    qtbot.waitUntil(lambda: any(page.model.row(i).activity.id == event.id for i in range(page.model.rowCount())))
    page.table.selectRow(next(i for i in range(page.model.rowCount()) if page.model.row(i).activity.id == event.id))
    qtbot.mouseClick(page.signin_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(SigninDialog)
    assert dialog is not None and dialog.isVisible() and "周六义诊" in dialog.windowTitle()
    dialog.address.setCurrentIndex(dialog.address.findData("127.0.0.1"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    url = dialog.url.text()
    assert url.startswith("http://127.0.0.1:") and not dialog.qr.pixmap().isNull()
    two = people(demo_store, 2)
    for n, v in enumerate(two):  # each on their own phone
        assert "签到成功" in phone(n).post(url + "/in", data={"name": v.name, "tail": v.phone_tail}, timeout=10).text
    phone(2).post(url + "/arrive", data={"name": "周新来", "phone": "13700004444", "id_number": make_id(seq=307)}, timeout=10)
    phone(3).post(url + "/arrive", data={"name": "吴路过", "phone": "13700005555", "id_number": make_id(seq=309)}, timeout=10)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 4, timeout=5000)  # live, without touching anything
    assert "新来的 2 人" in dialog.count.text() and dialog.table.item(3, 0).text().startswith("吴路过（137****5555")
    screenshot(dialog, "signin-dialog")
    clock["now"] = datetime.combine(today, time(11, 10))
    dialog.table.selectRow(3)
    qtbot.mouseClick(dialog.reject_button, Qt.MouseButton.LeftButton)
    assert "已拒绝" in dialog.table.item(3, 1).text()
    with demo_store.session() as session:
        assert session.exec(select(Participation).where(Participation.activity_id == event.id)).all() == []
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: hasattr(dialog, "result_box") and dialog.result_box.isVisible(), timeout=20_000)
    assert "参与志愿者 3 人" in dialog.result_box.text() and "新登记志愿者 1 人" in dialog.result_box.text()
    try:  # confirming stopped the server: the link is dead
        assert requests.get(url, timeout=5).status_code == 410
    except requests.ConnectionError:
        pass
    assert dialog.server is None and dialog.start_button.isEnabled()
    with demo_store.session() as session:
        joined = session.exec(select(Participation).where(Participation.activity_id == event.id)).all()
        names = {v.name for v in session.exec(select(Volunteer))}
    assert len(joined) == 3 and {p.hours for p in joined} == {2.0}
    assert "周新来" in names and "吴路过" not in names
    dialog.result_box.done(0)
    dialog.close()
    assert dialog.server is None


def test_the_activity_form_takes_in_what_the_signin_confirmed(qtbot, demo_store, monkeypatch):
    """手机签到… in the activity form: confirmed arrivals join its list, so saving the form keeps them."""
    from PySide6.QtWidgets import QDialogButtonBox

    from app.services.context import Context
    from ui.dialogs.activity import ActivityDialog

    ctx = Context(store=demo_store)
    day = date(2026, 11, 27)
    event = activities.add_activity(ctx, title="周五读书会", category="文化文艺服务", date=day, start_time=time(14), end_time=time(16))
    original = signin.SigninServer.__init__
    now = {"at": datetime.combine(day, time(13, 50))}
    monkeypatch.setattr(signin.SigninServer, "__init__",
                        lambda self, store, activity_id, host, port=0, **kw: original(self, store, activity_id, host, port, clock=lambda: now["at"]))
    form = ActivityDialog(ctx, activities.get_activity(ctx, event.id))
    qtbot.addWidget(form)
    form.show()
    assert form.signin_button.isVisible() and form.participants.rowCount() == 0
    qtbot.mouseClick(form.signin_button, Qt.MouseButton.LeftButton)
    window = form.signin_window
    window.address.setCurrentIndex(window.address.findData("127.0.0.1"))
    qtbot.mouseClick(window.start_button, Qt.MouseButton.LeftButton)
    for n, v in enumerate(people(demo_store, 2)):
        phone(n).post(window.url.text() + "/in", data={"name": v.name, "tail": v.phone_tail}, timeout=10)
    now["at"] = datetime.combine(day, time(16, 5))
    qtbot.waitUntil(lambda: window.table.rowCount() == 2, timeout=5000)
    qtbot.mouseClick(window.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.participants.rowCount() == 2, timeout=20_000)
    window.result_box.done(0)
    window.close()
    qtbot.mouseClick(form.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=10_000)
    with demo_store.session() as session:
        kept = session.exec(select(Participation).where(Participation.activity_id == event.id, Participation.deleted == False)).all()
    assert len(kept) == 2 and {p.hours for p in kept} == {2.0}


def test_the_clerk_lets_a_family_phone_sign_in_two_and_approves_a_held_arrival(qtbot, window, demo_store, monkeypatch):
    """#26: one phone signs in one person until the clerk raises 每部手机可签到; a crowd of new arrivals waits
    for 批准所选的新来者 (here every arrival is held)."""
    from PySide6.QtTest import QTest

    today = date(2026, 11, 28)
    event = activities.add_activity(window.ctx, title="周日集市", category="便民服务", date=today, start_time=time(9), end_time=time(11))
    monkeypatch.setattr(signin, "ARRIVALS_UNHELD", 0)
    dialog = SigninDialog(window.ctx, event.id, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.address.setCurrentIndex(dialog.address.findData("127.0.0.1"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    url = dialog.url.text()
    pair = people(demo_store, 2)
    assert "签到成功" in phone(5).post(url + "/in", data={"name": pair[0].name, "tail": pair[0].phone_tail}, timeout=10).text
    assert "只能为 1 人签到" in phone(5).post(url + "/in", data={"name": pair[1].name, "tail": pair[1].phone_tail}, timeout=10).text
    dialog.per_phone.lineEdit().selectAll()
    QTest.keyClicks(dialog.per_phone, "2")  # typed, as the clerk does
    assert dialog.book.per_phone(dialog.session_id) == 2
    assert "签到成功" in phone(5).post(url + "/in", data={"name": pair[1].name, "tail": pair[1].phone_tail}, timeout=10).text
    phone(6).post(url + "/arrive", data={"name": "郑新来", "phone": "13700006666", "id_number": make_id(seq=311)}, timeout=10)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3, timeout=5000)
    assert "待批准" in dialog.table.item(2, 1).text() and dialog.approve_button.isVisible() and "待您批准" in dialog.count.text()
    dialog.table.selectRow(2)
    qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
    assert "待批准" not in dialog.table.item(2, 1).text() and not dialog.approve_button.isVisible()
    dialog.close()
    again = SigninDialog(window.ctx, event.id, window)  # opened again: the allowance as the clerk left it
    assert again.per_phone.value() == 2
    again.close()


def test_locking_by_hand_during_a_signin_asks_then_locks_without_the_scanners_keys_in_the_password(qtbot, window):
    """文件 → 锁定 (or Ctrl+L) during a sign-in did nothing at all: the lock that waits for an idle PC's sign-in
    also refused the clerk who asked for it, and the ledger stayed open behind them. Asked, it says what locking
    does to the sign-in and locks; the password box does not take the keys (a card scanner's would count as wrong
    passwords), a person clicks into it."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.dialogs.login import LockDialog
    from ui_helpers import type_text, when_modal

    event = activities.add_activity(window.ctx, title="周日集市", category="便民服务", date=date(2026, 11, 28),
                                    start_time=time(9), end_time=time(11))
    dialog = SigninDialog(window.ctx, event.id, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    seen: dict = {}

    def decline(box):
        seen["asked"] = box.text()
        box.button(QMessageBox.StandardButton.No).click()

    when_modal(decline, kind=QMessageBox)
    window.lock_now()
    assert "周日集市" in seen["asked"] and "扫码枪签到暂停" in seen["asked"] and not window.locked

    def agree(box):
        box.button(QMessageBox.StandardButton.Yes).click()

    def unlock(lock):
        seen["locked"] = window.locked
        seen["focus"] = QApplication.focusWidget() is lock.password
        scanned_into = QApplication.focusWidget() or lock  # a card scanned at the PC meanwhile: keys where the focus is
        qtbot.keyClicks(scanned_into, "8800123")
        qtbot.keyClick(scanned_into, Qt.Key.Key_Return)
        seen["after scan"] = lock.error.text()
        lock.password.setFocus()  # the clerk clicks into the box
        type_text(qtbot, lock.password, "admin123")
        lock.try_unlock()

    when_modal(agree, kind=QMessageBox)
    when_modal(unlock, kind=LockDialog)
    window.lock_now()
    assert seen["locked"] is True and seen["focus"] is False and not window.locked
    assert "再错" not in seen["after scan"]  # the scan was no password guess
    dialog.close()


def test_the_idle_lock_waits_while_a_signin_runs_and_switching_operator_stops_its_link(qtbot, window, demo_store, monkeypatch):
    """A sign-in at this PC keeps its QR code on screen and its scanner's keys out of a password box: the idle
    lock waits for the window to close; 切换操作员 closes it, and its link stops answering."""
    from ui.dialogs.login import LockDialog

    event = activities.add_activity(window.ctx, title="周日集市", category="便民服务", date=date(2026, 11, 28), start_time=time(9),
                                    end_time=time(11))
    dialog = SigninDialog(window.ctx, event.id, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.address.setCurrentIndex(dialog.address.findData("127.0.0.1"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    url = dialog.url.text()
    locks = []
    monkeypatch.setattr(LockDialog, "exec", lambda self: locks.append(self) or 0)
    window.idle.idle.emit()  # the idle time is up
    assert locks == [] and not window.locked and window.idle.timer.isActive()
    assert "暂不自动锁定" in window.statusBar().currentMessage()  # not silently: the clerk can lock by hand
    from ui.dialogs.login import LoginDialog

    from app.services import operators

    clerk = operators.authenticate(window.ctx.store, "clerk", "clerk123")
    monkeypatch.setattr(LoginDialog, "exec", lambda self: setattr(self, "actor", clerk) or 1)  # another operator in
    assert window.switch_operator()
    import requests

    assert dialog.server is None  # closed, not left listening behind the new operator's pages
    try:
        assert requests.get(url, timeout=5).status_code == 410
    except requests.ConnectionError:
        pass
