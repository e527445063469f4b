"""活动台账 → 导出到全国系统… and 导入全国系统记录…, driven as a clerk or an admin would."""

from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtWidgets import QMessageBox

from app.exchange import national
from app.services import operators
from app.services.context import Context
from app.settings import Settings
from test_national import busiest_year
from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
from ui import saving
from ui.main_window import MainWindow

from ui_helpers import when_modal


def test_admin_exports_the_year_and_reads_it_back(qtbot, window, demo_store, monkeypatch, tmp_path):
    window.go("activities")
    page = window.pages["activities"]
    assert page.national_button.isVisible() and page.national_export_action.isVisible() and page.national_import_action.isVisible()
    year = busiest_year(demo_store)
    page.year.setCurrentIndex(page.year.findData(year))
    asked = {}

    def save_dialog(dialog):
        asked["name"] = dialog.selectedFiles()[0]
        return [str(tmp_path / "national.xlsx")]

    monkeypatch.setattr(saving, "choose_files", save_dialog)
    monkeypatch.setattr(saving.QDesktopServices, "openUrl", lambda url: True)
    page.national_export_action.trigger()
    qtbot.waitUntil(lambda: getattr(page, "national_saved", None) is not None and page.national_saved.isVisible(), timeout=20_000)
    assert f"全国志愿服务信息系统-志愿服务记录-{year}年.xlsx" in asked["name"]
    assert "含完整证件号码" in page.national_saved.text()
    headers = [c.value for c in load_workbook(tmp_path / "national.xlsx").active[1]]
    assert headers == [c.header for c in national.load_mapping().columns]
    page.national_saved.done(0)
    qtbot.waitUntil(lambda: not page.national_saved.isVisible())

    # Read back into the same ledger: the check says everything is there already, and nothing is added twice.
    monkeypatch.setattr(saving, "choose_files", lambda _dialog: [str(tmp_path / "national.xlsx")])
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text, *a, **k: told.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text, *a, **k: told.append(text))
    questions = []

    def confirm(box):
        questions.append(box.text())
        next(b for b in box.buttons() if b.text() == "导入").click()

    when_modal(confirm, kind=QMessageBox, attempts=3000)
    page.national_import_action.trigger()
    qtbot.waitUntil(lambda: bool(told), timeout=30_000)
    assert "新登记志愿者 0 名" in questions[0] and "台账中已有" in questions[0]
    assert told[0].startswith("新登记志愿者 0 名，新增活动 0 次，服务记录 0 条")


def test_a_clerk_does_not_get_the_full_id_export(qtbot, demo_store):
    clerk = Context(store=demo_store, actor=operators.authenticate(demo_store, "clerk", "clerk123"))
    win = MainWindow(clerk, Settings(demo_store.paths.settings))
    qtbot.addWidget(win)
    win.show()
    win.go("activities")
    page = win.pages["activities"]
    assert page.national_button.isVisible() and page.national_import_action.isVisible()
    assert not page.national_export_action.isVisible()  # full ID numbers: an admin's export only
    win.idle.stop()
