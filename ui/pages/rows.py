"""A small table of kept records with 新增 / 编辑 / 删除 (rooms, service points, documents, plans, trainings)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QMessageBox, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from app.services import station as station_service


class RowsBox(QGroupBox):
    """A small table of rows with 新增 / 编辑 / 删除."""

    def __init__(self, title: str, headers: list[str], load, cells, dialog, model, what: str, page):
        super().__init__(title)
        self.load, self.cells, self.dialog, self.model_class, self.what, self.page = load, cells, dialog, model, what, page
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(220)
        buttons = QHBoxLayout()
        self.buttons = [QPushButton(self.tr("新增")), QPushButton(self.tr("编辑")), QPushButton(self.tr("删除"))]
        for b in self.buttons:
            buttons.addWidget(b)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.buttons[0].clicked.connect(lambda: self.edit(None))
        self.buttons[1].clicked.connect(lambda: self.edit(self.current()))
        self.buttons[2].clicked.connect(self.delete)
        self.table.doubleClicked.connect(lambda _i: self.edit(self.current()))
        self.rows = []

    def reload(self) -> None:
        self.rows = self.load(self.page.ctx)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, value in enumerate(self.cells(row)):
                self.table.setItem(r, c, QTableWidgetItem(str(value)))
        for b in self.buttons:
            b.setEnabled(self.page.ctx.actor.role.can_write)

    def current(self):
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def edit(self, row) -> None:
        if row is None and self.sender() is self.buttons[1]:
            return
        if self.dialog(self.page.ctx, row, self).exec():
            self.reload()
            self.page.changed.emit()

    def delete(self) -> None:
        row = self.current()
        if row is None:
            return
        label = getattr(row, "name", None) or getattr(row, "title", "")
        if QMessageBox.question(self, self.tr("确认删除"), self.tr("确定删除“{0}”吗？").format(label)) != QMessageBox.StandardButton.Yes:
            return
        station_service.set_deleted(self.page.ctx, self.model_class, row.id, deleted=True, what=self.what)
        self.reload()
        self.page.changed.emit()
