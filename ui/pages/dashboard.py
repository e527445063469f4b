"""工作台: this month and this year at a glance, and the teams still without an activity this month."""

from __future__ import annotations

import calendar
from datetime import date

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton, QSizePolicy,
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from app import reports
from app.rules import AT_RISK, MET, MISSED, NOT_APPLICABLE, ON_TRACK, STATUS_LABELS
from app.models.enums import DemandState as S, StationLevel, station_level
from app.services import announcements, dashboard
from app.services.common import format_date, format_moment
from app.services.dashboard import DashboardView
from app.services.station import get_station

from ..printing import print_document
from ..workers import run_in_background
from ..widgets import StackedBars
from .base import ALL_TABLES, Page


class Card(QFrame):
    """A figure with its caption. Until the figure arrives (it is computed in the background) the card shows
    a grey “…”: a red 0 read as “nothing done” for a second after every login."""

    def __init__(self, title: str):
        super().__init__()
        self.setObjectName("card")
        self.value = QLabel("…")
        self.value.setObjectName("cardValue")
        self.value.setProperty("loading", True)
        self.caption = QLabel(title)
        self.caption.setObjectName("cardTitle")
        self.detail = QLabel()
        self.detail.setObjectName("cardTitle")
        layout = QVBoxLayout(self)
        for w in (self.caption, self.value, self.detail):
            layout.addWidget(w)

    def set(self, value: str, detail: str = "") -> None:
        if self.value.property("loading"):
            self.value.setProperty("loading", False)
            self.value.style().unpolish(self.value)  # the style sheet's colour follows the property
            self.value.style().polish(self.value)
        self.value.setText(value)
        self.detail.setText(detail)


STATUS_COLORS = {MET: "#2e7d32", ON_TRACK: "#2e7d32", AT_RISK: "#ef6c00", MISSED: "#c62828", NOT_APPLICABLE: "#9e9e9e"}
SEVERITY = {MISSED: 3, AT_RISK: 2, ON_TRACK: 1, MET: 0, NOT_APPLICABLE: -1}
# Which page fixes what a rule finds short.
FIX_PAGE = {
    "rooms": "station", "service_point": "station", "contact": "station", "opening": "station",
    "teams": "teams", "team_monthly": "activities", "team_yearly": "activities", "own_name": "activities",
    "lectures": "activities", "registered_share": "volunteers", "active_share": "activities",
    "party_participation": "volunteers", "party_hours": "activities",
    "brand_projects": "projects", "family_activities": "activities", "trainings": "records",
    "documents": "records", "annual_plan": "records", "monthly_plans": "records", "managers": "station",
}


class YouCard(QFrame):
    """One of the five 有: a traffic light, the worst status of its rules, and its key figure."""

    def __init__(self, you: str):
        super().__init__()
        self.setObjectName("card")
        self.light = QLabel("●")
        self.name = QLabel(you)
        self.name.setObjectName("cardTitle")
        self.status = QLabel()
        self.figure = QLabel()
        self.figure.setObjectName("cardTitle")
        self.figure.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.light)
        top.addWidget(self.name)
        top.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.figure)

    def set(self, verdicts: list) -> None:
        worst = max(verdicts, key=lambda v: SEVERITY[v.status])
        color = STATUS_COLORS[worst.status]
        self.light.setStyleSheet(f"color: {color}; font-size: 16pt;")
        self.status.setStyleSheet(f"color: {color}; font-size: 13pt; font-weight: bold;")
        met = sum(v.status in (MET, ON_TRACK) for v in verdicts if v.status != NOT_APPLICABLE)
        counted = sum(v.status != NOT_APPLICABLE for v in verdicts)
        self.status.setText(self.tr(STATUS_LABELS[worst.status]))
        key = next((v for v in verdicts if v.status == worst.status), verdicts[0])
        # The card names its worst item whole, wrapped (cut to 14 characters it read "有组织架构、管理制度、项目计…" at
        # 1366 px, a new user's trial); hovering it reads every item of this 有.
        self.figure.setText(f"{met}/{counted} 项达标\n{key.title}：{key.progress}")
        self.setToolTip("\n".join(f"【{self.tr(STATUS_LABELS[v.status])}】{v.title} {v.progress}"
                                   + (f"：{v.gap}" if v.gap and v.status not in (MET, NOT_APPLICABLE) else "")
                                   for v in verdicts))


# 三.2: what each tier's teams must do, as the 工作台 says it.
TEAM_QUOTAS = {
    StationLevel.station: "每支队伍每月至少开展1次，每年不少于12次",
    StationLevel.institute: "实践所5支以上队伍，每支每年不少于12次",
    StationLevel.center: "实践中心17类队伍，每支每年不少于12次",
}
TEAM_MINIMUM = {StationLevel.station: "每站不少于3支", StationLevel.institute: "每所5支以上", StationLevel.center: "中心17类各1支"}


class NoticeCard(QFrame):
    """One district announcement on the 工作台, with its 已读 button (#30)."""

    read = Signal(str)  # the announcement's id

    def __init__(self, notice):
        super().__init__()
        self.setObjectName("card")  # the same box as the figures
        self.notice_id = notice.id
        title = QLabel(notice.title)
        title.setObjectName("noticeTitle")
        title.setWordWrap(True)
        title.setStyleSheet("font-weight: bold;")
        when = QLabel(self.tr("区文明实践中心 {0} 发布").format(format_date(notice.published_at.astimezone().date())))
        when.setObjectName("cardTitle")
        self.body = QLabel(notice.body)
        self.body.setWordWrap(True)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setVisible(bool(notice.body))
        self.read_button = QPushButton(self.tr("已读"))
        self.read_button.setToolTip(self.tr("不再在工作台显示（“同步”页的“区里的通知”仍可查看）"))
        self.read_button.clicked.connect(lambda: self.read.emit(self.notice_id))
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.read_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(when)
        layout.addWidget(self.body)


class DashboardPage(Page):
    watches = ALL_TABLES  # its figures count everything
    title = "工作台"
    navigate = Signal(str)  # a to-do item asks for the page that fixes it

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.tier = station_level(get_station(ctx).level)
        self.greeting = QLabel()
        self.cards = {key: Card(title) for key, title in (
            ("month", self.tr("本月活动")), ("year", self.tr("本年活动")), ("volunteers", self.tr("注册志愿者")), ("hours", self.tr("本年服务时长")),
        )}
        grid = QGridLayout()
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, i)
        self.you_cards = {you: YouCard(you) for you in ("有场所", "有队伍", "有活动", "有项目", "有机制")}
        you_row = QHBoxLayout()
        for card in self.you_cards.values():
            # equal widths: each wraps its text in a fifth of the row instead of taking what its longest line asks
            card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            you_row.addWidget(card, 1)
        # District announcements stay here until someone marks them read (#30), not only in a tab of 同步.
        self.notices = QFrame()
        self.notices.setObjectName("notices")
        self.notices_layout = QVBoxLayout(self.notices)
        self.notices_layout.setContentsMargins(0, 0, 0, 0)
        self.notices_heading = QLabel(self.tr("区里的通知"))
        self.notices_heading.setStyleSheet("font-weight: bold; color: #b71c1c;")
        self.notices_layout.addWidget(self.notices_heading)
        self.notices.hide()
        self.notice_cards: dict[str, NoticeCard] = {}
        self.todo = QListWidget()
        # whole lines only, up to TODO_ROWS, then it scrolls (a trial: the last line showed cut in half)
        for signal in (self.todo.model().rowsInserted, self.todo.model().rowsRemoved, self.todo.model().modelReset):
            signal.connect(self.fit_todo)
        self.todo.itemActivated.connect(self.open_todo)
        self.todo.itemClicked.connect(self.open_todo)
        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        self.teams = QTableWidget(0, 15)
        self.teams.setHorizontalHeaderLabels([self.tr("服务队"), self.tr("类别")] + [self.tr("{0}月").format(m) for m in range(1, 13)] + [self.tr("本年")])
        self.teams.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.teams.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.chart = StackedBars()
        self.teams.verticalHeader().hide()
        self.teams.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.print_month = QPushButton(self.tr("打印本月工作统计…"))
        self.print_year = QPushButton(self.tr("打印本年工作统计…"))
        self.print_month.clicked.connect(lambda: self.print_summary(month=True))
        self.print_year.clicked.connect(lambda: self.print_summary(month=False))
        self.print_selfcheck = QPushButton(self.tr("打印本月五有自查…"))
        self.print_selfcheck.clicked.connect(self.print_selfcheck_report)
        top = QHBoxLayout()
        top.addWidget(self.heading(self.tr("工作台")))
        top.addStretch()
        top.addWidget(self.print_month)
        top.addWidget(self.print_year)
        top.addWidget(self.print_selfcheck)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        self.scrollable(inner)
        layout.addLayout(top)
        layout.addWidget(self.greeting)
        layout.addWidget(self.notices)
        layout.addLayout(grid)
        layout.addWidget(QLabel(self.tr("“五有”自查（按{0}的要求，本月及本年截至今天）").format(self.tier.unit)))
        layout.addLayout(you_row)
        layout.addWidget(QLabel(self.tr("本月要做的事（点击打开相应页面）")))
        layout.addWidget(self.todo)
        layout.addWidget(self.warning)
        layout.addWidget(QLabel(self.tr("各服务队每月活动次数（{0}）").format(self.tr(TEAM_QUOTAS[self.tier]))))
        layout.addWidget(self.teams)
        layout.addWidget(QLabel(self.tr("本年各月活动（按类别）")))
        layout.addWidget(self.chart)
        # Figured in the background: the self-check reads the whole year, and neither the window's
        # start nor a saved form should wait for it. Until the fresh figures arrive, the last ones computed
        # (kept on disk, this month's only) are shown, marked as being updated (#25: login → 工作台 ≤ 1 s).
        self.loaded = False  # fresh figures shown
        self.shown = False  # figures shown, fresh or kept
        self.generation = 0  # bumped each time new figures are shown
        self._computing = self._again = False
        kept = dashboard.kept(ctx.store.paths.root, ctx.station_id)
        if kept is not None:
            self.show_view(kept)
        QTimer.singleShot(0, self.refresh)

    def print_summary(self, *, month: bool) -> None:
        today = date.today()
        ctx = self.ctx
        title = self.tr("{0}年{1}月工作统计").format(today.year, today.month) if month else self.tr("{0}年工作统计").format(today.year)
        print_document(self, ctx.store, title, lambda path, _progress: reports.summary_pdf(
            ctx, path, year=today.year, month=today.month if month else None))

    def print_selfcheck_report(self) -> None:
        today = date.today()
        ctx = self.ctx
        print_document(self, ctx.store, self.tr("{0}年{1}月五有自查报告").format(today.year, today.month),
                       lambda path, _progress: reports.selfcheck_pdf(ctx, path, year=today.year, month=today.month))

    def open_todo(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        if key:
            self.navigate.emit(key)

    @staticmethod
    def compute(ctx) -> dict:
        """Everything the page shows, read in a worker thread (no widgets here); the figures are kept for the
        next login."""
        view = dashboard.compute(ctx)
        dashboard.keep(ctx.store.paths.root, ctx.station_id, view)
        return {"view": view, "notices": announcements.unread(ctx)}

    def refresh(self) -> None:
        if self._computing:
            self._again = True  # data changed while figuring: figure once more afterwards
            return
        self._computing = True
        ctx = self.ctx
        run_in_background(self, lambda _task: self.compute(ctx), self.show_figures, self.on_failed)

    def on_failed(self, exc: BaseException, _details: str) -> None:
        self._computing = False
        self.warning.setText(self.tr("工作台统计出错：{0}").format(exc))

    def show_reminders(self, counts: dict, unsettled: int) -> None:
        """The 五单 and points items of the to-do list, after the 五有 ones."""
        lines = []  # (text, colour, where a click goes: the page, and the tab that lists what the line counts)
        if counts.get("overdue"):
            lines.append((self.tr("【五单】有 {0} 件群众点单已超过办结期限，请尽快办理").format(counts["overdue"]), "#c62828",
                          "demands:overdue"))
        waiting = {S.ordered: "待审核", S.approved: "待派单", S.done: "待评单", S.rated: "待奖单"}
        pending = [state for state in waiting if counts.get(state)]
        if pending:
            lines.append((self.tr("【五单】{0}").format("，".join(f"{waiting[s]} {counts[s]} 件" for s in pending)), "#e65100",
                          f"demands:{pending[0].value}"))
        if unsettled:
            lines.append((self.tr("【积分】已开展活动中有 {0} 人次尚未结算积分").format(unsettled), "#e65100", "points"))
        for text, color, target in lines:
            item = QListWidgetItem(text)
            item.setForeground(QColor(color))
            item.setData(Qt.ItemDataRole.UserRole, target)
            if target == "demands:overdue":
                self.todo.insertItem(0, item)  # a resident is waiting: first thing in the list
            else:
                self.todo.addItem(item)

    TODO_ROWS = 8

    def fit_todo(self, *_args) -> None:
        rows = min(max(self.todo.count(), 1), self.TODO_ROWS)
        line = self.todo.sizeHintForRow(0) if self.todo.count() else self.todo.fontMetrics().height()
        self.todo.setFixedHeight(rows * line + 2 * self.todo.frameWidth())

    def show_verdicts(self, verdicts) -> None:
        self.verdicts = verdicts
        for you, card in self.you_cards.items():
            card.set([v for v in self.verdicts if v.you == you])
        self.todo.clear()
        short = sorted((v for v in self.verdicts if v.status in (MISSED, AT_RISK)), key=lambda v: -SEVERITY[v.status])
        for v in short:
            for line in (v.details or [v.gap])[:6]:
                item = QListWidgetItem(f"【{v.you}·{STATUS_LABELS[v.status]}】{v.title}：{line}")
                item.setForeground(QColor(STATUS_COLORS[v.status]))
                item.setData(Qt.ItemDataRole.UserRole, FIX_PAGE.get(v.rule_id))
                self.todo.addItem(item)
        if not short:
            self.todo.addItem(self.tr("本月各项要求均已达标或进度正常。"))

    def show_notices(self, notices) -> None:
        """The unread announcements, newest first; cards of those read meanwhile go."""
        wanted = [n.id for n in notices]
        for notice_id in [i for i in self.notice_cards if i not in wanted]:
            self.drop_notice(notice_id)
        for position, notice in enumerate(notices, start=1):
            card = self.notice_cards.get(notice.id)
            if card is None:
                card = self.notice_cards[notice.id] = NoticeCard(notice)
                card.read.connect(self.mark_read)
            else:
                self.notices_layout.removeWidget(card)  # put back in the newest-first order
            self.notices_layout.insertWidget(position, card)
        self.notices.setVisible(bool(notices))

    def drop_notice(self, notice_id: str) -> None:
        card = self.notice_cards.pop(notice_id, None)
        if card is not None:
            card.hide()
            self.notices_layout.removeWidget(card)
            card.deleteLater()
        self.notices.setVisible(bool(self.notice_cards))

    def mark_read(self, notice_id: str) -> None:
        """已读: in the background (a sync may hold the store); the card goes once it is written."""
        ctx = self.ctx
        card = self.notice_cards.get(notice_id)
        if card is not None:
            card.read_button.setEnabled(False)

        def failed(exc: BaseException, _details: str) -> None:
            if notice_id in self.notice_cards:
                self.notice_cards[notice_id].read_button.setEnabled(True)
            self.warning.setText(self.tr("标记通知已读时出错：{0}").format(exc))

        run_in_background(self, lambda _task: announcements.mark_read(ctx, notice_id), lambda _notice: self.drop_notice(notice_id), failed)

    def show_figures(self, data: dict) -> None:
        self._computing = False
        self.show_notices(data["notices"])
        self.show_view(data["view"])
        self.loaded = True
        self.generation += 1
        if self._again:
            self._again = False
            self.refresh()

    def show_view(self, view: DashboardView) -> None:
        """Draw the figures, fresh or kept from the last time they were computed."""
        self.show_verdicts(view.verdicts)
        self.show_reminders(view.demand_counts, view.unsettled)
        o = view.overview
        today = date.today() if view.kept else o.today
        greeting = self.tr("今天是 {0}，操作员：{1}。等待同步到区里的变更：{2} 条").format(
            format_date(today), self.ctx.actor.label, view.waiting)
        if view.kept:
            greeting += self.tr("（以下是 {0} 的统计，正在更新…）").format(format_moment(view.computed_at, year=False))
        self.greeting.setText(greeting)
        self.cards["month"].set(str(o.activities_month), self.tr("服务时长 {0:g} 小时").format(o.hours_month))
        self.cards["year"].set(str(o.activities_year), self.tr("{0}年").format(o.today.year))
        self.cards["volunteers"].set(str(o.volunteers), self.tr("名"))
        self.cards["hours"].set(f"{o.hours_year:g}", self.tr("小时"))
        days_left = calendar.monthrange(today.year, today.month)[1] - today.day
        idle = o.idle_teams
        if idle:
            names = "、".join(t.team_name for t in idle)
            self.warning.setText(self.tr("本月尚无活动的服务队：{0}。距月底还有 {1} 天。").format(names, days_left))
        else:
            self.warning.setText("" if o.teams else self.tr("还没有服务队。请先在“志愿服务队”页建立（{0}）。").format(self.tr(TEAM_MINIMUM[self.tier])))
        months = [(o.today.year, m) for m in range(1, 13)]
        self.teams.setRowCount(len(o.teams))
        self.teams.setMinimumHeight(34 + 30 * max(1, len(o.teams)))
        for r, t in enumerate(o.teams):
            counts = view.team_months.get(t.team_name, {})
            cells = [t.team_name, t.category] + [counts.get(k, 0) for k in months] + [t.this_year]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value) if c < 2 or (c < 14 and months[c - 2] <= (o.today.year, o.today.month)) or c == 14 else "")
                if 2 <= c < 14 and not t.existed_in(*months[c - 2]):  # before the team was founded: nothing to have missed
                    item.setText("—" if months[c - 2] <= (o.today.year, o.today.month) else "")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setForeground(QColor("#9e9e9e"))
                    item.setToolTip(self.tr("{0}成立于{1}").format(t.team_name, t.founded_on))
                elif 2 <= c < 14 and months[c - 2] <= (o.today.year, o.today.month):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setBackground(QColor("#fdecea" if value == 0 else "#e8f5e9" if value >= 2 else "#f1f8e9"))
                    if value == 0:
                        item.setForeground(QColor("#c62828"))
                self.teams.setItem(r, c, item)
        self.chart.set_data([f"{m}月" for _y, m in months],
                            {cat: [per.get(k, 0) for k in months] for cat, per in sorted(view.category_months.items())})
        self.status.emit(self.tr("本月 {0} 次活动，{1} 支服务队尚无活动").format(o.activities_month, len(idle)))
        self.shown = True
