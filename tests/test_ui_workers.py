"""Background jobs and the GUI thread over a working day: a finished job leaves nothing behind, and the
cycle collector runs on the GUI thread in small steps with full collections spaced out."""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
from PySide6.QtWidgets import QProgressDialog, QWidget

from ui import workers
from ui.workers import GuiThreadGarbageCollector, Task, run_in_background


class Payload:
    """What a job hands back (an import's plan, a print's result)."""


def test_a_finished_job_leaves_nothing_behind(qtbot):
    page = QWidget()
    qtbot.addWidget(page)
    answers = []
    gc.collect()
    earlier = {id(o) for o in gc.get_objects() if isinstance(o, Task)}  # an earlier test's job whose window closed first
    for n in range(12):
        # with a progress dialog and without, succeeding and failing, each closure holding the page and its result
        title = "正在处理" if n % 2 else None
        payload = Payload()
        if n % 3:
            run_in_background(page, lambda task, p=payload: p, lambda result: answers.append((page, result)), title=title)
        else:
            run_in_background(page, lambda task: 1 / 0, lambda _r: None, lambda exc, _d: answers.append((page, exc)), title=title)
        QThreadPool.globalInstance().waitForDone(5000)
        qtbot.waitUntil(lambda: not workers._running, timeout=5000)
    del payload
    assert len(answers) == 12
    answers.clear()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, Task) and id(o) not in earlier] == []  # each job's task, closures and result are gone
    assert not any(isinstance(o, Payload) for o in gc.get_objects())
    assert page.findChildren(QProgressDialog) == []  # and so is each job's progress dialog


def test_a_job_that_reports_no_progress_shows_its_window_after_the_minimum_duration(qtbot):
    """A trial: 正在登记 never came up — a QProgressDialog shows itself after its minimum duration only once a value
    is set, and a job reporting no progress (an enrolment, a file copy) set none: the window showed after Qt's own
    4 s, or never, and the page looked idle with nothing to 取消."""
    import threading

    page = QWidget()
    qtbot.addWidget(page)
    page.show()
    release = threading.Event()
    run_in_background(page, lambda task: release.wait(20), lambda _r: None, title="正在登记")
    dialog = page.findChild(QProgressDialog)
    try:
        assert dialog is not None and dialog.value() == dialog.minimum()  # armed for its 300 ms, not Qt's 4 s
        qtbot.waitUntil(dialog.isVisible, timeout=10_000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not workers._running, timeout=10_000)


def test_collections_are_small_steps_with_full_ones_spaced_out(qtbot, monkeypatch):
    owner = QWidget()
    qtbot.addWidget(owner)
    collector = GuiThreadGarbageCollector(owner)
    collector.timer.stop()
    made: list[int] = []
    counts = iter([(0, 0, 0), (800, 0, 0), (800, 1, 0), (800, 2, 0), (800, 3, 11), (800, 3, 11), (800, 3, 11)])
    monkeypatch.setattr(gc, "collect", lambda generation=2: made.append(generation) or 0)
    monkeypatch.setattr(gc, "get_count", lambda: next(counts))
    start = collector.last_full
    clock = iter([start + 1, start + 2, start + 3, start + 4, start + 5, start + 61, start + 62])  # one reading a tick
    monkeypatch.setattr(workers.time, "monotonic", lambda: next(clock))
    for _ in range(7):
        collector.collect()
    # nothing to do; three young collections; then the middle generation while a full one is under a
    # minute from the last; then the full one; then the middle again (the full one just ran)
    assert made == [0, 0, 0, 1, 2, 1]


def test_a_full_collection_falls_due_by_the_clock_whether_or_not_a_job_runs(qtbot, monkeypatch):
    """Full collections are at least FULL_EVERY_S apart, job or no job: with what the window holds frozen, one
    during a job walks little more than the job's objects (holding them back changed no stall beyond the runs'
    spread in bench/tuning_bench.py, so the wait went); the ticks are short while the job runs."""
    owner = QWidget()
    qtbot.addWidget(owner)
    collector = GuiThreadGarbageCollector(owner)
    collector.timer.stop()
    made: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: made.append(generation) or 0)
    monkeypatch.setattr(gc, "get_count", lambda: (800, 3, 11))  # a full collection is due by the counts
    now = [collector.last_full]
    monkeypatch.setattr(workers.time, "monotonic", lambda: now[0])
    monkeypatch.setitem(workers._running, Task(), object())  # a job runs
    now[0] = collector.last_full + 30
    collector.collect()
    assert made == [1]  # under a minute since the last full one: the middle generation
    now[0] = collector.last_full + 61
    collector.collect()
    assert made[-1] == 2  # a minute on: the full one, though the job still runs
    assert collector.timer.interval() == GuiThreadGarbageCollector.BUSY_INTERVAL_MS
    collector.make_full_due()
    collector.collect()
    assert made[-1] == 2
    workers._running.clear()
    collector.collect()
    assert collector.timer.interval() == GuiThreadGarbageCollector.INTERVAL_MS


def test_a_painted_cell_is_one_call_into_python(qtbot):
    """Each call from Qt into Python waits for the GIL while a job runs: a cell is painted with one."""
    import sys

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableView

    from ui.table_model import Column, LazyTableModel

    rows = [{"name": f"志愿者{n}", "hours": n * 1.5} for n in range(40)]
    model = LazyTableModel([Column("姓名", lambda r: r["name"]), Column("时长", lambda r: r["hours"], align_right=True)],
                           lambda _state, offset, limit, *_a: rows[offset:offset + limit], lambda _state: len(rows))
    model.reload()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    here = sys._getframe()
    entries: dict[str, int] = {}

    def count(frame, event, _arg):  # a Python frame whose caller is this test's frame was entered from Qt's C++
        if event == "call" and frame.f_back is here:
            entries[frame.f_code.co_name] = entries.get(frame.f_code.co_name, 0) + 1

    sys.setprofile(count)
    try:
        view.grab()  # paints the view and its cells, as the screen would
    finally:
        sys.setprofile(None)
    assert entries.get("multiData", 0) >= 2 * 8  # every visible cell of both columns: one entry each
    assert entries.get("data", 0) == 0  # never once per role
    assert model.index(3, 0).data() == "志愿者3"
    assert model.index(3, 1).data(Qt.ItemDataRole.TextAlignmentRole) == int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def test_the_collector_holds_off_while_the_login_is_painted(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    collector = GuiThreadGarbageCollector(owner)
    collector.hold_off(2000)
    assert collector.timer.isActive() and collector.timer.remainingTime() > 1500  # no walk of the start's imports now
    collector.collect()  # the first tick afterwards: the usual interval again
    assert collector.timer.interval() == GuiThreadGarbageCollector.INTERVAL_MS
