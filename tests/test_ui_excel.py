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
    monkeypatch.setattr("ui.pages.base.QFileDialog.getOpenFileName", lambda *a, **k: (str(roster), ""))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    seen = {}

    def check_and_import(dialog):
        seen["summary"] = dialog.summary.text()
        seen["all_enabled"] = dialog.import_all.isEnabled()
        seen["row_error"] = dialog.preview.item(2, dialog.preview.columnCount() - 1).text()
        seen["row_number"] = dialog.preview.item(2, 0).text()
        screenshot(dialog, "import-preview")
        qtbot.mouseClick(dialog.import_valid, Qt.MouseButton.LeftButton)

    when_modal(check_and_import, kind=ImportDialog)
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.total == before + 2, timeout=10_000)
    assert seen["summary"] == "共 3 行：2 行无误，1 行有错误（红色）"
    assert not seen["all_enabled"]
    assert seen["row_number"] == "6" and "校验位" in seen["row_error"]
    assert {"新甲", "新乙"} <= {v.name for v in volunteers.search_volunteers(ctx, "新")}

    out = tmp_path / "导出.xlsx"
    monkeypatch.setattr("ui.pages.base.QFileDialog.getSaveFileName", lambda *a, **k: (str(out), ""))
    page.search.setText("新甲")
    page.refresh()
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    ws = load_workbook(out).active
    assert ws.cell(row=3, column=2).value == "新甲" and ws.max_row == 3
    window.idle.stop()
