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
    assert [o for o in gc.get_objects() if isinstance(o, Task)] == []  # each job's task, closures and result are gone
    assert not any(isinstance(o, Payload) for o in gc.get_objects())
    assert page.findChildren(QProgressDialog) == []  # and so is each job's progress dialog


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
    clock = iter([start + 5, start + 61, start + 62, start + 70])
    monkeypatch.setattr(workers.time, "monotonic", lambda: next(clock))
    for _ in range(7):
        collector.collect()
    # nothing to do; three young collections; then the middle generation while a full one is under a
    # minute from the last; then the full one; then the middle again (the full one just ran)
    assert made == [0, 0, 0, 1, 2, 1]
