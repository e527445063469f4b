"""群众点单 (the 五单 loop, 五.2): demands by state, the next step for the one selected, and its history."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QSplitter, QTabBar, QTableWidgetItem, QVBoxLayout,
)

from app import reports
from app.models.enums import DemandState as S
from app.services import demands
from app.services.common import format_date
from app.services.errors import ServiceError

from ..dialogs.demand import CompleteDialog, DemandDialog, DispatchDialog, PassDialog, RateDialog, ReasonDialog, ReportDialog, RewardDialog
from ..printing import print_document
from ..tables import fill_table, read_only_table, selected_row, stacked
from .base import Page, export_to_excel, fit_hint

OVERDUE_BG = QColor("#FDE0DC")
# (key, label): a DemandState value, or "open" / "overdue" / "closed".
TABS = [("open", "在办")] + [(s.value, s.label) for s in (S.ordered, S.approved, S.dispatched, S.taken, S.done, S.rated)] + [
    ("overdue", "超期"), ("handed", "已转出"), ("closed", "已结束")]
ACTIONS = [("approve", "审核通过"), ("reject", "不予受理"), ("dispatch", "派单"), ("take", "接单"), ("complete", "完成服务"),
           ("rate", "评单"), ("reward", "奖单"), ("cancel", "撤销"),
           # 五.2 between the tiers: 转派 down, 上报 up, and 收回 what could not go or came back undone
           ("pass", "转派"), ("report", "上报"), ("recall", "收回")]
HANDING = frozenset({"pass", "report", "recall"})  # offered by the ledger's tier and the district's answer, not the state alone


class DemandsPage(Page):
    watches = frozenset({"demand", "demand_event"})
    title = "群众点单"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.rows: list[demands.DemandRow] = []
        self.tabs = QTabBar()
        for key, label in TABS:
            self.tabs.addTab(self.tr(label))
            self.tabs.setTabData(self.tabs.count() - 1, key)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("查找：点单群众、需求内容、编号或地点"))
        self.search.setClearButtonEnabled(True)
        fit_hint(self.search, 260)
        self.new_button = QPushButton(self.tr("群众点单…"))
        self.new_button.setObjectName("primary")
        self.edit_button = QPushButton(self.tr("修改…"))
        self.print_button = QPushButton(self.tr("打印登记簿…"))
        self.period = QComboBox()
        self.period.setToolTip(self.tr("登记簿的期间"))
        self.export_button = QPushButton(self.tr("导出Excel…"))
        self.action_buttons: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(self.heading(self.tr("群众点单（“五单”服务）")))
        top.addStretch()
        top.addWidget(self.search)
        top.addWidget(self.new_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.export_button)
        top.addWidget(self.period)
        top.addWidget(self.print_button)
        steps = QHBoxLayout()
        steps.addWidget(QLabel(self.tr("办理：")))
        offered = demands.handing_offered(ctx)
        for key, label in ACTIONS:
            button = QPushButton(self.tr(label))
            button.clicked.connect(lambda _c=False, k=key: self.act(k))
            self.action_buttons[key] = button
            steps.addWidget(button)
            button.setVisible(key not in HANDING or key in offered)  # a station never 转派s, the 中心 never 上报s
        self.action_buttons["pass"].setToolTip(self.tr("转派给下级实践所（站）办理（名单随同步由区里发来）"))
        self.action_buttons["report"].setToolTip(self.tr("本级办不了的需求，说明原因后上报给上一级"))
        self.action_buttons["recall"].setToolTip(self.tr("区里未接收转出，或下级已撤销时，收回由本级办理"))
        steps.addStretch()
        self.table = read_only_table([self.tr(h) for h in ("编号", "点单日期", "点单群众", "联系电话", "需求内容", "类别", "接单", "办结期限",
                                                           "状态")], stretch=4)
        self.history = read_only_table([self.tr("时间"), self.tr("办理"), self.tr("经办人"), self.tr("说明")], stretch=3)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(stacked(self.detail, self.history))
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs)
        layout.addLayout(steps)
        layout.addWidget(split)
        self.tabs.currentChanged.connect(lambda _i: self.reload())
        self.search.textChanged.connect(lambda _t: self.reload())
        self.table.itemSelectionChanged.connect(self.on_selected)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        self.new_button.clicked.connect(self.create)
        self.edit_button.clicked.connect(self.edit)
        self.print_button.clicked.connect(self.print_register)
        self.export_button.clicked.connect(self.export_excel)
        for label, _start, _end in self.register_periods():
            self.period.addItem(label)
        self.period.setCurrentIndex(2)  # 本年
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.create)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)
        self.refresh()

    def show_part(self, part: str) -> None:
        """The tab of one state, or 超期 (the 工作台's to-do items open the demands they name)."""
        for index in range(self.tabs.count()):
            if self.tabs.tabData(index) == part:
                self.tabs.setCurrentIndex(index)
                return

    # -- data ---------------------------------------------------------------------------
    def tab_key(self) -> str:
        return self.tabs.tabData(self.tabs.currentIndex()) or "open"

    def refresh(self) -> None:
        counts = demands.state_counts(self.ctx)
        open_total = sum(n for state, n in counts.items() if state != "overdue" and not S(state).closed)
        closed_total = sum(n for state, n in counts.items() if state != "overdue" and S(state).closed)
        handed = counts.get(S.passed.value, 0) + counts.get(S.reported.value, 0)
        for index, (key, label) in enumerate(TABS):
            n = {"open": open_total, "closed": closed_total, "handed": handed}.get(key, counts.get(key, 0))
            self.tabs.setTabText(index, self.tr("{0}（{1}）").format(self.tr(label), n))
        self.tabs.setTabTextColor(TABS.index(("overdue", "超期")), QColor("#C62828") if counts.get("overdue") else QColor())
        self.reload()
        text = self.tr("在办 {0} 件，其中超期 {1} 件；已结束 {2} 件").format(open_total, counts.get("overdue", 0), closed_total)
        if handed:
            text += self.tr("（其中已转出 {0} 件，办理情况随同步传回）").format(handed)
        self.status.emit(text)

    def reload(self) -> None:
        key = self.tab_key()
        keep = self.current().demand.id if self.current() else None
        self.rows = demands.list_demands(self.ctx, state=None if key == "overdue" else key, overdue_only=key == "overdue",
                                         text=self.search.text())
        self.table.setRowCount(len(self.rows))
        today = date.today()
        for r, row in enumerate(self.rows):
            d = row.demand
            cells = (d.number, format_date(d.received_on), d.requester + (f"（{row.came}）" if row.came else ""), row.contact,
                     d.content, d.category, row.assignee or "—", format_date(d.due_on),
                     row.state_label + (self.tr("（超期 {0} 天）").format((today - d.due_on).days) if row.overdue else ""))
            for c, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if row.overdue:
                    item.setBackground(QBrush(OVERDUE_BG))
                    if c == 8:
                        item.setForeground(QBrush(QColor("#B71C1C")))
                self.table.setItem(r, c, item)
        if keep:
            for r, row in enumerate(self.rows):
                if row.demand.id == keep:
                    self.table.selectRow(r)
                    break
        if not self.table.selectedItems() and self.rows:
            self.table.selectRow(0)
        self.on_selected()

    def current(self) -> demands.DemandRow | None:
        return selected_row(self.table, self.rows)

    def on_selected(self) -> None:
        row = self.current()
        writable = self.ctx.actor.role.can_write
        allowed = set(demands.allowed_actions(row.demand.state)) - HANDING if row else set()
        if row is not None and writable:
            allowed |= demands.handing_actions(self.ctx, row.demand)
        for key, button in self.action_buttons.items():
            button.setEnabled(writable and key in allowed)
            if key == "dispatch":
                redispatch = row is not None and row.demand.state in (S.dispatched, S.taken)
                button.setText(self.tr("改派") if redispatch else self.tr("派单"))
        self.new_button.setEnabled(writable)
        self.edit_button.setEnabled(writable and row is not None and row.demand.source != "district" and not S(row.demand.state).closed)
        self.history.setRowCount(0)
        if row is None:
            self.detail.setText(self.tr("没有选中的点单"))
            return
        d = row.demand
        parts = [self.tr("<b>{0}</b>　{1}").format(d.number, row.state_label), self.tr("需求：{0}").format(d.content)]
        if d.address:
            parts.append(self.tr("地点：{0}").format(d.address))
        if d.wanted_on:
            parts.append(self.tr("期望服务日期：{0}").format(format_date(d.wanted_on)))
        if d.rating:
            parts.append(self.tr("评分：{0} 分（{1}）{2}").format(d.rating, d.feedback_method, d.feedback))
        if d.reason:
            parts.append(self.tr("原因：{0}").format(d.reason))
        if row.overdue:
            parts.append(self.tr("<span style='color:#B71C1C'>已超过办结期限，请尽快办理</span>"))
        if row.came in ("转派", "上报"):
            parts.append(self.tr("经过：{0}").format(demands.origin_of(self.ctx, d)))
        elif d.source == "district":
            parts.append(self.tr("区文明实践中心派单，需求内容由区里维护"))
        self.detail.setText("　".join(parts[:2]) + "<br>" + "　".join(parts[2:]))
        fill_table(self.history, [(demands.as_of(e.at), action, e.operator, e.note) for e, action in demands.shown_events(self.ctx, d.id)])

    # -- actions ------------------------------------------------------------------------
    def after_change(self) -> None:
        self.refresh()
        self.changed.emit()

    def create(self) -> None:
        if not self.ctx.actor.role.can_write:
            return
        dialog = DemandDialog(self.ctx, None, self)
        if dialog.exec():
            self.tabs.setCurrentIndex(0)
            self.after_change()
            for r, row in enumerate(self.rows):
                if row.demand.id == dialog.result_value.id:
                    self.table.selectRow(r)

    def edit(self) -> None:
        row = self.current()
        if row is None or not self.edit_button.isEnabled():
            return
        if DemandDialog(self.ctx, row.demand, self).exec():
            self.after_change()

    def act(self, action: str) -> None:
        row = self.current()
        if row is None:
            return
        d = row.demand
        dialogs = {"reject": lambda: ReasonDialog(self.ctx, d, "reject", self), "cancel": lambda: ReasonDialog(self.ctx, d, "cancel", self),
                   "dispatch": lambda: DispatchDialog(self.ctx, d, self), "complete": lambda: CompleteDialog(self.ctx, d, self),
                   "rate": lambda: RateDialog(self.ctx, d, self), "reward": lambda: RewardDialog(self.ctx, d, self),
                   "pass": lambda: PassDialog(self.ctx, d, self), "report": lambda: ReportDialog(self.ctx, d, self)}
        if action in dialogs:
            if dialogs[action]().exec():
                self.after_change()
                if action in ("pass", "report"):  # the row leaves 在办: say where it went
                    self.status.emit(self.tr("已{0}：编号 {1}，见“已转出”；办理情况会随同步传回").format(
                        demands.TRANSITIONS[action].label, d.number))
            return
        label = demands.TRANSITIONS[action].label
        if QMessageBox.question(self, self.tr("确认"), self.tr("{0}：{1}（{2}）？").format(label, d.number, d.content[:30])) \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            {"approve": demands.approve, "take": demands.take, "recall": demands.recall}[action](self.ctx, d.id)
        except ServiceError as exc:
            QMessageBox.warning(self, self.tr("不能{0}").format(label), str(exc))
            return
        self.after_change()

    def export_excel(self) -> None:
        """What the list shows: the tab chosen and the search typed."""
        ctx, key, text = self.ctx, self.tab_key(), self.search.text()

        def write(path, full):  # in the background, openpyxl's first import too
            from app.exchange import excel

            return excel.export_demands(ctx, path, state=None if key == "overdue" else key, overdue_only=key == "overdue",
                                        text=text, full=full)

        export_to_excel(self, self.tr("群众点单"), write, personal=self.tr("联系电话"))

    def register_periods(self) -> list[tuple[str, date, date]]:
        """本月, 上月, 本年, 上年: what a 专管员 files in the binder."""
        today = date.today()
        this_month = today.replace(day=1)
        last_month_end = this_month - timedelta(days=1)
        return [(self.tr("本月"), this_month, today), (self.tr("上月"), last_month_end.replace(day=1), last_month_end),
                (self.tr("本年"), date(today.year, 1, 1), today), (self.tr("上年"), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))]

    def print_register(self) -> None:
        label, start, end = self.register_periods()[self.period.currentIndex()]
        if not demands.list_demands(self.ctx, date_from=start, date_to=end):
            QMessageBox.information(self, self.tr("没有点单"), self.tr("{0}（{1} 至 {2}）没有群众点单。").format(
                label, format_date(start), format_date(end)))
            return
        ctx = self.ctx
        print_document(self, ctx.store, self.tr("“五单”服务登记簿（{0}）").format(label),
                       lambda path, _progress: reports.demand_register_pdf(ctx, path, start, end))
