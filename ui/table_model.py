"""A table model over SQL with lazy rows: counts and pages come from the services, sorting and
filtering happen in SQL, and only the rows scrolled into view are ever loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

PAGE = 100  # rows per fetch: a screen holds ~25; more arrive as the list scrolls


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]
    sort_key: str | None = None  # the service's order_by name; None: not sortable
    align_right: bool = False


class OneCallPerCell:
    """A view paints a cell by asking for seven roles at once (``multiData``); Qt's default asks ``data``
    seven times, each a call from C++ into Python that must take the GIL. While a background job runs
    Python, every such call waits for the job's thread to yield, so a list repainting during an import
    stalled the window 0.1–0.3 s (bench/ui_bench.py). Answered here in one call per cell."""

    def multiData(self, index: QModelIndex, roles) -> None:  # noqa: N802 - Qt's name
        data = self.data
        for role_data in roles:
            value = data(index, role_data.role())
            if value is not None:
                role_data.setData(value)


class LazyTableModel(OneCallPerCell, QAbstractTableModel):
    """``fetch(offset, limit, order_by, descending)`` returns rows; ``count()`` returns the total."""

    def __init__(self, columns: list[Column], fetch: Callable[..., list], count: Callable[[], int], parent=None):
        super().__init__(parent)
        self.columns = columns
        self._fetch, self._count = fetch, count
        self._rows: list = []
        self._total = 0
        self.order_by: str | None = next((c.sort_key for c in columns if c.sort_key), None)
        self.descending = False

    # -- data ------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = column.value(self._rows[index.row()])
            text = "" if value is None else str(value)
            # The whole text on hover: a long name or title is elided (…) in its column.
            return text if role == Qt.ItemDataRole.DisplayRole or len(text) > 6 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None

    # -- laziness --------------------------------------------------------
    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if parent.isValid():
            return
        more = self._fetch(len(self._rows), PAGE, self.order_by, self.descending)
        if not more:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort_key
        if key is None:
            return
        self.order_by, self.descending = key, order == Qt.SortOrder.DescendingOrder
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._total = self._count()
        self._rows = self._fetch(0, PAGE, self.order_by, self.descending) if self._total else []
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    def row(self, index: int):
        return self._rows[index]
