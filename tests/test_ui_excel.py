"""Importing a roster with bad rows and exporting a list, through the pages' buttons."""

from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.services import operators, teams, volunteers
from app.services.context import Context
from app.settings import Settings
from test_excel import messy_roster
from conftest import make_id
from ui.dialogs.importer import ImportDialog
from ui.main_window import MainWindow
from ui_helpers import screenshot, when_modal


def test_import_roster_with_bad_rows_then_export(qtbot, demo_store, tmp_path, monkeypatch):
    actor = operators.authenticate(demo_store, "admin", "admin123")
    ctx = Context(store=demo_store, actor=actor)
    team = teams.list_teams(ctx)[0].team
    roster = messy_roster(tmp_path / "花名册.xlsx", [
        [1, "新甲", make_id(seq=801), "13812345678", "男", "群众", team.name],
        [2, "新乙", make_id(seq=802), "13812345679", "女", "群众", ""],
        [3, "新丙", "110105194912310021", "13812345670", "男", "群众", ""],
    ])
    window = MainWindow(ctx, Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("volunteers")
    page = window.pages["volunteers"]
    before = page.model.total
    monkeypatch.setattr("ui.saving.choose_files", lambda _dialog: [str(roster)])
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    seen = {}

    def check_and_import(dialog):
        seen["summary"] = dialog.summary.text()
        seen["all_enabled"] = dialog.import_all.isEnabled()
        seen["row_error"] = dialog.model.text(2, dialog.model.columnCount() - 1)
        seen["row_number"] = dialog.model.text(2, 0)
        screenshot(dialog, "import-preview")
        qtbot.mouseClick(dialog.import_valid, Qt.MouseButton.LeftButton)

    when_modal(check_and_import, kind=ImportDialog)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.total == before + 2, timeout=10_000)
    assert seen["summary"] == "共 3 行：2 行无误，1 行有错误（黄色标出）"
    assert not seen["all_enabled"]
    assert seen["row_number"] == "6" and "校验位" in seen["row_error"]
    assert {"新甲", "新乙"} <= {v.name for v in volunteers.search_volunteers(ctx, "新")}

    out = tmp_path / "导出.xlsx"
    monkeypatch.setattr("ui.saving.choose_files", lambda _dialog: [str(out)])
    page.search.setText("新甲")
    page.refresh()
    when_modal(lambda box: qtbot.keyClick(box, Qt.Key.Key_Return), kind=QMessageBox)  # an admin: masked numbers
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    ws = load_workbook(out).active
    assert ws.cell(row=3, column=2).value == "新甲" and ws.max_row == 3
    window.idle.stop()


def test_the_import_preview_shows_what_an_update_changes(qtbot, ctx, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from app.models.enums import Role
    from app.services.context import Actor

    admin = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    known = volunteers.add_volunteer(admin, registered_on="2024-01-01", name="张三", id_number=make_id(seq=901), phone="13812345678")
    book = Workbook()
    book.active.append(["姓名", "身份证号", "手机号码"])
    book.active.append(["张三", make_id(seq=901), "13912345678"])
    book.save(tmp_path / "名册.xlsx")
    from app.exchange import excel

    dialog = ImportDialog(admin, "volunteers", excel.read_sheet(tmp_path / "名册.xlsx"))
    qtbot.addWidget(dialog)
    dialog.show()
    last = dialog.model.columnCount() - 1
    assert "更新已登记的志愿者" in dialog.model.text(0, last) and not dialog.import_all.isEnabled()
    qtbot.waitExposed(dialog)
    box = dialog.update_existing  # clicked on its label, where a person clicks
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + __import__("PySide6.QtCore").QtCore.QPoint(30, box.height() // 2))
    assert box.isChecked()
    qtbot.waitUntil(lambda: dialog.checking is None, timeout=10_000)  # checked again in the background
    assert dialog.model.text(0, last) == f"更新 张三（{known.number}）：联系电话 138****5678 → 139****5678"
    assert dialog.import_all.isEnabled()
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    qtbot.mouseClick(dialog.import_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=10_000)
    assert volunteers.get_volunteer(admin, known.id).phone == "13912345678" and volunteers.count_volunteers(admin) == 1


def test_only_the_rows_with_errors_stand_out_and_new_teams_do_not_fail_every_row(qtbot, ctx, tmp_path):
    """34 good rows and 6 bad ones whose team is not set up yet: the 6 stand out, the 34 are plain."""
    from PySide6.QtGui import QColor

    from app.exchange import excel
    from test_excel import messy_roster

    rows = [[i + 1, f"人{i}", "110105194912310021" if i % 7 == 3 else make_id(seq=100 + i), "13812345678", "男", "群众", "新文艺队"]
            for i in range(40)]
    dialog = ImportDialog(ctx, "volunteers", excel.read_sheet(messy_roster(tmp_path / "花名册.xlsx", rows)))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    model, last = dialog.model, dialog.model.columnCount() - 1
    bad = [r for r in range(model.rowCount()) if model.data(model.index(r, 1), Qt.ItemDataRole.BackgroundRole) is not None]
    assert bad == [3, 10, 17, 24, 31, 38]
    assert "将新建服务队：新文艺队" in dialog.summary.text() and "34 行无误，6 行有错误" in dialog.summary.text()
    assert model.text(3, last).startswith("身份证号校验位不正确")  # the error first, the note after
    assert "将新建服务队“新文艺队”" in model.text(3, last) and "将新建服务队“新文艺队”" in model.text(0, last)
    colour = model.data(model.index(3, 1), Qt.ItemDataRole.BackgroundRole)
    assert 30 <= colour.hue() <= 60  # amber: stands out without alarming
    # the painted table: a good row shows the table's own base, a bad row its colour; a selected row neither
    dialog.preview.selectRow(5)
    image = dialog.preview.viewport().grab().toImage()
    height = dialog.preview.rowHeight(0)
    x = dialog.preview.columnViewportPosition(1) + 3
    assert image.pixelColor(x, dialog.preview.rowViewportPosition(0) + height // 2) == QColor("white")
    assert image.pixelColor(x, dialog.preview.rowViewportPosition(3) + height // 2) == colour
    selected = image.pixelColor(x, dialog.preview.rowViewportPosition(5) + height // 2)
    assert selected not in (QColor("white"), colour)
    assert dialog.import_valid.isEnabled() and dialog.import_valid.text() == "只导入无误的 34 行"


def test_an_import_stopped_part_way_says_what_was_saved_and_the_page_shows_it(qtbot, ctx, tmp_path, monkeypatch):
    """Two rows that pass the preview alone but not together (one person 13 h + 13 h on one day) stop the
    import at the second; the slices before it are saved (#25: imports commit in slices), and the clerk is
    told how many rows, not "没有导入"."""
    from openpyxl import Workbook

    from app.exchange import excel
    from app.models.enums import Role
    from app.services.context import Actor

    admin = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    volunteers.add_volunteer(admin, registered_on="2024-01-01", name="张三", id_number=make_id(seq=902))
    book = Workbook()
    book.active.append(["活动日期", "活动名称", "类别", "参与志愿者", "服务时长"])
    for day in range(1, 5):
        book.active.append([f"2025-03-0{day}", f"清扫{day}", "卫生环保", "张三", 2])
    book.active.append(["2025-03-09", "值守上午", "应急救援", "张三", 13])
    book.active.append(["2025-03-09", "值守下午", "应急救援", "张三", 13])
    book.save(tmp_path / "活动.xlsx")
    monkeypatch.setattr(excel, "IMPORT_SLICE", 2)
    dialog = ImportDialog(admin, "activities", excel.read_sheet(tmp_path / "活动.xlsx", "activities"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.checking is None and dialog.import_all.isEnabled(), timeout=10_000)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text, *a, **k: warned.append((title, text)) or QMessageBox.StandardButton.Ok)
    qtbot.mouseClick(dialog.import_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warned), timeout=10_000)
    title, text = warned[0]
    assert title == "导入未完成" and text.startswith("第7行：") and "此前的 4 行已导入并保存" in text
    assert dialog.result() == 1 and dialog.imported == 4  # closed as done: the page refreshes and shows the four
    from app.services import activities

    assert sorted(a.activity.title for a in activities.list_activities(admin)) == ["清扫1", "清扫2", "清扫3", "清扫4"]
