"""Shared-PC basics: an empty password is no guess, an admin unlocks a locked operator, everyone changes
their own password, and a filled form is not thrown away by one click on 取消."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QPushButton

from app.services import operators
from app.services.context import Context
from app.services.errors import PermissionDenied, ValidationError
from app.settings import Settings
from ui.dialogs.volunteer import VolunteerDialog
from ui.main_window import MainWindow
from ui.pages.operators import ChangePasswordDialog
from ui_helpers import screenshot, type_text, when_modal


def test_an_empty_password_is_not_a_try(demo_store):
    for _ in range(8):
        with pytest.raises(PermissionDenied, match="请输入密码"):
            operators.authenticate(demo_store, "clerk", "")
    assert operators.authenticate(demo_store, "clerk", "clerk123").username == "clerk"


def test_an_admin_sees_and_lifts_a_lockout(qtbot, demo_store):
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            operators.authenticate(demo_store, "clerk", "wrong-password")
    with pytest.raises(PermissionDenied, match="管理员"):
        operators.authenticate(demo_store, "clerk", "clerk123")
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("operators")
    page = window.pages["operators"]
    row = next(i for i, op in enumerate(page.rows) if op.username == "clerk")
    assert page.table.item(row, 3).text().startswith("已锁定（至 ")
    screenshot(window, "page-operators-locked")
    page.table.selectRow(row)
    unlock = next(b for b in page.findChildren(QPushButton) if b.text() == "解锁")
    qtbot.mouseClick(unlock, Qt.MouseButton.LeftButton)
    assert page.table.item(row, 3).text() == "正常"
    assert operators.authenticate(demo_store, "clerk", "clerk123").username == "clerk"
    window.idle.stop()


def test_every_operator_changes_their_own_password(qtbot, demo_store):
    clerk = Context(store=demo_store, actor=operators.authenticate(demo_store, "clerk", "clerk123"))
    dialog = ChangePasswordDialog(clerk)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.old, "not-my-password")
    type_text(qtbot, dialog.new, "newpass1")
    type_text(qtbot, dialog.again, "newpass2")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "当前密码不正确" in dialog.errors["old"].text() and "不一致" in dialog.errors["again"].text()
    screenshot(dialog, "change-password-errors")
    for edit, text in ((dialog.old, "clerk123"), (dialog.again, "newpass1")):
        edit.clear()
        type_text(qtbot, edit, text)
    qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.result() == 1
    assert operators.authenticate(demo_store, "clerk", "newpass1").username == "clerk"
    with pytest.raises(ValidationError):
        operators.change_own_password(clerk, old="newpass1", new="123", again="123")


def test_cancel_on_a_filled_form_asks_first(qtbot, demo_store):
    admin = Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123"))
    untouched = VolunteerDialog(admin)
    qtbot.addWidget(untouched)
    untouched.show()
    qtbot.mouseClick(untouched.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert not untouched.isVisible()  # nothing typed: closes without a question

    form = VolunteerDialog(admin)
    qtbot.addWidget(form)
    form.show()
    type_text(qtbot, form.name, "王秀英")
    asked = []

    def keep_editing(box):
        asked.append(box.text())
        screenshot(box, "discard-question")
        next(b for b in box.buttons() if b.text() == "继续编辑").click()

    when_modal(keep_editing, kind=QMessageBox)
    qtbot.mouseClick(form.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert asked and "尚未保存" in asked[0] and form.isVisible() and form.name.text() == "王秀英"

    when_modal(lambda box: next(b for b in box.buttons() if b.text() == "放弃修改").click(), kind=QMessageBox)
    qtbot.keyClick(form.name, Qt.Key.Key_Escape)
    assert not form.isVisible() and form.result() == 0


@pytest.mark.parametrize("typed", ["0930", "9:30"])
def test_time_fields_take_what_is_typed(qtbot, typed):
    """Clicked into from another field, a plain QTimeEdit ignored the digits (it stayed 14:00)."""
    from datetime import time

    from PySide6.QtCore import QPoint, QTime
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from ui.forms import time_edit

    host = QWidget()
    layout = QVBoxLayout(host)
    before = QLineEdit()
    edit = time_edit(time(14, 0))
    layout.addWidget(before)
    layout.addWidget(edit)
    qtbot.addWidget(host)
    host.show()
    before.setFocus()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(edit.width() // 3, edit.height() // 2))
    qtbot.waitUntil(lambda: edit.currentSection() == edit.Section.HourSection)
    qtbot.keyClicks(edit, typed)
    assert edit.time() == QTime(9, 30)


def _time_field(qtbot, value):
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from ui.forms import time_edit

    host = QWidget()
    layout = QVBoxLayout(host)
    before = QLineEdit()
    edit = time_edit(value)
    layout.addWidget(before)
    layout.addWidget(edit)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    return host, before, edit


@pytest.mark.parametrize("delay", [0, 30, 120])
def test_digits_typed_at_any_pace_fill_the_hour_then_the_minutes(qtbot, delay):
    """A barcode scanner or a fast typist sends keys 30 ms apart: "0930" was lost."""
    from datetime import time

    from PySide6.QtCore import QPoint, QTime

    _host, before, edit = _time_field(qtbot, time(14, 0))
    before.setFocus()
    qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(edit.width() // 3, edit.height() // 2))
    qtbot.keyClicks(edit, "0930", delay=delay)
    assert edit.time() == QTime(9, 30)
    edit.setFocus()
    qtbot.keyClicks(edit, "1645", delay=delay)  # typed again: a new time, from the hour
    assert edit.time() == QTime(16, 45)


@pytest.mark.parametrize("delay", [0, 30])
def test_digits_typed_as_the_field_is_tabbed_into_are_kept(qtbot, delay):
    """Tabbed into and typed at once: the hour selected a moment after the focus came took the minutes."""
    from datetime import time

    from PySide6.QtCore import QTime

    _host, before, edit = _time_field(qtbot, time(14, 0))
    before.setFocus()
    qtbot.waitUntil(before.hasFocus)
    qtbot.keyClick(before, Qt.Key.Key_Tab)
    qtbot.keyClicks(edit, "0930", delay=delay)
    assert edit.time() == QTime(9, 30)


@pytest.mark.parametrize("delay", [0, 30])
def test_digits_typed_after_select_all_make_the_time(qtbot, delay):
    """After Ctrl+A, typing 1130 left 10:00."""
    from datetime import time

    from PySide6.QtCore import QTime

    _host, _before, edit = _time_field(qtbot, time(10, 0))
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "1130", delay=delay)
    assert edit.time() == QTime(11, 30)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "7:05", delay=delay)
    assert edit.time() == QTime(7, 5)


@pytest.mark.parametrize("colon", [":", "："], ids=["ascii", "full-width"])
def test_a_colon_typed_with_shift_as_on_a_real_keyboard_keeps_the_hour(qtbot, colon):
    """A trial: Ctrl+A then 19:00 gave 00:00. On a keyboard the colon comes after a Shift press of its own (no text),
    and that press started a new time: the colon went to QTimeEdit and 00 became the hour."""
    from datetime import time

    from PySide6.QtCore import QTime

    _host, _before, edit = _time_field(qtbot, time(9, 0))
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "19")
    qtbot.keyPress(edit, Qt.Key.Key_Shift)
    if colon == ":":
        qtbot.keyClick(edit, Qt.Key.Key_Colon, Qt.KeyboardModifier.ShiftModifier)
    else:
        _send_text(edit, colon)
    qtbot.keyRelease(edit, Qt.Key.Key_Shift)
    qtbot.keyClicks(edit, "05")
    assert edit.time() == QTime(19, 5)


def _send_text(widget, text: str) -> None:
    """A key carrying ``text`` (an input method's full-width colon), as QTest sends only ASCII."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.ShiftModifier, text))
