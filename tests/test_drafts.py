"""Nothing typed is lost (#25): an open form keeps a draft on disk; after a crash, a power cut or a kill the
next start says the program closed unexpectedly and offers 恢复未保存的内容 for each draft."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QMessageBox

from app.drafts import Draft, DraftBox, ended_unexpectedly, mark_running, mark_stopped
from app.services import activities, operators
from app.services.context import Context
from ui_helpers import type_chinese, when_modal

ROOT = Path(__file__).resolve().parent.parent


def test_a_draft_on_disk_is_whole_or_absent_and_a_damaged_one_never_stops_the_start(tmp_path):
    box = DraftBox(tmp_path)
    draft = Draft(form="ActivityDialog", title="记录活动", operator="admin", operator_label="杨红霞", values=[["QLineEdit", "敬老"]])
    box.save(draft)
    assert draft.key and draft.saved is not None
    draft.values = [["QLineEdit", "敬老饺子宴"]]
    box.save(draft)  # the same open form writes the same file again
    assert [d.values for d in box.pending()] == [[["QLineEdit", "敬老饺子宴"]]]
    (box.folder / "half.part").write_text('{"form": "Act')  # a write the power cut interrupted: never read
    (box.folder / "bad.json").write_text("{not json")  # a damaged file: moved aside, the rest still offered
    assert [d.key for d in box.pending()] == [draft.key]
    assert (box.folder / "bad.damaged").exists()
    box.remove(draft.key)
    assert box.pending() == []


def test_the_running_mark_tells_an_unexpected_end_from_a_proper_one(tmp_path):
    assert ended_unexpectedly(tmp_path) is None
    mark_running(tmp_path)
    assert ended_unexpectedly(tmp_path) is not None  # not stopped: the next start reads it as a crash
    mark_stopped(tmp_path)
    assert ended_unexpectedly(tmp_path) is None


def _admin(store):
    return Context(store=store, actor=operators.authenticate(store, "admin", "admin123"))


def test_a_form_keeps_its_draft_while_typed_and_drops_it_when_saved_or_given_up(qtbot, demo_store):
    from ui.dialogs.activity import ActivityDialog

    ctx = _admin(demo_store)
    box = DraftBox(demo_store.paths.root)
    source = activities.list_activities(ctx, limit=1)[0].activity
    form = ActivityDialog(ctx, None, copy_of=activities.get_activity(ctx, source.id))
    qtbot.addWidget(form)
    form.show()
    assert box.pending() == []  # opened, nothing typed: nothing to keep
    type_chinese(form.title_edit, "（第二场）")
    qtbot.waitUntil(lambda: len(box.pending()) == 1, timeout=5000)
    draft = box.pending()[0]
    assert draft.form == "ActivityDialog" and draft.copy_of == source.id and draft.operator_label == "杨红霞"
    assert ["QLineEdit", source.title + "（第二场）"] in draft.values
    assert len(draft.extra["participants"]) == len(activities.participants_of(ctx, source.id))
    # given up through 取消 → 放弃修改: gone
    QTimer.singleShot(0, lambda: next(b for b in QApplication.activeModalWidget().buttons() if b.text() == "放弃修改").click())
    form.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not form.isVisible() and box.pending() == []

    form = ActivityDialog(ctx, None, copy_of=activities.get_activity(ctx, source.id))
    qtbot.addWidget(form)
    form.show()
    type_chinese(form.title_edit, "（第三场）")
    qtbot.waitUntil(lambda: len(box.pending()) == 1, timeout=5000)
    form.buttons.button(QDialogButtonBox.StandardButton.Save).click()  # saved: gone
    assert not form.isVisible() and box.pending() == []

    form = ActivityDialog(ctx, None)
    qtbot.addWidget(form)
    form.show()
    type_chinese(form.title_edit, "暂时放下")
    qtbot.waitUntil(lambda: len(box.pending()) == 1, timeout=5000)
    form.reject()  # closed by the program itself (not the person's 取消): kept for the next start
    assert len(box.pending()) == 1


def test_a_restored_draft_fills_the_same_form_for_the_same_record(qtbot, demo_store):
    """Every kind of field goes back where it was: text, choices, dates, times, numbers, check boxes,
    participants, and a team's members with its leader (which depends on them)."""
    from ui.dialogs.activity import ActivityDialog
    from ui.dialogs.team import TeamDialog
    from ui.drafts import capture

    ctx = _admin(demo_store)
    record = activities.get_activity(ctx, activities.list_activities(ctx, limit=1)[0].activity.id)
    form = ActivityDialog(ctx, record)
    qtbot.addWidget(form)
    form.show()
    form.title_edit.setText("改过的名称")
    form.category.setCurrentIndex((form.category.currentIndex() + 1) % form.category.count())
    form.start.setTime(form.start.time().addSecs(1800))
    form.served.setValue(form.served.value() + 7)
    form.family.setChecked(not form.family.isChecked())
    form.content.setPlainText("第一行\n第二行")
    form.participants.removeRow(0)
    form._keeper.write()
    draft = DraftBox(demo_store.paths.root).pending()[0]
    wanted = capture(form)
    form.reject()

    again = ActivityDialog.reopen(ctx, draft, None)
    qtbot.addWidget(again)
    again.restore_draft(draft)
    again.show()
    assert capture(again) == wanted
    assert again.participant_ids() == {r for r in form.participant_ids()}
    assert again.has_changes()  # 取消 asks before throwing the restored work away
    # Laid out like any form: no taller than the screen (its 保存 reachable), and Enter saves — the restored
    # form came up 900 px tall, buttons off-screen, Enter opening 选择志愿者.
    from ui.fit import window_room

    assert again.height() <= window_room()[1]
    assert not any(b.autoDefault() for b in again.findChildren(QPushButton) if b.parent() is not again.buttons)

    from app.services import teams

    team = teams.get_team(ctx, teams.list_teams(ctx)[0].team.id)
    edit = TeamDialog(ctx, team)
    qtbot.addWidget(edit)
    edit.show()
    chosen = sorted(edit.members.selected)[:1]
    edit.members.restore_draft_value(chosen)
    edit.leader.setCurrentIndex(edit.leader.findData(chosen[0]))
    edit._keeper.write()
    team_draft = next(d for d in DraftBox(demo_store.paths.root).pending() if d.form == "TeamDialog")
    edit.reject()
    back = TeamDialog.reopen(ctx, team_draft, None)
    qtbot.addWidget(back)
    back.restore_draft(team_draft)
    assert sorted(back.members.selected) == chosen and back.leader.currentData() == chosen[0]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_after_kill_9_with_a_half_filled_form_the_next_start_offers_it_back(qtbot, demo_template, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_template, data / "station.db")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    program = subprocess.Popen([sys.executable, str(ROOT / "tests" / "half_filled_form.py"), str(data)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    box = DraftBox(data)
    try:
        deadline = time.monotonic() + 120
        while not any("重阳节敬老饺子宴" in json.dumps(d.values, ensure_ascii=False) for d in box.pending()):
            assert program.poll() is None, program.stdout.read()
            assert time.monotonic() < deadline, "no draft was written"
            time.sleep(0.05)
    finally:
        program.send_signal(signal.SIGKILL)  # a power cut, as far as the program can tell
        program.wait()
        program.stdout.close()
    assert ended_unexpectedly(data) is not None

    from ui import app as ui_app
    from ui.dialogs.activity import ActivityDialog
    from ui.drafts import RecoveryDialog
    from ui.soak import auto_login

    seen: dict = {}

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if seen.get("give_up") and modal is not None:  # the test failed: let nothing wait for a person
            modal.done(0)
            return
        if isinstance(modal, RecoveryDialog) and "offer" not in seen:
            seen["offer"] = " ".join(label.text() for label in modal.findChildren(QLabel))
            seen["line"] = modal.list.item(0).text()
            QTimer.singleShot(0, modal.restore_button.click)
        elif isinstance(modal, ActivityDialog) and "form" not in seen:
            seen["form"] = (modal.title_edit.text(), modal.place.text(), modal.windowTitle())
            # 取消 asks 放弃修改？ in a box of its own: pressed after this tick, so the next tick can answer it
            QTimer.singleShot(0, modal.buttons.button(QDialogButtonBox.StandardButton.Cancel).click)
        elif isinstance(modal, QMessageBox) and "form" in seen:
            next(b for b in modal.buttons() if b.text() == "放弃修改").click()
            seen["done"] = True

    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(20)
    login = auto_login("admin", "admin123")
    _app, window, lock = ui_app.start(str(data))
    login.stop()
    window.idle.stop()
    try:
        try:
            qtbot.waitUntil(lambda: seen.get("done", False), timeout=60_000)
        finally:
            seen["give_up"] = not seen.get("done")
            qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=10_000)
            driver.stop()
        # a power cut leaves no report: none is named (a trial was sent to an empty crash.log)
        assert "上次没有正常关闭" in seen["offer"] and "没有留下出错报告" in seen["offer"]
        assert "crash.log" not in seen["offer"]
        assert seen["line"].startswith("新增活动 — 杨红霞填写") and "最后填写于" in seen["line"]
        assert seen["form"][:2] == ("重阳节敬老饺子宴", "村委会活动室")
        qtbot.waitUntil(lambda: box.pending() == [], timeout=5000)  # given up: gone
    finally:
        ui_app.end_run(_app, window, lock, data)  # as ``station`` ends this run


def test_switching_operator_over_an_open_form_keeps_it_as_a_draft_for_its_author(qtbot, demo_store):
    """The idle lock over an open form had only 解锁: 切换操作员 now closes the form keeping what was typed;
    the next operator gets the window for their role, and the author gets the draft back at their next login."""
    from PySide6.QtWidgets import QDialog

    from app.settings import Settings
    from ui.dialogs.login import LockDialog, LoginDialog
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.drafts import RecoveryDialog
    from ui.main_window import MainWindow

    window = MainWindow(_admin(demo_store), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.idle.stop()
    steps: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, VolunteerDialog) and "typed" not in steps:
            type_chinese(modal.name, "未保存的名字")
            steps.append("typed")
            QTimer.singleShot(0, window.lock)  # the idle time ran out
        elif isinstance(modal, LockDialog) and "switch" not in steps:
            steps.append("switch")
            assert next(b for b in modal.findChildren(QPushButton) if b.text() == "切换操作员").isVisible()
            modal.done(LockDialog.SWITCH)
        elif isinstance(modal, LoginDialog) and "clerk" not in steps:
            steps.append("clerk")
            modal.username.setCurrentIndex(modal.username.findData("clerk"))
            modal.password.setText("clerk123")
            modal.try_login()
        elif isinstance(modal, LoginDialog) and "admin" not in steps and "clerk in" in steps:
            steps.append("admin")
            modal.username.setCurrentIndex(modal.username.findData("admin"))
            modal.password.setText("admin123")
            modal.try_login()
        elif isinstance(modal, RecoveryDialog):
            steps.append("offered: " + modal.list.item(0).text())
            modal.done(QDialog.DialogCode.Rejected)  # 以后再说

    from PySide6.QtWidgets import QPushButton

    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(20)
    try:
        window.go("volunteers")
        QTimer.singleShot(0, lambda: window.page("volunteers").create())
        qtbot.waitUntil(lambda: window.ctx.actor.username == "clerk", timeout=20_000)
        steps.append("clerk in")
        assert window.open_modal_windows() == [] and DraftBox(demo_store.paths.root).pending()[0].operator == "admin"
        assert not any(s.startswith("offered") for s in steps)  # the clerk is not shown the admin's form
        QTimer.singleShot(0, window.switch_operator)  # the author back at the PC: 文件 → 切换操作员
        qtbot.waitUntil(lambda: any(s.startswith("offered") for s in steps), timeout=20_000)
    finally:
        driver.stop()
    assert next(s for s in steps if s.startswith("offered")).startswith("offered: 新增志愿者 — 杨红霞填写")
    window.idle.stop()


def test_a_draft_of_a_record_saved_since_says_so_before_it_is_restored(qtbot, demo_store):
    """A trial: an operator's draft restored over a record another operator had saved since put the older values back,
    saved over without a word. The form still comes back filled (the typing is the author's), with a warning first."""
    from PySide6.QtWidgets import QMainWindow

    from app.services import volunteers
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.drafts import reopen_draft

    ctx = _admin(demo_store)
    record = volunteers.get_volunteer(ctx, volunteers.search_volunteers(ctx, "", limit=1)[0].id)
    form = VolunteerDialog(ctx, record)
    qtbot.addWidget(form)
    form.show()
    form.name.setText(record.name + "甲")  # typed, never saved
    form._keeper.write()
    box = DraftBox(demo_store.paths.root)
    draft = box.pending()[0]
    assert draft.record_version == record.version
    form.reject()  # closed by the program: the draft stays

    class Window(QMainWindow):  # what reopen_draft asks of the main window
        def __init__(self):
            super().__init__()
            self.ctx, self.pages = ctx, {}

        def go(self, _key):
            pass

        def page(self, _key):
            return None

    window = Window()
    qtbot.addWidget(window)
    seen: list[str] = []
    when_modal(lambda msg: (seen.append(msg.text()), msg.accept()), kind=QMessageBox)
    when_modal(lambda again: again.reject(), kind=VolunteerDialog, attempts=1000)
    assert not reopen_draft(window, draft, box)
    assert seen == []  # nobody saved it meanwhile: no warning

    volunteers.update_volunteer(ctx, record.id, phone="13912345678")  # another operator saves it
    when_modal(lambda msg: (seen.append(msg.text()), msg.accept()), kind=QMessageBox)
    when_modal(lambda again: again.reject(), kind=VolunteerDialog, attempts=1000)
    reopen_draft(window, draft, box)
    assert len(seen) == 1 and "已被修改过" in seen[0] and "请逐项核对后再保存" in seen[0]


def test_one_recovery_list_at_a_time_and_none_after_its_form_is_saved(qtbot, demo_store):
    """A trial: two recovery lists came up at once (a lock and a called-off 切换操作员 over a restored form asked
    again); the form restored from the top one was saved, and the one left underneath reopened the saved volunteer
    filled — one 保存 from a second copy. An offer asked for while one is open is the open one's to make."""
    from PySide6.QtWidgets import QDialogButtonBox

    from app.services import volunteers
    from conftest import make_id
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.drafts import RecoveryDialog, offer_recovery

    ctx = _admin(demo_store)
    before = volunteers.count_volunteers(ctx)
    box, window = _a_volunteers_draft_and_the_window(qtbot, ctx)
    lists: list[int] = []

    def shown() -> int:
        return len([w for w in QApplication.topLevelWidgets() if isinstance(w, RecoveryDialog) and w.isVisible()])

    def restore(dialog):
        lists.append(shown())
        if len(lists) == 1:
            offer_recovery(window, None, None)  # asked again meanwhile (an unlock): no second list on top
            lists.append(shown())
        dialog.done(RecoveryDialog.RESTORE)

    def save(form):
        form.id_number.setText(make_id(seq=777))
        form.buttons.button(QDialogButtonBox.StandardButton.Save).click()

    when_modal(restore, kind=RecoveryDialog)
    when_modal(save, kind=VolunteerDialog)
    offer_recovery(window, None, None)
    assert lists == [1, 1]  # one list, and no list after the form was saved
    assert volunteers.count_volunteers(ctx) == before + 1 and box.pending() == []
    window.idle.stop()


def test_a_restored_form_closed_by_a_switch_never_shows_its_authors_drafts_to_the_next_operator(qtbot, demo_store):
    """An offer of the admin's drafts restores a form; the idle lock comes over it and the clerk logs in (the form
    is closed as the admin's draft again). The offer still running lists the operator now at the PC — the clerk,
    who has none: the admin's unsaved form is never shown to them."""
    from PySide6.QtWidgets import QDialog

    from ui.dialogs.login import LockDialog, LoginDialog
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.drafts import RecoveryDialog, offer_recovery

    box, window = _a_volunteers_draft_and_the_window(qtbot, _admin(demo_store))
    offers: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible():
            return
        if isinstance(modal, RecoveryDialog) and modal is not drive.__dict__.get("last"):
            drive.last = modal
            listed = [modal.list.item(i).text()[:5] for i in range(modal.list.count())]
            offers.append(f"{window.ctx.actor.username}: {listed}")
            modal.done(RecoveryDialog.RESTORE if len(offers) == 1 else QDialog.DialogCode.Rejected)
        elif isinstance(modal, VolunteerDialog) and "locked" not in offers:
            offers.append("locked")
            QTimer.singleShot(0, window.lock)  # the idle time runs out over the restored form
        elif isinstance(modal, LockDialog):
            modal.done(LockDialog.SWITCH)
        elif isinstance(modal, LoginDialog):
            modal.username.setCurrentIndex(modal.username.findData("clerk"))
            modal.password.setText("clerk123")
            modal.try_login()

    driver = QTimer()
    driver.timeout.connect(drive)
    driver.start(20)
    try:
        offer_recovery(window, None, None)
        qtbot.waitUntil(lambda: window.ctx.actor.username == "clerk" and not window.open_modal_windows(),
                        timeout=20_000)
        qtbot.wait(200)
    finally:
        driver.stop()
    assert offers[:2] == ["admin: ['新增志愿者']", "locked"], offers
    assert not any(o.startswith("clerk: ['登记") for o in offers), offers  # the admin's form, never to the clerk
    assert [d.operator for d in box.pending()] == ["admin"]  # kept for its author
    window.idle.stop()


def test_a_draft_gone_while_the_list_is_open_is_not_reopened(qtbot, demo_store):
    """The list is read when it opens; a draft saved or given up meanwhile (its form was open underneath) must not
    come back filled from the list's old copy."""
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.drafts import RecoveryDialog, offer_recovery

    box, window = _a_volunteers_draft_and_the_window(qtbot, _admin(demo_store))
    opened: list = []

    def restore_after_it_went(dialog):
        box.remove(box.pending()[0].key)  # saved elsewhere meanwhile
        dialog.done(RecoveryDialog.RESTORE)

    when_modal(restore_after_it_went, kind=RecoveryDialog)
    when_modal(lambda form: (opened.append(form.name.text()), form.reject()), kind=VolunteerDialog)
    offer_recovery(window, None, None)
    assert opened == [] and box.pending() == []
    window.idle.stop()


def _a_volunteers_draft_and_the_window(qtbot, ctx):
    """The admin's unsaved new volunteer (王小明) left as a draft, and the main window logged in as the admin."""
    from app.settings import Settings
    from ui.main_window import MainWindow

    box = DraftBox(ctx.store.paths.root)
    box.save(Draft(form="VolunteerDialog", title="新增志愿者", operator="admin", operator_label="杨红霞", record_id=None,
                   values=[["QLineEdit", "王小明"]], extra={}))
    window = MainWindow(ctx, Settings(ctx.store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.idle.stop()
    return box, window


def test_the_recovery_names_the_crash_report_only_when_there_is_one(qtbot):
    from PySide6.QtWidgets import QLabel

    from ui.drafts import RecoveryDialog

    def said(crash_log: str) -> str:
        dialog = RecoveryDialog([], object(), crash_log)
        qtbot.addWidget(dialog)
        return " ".join(label.text() for label in dialog.findChildren(QLabel))

    assert "出错报告保存在" in said("D:/台账/logs/crash.log") and "D:/台账/logs/crash.log" in said("D:/台账/logs/crash.log")
    assert "没有留下出错报告" in said("") and "保存在" not in said("")
