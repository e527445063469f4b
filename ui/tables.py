"""Small read-only tables of already-loaded rows (sync history, points, demands)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QLayout, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

NEGATIVE = QColor("#B71C1C")


def read_only_table(headers: list[str], *, stretch: int | None = None) -> QTableWidget:
    """Whole rows are selected one at a time; ``stretch`` is the column that takes the spare width
    (None: every column shares it)."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    header = table.horizontalHeader()
    if stretch is None:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setResizeContentsPrecision(200)  # a column's width from 200 rows, not 1,000: a 500-row list measures fast
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return table


TOOLTIP_FROM = 12  # characters: a cell's text longer than this also shows whole as its tooltip


def fill_table(table: QTableWidget, rows: list[tuple], *, numeric: set[int] = frozenset(), signed: set[int] = frozenset()) -> None:
    """``numeric`` columns align right and show negatives in red; ``signed`` ones read +5 / -5.

    The header's ResizeToContents columns are measured once, after the last cell: left on while filling, every
    ``setItem`` re-measured its column over up to a thousand rows — the 积分 page's 500 accounts held the window
    22–34 s after a settlement on the 5-year store (bench/ui_bench.py)."""
    header = table.horizontalHeader()
    modes = [header.sectionResizeMode(c) for c in range(header.count())]
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.setUpdatesEnabled(False)
    try:
        table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, value in enumerate(cells):
                text = f"{value:+d}" if c in signed else str(value)
                item = QTableWidgetItem(text)
                if len(text) > TOOLTIP_FROM:  # a long reason or 说明 cut off at 1366×768 is read whole on hover
                    item.setToolTip(text)
                if c in numeric:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if isinstance(value, int) and value < 0:
                        item.setForeground(QBrush(NEGATIVE))
                table.setItem(r, c, item)
    finally:
        for c, mode in enumerate(modes):
            header.setSectionResizeMode(c, mode)
        table.setUpdatesEnabled(True)


def selected_row(table: QTableWidget, rows: list):
    """The loaded row behind the table's selection, or None."""
    chosen = table.selectionModel().selectedRows() if table.selectionModel() else []
    return rows[chosen[0].row()] if chosen and chosen[0].row() < len(rows) else None


def stacked(*parts: QWidget | QLayout) -> QWidget:
    """Widgets (or layouts) one above the other with no margin: a caption over a table, in a splitter."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, QLayout):
            column.addLayout(part)
        else:
            column.addWidget(part)
    return box


def caption_row(caption: QWidget, *buttons: QWidget) -> QHBoxLayout:
    """A caption on the left and buttons on the right."""
    row = QHBoxLayout()
    row.addWidget(caption)
    row.addStretch()
    for button in buttons:
        row.addWidget(button)
    return row
