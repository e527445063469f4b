"""fill_table measures its ResizeToContents columns once, not at every cell (#25: the 积分 page's 500 accounts held the
window 22–34 s after a settlement on the 5-year store, each setItem re-measuring every such column over its rows)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget

from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
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


def _arrow(header, section: int) -> str:
    """The sort arrow drawn at the right of ``section``: "▼" when its rows of dark pixels narrow downwards."""
    image = header.grab().toImage()
    left = header.sectionViewportPosition(section)
    right = left + header.sectionSize(section)
    widths = [sum(image.pixelColor(x, y).lightness() < 140 for x in range(max(left, right - 24), right))
              for y in range(image.height())]
    drawn = [w for w in widths if w]
    assert drawn, "no sort arrow drawn"
    return "▼" if drawn[0] > drawn[-1] else "▲"


def test_the_activities_fill_the_width_with_their_names_and_the_arrow_points_as_in_windows(qtbot, window):
    """A trial at 1366 px: the activities' names were cut (“想学习使用智能手机挂号（点单服务 202…”) while 状态, the
    last column, was 200 px wide for three characters; and 日期 showed ▲ on a list of the newest first (Fusion's
    arrow; Windows Explorer shows ▼). The name now takes the spare width, and the arrows point as in Explorer."""
    window.resize(1366, 728)
    window.go("activities")
    page = window.pages["activities"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    qtbot.wait(50)
    header = page.table.horizontalHeader()
    titles = [c.title for c in page.model.columns]
    name, status = titles.index("活动名称"), titles.index("状态")
    longest = max(page.table.sizeHintForColumn(name), 0)
    assert header.sectionSize(name) >= longest  # every name whole
    assert header.sectionSize(status) <= max(page.table.sizeHintForColumn(status), header.sectionSizeFromContents(status).width()) + 8
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder and _arrow(header, 0) == "▼"
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # oldest first
    qtbot.wait(20)
    assert _arrow(header, 0) == "▲"


def test_teams_are_listed_in_pinyin_order(qtbot, window):
    """A trial: 党员理论宣讲队, 孝老爱亲服务队, 护苗志愿服务队, 村民文艺队, 美丽庭院环保队 — character-code order, which no
    clerk can follow. Listed as a Chinese Windows lists names: by their pinyin (cūn, dǎng, hù, měi, xiào)."""
    window.go("teams")
    page = window.pages["teams"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 5)
    names = [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]
    assert names == ["村民文艺队", "党员理论宣讲队", "护苗志愿服务队", "美丽庭院环保队", "孝老爱亲服务队"]
    page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: page.model.data(page.model.index(0, 0)) == "孝老爱亲服务队")


def test_the_row_chosen_stays_chosen_when_the_list_is_read_again(qtbot, window):
    """A trial: after 保存 the edited activity was no longer selected (and a sync's refresh dropped the choice too)."""
    window.go("activities")
    page = window.pages["activities"]
    qtbot.waitUntil(lambda: page.model.rowCount() > 5)
    page.table.selectRow(3)
    chosen = page.row_id(page.selected_rows()[0])
    page.after_change(background=True)  # as after a form's 保存, or a sync
    qtbot.waitUntil(lambda: not page.model.loading)
    assert [page.row_id(r) for r in page.selected_rows()] == [chosen]
    assert page.table.currentIndex().row() == 3
    page.refresh()  # read now, on this thread
    assert [page.row_id(r) for r in page.selected_rows()] == [chosen]
