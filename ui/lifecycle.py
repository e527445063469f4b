"""Every form and dialog through the life the program gives it, with the main window up: made with its page as
parent, ``exec()``-ed, closed once by 保存 and once by 取消, dropped, collected. Run by the test suite in a
subprocess (a lifetime bug kills the process, which is how it shows) and by ``station selftest --forms``.

A case fails when the process dies (the crash #25 found: a dialog in a reference cycle freed by the cycle
collector), when 保存 does not close a form filled with valid data, or when a closed dialog leaves any QObject
wrapper as cycle garbage (ui/lifetime.py's second rule).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox


@dataclass
class Case:
    name: str
    page: str  # the page the program opens it from (its parent)
    make: Callable[[QObject], QDialog]
    saves: bool = True  # 保存 on it as made (an existing record, a copy) must close it
    close: Callable[[QDialog, str], None] | None = None  # how a person ends it, where not 保存/取消


@dataclass
class Outcome:
    name: str
    how: str
    accepted: bool = False
    problem: str = ""
    cycle_garbage: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.cycle_garbage


def cases(window) -> list[Case]:
    """Every dialog class of the program, with content from the store where it edits a record."""
    from datetime import datetime

    from app.drafts import Draft
    from app.services import activities, demands, points, station, teams, volunteers, work

    from .dialogs.about import AboutDialog, NoticesDialog
    from .dialogs.activity import ActivityDialog
    from .dialogs.demand import CompleteDialog, DemandDialog, DispatchDialog, PassDialog, RateDialog, ReasonDialog, ReportDialog, RewardDialog
    from .dialogs.errors import ErrorDialog
    from .dialogs.importer import ImportDialog
    from .dialogs.login import LockDialog, LoginDialog
    from .dialogs.picker import VolunteerPicker
    from .dialogs.preview import PdfPreview
    from .dialogs.wizard import FirstRunWizard
    from .drafts import RecoveryDialog
    from .dialogs.points import EntryDialog, GoodsDialog, HouseholdDialog, RedeemDialog, ReverseDialog, RuleDialog, StockDialog
    from .dialogs.team import TeamDialog
    from .dialogs.volunteer import VolunteerDialog
    from .pages.operators import ChangePasswordDialog, OperatorDialog, ResetPasswordDialog
    from .pages.station import PointDialog, RoomDialog
    from .pages.work import DocumentDialog, PlanDialog, ProjectDialog, TrainingDialog

    ctx = window.ctx
    store = ctx.store
    found = activities.list_activities(ctx, limit=1)
    activity = activities.get_activity(ctx, found[0].activity.id) if found else None
    volunteer = volunteers.search_volunteers(ctx, "", limit=1)
    team = teams.list_teams(ctx)
    demand = demands.list_demands(ctx)
    account = points.accounts(ctx, limit=1)
    rule = points.list_rules(ctx)
    goods = points.list_goods(ctx)
    households = points.list_households(ctx)
    projects, documents = work.list_projects(ctx), work.list_documents(ctx)
    plans, trainings = work.list_plans(ctx), work.list_trainings(ctx)
    rooms, service_points = station.list_rooms(ctx), station.list_service_points(ctx)
    out = [
        Case("新增志愿者", "volunteers", lambda p: VolunteerDialog(ctx, None, p), saves=False),
        Case("新增服务队", "teams", lambda p: TeamDialog(ctx, None, p), saves=False),
        Case("新增活动", "activities", lambda p: ActivityDialog(ctx, None, p), saves=False),
        Case("群众点单", "demands", lambda p: DemandDialog(ctx, None, p), saves=False),
        Case("选择志愿者", "activities", lambda p: VolunteerPicker(ctx, parent=p)),
        Case("新增商品", "points", lambda p: GoodsDialog(ctx, None, p), saves=False),
        Case("新增积分规则", "points", lambda p: RuleDialog(ctx, None, p), saves=False),
        Case("新增家庭户", "points", lambda p: HouseholdDialog(ctx, None, p), saves=False),
        Case("新增项目", "work", lambda p: ProjectDialog(ctx, None, p), saves=False),
        Case("新增文件", "work", lambda p: DocumentDialog(ctx, None, p), saves=False),
        Case("新增计划", "work", lambda p: PlanDialog(ctx, None, p), saves=False),
        Case("新增培训", "work", lambda p: TrainingDialog(ctx, None, p), saves=False),
        Case("新增功能室", "station", lambda p: RoomDialog(ctx, None, p), saves=False),
        Case("新增服务点", "station", lambda p: PointDialog(ctx, None, p), saves=False),
        Case("新增操作员", "operators", lambda p: OperatorDialog(ctx, p), saves=False),
        Case("修改我的密码", "dashboard", lambda p: ChangePasswordDialog(ctx, p), saves=False),
        Case("重设密码", "operators", lambda p: ResetPasswordDialog(ctx, "admin", "管理员", p), saves=False),
        Case("登录（切换操作员）", "dashboard", lambda p: LoginDialog(store, window.station_name, parent=p), saves=False),
        Case("锁定", "dashboard", lambda p: LockDialog(store, ctx.actor, p),
             close=lambda d, how: d.accept() if how == "保存" else d.done(LockDialog.SWITCH)),
        Case("关于", "dashboard", lambda p: AboutDialog(str(store.paths.root), window.station_name, p)),
        Case("第三方软件许可", "dashboard", lambda p: NoticesDialog(p)),
        Case("出错提示", "dashboard", lambda p: ErrorDialog("程序遇到意外错误", "Traceback (most recent call last):\n  …", p)),
        Case("从Excel导入志愿者", "volunteers", lambda p: ImportDialog(ctx, "volunteers", roster_sheet(), p), saves=False),
        Case("打印预览", "activities", lambda p: PdfPreview(_sample_pdf(ctx), "活动台账", p)),
        Case("恢复未保存的内容", "dashboard",
             lambda p: RecoveryDialog([Draft(form="ActivityDialog", title="新增活动", operator="admin", operator_label="杨红霞",
                                             saved_at="2027-01-04T09:30:00", key="lifecycle")], datetime(2027, 1, 4, 9), "crash.log", p),
             saves=False, close=lambda d, how: d.restore_button.click() if how == "保存" else d.later_button.click()),
        Case("建立本站台账（向导）", "dashboard", lambda p: FirstRunWizard(store, p), saves=False,
             close=lambda d, _how: d.reject()),  # it has no 保存; finishing it makes a station
    ]
    if activity is not None:
        out += [Case("修改活动", "activities", lambda p: ActivityDialog(ctx, activity, p)),
                Case("复制此活动", "activities", lambda p: ActivityDialog(ctx, None, p, copy_of=activity))]
    if volunteer:
        out.append(Case("修改志愿者", "volunteers", lambda p: VolunteerDialog(ctx, volunteers.get_volunteer(ctx, volunteer[0].id), p)))
    if team:
        out.append(Case("修改服务队", "teams", lambda p: TeamDialog(ctx, teams.get_team(ctx, team[0].team.id), p)))
    if demand:
        d = demands.get_demand(ctx, demand[0].demand.id)
        out += [Case("修改点单", "demands", lambda p: DemandDialog(ctx, d, p)),
                Case("不予受理", "demands", lambda p: ReasonDialog(ctx, d, "reject", p), saves=False),
                Case("派单", "demands", lambda p: DispatchDialog(ctx, d, p), saves=False),
                Case("办结", "demands", lambda p: CompleteDialog(ctx, d, p), saves=False),
                Case("评价", "demands", lambda p: RateDialog(ctx, d, p), saves=False),
                Case("奖励", "demands", lambda p: RewardDialog(ctx, d, p), saves=False),
                Case("转派", "demands", lambda p: PassDialog(ctx, d, p), saves=False),
                Case("上报", "demands", lambda p: ReportDialog(ctx, d, p), saves=False)]
    if account:
        out += [Case("加减积分", "points", lambda p: EntryDialog(ctx, account[0], p), saves=False),
                Case("兑换", "points", lambda p: RedeemDialog(ctx, account[0], p), saves=False)]
        lines = points.ledger(ctx, account[0].holder)
        if lines:
            out.append(Case("冲正", "points", lambda p: ReverseDialog(ctx, lines[-1].entry, p), saves=False))
    if rule:
        out.append(Case("修改积分规则", "points", lambda p: RuleDialog(ctx, rule[0], p)))
    if goods:
        out += [Case("修改商品", "points", lambda p: GoodsDialog(ctx, goods[0].goods, p)),
                Case("入库", "points", lambda p: StockDialog(ctx, goods[0], p), saves=False)]
    if households:
        out.append(Case("修改家庭户", "points", lambda p: HouseholdDialog(ctx, households[0], p)))
    for label, rows, dialog in (("修改项目", projects, ProjectDialog), ("修改文件", documents, DocumentDialog),
                                ("修改计划", plans, PlanDialog), ("修改培训", trainings, TrainingDialog)):
        if rows:
            out.append(Case(label, "work", lambda p, row=rows[0], dialog=dialog: dialog(ctx, row, p)))
    for label, rows, dialog in (("修改功能室", rooms, RoomDialog), ("修改服务点", service_points, PointDialog)):
        if rows:
            out.append(Case(label, "station", lambda p, row=rows[0], dialog=dialog: dialog(ctx, row, p)))
    return out


def roster_sheet():
    """A village roster as a clerk's Excel file has it (30 rows, one with a wrong check digit), in memory."""
    from pathlib import Path

    from app.exchange.excel import Sheet
    from app.services.idcard import check_char

    rows = []
    for n in range(30):
        first17 = f"370117{1960 + n}{n % 12 + 1:02d}{n % 28 + 1:02d}{n + 100:03d}"
        digit = check_char(first17) if n != 7 else ("0" if check_char(first17) != "0" else "1")
        rows.append((n + 3, [n + 1, f"试用{n:02d}号", first17 + digit, f"1380000{n:04d}", "男" if n % 2 else "女", "群众", ""]))
    return Sheet(path=Path("花名册（试用）.xlsx"), headers=["序号", "姓名", "身份证号", "联系电话", "性别", "政治面貌", "所属队伍"],
                 header_row=2, rows=rows)


def _sample_pdf(ctx):
    """This year's ledger of the store, made once into a temp folder (removed with the process)."""
    import atexit
    import shutil
    import tempfile
    from datetime import date
    from pathlib import Path

    from app import reports

    if "pdf" not in _made:
        folder = tempfile.mkdtemp(prefix="station-lifecycle-")
        atexit.register(shutil.rmtree, folder, True)
        _made["pdf"] = reports.ledger_pdf(ctx, Path(folder) / "活动台账.pdf", date_from=date(date.today().year, 1, 1), date_to=date.today())
    return _made["pdf"]


_made: dict = {}


def close_when_shown(dialog: QDialog, how: str, outcome: Outcome, close=None, saves: bool = True) -> QTimer:
    """Press 保存 (or the dialog's accepting button) or 取消 once the dialog is up, as a person would; a message
    box it opens on the way is answered with its default button; a form 保存 leaves open is noted and cancelled."""
    timer = QTimer()
    state = {"pressed": False, "ticks": 0}

    def tick() -> None:
        state["ticks"] += 1
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not dialog:
            # a box the dialog opened on the way (已保存, 放弃修改？): its default answer
            button = modal.defaultButton() if isinstance(modal, QMessageBox) else None
            if button is not None:
                button.click()
            else:
                modal.reject()
            return
        if not dialog.isVisible():
            return
        if state["pressed"] or state["ticks"] > 500:
            if how == "保存" and saves and not outcome.problem and state["pressed"]:
                banner = getattr(getattr(dialog, "banner", None), "text", lambda: "")()
                errors = [label.text() for label in getattr(dialog, "errors", {}).values() if label.isVisible()]
                outcome.problem = "保存后窗口没有关闭：" + "；".join(filter(None, [banner, *errors]))
            if state["ticks"] > 1000:  # it refuses reject() too (the lock does): end it all the same
                outcome.problem = outcome.problem or "无法关闭"
                QDialog.done(dialog, QDialog.DialogCode.Rejected.value)
            else:
                dialog.reject()
            return
        state["pressed"] = True
        if close is not None:
            close(dialog, how)
            return
        buttons = getattr(dialog, "buttons", None)
        if isinstance(buttons, QDialogButtonBox):
            button = buttons.button(QDialogButtonBox.StandardButton.Save if how == "保存" else QDialogButtonBox.StandardButton.Cancel)
            if button is not None:
                button.click()
                return
        dialog.accept() if how == "保存" else dialog.reject()

    timer.timeout.connect(tick)
    timer.start(10)
    return timer


def _settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    app.processEvents()


def cycle_garbage() -> list[str]:
    """What a full collection finds unreachable now, among QObject wrappers; then freed for real by a
    collection run from the window's event loop, as the program's collector runs it (which is where a
    dialog still alive in C++ took the program down)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = sorted({type(o).__name__ for o in gc.garbage if isinstance(o, QObject)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    loop = QEventLoop()
    QTimer.singleShot(0, lambda: (gc.collect(), loop.quit()))
    loop.exec()
    return found


def run_case(window, case: Case, how: str, *, check_cycles: bool = True) -> Outcome:
    app = QApplication.instance()
    outcome = Outcome(case.name, how)
    page = window.page(case.page) if case.page in window.page_keys else window
    dialog = case.make(page)
    closer = close_when_shown(dialog, how, outcome, case.close, case.saves)
    try:
        outcome.accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        closer.stop()
        closer.deleteLater()
    if how == "保存" and case.saves and not outcome.accepted and not outcome.problem:
        outcome.problem = "保存没有关闭窗口"
    if how == "取消" and outcome.accepted:
        outcome.problem = "取消后结果却是“已保存”"
    del dialog, closer
    _settle(app)  # back in the window's event loop, as after a page's handler returns
    if check_cycles:
        outcome.cycle_garbage = cycle_garbage()
    return outcome


def check_forms(window, progress: Callable[[str], None] = lambda _t: None) -> list[Outcome]:
    outcomes = []
    for case in cases(window):
        for how in ("保存", "取消"):
            started = time.perf_counter()
            outcomes.append(run_case(window, case, how))
            progress(f"{case.name}：{how} {time.perf_counter() - started:.2f} 秒")
    return outcomes


def report_lines(outcomes: list[Outcome]) -> list[str]:
    bad = [o for o in outcomes if not o.ok]
    lines = [f"  窗口生命周期：{len(outcomes)} 次打开关闭，{len(bad)} 次有问题"]
    for o in bad:
        what = o.problem or ""
        if o.cycle_garbage:
            what += ("；" if what else "") + "关闭后留下循环引用：" + "、".join(o.cycle_garbage)
        lines.append(f"    {o.name}（{o.how}）：{what}")
    return lines
