"""工作台: this month and this year at a glance, and the teams still without an activity this month."""

from __future__ import annotations

import calendar
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
    QVBoxLayout,
)

from app import outbox, reports
from app.services import stats
from app.services.common import format_date

from ..printing import print_document
from .base import Page


class Card(QFrame):
    def __init__(self, title: str):
        super().__init__()
        self.setObjectName("card")
        self.value = QLabel("0")
        self.value.setObjectName("cardValue")
        self.caption = QLabel(title)
        self.caption.setObjectName("cardTitle")
        self.detail = QLabel()
        self.detail.setObjectName("cardTitle")
        layout = QVBoxLayout(self)
        for w in (self.caption, self.value, self.detail):
            layout.addWidget(w)

    def set(self, value: str, detail: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)


class DashboardPage(Page):
    title = "工作台"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.greeting = QLabel()
        self.cards = {key: Card(title) for key, title in (
            ("month", self.tr("本月活动")), ("year", self.tr("本年活动")), ("volunteers", self.tr("注册志愿者")), ("hours", self.tr("本年服务时长")),
        )}
        grid = QGridLayout()
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, i)
        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.setWordWrap(True)
        self.teams = QTableWidget(0, 4)
        self.teams.setHorizontalHeaderLabels([self.tr("服务队"), self.tr("类别"), self.tr("本月活动"), self.tr("本年活动")])
        self.teams.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.teams.verticalHeader().hide()
        self.teams.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.print_month = QPushButton(self.tr("打印本月工作统计…"))
        self.print_year = QPushButton(self.tr("打印本年工作统计…"))
        self.print_month.clicked.connect(lambda: self.print_summary(month=True))
        self.print_year.clicked.connect(lambda: self.print_summary(month=False))
        top = QHBoxLayout()
        top.addWidget(self.heading(self.tr("工作台")))
        top.addStretch()
        top.addWidget(self.print_month)
        top.addWidget(self.print_year)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.greeting)
        layout.addLayout(grid)
        layout.addWidget(self.warning)
        layout.addWidget(QLabel(self.tr("各服务队活动情况（每支队伍每月至少开展1次，每年不少于12次）")))
        layout.addWidget(self.teams)
        self.refresh()

    def print_summary(self, *, month: bool) -> None:
        today = date.today()
        ctx = self.ctx
        title = self.tr("{0}年{1}月工作统计").format(today.year, today.month) if month else self.tr("{0}年工作统计").format(today.year)
        print_document(self, ctx.store, title, lambda path, _progress: reports.summary_pdf(
            ctx, path, year=today.year, month=today.month if month else None))

    def refresh(self) -> None:
        o = stats.overview(self.ctx)
        waiting = outbox.pending_count(self.ctx.store)
        self.greeting.setText(self.tr("今天是 {0}，操作员：{1}。等待同步到区里的变更：{2} 条").format(
            format_date(o.today), self.ctx.actor.label, waiting))
        self.cards["month"].set(str(o.activities_month), self.tr("服务时长 {0:g} 小时").format(o.hours_month))
        self.cards["year"].set(str(o.activities_year), self.tr("{0}年").format(o.today.year))
        self.cards["volunteers"].set(str(o.volunteers), self.tr("名"))
        self.cards["hours"].set(f"{o.hours_year:g}", self.tr("小时"))
        days_left = calendar.monthrange(o.today.year, o.today.month)[1] - o.today.day
        idle = o.idle_teams
        if idle:
            names = "、".join(t.team_name for t in idle)
            self.warning.setText(self.tr("本月尚无活动的服务队：{0}。距月底还有 {1} 天。").format(names, days_left))
        else:
            self.warning.setText("" if o.teams else self.tr("还没有服务队。请先在“志愿服务队”页建立（每站不少于3支）。"))
        self.teams.setRowCount(len(o.teams))
        for r, t in enumerate(o.teams):
            for c, value in enumerate((t.team_name, t.category, str(t.this_month), str(t.this_year))):
                item = QTableWidgetItem(value)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if t.this_month == 0:
                    item.setForeground(Qt.GlobalColor.red)
                self.teams.setItem(r, c, item)
        self.status.emit(self.tr("本月 {0} 次活动，{1} 支服务队尚无活动").format(o.activities_month, len(idle)))
