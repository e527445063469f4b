"""积分超市 (三.4): accounts with their ledgers, the 信用超市 catalogue, and the station's points rules."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from app import reports
from app.models import Goods, Household, PointRule
from app.models.enums import POINT_BASES
from app.services import points
from app.services.common import format_date
from app.services.station import set_deleted

from ..dialogs.points import EntryDialog, GoodsDialog, HouseholdDialog, RedeemDialog, ReverseDialog, RuleDialog, StockDialog
from ..printing import print_document
from ..tables import caption_row, fill_table, read_only_table, selected_row, stacked
from ..workers import run_in_background
from .base import Page, export_to_excel, fit_hint


class PointsPage(Page):
    watches = frozenset({"point_entry", "point_rule", "goods", "stock_move", "household", "volunteer", "participation", "activity"})
    title = "积分超市"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.accounts: list[points.Account] = []
        self.unsettled: int | None = None  # counted in the background; None until then
        self.lines: list[points.LedgerLine] = []
        self.goods: list[points.GoodsStock] = []
        self.rules: list[PointRule] = []
        self.tabs = QTabWidget()
        self.tabs.addTab(self._accounts_tab(), self.tr("积分账户"))
        self.tabs.addTab(self._goods_tab(), self.tr("信用超市"))
        self.tabs.addTab(self._rules_tab(), self.tr("积分规则"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading(self.tr("积分银行 · 信用超市")))
        layout.addWidget(self.tabs)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        if ctx.actor.role.can_write:
            points.ensure_default_rules(ctx)
        self.refresh()

    # -- tabs ----------------------------------------------------------------------------
    def _accounts_tab(self) -> QWidget:
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("查找：姓名、拼音首字母、电话尾号、户主或门牌"))
        self.search.setClearButtonEnabled(True)
        fit_hint(self.search, 260)
        self.search_timer = QTimer(self, singleShot=True, interval=250)  # one query when the person pauses typing
        self.search_timer.timeout.connect(self.load_accounts)
        self.search.textChanged.connect(lambda _t: self.search_timer.start())
        self.entry_button = QPushButton(self.tr("加分/扣分…"))
        self.redeem_button = QPushButton(self.tr("兑换…"))
        self.redeem_button.setObjectName("primary")
        self.household_button = QPushButton(self.tr("新增家庭户…"))
        self.settle_button = QPushButton(self.tr("结算活动积分"))
        self.person_print = QPushButton(self.tr("打印个人台账…"))
        self.month = QComboBox()
        today = date.today()
        for back in range(0, 12):
            y, m = (today.year, today.month - back) if today.month - back > 0 else (today.year - 1, today.month - back + 12)
            self.month.addItem(self.tr("{0}年{1}月").format(y, m), (y, m))
        self.month_print = QPushButton(self.tr("打印月度台账…"))
        self.list_print = QPushButton(self.tr("打印积分公示…"))
        self.export_button = QPushButton(self.tr("导出Excel…"))
        row1 = QHBoxLayout()
        row1.addWidget(self.search)
        for b in (self.entry_button, self.redeem_button, self.household_button, self.settle_button):
            row1.addWidget(b)
        row1.addStretch()
        row2 = QHBoxLayout()
        row2.addWidget(self.person_print)
        row2.addWidget(self.export_button)
        row2.addStretch()
        row2.addWidget(QLabel(self.tr("月份：")))
        row2.addWidget(self.month)
        row2.addWidget(self.month_print)
        row2.addWidget(self.list_print)
        self.account_table = read_only_table([self.tr(h) for h in ("姓名（户）", "类别", "联系电话", "累计获得", "累计使用", "现有积分")], stretch=0)
        self.ledger_title = QLabel()
        self.reverse_button = QPushButton(self.tr("冲正…"))
        self.ledger_table = read_only_table([self.tr(h) for h in ("日期", "事由", "积分", "结余", "经办人")], stretch=1)
        ledger_box = stacked(caption_row(self.ledger_title, self.reverse_button), self.ledger_table)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.account_table)
        split.addWidget(ledger_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(split)
        self.account_table.itemSelectionChanged.connect(self.load_ledger)
        self.account_table.doubleClicked.connect(lambda _i: self.edit_household())
        self.entry_button.clicked.connect(self.add_entry)
        self.redeem_button.clicked.connect(self.redeem)
        self.household_button.clicked.connect(self.add_household)
        self.settle_button.clicked.connect(self.settle)
        self.reverse_button.clicked.connect(self.reverse)
        self.person_print.clicked.connect(self.print_person)
        self.export_button.clicked.connect(self.export_excel)
        self.month_print.clicked.connect(lambda: self.print_month(reports.month_ledger_pdf, self.tr("积分台账")))
        self.list_print.clicked.connect(lambda: self.print_month(reports.points_list_pdf, self.tr("积分公示")))
        return tab

    def _goods_tab(self) -> QWidget:
        self.goods_table = read_only_table([self.tr(h) for h in ("物品或服务", "单位", "兑换积分", "库存", "已兑换", "状态", "说明")], stretch=6)
        self.goods_buttons = {key: QPushButton(self.tr(label)) for key, label in
                              (("new", "新增物品…"), ("edit", "编辑…"), ("stock", "入库/盘点…"), ("delete", "删除"))}
        row = QHBoxLayout()
        for b in self.goods_buttons.values():
            row.addWidget(b)
        row.addStretch()
        self.moves_title = QLabel()
        self.moves_table = read_only_table([self.tr(h) for h in ("日期", "数量", "结存", "事由", "经办人")], stretch=3)
        self.moves: list = []
        moves_box = stacked(self.moves_title, self.moves_table)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.goods_table)
        split.addWidget(moves_box)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(split)
        self.goods_table.itemSelectionChanged.connect(self.load_moves)
        self.goods_buttons["new"].clicked.connect(lambda: self.edit_goods(None))
        self.goods_buttons["edit"].clicked.connect(lambda: self.edit_goods(selected_row(self.goods_table, self.goods)))
        self.goods_table.doubleClicked.connect(lambda _i: self.edit_goods(selected_row(self.goods_table, self.goods)))
        self.goods_buttons["stock"].clicked.connect(self.restock)
        self.goods_buttons["delete"].clicked.connect(self.delete_goods)
        return tab

    def _rules_tab(self) -> QWidget:
        self.rules_table = read_only_table([self.tr(h) for h in ("规则名称", "计分方式", "分值", "活动类别", "最低评分", "状态")], stretch=0)
        self.rule_buttons = {key: QPushButton(self.tr(label)) for key, label in (("new", "新增规则…"), ("edit", "编辑…"), ("delete", "删除"))}
        note = QLabel(self.tr("“按服务时长”和“按参加活动”的规则在“结算活动积分”时计入；“按评单好评”的规则在奖单时计入；"
                              "“手工加减分”的规则供加分/扣分时选用。只有管理员可以修改规则。"))
        note.setWordWrap(True)
        row = QHBoxLayout()
        for b in self.rule_buttons.values():
            row.addWidget(b)
        row.addStretch()
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.rules_table)
        self.rule_buttons["new"].clicked.connect(lambda: self.edit_rule(None))
        self.rule_buttons["edit"].clicked.connect(lambda: self.edit_rule(selected_row(self.rules_table, self.rules)))
        self.rules_table.doubleClicked.connect(lambda _i: self.edit_rule(selected_row(self.rules_table, self.rules)))
        self.rule_buttons["delete"].clicked.connect(self.delete_rule)
        return tab

    # -- loading ---------------------------------------------------------------------------
    def on_store_changed(self, tables: frozenset) -> None:
        """The accounts read in the background (0.3–1 s of SQL on a 5-year store: the window stalled 1.1 s after
        every settlement, bench/ui_bench.py); the rows shown stay until they arrive."""
        ctx, text = self.ctx, self.search.text()
        run_in_background(self, lambda _task: points.accounts(ctx, text=text), self.refresh)

    def refresh(self, accounts: list | None = None) -> None:
        """``accounts``: already read in a background job (after a settlement, on a 5-year store a quarter
        second of SQL that must not run on the GUI thread)."""
        writable = self.ctx.actor.role.can_write
        admin = self.ctx.actor.role.is_admin
        for b in (self.entry_button, self.redeem_button, self.household_button, self.settle_button, self.reverse_button,
                  *self.goods_buttons.values()):
            b.setEnabled(writable)
        for b in self.rule_buttons.values():
            b.setEnabled(admin)
        self.load_accounts(accounts)
        self.load_goods()
        self.load_rules()
        ctx = self.ctx
        # Counting what is unsettled scans every participation: a second on a 5-year store, so not on the GUI thread.
        run_in_background(self, lambda _task: points.unsettled_count(ctx), self.show_unsettled)
        total = sum(a.balance for a in self.accounts)
        self.status.emit(self.tr("积分账户 {0} 个，现有积分合计 {1} 分；信用超市物品 {2} 种").format(len(self.accounts), total, len(self.goods)))

    def show_unsettled(self, waiting: int) -> None:
        self.unsettled = waiting
        self.settle_button.setText(self.tr("结算活动积分（{0} 人次待结算）").format(waiting) if waiting else self.tr("结算活动积分"))

    def load_accounts(self, accounts: list | None = None) -> None:
        keep = selected_row(self.account_table, self.accounts)
        self.accounts = accounts if accounts is not None else points.accounts(self.ctx, text=self.search.text())
        fill_table(self.account_table, [(a.name, a.kind, a.phone, a.earned, a.spent, a.balance) for a in self.accounts], numeric={3, 4, 5})
        index = next((i for i, a in enumerate(self.accounts) if keep and a.holder == keep.holder), 0 if self.accounts else -1)
        if index >= 0:
            self.account_table.blockSignals(True)  # the ledger is read once, below
            self.account_table.selectRow(index)
            self.account_table.blockSignals(False)
        self.load_ledger()

    def current_account(self) -> points.Account | None:
        return selected_row(self.account_table, self.accounts)

    def load_ledger(self) -> None:
        account = self.current_account()
        self.lines = points.ledger(self.ctx, account.holder) if account else []
        self.lines.reverse()  # newest first on screen
        self.ledger_title.setText(self.tr("{0} 的积分明细：现有 {1} 分").format(account.name, account.balance) if account
                                  else self.tr("请选择一个积分账户"))
        fill_table(self.ledger_table, [(format_date(l.entry.occurred_on), l.entry.reason, l.entry.points, l.balance, l.entry.operator)
                                  for l in self.lines], numeric={2, 3}, signed={2})
        for b in (self.entry_button, self.redeem_button, self.person_print):
            b.setEnabled(account is not None and (b is self.person_print or self.ctx.actor.role.can_write))

    def load_goods(self) -> None:
        keep = selected_row(self.goods_table, self.goods)
        self.goods = points.list_goods(self.ctx)
        fill_table(self.goods_table, [(g.goods.name, g.goods.unit, g.goods.price, g.stock, g.redeemed, self.tr("上架") if g.goods.active else self.tr("下架"),
                                  g.goods.note) for g in self.goods], numeric={2, 3, 4})
        index = next((i for i, g in enumerate(self.goods) if keep and g.goods.id == keep.goods.id), 0 if self.goods else -1)
        if index >= 0:
            self.goods_table.blockSignals(True)  # the moves are read once, below
            self.goods_table.selectRow(index)
            self.goods_table.blockSignals(False)
        self.load_moves()

    def load_moves(self) -> None:
        stock = selected_row(self.goods_table, self.goods)
        self.moves = points.stock_moves(self.ctx, stock.goods.id) if stock else []
        self.moves_title.setText(self.tr("“{0}”出入库明细：现有 {1}{2}").format(stock.goods.name, stock.stock, stock.goods.unit) if stock
                                 else self.tr("选中一种物品查看出入库明细"))
        fill_table(self.moves_table, [(format_date(m.occurred_on), m.quantity, level, m.reason, m.operator) for m, level in self.moves],
                   numeric={1, 2}, signed={1})

    def load_rules(self) -> None:
        self.rules = points.list_rules(self.ctx)
        fill_table(self.rules_table, [(r.name, POINT_BASES.get(r.basis, r.basis), r.points, r.category or self.tr("不限"),
                                  r.min_rating if r.basis == "rating" else "", self.tr("启用") if r.active else self.tr("停用"))
                                 for r in self.rules], numeric={2})

    # -- actions ---------------------------------------------------------------------------
    def _changed(self, accounts: list | None = None) -> None:
        self.refresh(accounts)
        self.changed.emit()

    def add_entry(self) -> None:
        account = self.current_account()
        if account and EntryDialog(self.ctx, account, self).exec():
            self._changed()

    def redeem(self) -> None:
        account = self.current_account()
        if account is None:
            return
        dialog = RedeemDialog(self.ctx, account, self)
        if dialog.exec():
            self._changed()
            self.status.emit(self.tr("{0} 兑换成功，扣除 {1} 分").format(account.name, -dialog.result_value.points))

    def add_household(self) -> None:
        dialog = HouseholdDialog(self.ctx, None, self)
        if dialog.exec():
            self.search.setText(dialog.result_value.head)
            self._changed()

    def edit_household(self) -> None:
        """Double-clicking a household opens its details (a volunteer's are on the 志愿者 page)."""
        account = self.current_account()
        if account is None or not account.holder.household_id or not self.ctx.actor.role.can_write:
            return
        with self.ctx.read() as session:
            household = session.get(Household, account.holder.household_id)
        if household is not None and HouseholdDialog(self.ctx, household, self).exec():
            self._changed()

    def reverse(self) -> None:
        chosen = selected_row(self.ledger_table, self.lines)
        if chosen is None:
            QMessageBox.information(self, self.tr("冲正"), self.tr("请先在右侧明细中选中要冲正的一笔记录。"))
            return
        if ReverseDialog(self.ctx, chosen.entry, self).exec():
            self._changed()

    def settle(self) -> None:
        """Asked first, with the count of 人次 waiting (a trial: one click credited 890 points to 34 people)."""
        if self.unsettled == 0:
            QMessageBox.information(self, self.tr("结算活动积分"),
                                    self.tr("没有需要结算的活动：已开展活动的参与志愿者都已计入积分。"))
            return
        waiting = self.tr("{0} 人次").format(self.unsettled) if self.unsettled else self.tr("所有尚未计分的参与")
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("结算活动积分"), self.tr(
            "将按积分规则，为已完成活动中{0}计入积分（每人每次活动只计一次；计错的可在明细中冲正）。\n\n现在结算吗？")
            .format(waiting), QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Ok).setText(self.tr("结算"))
        box.button(QMessageBox.StandardButton.Cancel).setText(self.tr("取消"))
        box.setDefaultButton(QMessageBox.StandardButton.Ok)
        answer = box.exec()
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Ok:
            self.settle_now()

    def settle_now(self) -> None:
        """The settlement itself, in the background (a save meanwhile waits one page of it, not all)."""
        ctx, text = self.ctx, self.search.text()

        def work(task):
            settled = points.settle_activities(ctx, progress=task.steps(label))
            return settled, points.accounts(ctx, text=text)  # the balances as they now stand, read here too

        def done(result) -> None:
            (written, credited), accounts = result
            self._changed(accounts)
            QMessageBox.information(self, self.tr("结算活动积分"),
                                    self.tr("已为 {0} 人次计入 {1} 分。").format(written, credited) if written
                                    else self.tr("没有需要结算的活动。"))

        def failed(exc, _details) -> None:
            QMessageBox.warning(self, self.tr("无法结算"), str(exc))

        label = self.tr("正在结算活动积分：{done} / {total} 人次")
        run_in_background(self, work, done, failed, title=self.tr("正在结算活动积分"))

    def export_excel(self) -> None:
        ctx, text = self.ctx, self.search.text()

        def write(path, full):  # in the background, openpyxl's first import too
            from app.exchange import excel

            return excel.export_points(ctx, path, text=text, full=full)

        export_to_excel(self, self.tr("积分账户"), write, personal=self.tr("联系电话"))

    def print_person(self) -> None:
        account = self.current_account()
        if account is None:
            return
        ctx, holder = self.ctx, account.holder
        print_document(self, ctx.store, self.tr("{0}积分台账").format(account.name),
                       lambda path, _p: reports.person_ledger_pdf(ctx, path, holder))

    def print_month(self, build, what: str) -> None:
        year, month = self.month.currentData()
        ctx = self.ctx
        print_document(self, ctx.store, self.tr("{0}年{1}月{2}").format(year, month, what), lambda path, _p: build(ctx, path, year, month))

    def edit_goods(self, stock) -> None:
        if not self.ctx.actor.role.can_write:
            return
        if GoodsDialog(self.ctx, stock.goods if stock else None, self).exec():
            self._changed()

    def restock(self) -> None:
        stock = selected_row(self.goods_table, self.goods)
        if stock and StockDialog(self.ctx, stock, self).exec():
            self._changed()

    def delete_goods(self) -> None:
        stock = selected_row(self.goods_table, self.goods)
        if stock is None:
            return
        if QMessageBox.question(self, self.tr("确认删除"), self.tr("确定删除“{0}”吗？兑换记录会保留。").format(stock.goods.name)) \
                == QMessageBox.StandardButton.Yes:
            set_deleted(self.ctx, Goods, stock.goods.id, deleted=True, what="物品")
            self._changed()

    def edit_rule(self, rule) -> None:
        if not self.ctx.actor.role.is_admin:
            return
        if RuleDialog(self.ctx, rule, self).exec():
            self._changed()

    def delete_rule(self) -> None:
        rule = selected_row(self.rules_table, self.rules)
        if rule is None:
            return
        if QMessageBox.question(self, self.tr("确认删除"), self.tr("确定删除规则“{0}”吗？已计入的积分不受影响。").format(rule.name)) \
                == QMessageBox.StandardButton.Yes:
            points.delete_rule(self.ctx, rule.id)
            self._changed()
