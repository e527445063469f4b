"""A table model over SQL with lazy rows: counts and pages come from the services, sorting and
filtering happen in SQL, and only the rows scrolled into view are ever loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from .workers import run_in_background

PAGE = 100  # rows per fetch: a screen holds ~25; more arrive as the list scrolls


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], Any]
    sort_key: str | None = None  # the service's order_by name; None: not sortable
    align_right: bool = False
    stretch: bool = False  # takes the width the others leave (the list's main text: an activity's name), not the last


class OneCallPerCell:
    """A view paints a cell by asking for seven roles at once (``multiData``); Qt's default asks ``data``
    seven times, each a call from C++ into Python that must take the GIL. While a background job runs
    Python, every such call waits for the job's thread to yield, so a list repainting during an import
    stalled the window 0.1–0.3 s (bench/ui_bench.py). Answered here in one call per cell.

    Every role asked is answered, a role with no value by clearing it: the delegate hands the same span to
    every cell it paints, so a value left in place is the previous cell's (one row with errors painted every
    row after it in its colour)."""

    def multiData(self, index: QModelIndex, roles) -> None:  # Qt's name
        data = self.data
        for role_data in roles:
            value = data(index, role_data.role())
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)


class LazyTableModel(OneCallPerCell, QAbstractTableModel):
    """``fetch(state, offset, limit, order_by, descending)`` returns rows; ``count(state)`` the total.

    ``state()`` is read on the GUI thread at each reload — the search text, the filters, the 回收站 — and
    handed to ``fetch`` and ``count``, which read nothing from widgets: so a reload can run its SQL in the
    background (``reload_in_background``) while the window stays live — on the 5-year store a list sorted
    by 累计时长 takes 30–50 ms of SQL — and only the finished page of rows is put in on the GUI thread.
    Rows fetched later as the list scrolls use the state and order the shown rows were loaded with."""

    def __init__(self, columns: list[Column], fetch: Callable[..., list], count: Callable[[Any], int], parent=None,
                 state: Callable[[], Any] = lambda: None):
        super().__init__(parent)
        self.columns = columns
        self._fetch, self._count, self._state_of = fetch, count, state
        self._rows: list = []
        self._total = 0
        self.order_by: str | None = next((c.sort_key for c in columns if c.sort_key), None)
        self.descending = False
        self._loaded = (None, self.order_by, self.descending)  # the state and order the rows were loaded with
        self._generation = 0  # a newer reload makes an older background one moot
        self.loading = False

    # -- data ------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
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

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None

    # -- laziness --------------------------------------------------------
    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent=QModelIndex()) -> None:
        if parent.isValid():
            return
        state, order_by, descending = self._loaded
        more = self._fetch(state, len(self._rows), PAGE, order_by, descending)
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
        self.reload_in_background()

    def reload(self) -> None:
        """Now, on this thread (a search keystroke: a few ms on an indexed column)."""
        self._generation += 1
        self.loading = False
        state, order_by, descending = self._state_of(), self.order_by, self.descending
        total = self._count(state)
        self._put(state, order_by, descending, total, self._fetch(state, 0, PAGE, order_by, descending) if total else [])

    def reload_in_background(self, then: Callable[[], None] | None = None) -> None:
        """The SQL in a background job; the shown rows stay until the new ones are in, then ``then()``."""
        self._generation += 1
        generation, self.loading = self._generation, True
        state, order_by, descending = self._state_of(), self.order_by, self.descending
        fetch, count = self._fetch, self._count

        def work(_task):
            total = count(state)
            return total, (fetch(state, 0, PAGE, order_by, descending) if total else [])

        def done(result) -> None:
            if generation != self._generation:
                return  # a newer reload is on its way, or already in
            self.loading = False
            self._put(state, order_by, descending, *result)
            if then is not None:
                then()

        def failed(exc, details) -> None:
            if generation == self._generation:
                self.loading = False
            raise exc

        run_in_background(self, work, done, failed)  # nothing to answer if the list is gone meanwhile

    def _put(self, state, order_by, descending, total: int, rows: list) -> None:
        self.beginResetModel()
        self._loaded = (state, order_by, descending)
        self._total, self._rows = total, rows
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    def row(self, index: int):
        return self._rows[index]
