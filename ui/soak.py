"""A day on the village PC in one process: many void Qt calls, every page shown again and again,
every form opened and closed. Used by the test suite and by ``station selftest --soak N``.

Why: PySide6 6.12.0 on Python 3.11 dropped a reference to ``None`` on every void Qt call, and the
process aborted (``none_dealloc``) after a few thousand calls — a bug no short test sees. The soak
is how a PySide6 / Python pairing is chosen (see installer/README.md) and how an installed PC is checked.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QThreadPool
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


def dialog_factories(ctx, parent) -> dict[str, Callable]:
    """Every form and dialog of the app, with realistic content from the store where one exists."""
    from app.services import activities, demands, points, teams, volunteers

    from .dialogs.activity import ActivityDialog
    from .dialogs.demand import DemandDialog
    from .dialogs.errors import ErrorDialog
    from .dialogs.importer import ImportDialog
    from .dialogs.login import LockDialog, LoginDialog
    from .dialogs.picker import VolunteerPicker
    from .dialogs.points import EntryDialog, GoodsDialog, HouseholdDialog, RedeemDialog, RuleDialog
    from .dialogs.team import TeamDialog
    from .dialogs.volunteer import VolunteerDialog
    from .pages.operators import ChangePasswordDialog

    found_volunteers = volunteers.search_volunteers(ctx, "", limit=1)
    found_teams = teams.list_teams(ctx)
    found_activities = activities.list_activities(ctx, limit=1)
    found_demands = demands.list_demands(ctx)
    found_accounts = points.accounts(ctx, limit=1)
    found_rules = points.list_rules(ctx)
    station_name = parent.station_name if hasattr(parent, "station_name") else "实践站"
    factories: dict[str, Callable] = {
        "新增志愿者": lambda: VolunteerDialog(ctx, None, parent),
        "新增服务队": lambda: TeamDialog(ctx, None, parent),
        "记录活动": lambda: ActivityDialog(ctx, None, parent),
        "群众点单": lambda: DemandDialog(ctx, None, parent),
        "选择志愿者": lambda: VolunteerPicker(ctx, parent=parent),
        "商品": lambda: GoodsDialog(ctx, None, parent),
        "积分规则": lambda: RuleDialog(ctx, None, parent),
        "家庭户": lambda: HouseholdDialog(ctx, None, parent),
        "登录": lambda: LoginDialog(ctx.store, station_name, parent=parent),
        "锁定": lambda: LockDialog(ctx.store, ctx.actor, parent),
        "出错提示": lambda: ErrorDialog("程序遇到意外错误", "Traceback (most recent call last):\n  …", parent),
        "修改我的密码": lambda: ChangePasswordDialog(ctx, parent),
        "从Excel导入志愿者": lambda: ImportDialog(ctx, "volunteers", _roster_sheet(), parent),
    }
    if found_volunteers:
        factories["修改志愿者"] = lambda: VolunteerDialog(ctx, volunteers.get_volunteer(ctx, found_volunteers[0].id), parent)
    if found_teams:
        factories["修改服务队"] = lambda: TeamDialog(ctx, teams.get_team(ctx, found_teams[0].team.id), parent)
    if found_activities:
        factories["修改活动"] = lambda: ActivityDialog(ctx, activities.get_activity(ctx, found_activities[0].activity.id), parent)
    if found_demands:
        factories["修改点单"] = lambda: DemandDialog(ctx, demands.get_demand(ctx, found_demands[0].demand.id), parent)
    if found_accounts:
        factories["加减积分"] = lambda: EntryDialog(ctx, found_accounts[0], parent)
        factories["兑换"] = lambda: RedeemDialog(ctx, found_accounts[0], parent)
    if found_rules:
        factories["修改积分规则"] = lambda: RuleDialog(ctx, found_rules[0], parent)
    return factories


def _roster_sheet():
    """A village roster as a clerk's Excel file has it (30 rows, one with a wrong check digit), in memory."""
    from pathlib import Path

    from app.excel import Sheet
    from app.services.idcard import check_char

    rows = []
    for n in range(30):
        first17 = f"370117{1960 + n}{n % 12 + 1:02d}{n % 28 + 1:02d}{n + 100:03d}"
        digit = check_char(first17) if n != 7 else ("0" if check_char(first17) != "0" else "1")
        rows.append((n + 3, [n + 1, f"试用{n:02d}号", first17 + digit, f"1380000{n:04d}", "男" if n % 2 else "女", "群众", ""]))
    return Sheet(path=Path("花名册（试用）.xlsx"), headers=["序号", "姓名", "身份证号", "联系电话", "性别", "政治面貌", "所属队伍"],
                 header_row=2, rows=rows)


def open_and_close(app: QApplication, factory: Callable) -> None:
    dialog = factory()
    dialog.show()
    app.processEvents()
    dialog.reject()
    dialog.deleteLater()


def soak(window, *, page_rounds: int, dialog_rounds: int, calls: int,
         progress: Callable[[str], None] = lambda _text: None) -> SoakReport:
    """Run the day in this process; ``window`` is a logged-in MainWindow."""
    app = QApplication.instance()
    report = SoakReport(rss_start=rss_bytes())
    started = time.perf_counter()
    factories = dialog_factories(window.ctx, window)
    report.dialog_kinds = list(factories)
    keys = list(window.page_keys)

    def one_round() -> None:
        for key in keys:
            window.go(key)
            app.processEvents()
            report.page_visits += 1
        for factory in factories.values():
            open_and_close(app, factory)
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
            for factory in factories.values():
                open_and_close(app, factory)
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
