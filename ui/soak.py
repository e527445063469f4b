"""A day on the village PC in one process: many void Qt calls, every page shown again and again,
every form opened and closed. Used by the test suite and by ``station selftest --soak N``.

Why: PySide6 6.12.0 on Python 3.11 dropped a reference to ``None`` on every void Qt call, and the
process aborted (``none_dealloc``) after a few thousand calls — a bug no short test sees. The soak
is how a PySide6 / Python pairing is chosen (see installer/README.md) and how an installed PC is checked.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QEventLoop, QObject, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QLabel


def rss_bytes() -> int:
    """The process's resident memory now (Linux /proc, Windows GetProcessMemoryInfo)."""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                        ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

        counters = Counters()
        counters.cb = ctypes.sizeof(Counters)
        handle = ctypes.windll.kernel32.GetCurrentProcess()
        ctypes.windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb)
        return int(counters.WorkingSetSize)
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def trim_heap() -> None:
    """Give freed heap pages back to the system before reading RSS (glibc keeps them otherwise, and a
    dialog's freed 1.4 MB backing store then looks like a leak; after the trim only live memory counts)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def live_rss() -> int:
    gc.collect()
    trim_heap()
    return rss_bytes()


@dataclass
class SoakReport:
    void_calls: int = 0
    page_visits: int = 0
    dialogs_opened: int = 0
    rss_start: int = 0
    rss_after_warmup: int = 0
    rss_end: int = 0
    seconds: float = 0.0
    dialog_kinds: list[str] = field(default_factory=list)

    @property
    def growth(self) -> int:
        """Growth after the first round (caches, fonts and lazily built pages are warm-up, not leaks)."""
        return self.rss_end - self.rss_after_warmup

    def lines(self) -> list[str]:
        mb = 1024 * 1024
        return [
            f"  Qt 调用 {self.void_calls:,} 次，页面切换 {self.page_visits:,} 次，窗口打开关闭 {self.dialogs_opened:,} 次"
            f"（{len(self.dialog_kinds)} 种），用时 {self.seconds:.1f} 秒",
            f"  内存：开始 {self.rss_start / mb:.0f} MB，预热后 {self.rss_after_warmup / mb:.0f} MB，"
            f"结束 {self.rss_end / mb:.0f} MB，增长 {self.growth / mb:+.1f} MB",
        ]


def settle(app: QApplication) -> None:
    """Let posted events, deferred deletes and background page loads finish."""
    for _ in range(3):
        app.processEvents()
        QThreadPool.globalInstance().waitForDone(5_000)
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    app.processEvents()


def void_calls(count: int) -> int:
    """Qt calls that return nothing (the class of call that leaked a reference to None)."""
    label = QLabel()
    for i in range(count // 4):
        label.setText("志愿者")
        label.update()
        label.setToolTip("")
        label.setEnabled(bool(i & 1))
    label.deleteLater()
    return (count // 4) * 4


def dialog_factories(window) -> dict[str, Callable]:
    """Every form and dialog of the app (ui/lifecycle.py's cases), each made with its page as parent."""
    from .lifecycle import cases

    return {case.name: functools.partial(case.make, window.page(case.page) if case.page in window.page_keys else window)
            for case in cases(window)}


def open_and_close(window, case) -> None:
    """As the program opens a form: ``exec()`` with its page as parent, then closed once it is up as a
    person closes it (取消), and deleted by Qt afterwards."""
    from .lifecycle import run_case

    run_case(window, case, "取消", check_cycles=False)


def soak(window, *, page_rounds: int, dialog_rounds: int, calls: int,
         progress: Callable[[str], None] = lambda _text: None) -> SoakReport:
    """Run the day in this process; ``window`` is a logged-in MainWindow."""
    app = QApplication.instance()
    report = SoakReport(rss_start=rss_bytes())
    started = time.perf_counter()
    from .lifecycle import cases

    forms = cases(window)
    report.dialog_kinds = [case.name for case in forms]
    keys = list(window.page_keys)

    def one_round() -> None:
        for key in keys:
            window.go(key)
            app.processEvents()
            report.page_visits += 1
        for case in forms:
            open_and_close(window, case)
            report.dialogs_opened += 1

    one_round()  # warm-up: every page built once, every dialog's imports and fonts loaded
    settle(app)
    report.rss_after_warmup = live_rss()
    rounds = max(page_rounds, dialog_rounds)
    per_round_calls = calls // max(rounds, 1)
    for round_no in range(1, rounds):
        for key in keys if round_no < page_rounds else ():
            window.go(key)
            app.processEvents()
            report.page_visits += 1
        if round_no < dialog_rounds:
            for case in forms:
                open_and_close(window, case)
                report.dialogs_opened += 1
        report.void_calls += void_calls(per_round_calls)
        if round_no % 10 == 0:
            settle(app)
            progress(f"第 {round_no}/{rounds} 轮，内存 {rss_bytes() / 1048576:.0f} MB")
    report.void_calls += void_calls(calls - report.void_calls)
    settle(app)
    report.rss_end = live_rss()
    report.seconds = time.perf_counter() - started
    return report


# -- the clerk's recipe (#25) -------------------------------------------------------------------------

@dataclass
class ClerkReport:
    cycles: int = 0
    copies_saved: int = 0
    volunteers_saved: int = 0
    previews: int = 0
    jobs: int = 0
    overlaps: int = 0  # 服务时段重叠 confirmed
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"  录入员的一天：{self.cycles} 轮（复制活动并保存 {self.copies_saved} 次、保存志愿者 {self.volunteers_saved} 次、"
                f"打印预览 {self.previews} 次、后台任务 {self.jobs} 个、确认时段重叠 {self.overlaps} 次），"
                f"用时 {self.seconds:.1f} 秒，问题 {len(self.problems)} 个"]


class Clerk(QObject):
    """Answers whatever modal window comes up the way the recipe's clerk does: a copied activity gets a new
    title and 保存, a volunteer's form 保存, a print preview 关闭, a message box its default button — but
    服务时段重叠 is confirmed (the copy's people were at the activity it was copied from: both are true, the
    shared time is counted once). A window left up longer than ``STUCK_S`` is a problem, closed, so that a run
    never waits for good for a person."""

    STUCK_S = 120.0

    def __init__(self, report: ClerkReport):
        super().__init__()
        self.report = report
        self.cycle = 0
        self.pressing: list = []  # the windows whose button this clerk is pressing right now (innermost last)
        self.seen: tuple = (None, 0.0)  # the window in front, and since when
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(15)

    def press(self, modal, button) -> None:
        """Press ``button`` of ``modal`` and wait, as a person does. What the press opens (a question, a box)
        comes up while the press is still going on, inside this timer's slot — and Qt never fires a timer again
        inside its own slot: a second timer answers meanwhile. (With one, the soak hung for good on the first
        服务时段重叠 question a 保存 asked.)"""
        self.pressing.append(modal)
        inner = QTimer(self)
        inner.timeout.connect(self.tick)
        inner.start(15)
        try:
            button.click()
        finally:
            inner.stop()
            inner.deleteLater()
            self.pressing.pop()

    def tick(self) -> None:
        from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

        from .dialogs.activity import ActivityDialog
        from .dialogs.preview import PdfPreview
        from .dialogs.volunteer import VolunteerDialog

        modal = QApplication.activeModalWidget()
        if modal is None or not modal.isVisible() or any(modal is w for w in self.pressing):
            return  # nothing up, or the window whose button is being pressed (its press goes on)
        if self.seen[0] is not modal:
            self.seen = (modal, time.monotonic())
        elif time.monotonic() - self.seen[1] > self.STUCK_S:
            self.report.problems.append(f"第 {self.cycle} 轮：窗口“{modal.windowTitle()}”{self.STUCK_S:.0f} 秒没有关闭")
            self.seen = (None, 0.0)
            modal.reject()
            return
        if isinstance(modal, QMessageBox):
            yes = modal.button(QMessageBox.StandardButton.Yes)
            if modal.windowTitle() == "服务时段重叠" and yes is not None:
                self.report.overlaps += 1
                self.press(modal, yes)
                return
            button = modal.defaultButton()
            self.press(modal, button) if button is not None else modal.reject()
        elif isinstance(modal, ActivityDialog):
            if modal.title_edit.text().endswith(f"第{self.cycle}次"):  # 保存 pressed already and still open
                said = [modal.banner.text()] + [label.text() for label in modal.errors.values() if label.isVisible()]
                self.report.problems.append(f"第 {self.cycle} 轮：复制的活动保存不了：{'；'.join(t for t in said if t) or '（没有提示）'}")
                modal.reject()
                return
            modal.title_edit.setText(f"{modal.title_edit.text().split('·')[0]}·第{self.cycle}次")
            self.press(modal, modal.buttons.button(QDialogButtonBox.StandardButton.Save))
        elif isinstance(modal, VolunteerDialog):
            self.press(modal, modal.buttons.button(QDialogButtonBox.StandardButton.Save))
        elif isinstance(modal, PdfPreview):
            self.report.previews += 1
            modal.reject()
        else:  # anything else (a progress dialog waits for its job; the rest is closed)
            if modal.metaObject().className() != "QProgressDialog":
                self.report.problems.append(f"第 {self.cycle} 轮：意外的窗口“{modal.windowTitle()}”")
                modal.reject()


def _wait(app: QApplication, until: Callable[[], bool], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not until():
        if time.monotonic() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.002)
    return True


def clerk_day(window, cycles: int, progress: Callable[[str], None] = lambda _t: None) -> ClerkReport:
    """The recipe that crashed the window (#25), ``cycles`` times, through the pages' own actions: in 活动台账
    select an activity → 复制此活动 → a new title → 保存 → 工作台 → 活动台账; save a volunteer; print the month's
    ledger and close its preview — with background jobs running meanwhile (the 工作台's figures at each visit,
    the lists' reloads, a settlement of points every five cycles)."""
    from datetime import date

    from app.services import activities
    from app.services import points as points_service

    from .workers import _running, run_in_background

    app = QApplication.instance()
    report = ClerkReport()
    clerk = Clerk(report)
    started = time.perf_counter()
    ctx = window.ctx
    try:
        for n in range(1, cycles + 1):
            clerk.cycle = n
            report.cycles = n
            if n % 5 == 1:  # a settlement of points in the background while the clerk goes on (its slices give way to saves)
                run_in_background(window, lambda task: points_service.settle_activities(ctx), lambda _r: None)
                report.jobs += 1
            window.go("activities")
            page = window.page("activities")
            if not _wait(app, lambda page=page: page.model.rowCount() > 0):
                report.problems.append(f"第 {n} 轮：活动列表没有出来")
                continue
            page.table.selectRow(0)
            before = activities.count_activities(ctx)
            page.copy_selected()
            if activities.count_activities(ctx) == before + 1:
                report.copies_saved += 1
            else:
                report.problems.append(f"第 {n} 轮：复制的活动没有保存")
            window.go("dashboard")
            app.processEvents()
            window.go("activities")
            app.processEvents()
            if n % 2 == 0:
                window.go("volunteers")
                vpage = window.page("volunteers")
                if _wait(app, lambda vpage=vpage: vpage.model.rowCount() > 0):
                    vpage.open_form(vpage.model.row(0))
                    report.volunteers_saved += 1
            if n % 10 == 0:  # the month's ledger, as a clerk prints it at the month's end
                window.go("activities")
                previews = report.previews
                page.month.setCurrentIndex(max(0, page.month.findData(date.today().month)))
                page.print_current()
                _wait(app, lambda previews=previews: report.previews > previews and not _running)
            if n % 10 == 0:
                progress(f"第 {n}/{cycles} 轮，内存 {rss_bytes() / 1048576:.0f} MB")
        _wait(app, lambda: not _running)
    finally:
        clerk.timer.stop()
        clerk.deleteLater()
    settle(app)
    report.seconds = time.perf_counter() - started
    return report


class BusyPC:
    """Two processes that keep the CPU busy (an old dual-core PC during an antivirus scan), for ``--busy``."""

    def __init__(self, count: int = 2):
        self.count = count
        self.processes: list = []

    def __enter__(self) -> BusyPC:
        import subprocess

        for _ in range(self.count):
            # Each spins until its stdin closes — when this process ends, however it ends (a crash, a kill): two
            # hogs left behind by a soak that died kept a village PC's CPU busy for good.
            self.processes.append(subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.PIPE))
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.kill()
            process.wait()
            process.stdin.close()


HOG = """import os, sys, threading
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
while True:
    pass
"""


def auto_login(username: str, password: str) -> QTimer:
    """Types the operator's password into the login window once its store is open (the real start-up path,
    for the soak below: ``ui.app.start`` shows the login before the store has opened behind it)."""
    from .dialogs.login import LoginDialog

    timer = QTimer()

    def tick() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, LoginDialog) and widget.isVisible() and widget.store is not None:
                widget.username.setCurrentIndex(max(0, widget.username.findData(username)))
                widget.password.setText(password)
                widget.try_login()
                timer.stop()
                return

    timer.timeout.connect(tick)
    timer.start(20)
    return timer


def main(argv: list[str] | None = None) -> int:
    """``python -m ui.soak DATA_DIR --cycles N [--busy]``: the program started as ``station`` starts it (its
    collector, its workers, the login), logged in as DATA_DIR's admin, then the clerk's recipe N times.
    Exit 0 only when every cycle went through; a lifetime bug ends the process with a signal instead."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ui.soak")
    parser.add_argument("data_dir")
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--busy", action="store_true", help="beside two CPU-hog processes")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin123")
    args = parser.parse_args(argv)
    from contextlib import nullcontext

    from . import app as program

    QApplication.instance() or QApplication(sys.argv[:1])  # as start() makes it; the login's timer needs it first
    login = auto_login(args.user, args.password)
    _qt_app, window, lock = program.start(args.data_dir)
    login.stop()
    if window is None:
        print("没有进入主窗口", file=sys.stderr)
        return 2
    window.idle.stop()  # nobody is at the keyboard: the idle lock would wait for a password
    with BusyPC() if args.busy else nullcontext():
        report = clerk_day(window, args.cycles, progress=lambda text: print(text, flush=True))
    for line in report.lines():
        print(line)
    for problem in report.problems:
        print("  " + problem, file=sys.stderr)
    QThreadPool.globalInstance().waitForDone(10_000)
    window.close()
    window.ctx.store.close()
    from app.drafts import mark_stopped

    mark_stopped(args.data_dir)  # a proper end, as ``station`` ends
    if lock is not None:
        lock.unlock()
    return 0 if not report.problems and report.copies_saved == args.cycles else 1


if __name__ == "__main__":
    sys.exit(main())
