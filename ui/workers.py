"""One way to run long work off the GUI thread: ``run_in_background``.

``op(task)`` runs on a pool thread and never touches a widget; it reports
progress with ``task.report(done, total, text)`` and checks ``task.cancelled``
(or calls ``task.check()``, which raises ``Cancelled``). Results and errors
come back on the GUI thread through Qt signals. A progress dialog with 取消
is shown when a title is given.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from app import giveway

from .i18n import tr

log = logging.getLogger(__name__)


class GuiThreadGarbageCollector(QObject):
    """Python's cycle collector runs in whichever thread happens to allocate; inside a worker it would
    destroy Qt objects that belong to the GUI thread and crash the program. Automatic collection is
    switched off and done here instead, on a timer in the GUI thread (Anki does the same).

    The timer is short (100 ms, 10 ms while a background job runs) and the middle generation is
    collected every few ticks: what a collection walks is what was made since the last one, so while a
    job allocates quickly (settling points, printing, a sync) each pause stays small — with Anki's 1 s
    tick the young generations held a second of survivors and one collection paused the window for
    0.1–0.2 s. Full collections wait at least ``FULL_EVERY_S`` between them. (They used to wait for a
    running job to end as well; since ``settle`` freezes what the window holds, a full collection during a
    job walks little more than the job's objects, and taking that wait out changed no stall beyond the runs'
    spread — bench/tuning_bench.py, 2026-12-07 — so it went.)"""

    INTERVAL_MS = 100
    BUSY_INTERVAL_MS = 10  # while a background job runs: it can make a million objects a second
    MIDDLE_EVERY = 3  # young collections per middle one (Python's own default is 10)
    FULL_EVERY_S = 60.0

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.last_full = time.monotonic()
        gc.disable()
        self.last_tick = time.monotonic()  # when the GUI thread last ran this: app/giveway.py's watch
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)
        giveway.set_watch(lambda: time.monotonic() - self.last_tick)
        self.destroyed.connect(lambda *_a: giveway.set_watch(None))

    def hold_off(self, ms: int) -> None:
        """No tick for ``ms``, then the usual ones. The program's start: the imports behind the login make
        about 100,000 objects, and walking them on the GUI thread before the login is painted made the
        first window 10–30 ms later."""
        self.timer.start(ms)

    def job_started(self) -> None:
        """The short tick at once (not at the next long one): jobs judge by it whether the window waits."""
        self.last_tick = time.monotonic()
        if self.timer.interval() != self.BUSY_INTERVAL_MS:
            self.timer.setInterval(self.BUSY_INTERVAL_MS)

    def settle(self) -> None:
        """Once the main window is up: everything alive now (modules, classes, the window and its pages) is
        long-lived, so it is collected once and then frozen — the later full collections on this timer
        walk only what was made since. On the 5-year store that is about 130,000 objects, and a full
        collection during printing went from 110–130 ms to about 40 ms (bench/ui_bench.py). Frozen objects
        are still freed by reference counting; only a cycle among them would wait for ``unsettle``."""
        gc.collect()
        gc.freeze()

    def _full_due(self, since_full: float) -> bool:
        return since_full >= self.FULL_EVERY_S

    def make_full_due(self) -> None:
        """As if the last full collection were ``FULL_EVERY_S`` ago: the next tick makes one."""
        self.last_full = time.monotonic() - self.FULL_EVERY_S

    def unsettle(self) -> None:
        """Before the program builds its windows again (退出示范站): what was frozen can be collected."""
        gc.unfreeze()

    def collect(self) -> None:
        self.last_tick = now = time.monotonic()
        interval = self.BUSY_INTERVAL_MS if _running else self.INTERVAL_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)
        gen0, gen1, gen2 = gc.get_count()
        if gen0 > self.threshold[0]:
            if gen1 < self.MIDDLE_EVERY:
                gc.collect(0)
            elif gen2 <= self.threshold[2] or not self._full_due(now - self.last_full):
                gc.collect(1)
            else:
                gc.collect(2)
                self.last_full = now


GUI_SWITCH_INTERVAL_S = 0.0002


def share_the_gil_with_the_gui() -> None:
    """Background jobs are Python too. Each time the GUI thread calls into Python — a timer, and every
    cell a table paints asks the model several times — it waits for the GIL until the job's thread has
    run for CPython's switch interval (5 ms by default). Painting a list while a job ran took 0.5–0.8 s
    at 5 ms and 80 ms at 1 ms for a table that paints in 17 ms alone; at 0.2 ms it took 35 ms, and the
    longest stall while printing a month of the 5-year store fell from 0.14 s to about 40 ms
    (bench/ui_bench.py). The job itself runs no slower when the GUI is idle: the interval matters only
    while another thread asks for the GIL."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)


def install_garbage_collector(app: QObject) -> GuiThreadGarbageCollector:
    global _collector
    _collector = app.findChild(GuiThreadGarbageCollector) or GuiThreadGarbageCollector(app)
    return _collector


_collector: GuiThreadGarbageCollector | None = None


class Cancelled(Exception):
    """Raised inside an op when the person pressed 取消."""


class Task(QObject):
    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        self.progress.emit(done, total, text)

    def steps(self, text: str = "") -> Callable[[int, int], None]:
        """A ``progress(done, total)`` for a service: reports, and raises ``Cancelled`` after 取消
        (the service's transaction then rolls back)."""
        def progress(done: int, total: int) -> None:
            self.check()
            self.report(done, total, text.format(done=done, total=total) if text else "")
        return progress


class _Runnable(QRunnable):
    def __init__(self, task: Task, op: Callable[[Task], Any]):
        super().__init__()
        self.task, self.op = task, op
        # Set once this thread holds no reference to the task any more: the GUI thread then drops
        # the last one, so the Qt object is never destroyed from this thread.
        self.released = threading.Event()
        self.setAutoDelete(True)

    def run(self) -> None:
        task, op = self.task, self.op
        self.task = self.op = None
        try:
            try:
                result = op(task)
            except BaseException as exc:  # everything goes back to the GUI thread
                if isinstance(exc, Cancelled) or task.cancelled:  # 取消: the person asked for it, not a failure
                    log.info("background work cancelled: %s", exc)
                elif _said_to_the_person(exc):  # a refusal in Chinese (no server address, 积分不足): no program error
                    log.warning("background work refused: %s", exc)
                else:
                    log.error("background work failed: %s", traceback.format_exc())
                task.failed.emit(exc, traceback.format_exc())
            else:
                task.succeeded.emit(result)
        finally:
            del task, op
            self.released.set()


def _said_to_the_person(exc: BaseException) -> bool:
    """A service's refusal or a sync's message for the person, not a fault: logged as a line, not as an error with
    its traceback (a trial: an empty server address was an ERROR with a full traceback in the log)."""
    import sys

    from app.services.errors import ServiceError

    client = sys.modules.get("sync.client")  # loaded only where a sync ran: never imported for this check
    package = sys.modules.get("sync.package")
    return isinstance(exc, ServiceError) or (client is not None and isinstance(exc, client.SyncError)) or (
        package is not None and isinstance(exc, package.PackageError))


_running: dict[Task, _Runnable] = {}  # keep tasks alive until the GUI thread lets them go


def jobs_running() -> bool:
    return bool(_running)


class _Release:
    """The end of a job, on the GUI thread, once its worker holds nothing any more. An object rather than a
    closure that re-arms itself by name: such a function is in a reference cycle (its closure holds its own
    cell), and every finished job's task, closures and results waited in it for the cycle collector."""

    def __init__(self, task: Task, runnable: _Runnable, connected: list, dialog: QProgressDialog | None):
        self.task, self.runnable, self.connected, self.dialog = task, runnable, connected, dialog

    def __call__(self) -> None:
        if not self.runnable.released.is_set():  # the worker is still returning: ask again shortly
            QTimer.singleShot(10, self)
            return
        # The task's connections hold its closures, and the closures hold the task: a cycle through Qt
        # that Python's collector cannot see. Undone here, or every job (an import's whole plan with its
        # dialog, a print's pages) stayed in memory until the program closed.
        for signal, slot in self.connected:
            try:
                signal.disconnect(slot)
            except RuntimeError:  # "Signal source has been deleted": the progress window went with its page
                pass
        self.connected.clear()
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.deleteLater()  # a child of the page otherwise, one more per job
        task = self.task
        self.task = self.runnable = self.dialog = None
        _running.pop(task, None)  # the last reference goes here, in the GUI thread


def run_in_background(
    parent: QWidget | None,
    op: Callable[[Task], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException, str], None] | None = None,
    *,
    title: str | None = None,
    label: str = "",
    cancellable: bool = True,
) -> Task:
    task = Task()
    runnable = _Runnable(task, op)
    _running[task] = runnable
    if _collector is not None and shiboken6.isValid(_collector):  # (tests make several applications)
        _collector.job_started()
    dialog: QProgressDialog | None = None
    connected: list[tuple[Any, Callable]] = []  # undone when the job is over (release)
    ended = []  # the job's answer is in: closing its window (which says canceled) calls nothing off
    if title:
        dialog = QProgressDialog(label or title, tr("取消") if cancellable else "", 0, 0, parent)
        dialog.setWindowTitle(title)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        # Armed: a progress dialog shows itself after its minimum duration only once a value is set, and a job that
        # reports no progress (an enrolment) set none — its window came after Qt's own 4 s, or not at all (a trial).
        dialog.setValue(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if not cancellable:
            dialog.setCancelButton(None)

        def calling_off() -> None:
            # The job ends at its next check; a step it cannot leave (a request in flight) ends first. The window
            # stays until then, saying so: it went at once, and a late error then read as if nothing had been
            # called off (a trial: 登记 at a server that never answered).
            if ended:
                return
            task.cancel()
            dialog.setCancelButton(None)
            dialog.setLabelText(tr("正在取消，等这一步结束……"))
            dialog.show()

        dialog.canceled.connect(calling_off)
        connected.append((dialog.canceled, calling_off))

        def show_progress(done: int, total: int, text: str) -> None:
            dialog.setMaximum(max(total, 0))
            dialog.setValue(done)
            if text:
                dialog.setLabelText(text)

        task.progress.connect(show_progress)
        connected.append((task.progress, show_progress))

    def release() -> None:
        # Dropped only once the signal that called us has finished emitting: a slot may run a
        # nested event loop (a preview dialog), and deleting a QObject inside its own emission
        # corrupts the heap.
        QTimer.singleShot(0, _Release(task, runnable, connected, dialog))

    def gone() -> bool:
        # The page that asked may have been closed meanwhile (window closed, operator switched):
        # its answer then has nowhere to go.
        return parent is not None and not shiboken6.isValid(parent)

    def done(result: Any) -> None:
        ended.append(True)
        try:
            if gone():
                return
            if dialog is not None:
                dialog.close()
            on_done(result)
        finally:
            release()

    def failed(exc: BaseException, details: str) -> None:
        ended.append(True)
        try:
            if gone():
                return
            if dialog is not None:
                dialog.close()
            if isinstance(exc, Cancelled):
                return
            if on_error is not None:
                on_error(exc, details)
            else:
                raise exc
        finally:
            release()

    task.succeeded.connect(done)
    task.failed.connect(failed)
    connected += [(task.succeeded, done), (task.failed, failed)]
    QThreadPool.globalInstance().start(runnable)
    return task


# -- the store's write gate, seen from the GUI thread -------------------------------------------

WAIT_DIALOG_AFTER_S = 0.15


def wait_for_gate(gate, label: str) -> bool:
    """Called on the GUI thread when a save finds the store busy with a background job: the window
    keeps painting, a progress dialog names the job, and 取消 gives up (nothing is written)."""
    app = QApplication.instance()
    started = time.monotonic()
    dialog: QProgressDialog | None = None
    try:
        while True:
            if gate.try_acquire(0.02, label):
                return True
            if dialog is None and time.monotonic() - started > WAIT_DIALOG_AFTER_S:
                dialog = QProgressDialog("", tr("取消"), 0, 0, QApplication.activeWindow())
                dialog.setObjectName("storeBusyDialog")
                dialog.setWindowTitle(tr("请稍候"))
                dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
                dialog.setMinimumDuration(0)
                dialog.setAutoClose(False)
                dialog.setAutoReset(False)
                dialog.show()
            if dialog is not None:
                if dialog.wasCanceled():
                    return False
                dialog.setLabelText(tr("{0}，完成后会接着保存这次的修改……").format(gate.describe()))
            if app is not None:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 30)
    finally:
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()


def watch_store(store) -> None:
    """Writes on the GUI thread wait for the store's background jobs in ``wait_for_gate``, never in
    SQLite's busy handler (a frozen window, then "database is locked")."""
    if threading.current_thread() is threading.main_thread():
        store.gate.set_waiter(wait_for_gate)
