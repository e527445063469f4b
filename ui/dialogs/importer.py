"""Excel import: check the column mapping, preview every row with its Chinese errors, then import."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QAbstractItemView, QComboBox, QDialog, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
    QPushButton, QTableView, QVBoxLayout,
)

from app.exchange import excel
from app.privacy import mask_id_number, mask_phone
from app.services.context import Context
from app.services.errors import ServiceError

from ..table_model import OneCallPerCell
from ..workers import run_in_background
from ..lifetime import ClosedByQt

# A row with errors stands out in amber: seen at a glance among many good rows, not alarming, and unlike the
# pink of a selected row (a row that is fine has no colour of its own).
ERROR_ROW = QColor("#ffe8b3")


class PlanModel(OneCallPerCell, QAbstractTableModel):
    """The checked rows as the preview shows them: each cell is made when it is painted, so a sheet of
    10,000 rows opens as fast as one of ten (#13: no GUI work proportional to the file)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.plans: list = []
        self.shown: list[str] = []
        self.rows: list = []
        self.columns: dict[str, int] = {}

    def reset(self, plans: list, shown: list[str], rows: list | None = None, columns: dict[str, int] | None = None) -> None:
        """``rows``: the sheet's (row number, cells); ``columns``: which cell each shown field is read from.
        (The model keeps these, not its dialog: a child holding its dialog is a reference cycle, ui/lifetime.py.)"""
        self.beginResetModel()
        self.plans, self.shown, self.rows, self.columns = plans, shown, rows or [], columns or {}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # Qt's name
        return 0 if parent.isValid() else len(self.plans)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.shown) + 2

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        labels = [self.tr("Excel行号")] + [excel.FIELD_LABELS[n] for n in self.shown] + [self.tr("问题")]
        return labels[section] if section < len(labels) else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        plan = self.plans[index.row()]
        if role == Qt.ItemDataRole.BackgroundRole:
            return ERROR_ROW if plan.errors else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        column = index.column()
        if column == 0:
            return str(plan.row)
        if column <= len(self.shown):
            return self.shown_value(self.shown[column - 1], self.rows[index.row()][1])
        return self.problem_text(plan)

    def problem_text(self, plan) -> str:
        """Every error of the row first, then what importing it will also do (e.g. set up a team)."""
        return "；".join([self.outcome_text(plan)] + plan.warnings)

    def outcome_text(self, plan) -> str:
        if plan.errors:
            return "；".join(plan.errors)
        if plan.target_id is not None:  # what 更新 will change, masked as everything on screen
            changes = "；".join(self.tr("{0} {1} → {2}").format(excel.FIELD_LABELS.get(k, k), old or self.tr("（空）"), new)
                                for k, (old, new) in plan.changes.items())
            return self.tr("更新 {0}：{1}").format(plan.target_label, changes) if changes else self.tr("已登记，无变化（跳过）")
        return self.tr("无误（新增）")

    def shown_value(self, name: str, row: list) -> str:
        index = self.columns[name]
        text = excel.cell_text(row[index]) if index < len(row) else ""
        return {"id_number": mask_id_number, "phone": mask_phone}.get(name, str)(text)  # masked for every role

    def text(self, row: int, column: int) -> str:
        return self.data(self.index(row, column)) or ""


class ImportDialog(ClosedByQt, QDialog):
    def __init__(self, ctx: Context, kind: str, sheet: excel.Sheet, parent=None, *, plans: list | None = None):
        """``plans``: the rows already checked with the guessed columns (the page does it in the background
        while reading the file); without them the first check runs here."""
        super().__init__(parent)
        self.ctx, self.kind, self.sheet = ctx, kind, sheet
        self.imported = 0
        noun = self.tr("志愿者") if kind == "volunteers" else self.tr("活动")
        self.setWindowTitle(self.tr("从Excel导入{0} — {1}").format(noun, sheet.path.name))
        self.fields = excel.VOLUNTEER_FIELDS if kind == "volunteers" else excel.ACTIVITY_FIELDS
        mapping = excel.guess_mapping(sheet, kind)
        box = QGroupBox(self.tr("列对应关系（表头在第{0}行，可以修改）").format(sheet.header_row))
        grid = QGridLayout(box)
        self.combos: dict[str, QComboBox] = {}
        for n, name in enumerate(self.fields):
            combo = QComboBox()
            combo.addItem(self.tr("（不导入）"), None)
            for index, header in enumerate(sheet.headers):
                if header:
                    combo.addItem(header, index)
            combo.setCurrentIndex(max(0, combo.findData(mapping.get(name))))
            combo.currentIndexChanged.connect(lambda _i: self.replan())
            label = excel.FIELD_LABELS[name] + ("＊" if name in excel.REQUIRED[kind] else "")
            grid.addWidget(QLabel(label), n // 3, (n % 3) * 2)
            grid.addWidget(combo, n // 3, (n % 3) * 2 + 1)
            self.combos[name] = combo
        self.model = PlanModel(self)
        self.preview = QTableView()
        self.preview.setModel(self.model)
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.verticalHeader().hide()
        self.checking = None  # the background check running, if any
        self._generation = 0
        self.summary = QLabel()
        self.update_existing = QCheckBox(self.tr("按身份证号更新已登记的志愿者（只改表里填了的项）"))
        self.update_existing.setVisible(kind == "volunteers")
        self.update_existing.toggled.connect(lambda _on: self.replan())
        self.import_all = QPushButton(self.tr("全部导入"))
        self.import_all.setObjectName("primary")
        self.import_valid = QPushButton()
        cancel = QPushButton(self.tr("取消"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        for b in (self.import_all, self.import_valid, cancel):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(self.update_existing)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.import_all.clicked.connect(lambda: self.run_import(only_valid=False))
        self.import_valid.clicked.connect(lambda: self.run_import(only_valid=True))
        cancel.clicked.connect(self.reject)
        if plans is None:
            self.show_plans(self.plan_rows())
        else:
            self.show_plans(plans)
        self.resize(980, 640)

    def mapping(self) -> dict[str, int]:
        return {name: combo.currentData() for name, combo in self.combos.items() if combo.currentData() is not None}

    def plan_rows(self):
        """The rows checked here and now (a small sheet), or the ServiceError saying why they cannot be."""
        try:
            if self.kind == "volunteers":
                return excel.plan_volunteers(self.ctx, self.sheet, self.mapping(), update_existing=self.update_existing.isChecked())
            return excel.plan_activities(self.ctx, self.sheet, self.mapping())
        except ServiceError as exc:
            return exc

    def replan(self) -> None:
        """Check every row again with the chosen columns, in the background (a big sheet takes seconds);
        the buttons wait for the answer, and a newer choice makes an older answer moot."""
        self._generation += 1
        generation = self._generation
        self.import_all.setEnabled(False)
        self.import_valid.setEnabled(False)
        self.summary.setText(self.tr("正在按新的列对应关系检查每一行……"))
        mapping, update = self.mapping(), self.update_existing.isChecked()
        kind, ctx, sheet = self.kind, self.ctx, self.sheet

        def work(_task):
            if kind == "volunteers":
                return excel.plan_volunteers(ctx, sheet, mapping, update_existing=update)
            return excel.plan_activities(ctx, sheet, mapping)

        def done(plans) -> None:
            if generation == self._generation:
                self.checking = None
                self.show_plans(plans)

        def failed(exc: BaseException, _details: str) -> None:
            if generation == self._generation:
                self.checking = None
                self.show_plans(exc)

        self.checking = run_in_background(self, work, done, failed, title=self.tr("正在检查"), cancellable=False)

    def show_plans(self, plans) -> None:
        """``plans`` from a check, or the ServiceError that said why the sheet cannot be checked."""
        if isinstance(plans, BaseException):
            if not isinstance(plans, ServiceError):
                raise plans
            self.plans = []
            self.summary.setText(str(plans))
            self.model.reset([], [])
            self.import_all.setEnabled(False)
            self.import_valid.setEnabled(False)
            return
        self.plans = plans
        shown = [name for name in self.fields if name in self.mapping()]
        self.model.reset(plans, shown, self.sheet.rows, self.mapping())
        header = self.preview.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(60)  # widths from the first rows (and the visible ones), not all 10,000
        self.preview.resizeColumnsToContents()
        header.setSectionResizeMode(len(shown) + 1, QHeaderView.ResizeMode.Stretch)
        good = sum(p.ok for p in self.plans)
        bad = len(self.plans) - good
        text = self.tr("共 {0} 行：{1} 行无误，{2} 行有错误（黄色标出）").format(len(self.plans), good, bad)
        teams = excel.new_teams([p for p in self.plans if p.ok])
        if teams:
            text += self.tr("；将新建服务队：{0}").format("、".join(teams))
        self.summary.setText(text)
        self.summary.setWordWrap(True)
        self.import_all.setEnabled(bool(self.plans) and bad == 0)
        self.import_valid.setText(self.tr("只导入无误的 {0} 行").format(good))
        self.import_valid.setEnabled(good > 0 and bad > 0)

    def run_import(self, *, only_valid: bool) -> None:
        run = excel.import_volunteers if self.kind == "volunteers" else excel.import_activities
        ctx, sheet, mapping = self.ctx, self.sheet, self.mapping()

        extra = {"update_existing": self.update_existing.isChecked()} if self.kind == "volunteers" else {}
        label = self.tr("正在导入第 {0}/{1} 行…")

        def work(task):
            return run(ctx, sheet, mapping, only_valid=only_valid,
                       progress=lambda n, total: task.report(n, total, label.format(n, total)),
                       cancelled=lambda: task.cancelled, **extra)

        def done(result) -> None:
            self.imported = result.imported + result.updated
            text = self.tr("已导入 {0} 行。").format(result.imported)
            if result.updated:
                text += self.tr("更新了 {0} 名已登记的志愿者。").format(result.updated)
            QMessageBox.information(self, self.tr("导入完成"), text)
            self.accept()

        def failed(exc: BaseException, _details: str) -> None:
            written = getattr(exc, "written", 0)  # whole slices saved before 取消 or a row refused on writing
            QMessageBox.warning(self, self.tr("导入未完成") if written else self.tr("没有导入"), str(exc))
            if written:
                self.imported = written
                self.accept()  # the page shows what was saved

        run_in_background(self, work, done, failed, title=self.tr("正在导入"))
