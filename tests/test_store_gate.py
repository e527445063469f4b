"""One writer at a time: a save during a long background job waits with the window alive and is told
what is running; "database is locked" never reaches a person; long jobs stop on 取消 and write nothing."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QProgressDialog
from sqlmodel import func, select

from app.gate import StoreBusy
from app.models import OutboxEntry, PointEntry, Station, Volunteer
from app.models.enums import Role
from app.services import activities, points, volunteers
from app.services.context import Actor, Context
from app.services.errors import NotFound
from app.services import station as station_service
from app.services.station import set_deleted_many
from conftest import make_id
from ui.dialogs.volunteer import VolunteerDialog
from ui.workers import watch_store
from ui_helpers import type_text


@pytest.fixture
def admin_ctx(ctx):
    return Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))


class HeldInBackground:
    """A background job holding the store's write lock (like 结算活动积分) until ``release()``."""

    def __init__(self, ctx: Context, label: str = "结算活动积分"):
        self.started, self.go = threading.Event(), threading.Event()
        self.error: BaseException | None = None

        def job() -> None:
            try:
                with ctx.write(immediate=True, label=label):  # BEGIN IMMEDIATE: SQLite's write lock is held
                    self.started.set()
                    self.go.wait(30)
            except BaseException as exc:
                self.error = exc
                self.started.set()

        self.thread = threading.Thread(target=job)
        self.thread.start()
        assert self.started.wait(10)

    def release(self) -> None:
        self.go.set()
        self.thread.join(30)
        assert self.error is None, self.error


def count(store, model) -> int:
    with store.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_writer_without_a_window_is_told_what_runs_in_chinese(admin_ctx):
    job = HeldInBackground(admin_ctx)
    admin_ctx.store.gate.timeout = 0.3
    try:
        with pytest.raises(StoreBusy) as caught:
            volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="张三", id_number=make_id(seq=11), phone="13812345678")
    finally:
        job.release()
        admin_ctx.store.gate.timeout = 60
    assert "结算活动积分" in str(caught.value) and "locked" not in str(caught.value)
    volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="张三", id_number=make_id(seq=11), phone="13812345678")  # free again
    assert count(admin_ctx.store, Volunteer) == 1


def test_writes_outside_services_pass_the_gate_too(admin_ctx):
    """The outbox, the sync client and login counters write through ``Store.session``: they queue at the
    gate as well (caught at the engine), instead of meeting the job inside SQLite."""
    job = HeldInBackground(admin_ctx, label="同步数据")
    admin_ctx.store.gate.timeout = 0.3
    try:
        with pytest.raises(StoreBusy, match="同步数据"):
            with admin_ctx.store.session() as session:
                session.get(Station, admin_ctx.station_id).address = "直接写入"
                session.commit()
    finally:
        job.release()
        admin_ctx.store.gate.timeout = 60
    assert not admin_ctx.store.gate.busy
    with admin_ctx.store.session() as session:  # released after the failure: the next write goes through
        session.get(Station, admin_ctx.station_id).address = "直接写入"
        session.commit()
    assert not admin_ctx.store.gate.busy
    with admin_ctx.store.session() as session:
        assert session.get(Station, admin_ctx.station_id).address == "直接写入"


def test_the_gate_is_released_by_rollback_and_by_a_failing_service(admin_ctx):
    gate = admin_ctx.store.gate
    with admin_ctx.store.session() as session:
        session.get(Station, admin_ctx.station_id).address = "未提交"
        session.flush()
        assert gate.busy and gate.held_by_me()
        session.rollback()
    assert not gate.busy
    with pytest.raises(NotFound):
        set_deleted_many(admin_ctx, Volunteer, ["no-such-id"], deleted=True, what="志愿者")
    assert not gate.busy


def test_a_save_during_a_background_job_waits_with_the_window_alive(qtbot, admin_ctx):
    watch_store(admin_ctx.store)
    job = HeldInBackground(admin_ctx)
    dialog = VolunteerDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.name, "李四")
    type_text(qtbot, dialog.id_number, make_id(seq=21))
    type_text(qtbot, dialog.phone, "13812345679")
    ticks, seen, waiting_from = [], [], []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start(10)

    def look_then_finish() -> None:
        busy = QApplication.instance().findChild(QProgressDialog, "storeBusyDialog") or next(
            (w for w in QApplication.topLevelWidgets() if w.objectName() == "storeBusyDialog" and w.isVisible()), None)
        if busy is None:
            QTimer.singleShot(20, look_then_finish)
            return
        if not seen:
            seen.append(busy.labelText())
            waiting_from.append(len(ticks))
        if len(ticks) < waiting_from[0] + 5:  # the window's own timers go on while the save waits
            QTimer.singleShot(10, look_then_finish)
            return
        job.release()  # the settlement ends: the save goes on by itself

    QTimer.singleShot(50, look_then_finish)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    heartbeat.stop()
    admin_ctx.store.gate.set_waiter(None)
    assert dialog.result() == 1, dialog.banner.text() if hasattr(dialog, "banner") else ""
    assert seen and "结算活动积分" in seen[0]
    assert len(ticks) >= waiting_from[0] + 5  # the heartbeat ticked on while the save waited: the window kept running
    assert [v.name for v in volunteers.search_volunteers(admin_ctx, "李四")] == ["李四"]


def test_giving_up_the_wait_keeps_the_form_and_writes_nothing(qtbot, admin_ctx):
    watch_store(admin_ctx.store)
    job = HeldInBackground(admin_ctx)
    dialog = VolunteerDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.name, "王五")
    type_text(qtbot, dialog.id_number, make_id(seq=31))
    type_text(qtbot, dialog.phone, "13812345670")

    def cancel_the_wait() -> None:
        busy = next((w for w in QApplication.topLevelWidgets() if w.objectName() == "storeBusyDialog" and w.isVisible()), None)
        if busy is None:
            QTimer.singleShot(20, cancel_the_wait)
            return
        busy.cancel()

    QTimer.singleShot(50, cancel_the_wait)
    try:
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and dialog.result() == 0
        assert "没有保存" in dialog.banner.text() and "结算活动积分" in dialog.banner.text()
    finally:
        job.release()
        admin_ctx.store.gate.set_waiter(None)
    assert volunteers.search_volunteers(admin_ctx, "王五") == []
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)  # now it saves
    assert dialog.result() == 1 and [v.name for v in volunteers.search_volunteers(admin_ctx, "王五")] == ["王五"]


def _two_done_activities(admin_ctx):
    people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=f"志愿者{i}", id_number=make_id(seq=100 + i), phone=f"138123450{i:02d}")
              for i in range(6)]
    for day in (3, 10):
        activities.add_activity(admin_ctx, title=f"清扫{day}", category="卫生环保", date=date(2026, 3, day), status="done",
                                participants=[activities.ParticipantInput(p.id, 2.0) for p in people])


def test_a_settlement_commits_whole_slices_and_running_it_again_finishes_a_cancelled_one(admin_ctx, monkeypatch):
    _two_done_activities(admin_ctx)
    monkeypatch.setattr(points, "SETTLE_CHUNK", 4)
    monkeypatch.setattr(points, "SETTLE_PAGE", 1)  # one activity (six participants) read at a time: a slice each
    points.ensure_default_rules(admin_ctx)  # the rules are written once, before any settlement
    entries_before, outbox_before = count(admin_ctx.store, PointEntry), count(admin_ctx.store, OutboxEntry)
    calls = []

    def cancel_in_the_second_slice(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise RuntimeError("取消")

    with pytest.raises(RuntimeError):
        points.settle_activities(admin_ctx, progress=cancel_in_the_second_slice)
    assert calls == [(6, 12), (12, 12)]
    # the first slice is in, whole (entries and their outbox rows); the second is not there at all
    assert count(admin_ctx.store, PointEntry) == entries_before + 6 and count(admin_ctx.store, OutboxEntry) == outbox_before + 6
    assert not admin_ctx.store.gate.busy
    seen = []
    written, credited = points.settle_activities(admin_ctx, progress=lambda d, t: seen.append((d, t)))
    assert written == 6 and credited > 0 and seen == [(6, 12), (12, 12), (12, 12)]
    assert count(admin_ctx.store, PointEntry) == entries_before + 12  # nobody credited twice


def test_a_save_made_during_a_settlement_goes_in_between_two_slices(admin_ctx, monkeypatch):
    """The save waits for one slice, not for the whole settlement (a volunteer saved while five years were
    settled waited 38.7 s): the settlement gives way to a writer that queued while a slice ran."""
    _two_done_activities(admin_ctx)
    monkeypatch.setattr(points, "SETTLE_CHUNK", 4)
    monkeypatch.setattr(points, "SETTLE_PAGE", 1)
    points.ensure_default_rules(admin_ctx)
    order = _save_between_slices(admin_ctx, lambda progress: points.settle_activities(admin_ctx, progress=progress), lambda p: p)
    assert order[:3] == ["6/12", "saved", "12/12"]


def test_a_settlement_nobody_waits_for_writes_one_big_slice(admin_ctx, monkeypatch):
    """Small slices made a settlement 2.3× the same rows written at once (#29): a slice now runs up to SETTLE_CHUNK
    entries, and ends after the page in hand as soon as a save queues (below)."""
    from sqlalchemy import event

    _two_done_activities(admin_ctx)
    monkeypatch.setattr(points, "SETTLE_PAGE", 1)  # twelve participants, one activity a page: everything fits one slice
    points.ensure_default_rules(admin_ctx)
    commits = []

    def counted(_conn) -> None:
        commits.append(1)

    event.listen(admin_ctx.store.engine, "commit", counted)
    try:
        written, _credited = points.settle_activities(admin_ctx, date_to=date(2026, 3, 31))
    finally:
        event.remove(admin_ctx.store.engine, "commit", counted)
    assert written == 12 and len(commits) == 1  # one slice, nobody waiting


def test_a_big_slice_ends_after_the_page_in_hand_once_a_save_queues(admin_ctx, monkeypatch):
    _two_done_activities(admin_ctx)
    monkeypatch.setattr(points, "SETTLE_PAGE", 1)  # SETTLE_CHUNK as shipped: both activities would fit one slice
    points.ensure_default_rules(admin_ctx)
    order = _save_between_slices(admin_ctx, lambda progress: points.settle_activities(admin_ctx, progress=progress),
                                 lambda p: p)
    assert order[:3] == ["6/12", "saved", "12/12"]


def test_bulk_delete_checks_every_row_first_and_commits_whole_slices(admin_ctx, monkeypatch):
    monkeypatch.setattr(station_service, "DELETE_SLICE", 2)
    people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=f"删{i}", id_number=make_id(seq=200 + i), phone=f"139123450{i:02d}")
              for i in range(5)]
    ids = [p.id for p in people]
    with pytest.raises(NotFound):  # one row not this station's: checked before any slice, nothing moves
        set_deleted_many(admin_ctx, Volunteer, ids + ["gone"], deleted=True, what="志愿者")
    assert volunteers.count_volunteers(admin_ctx) == 5
    seen = []

    def cancel_in_the_second_slice(done: int, total: int) -> None:
        seen.append(done)
        if done > 2:
            raise RuntimeError("取消")

    with pytest.raises(RuntimeError):
        set_deleted_many(admin_ctx, Volunteer, ids, deleted=True, what="志愿者", progress=cancel_in_the_second_slice)
    assert seen == [2, 4]  # each slice's end is reported
    assert volunteers.count_volunteers(admin_ctx) == 5 - 2  # the first slice stays in the bin, the second rolled back
    assert not admin_ctx.store.gate.busy
    assert set_deleted_many(admin_ctx, Volunteer, ids, deleted=True, what="志愿者") == 3  # again: the rest, once
    assert volunteers.count_volunteers(admin_ctx) == 0


def _save_between_slices(admin_ctx, job, progress_of) -> list[str]:
    """Run ``job(progress)`` while a clerk saves a volunteer from another thread, pressed inside the job's first
    slice (the gate held); return the order of the job's progress reports and the save."""
    gate = admin_ctx.store.gate
    order: list[str] = []

    def save() -> None:
        volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="王五", id_number=make_id(seq=301), phone="13812345999")
        order.append("saved")

    saver = threading.Thread(target=save)

    def progress(done: int, total: int) -> None:
        order.append(f"{done}/{total}")
        if len(order) == 1:
            saver.start()
            deadline = time.monotonic() + 10
            while gate._wanted == 0 and time.monotonic() < deadline:
                time.sleep(0.005)

    job(progress_of(progress))
    saver.join(10)
    return order


def test_a_save_made_during_a_bulk_delete_goes_in_between_two_slices(admin_ctx, monkeypatch):
    monkeypatch.setattr(station_service, "DELETE_SLICE", 50)
    people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=f"删{i}", id_number=make_id(seq=400 + i))
              for i in range(100)]
    order = _save_between_slices(admin_ctx, lambda progress: set_deleted_many(
        admin_ctx, Volunteer, [p.id for p in people], deleted=True, what="志愿者", progress=progress), lambda p: p)
    assert order == ["50/100", "saved", "100/100"]


def test_a_save_made_during_an_import_goes_in_between_two_slices_and_a_cancelled_import_can_be_finished(admin_ctx, monkeypatch, tmp_path):
    from openpyxl import Workbook

    from app.exchange import excel

    monkeypatch.setattr(excel, "IMPORT_SLICE", 3)

    def roster(name: str, first_seq: int):
        book = Workbook()
        book.active.append(["姓名", "身份证号", "联系电话"])
        for i in range(7):
            book.active.append([f"{name}{i}", make_id(seq=first_seq + i), f"137000{first_seq + i:05d}"])
        book.save(tmp_path / f"{name}.xlsx")
        sheet = excel.read_sheet(tmp_path / f"{name}.xlsx")
        return sheet, excel.guess_mapping(sheet)

    sheet, mapping = roster("导入", 500)
    order = _save_between_slices(admin_ctx, lambda progress: excel.import_volunteers(admin_ctx, sheet, mapping, progress=progress),
                                 lambda p: p)
    assert order[:5] == ["1/7", "2/7", "3/7", "saved", "4/7"]
    numbers = sorted(v.number for v in volunteers.search_volunteers(admin_ctx))
    assert len(numbers) == len(set(numbers)) == 8  # the save's number taken between two slices is not given twice

    # 取消 in the third slice: two whole slices stay, and their count is said; the same file again finishes it.
    sheet, mapping = roster("再导", 600)
    reports = []
    with pytest.raises(excel.ImportCancelled) as info:
        excel.import_volunteers(admin_ctx, sheet, mapping, progress=lambda d, t: reports.append(d), cancelled=lambda: len(reports) >= 6)
    assert info.value.written == 6 and "此前的 6 行已导入并保存" in str(info.value)
    assert volunteers.count_volunteers(admin_ctx) == 8 + 6
    plans = excel.plan_volunteers(admin_ctx, sheet, mapping)
    assert [p.ok for p in plans] == [False] * 6 + [True]  # the imported rows are shown as already registered
    assert excel.import_volunteers(admin_ctx, sheet, mapping, only_valid=True).imported == 1
    assert volunteers.count_volunteers(admin_ctx) == 8 + 7


def test_a_write_inside_a_labelled_job_names_it(admin_ctx):
    """The sync client's writes go through Store.session; whoever waits for them reads 正在同步数据."""
    gate, seen = admin_ctx.store.gate, []
    started, go = threading.Event(), threading.Event()

    def job() -> None:
        with gate.labelled("同步数据"), admin_ctx.store.session() as session:
            session.get(Station, admin_ctx.station_id).address = "同步中"
            session.flush()  # the first write takes the gate under the thread's label
            started.set()
            go.wait(10)
            session.commit()

    thread = threading.Thread(target=job)
    thread.start()
    assert started.wait(10)
    seen.append(gate.describe())
    go.set()
    thread.join(10)
    assert seen[0].startswith("正在同步数据") and not gate.busy
