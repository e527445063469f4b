"""fill_table measures its ResizeToContents columns once, not at every cell (#25: the 积分 page's 500 accounts held the
window 22–34 s after a settlement on the 5-year store, each setItem re-measuring every such column over its rows)."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableWidget

from ui.tables import fill_table


def test_refilling_a_list_measures_each_column_a_few_times_not_per_cell(qtbot):
    measured = {"calls": 0}

    class Counting(QTableWidget):
        def sizeHintForColumn(self, column):  # what the header asks to size a column to its contents
            measured["calls"] += 1
            return super().sizeHintForColumn(column)

    table = Counting(0, 6)
    qtbot.addWidget(table)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.show()
    qtbot.waitExposed(table)
    rows = [(f"志愿者{i}", "志愿者", "138****0000", i, i // 2, i - i // 2) for i in range(300)]
    fill_table(table, rows, numeric={3, 4, 5})  # the page's first fill
    qtbot.wait(10)
    measured["calls"] = 0
    fill_table(table, rows, numeric={3, 4, 5})  # and the refill after a settlement
    qtbot.wait(10)
    assert measured["calls"] <= 5 * 4  # a handful per column; per cell it was 9,000 calls (6 s here)
    assert [header.sectionResizeMode(c) for c in range(6)] == [QHeaderView.ResizeMode.Stretch] + [QHeaderView.ResizeMode.ResizeToContents] * 5
    assert table.item(299, 5).text() == str(299 - 299 // 2)
