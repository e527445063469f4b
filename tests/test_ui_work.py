"""项目库 and 制度与计划: keeping the records the 五有 self-check counts, and the dashboard noticing."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.rules import MET, Period, selfcheck
from app.services import operators, teams, work
from app.services.context import Context
from app.settings import Settings
from ui.main_window import MainWindow
from ui.pages.work import DocumentDialog, PlanDialog, ProjectDialog
from ui_helpers import screenshot, type_text, when_modal


def test_brand_project_and_missing_document_through_the_pages(qtbot, demo_store):
    ctx = Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123"))
    window = MainWindow(ctx, Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("projects")
    page = window.pages["projects"]
    assert page.model.total == 2

    def new_project(dialog):
        type_text(qtbot, dialog.name, "移风易俗红白理事会")
        dialog.category.setCurrentText("服务中心大局")
        dialog.brand.setChecked(True)
        dialog.teams.item(0).setCheckState(Qt.CheckState.Checked)
        dialog.save()

    when_modal(new_project, kind=ProjectDialog)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.model.total == 3
    project = next(p for p in work.list_projects(ctx) if p.name == "移风易俗红白理事会")
    assert project.brand and work.project_team_ids(ctx, project.id) == [teams.list_teams(ctx)[0].team.id]
    screenshot(window, "page-projects")

    window.go("records")
    records = window.pages["records"]
    before = len(records.documents.rows)

    def add_plan_document(dialog):
        dialog.kind.setCurrentText("项目计划")
        type_text(qtbot, dialog.title_edit, "2026年志愿服务项目计划")
        dialog.save()

    when_modal(add_plan_document, kind=DocumentDialog)
    qtbot.mouseClick(records.documents.buttons[0], Qt.MouseButton.LeftButton)
    assert len(records.documents.rows) == before + 1
    assert f"管理文件 {before + 1} 份" in window.statusBar().currentMessage()  # it said the old count (a trial)
    screenshot(window, "page-records")
    from datetime import date

    verdicts = {v.rule_id: v for v in selfcheck(ctx, Period.of(year=date.today().year, month=date.today().month))}
    assert verdicts["documents"].status == MET and verdicts["brand_projects"].figure == 2

    def bad_plan(dialog):
        dialog.title_edit.clear()
        dialog.save()
        assert dialog.isVisible() and "请填写计划名称" in dialog.errors["title"].text()
        dialog.reject()

    when_modal(bad_plan, kind=PlanDialog)
    qtbot.mouseClick(records.plans.buttons[0], Qt.MouseButton.LeftButton)
    dashboard = window.pages["dashboard"]
    before = dashboard.generation
    window.go("dashboard")
    qtbot.waitUntil(lambda: dashboard.generation > before, timeout=10_000)
    assert dashboard.you_cards["有项目"].status.text() == "达标"
    window.idle.stop()
