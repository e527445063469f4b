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
            except BaseException as exc:  # noqa: BLE001
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
    ticks, seen = [], []
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start(10)

    def look_then_finish() -> None:
        busy = QApplication.instance().findChild(QProgressDialog, "storeBusyDialog") or next(
            (w for w in QApplication.topLevelWidgets() if w.objectName() == "storeBusyDialog" and w.isVisible()), None)
        if busy is None:
            QTimer.singleShot(20, look_then_finish)
            return
        seen.append(busy.labelText())
        job.release()  # the settlement ends: the save goes on by itself

    QTimer.singleShot(50, look_then_finish)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    heartbeat.stop()
    admin_ctx.store.gate.set_waiter(None)
    assert dialog.result() == 1, dialog.banner.text() if hasattr(dialog, "banner") else ""
    assert seen and "结算活动积分" in seen[0]
    assert len(ticks) >= 5 and max(b - a for a, b in zip(ticks, ticks[1:])) < 0.5  # the window kept painting
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
    gate = admin_ctx.store.gate
    order: list[str] = []

    def save() -> None:
        volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="王五", id_number=make_id(seq=301), phone="13812345999")
        order.append("saved")

    saver = threading.Thread(target=save)

    def progress(done: int, total: int) -> None:
        order.append(f"slice {done}/{total}")
        if len(order) == 1:  # inside the first slice, holding the gate: the clerk presses 保存
            saver.start()
            deadline = time.monotonic() + 10
            while gate._wanted == 0 and time.monotonic() < deadline:
                time.sleep(0.005)

    points.settle_activities(admin_ctx, progress=progress)
    saver.join(10)
    assert order[:3] == ["slice 6/12", "saved", "slice 12/12"]


def test_bulk_delete_is_all_or_nothing(admin_ctx):
    people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=f"删{i}", id_number=make_id(seq=200 + i), phone=f"139123450{i:02d}")
              for i in range(3)]
    with pytest.raises(NotFound):
        set_deleted_many(admin_ctx, Volunteer, [p.id for p in people] + ["gone"], deleted=True, what="志愿者")
    assert volunteers.count_volunteers(admin_ctx) == 3
    with pytest.raises(RuntimeError):
        set_deleted_many(admin_ctx, Volunteer, [p.id for p in people], deleted=True, what="志愿者",
                         progress=lambda d, t: (_ for _ in ()).throw(RuntimeError("取消")))
    assert volunteers.count_volunteers(admin_ctx) == 3
    assert set_deleted_many(admin_ctx, Volunteer, [p.id for p in people], deleted=True, what="志愿者") == 3
    assert volunteers.count_volunteers(admin_ctx) == 0


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
