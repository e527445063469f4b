"""项目 (the project library, 五.1–五.4) and 制度与计划 (documents 二.7, plans 四.8, trainings 三.3)."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox, QVBoxLayout, QWidget

from sqlmodel import select

from app import reports
from app.models import ActivityPlan, Document, Project, Training
from app.models.enums import DOCUMENT_KINDS, PROJECT_CATEGORIES, PROJECT_STATUSES
from app.services import teams as team_service
from app.services import work
from app.services.common import format_date
from app.services.station import tier_of

from ..forms import FormDialog, TeamChecklist, combo, date_edit, from_qdate
from ..printing import print_document
from ..table_model import Column
from .base import ListPage, Page, form_result
from .rows import RowsBox


class ProjectDialog(FormDialog):
    def __init__(self, ctx, project: Project | None = None, parent=None):
        super().__init__(self.tr("编辑项目") if project else self.tr("新增项目"), parent)
        self.ctx, self.project = ctx, project
        p = project
        self.name = self.add("name", self.tr("项目名称"), QLineEdit(p.name if p else ""))
        self.category = self.add("category", self.tr("项目类别"), combo(PROJECT_CATEGORIES, p.category if p else ""))
        self.status = self.add("status", self.tr("状态"), QComboBox())
        for key, label in PROJECT_STATUSES.items():
            self.status.addItem(label, key)
        self.status.setCurrentIndex(max(0, self.status.findData(p.status if p else "running")))
        self.brand = self.add("brand", self.tr("品牌项目"), QCheckBox(self.tr("{own}的品牌项目（五.4）").format(own=tier_of(ctx).own)))
        self.brand.setChecked(bool(p and p.brand))
        self.started = self.add("started_on", self.tr("开始日期"), date_edit(p.started_on if p else None))
        self.description = self.add("description", self.tr("项目简介"), QPlainTextEdit(p.description if p else ""))
        self.description.setTabChangesFocus(True)
        self.description.setMaximumHeight(90)
        chosen = set(work.project_team_ids(ctx, p.id)) if p else set()
        self.teams = TeamChecklist(team_service.list_teams(ctx), chosen, height=120)
        self.add("teams", self.tr("实施的服务队"), self.teams)
        self.finish_layout()
        self.resize(520, 560)

    def submit(self) -> Project:
        team_ids = self.teams.checked_ids()
        return work.save_project(self.ctx, self.project.id if self.project else None, team_ids=team_ids, name=self.name.text(),
                                 category=self.category.currentText(), status=self.status.currentData(), brand=self.brand.isChecked(),
                                 started_on=from_qdate(self.started.date()), description=self.description.toPlainText())


class ProjectsPage(ListPage):
    watches = frozenset({"project", "project_team", "activity"})
    model_class = Project
    noun = "项目"
    title = "项目库"
    print_label = "打印项目清单…"

    def print_current(self) -> None:
        ctx = self.ctx
        print_document(self, ctx.store, self.tr("志愿服务项目清单"), lambda path, _progress: reports.project_list_pdf(ctx, path))

    def search_hint(self) -> str:
        return self.tr("项目名称或类别")

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("项目名称"), lambda p: p.name, "name"),
            Column(self.tr("类别"), lambda p: p.category, "category"),
            Column(self.tr("品牌项目"), lambda p: self.tr("是") if p.brand else ""),
            Column(self.tr("状态"), lambda p: PROJECT_STATUSES.get(p.status, p.status)),
            Column(self.tr("开始日期"), lambda p: format_date(p.started_on)),
            Column(self.tr("简介"), lambda p: p.description[:60]),
        ]

    def _rows(self, state):
        text, ctx = state["text"].strip(), state["ctx"]
        rows = work.list_projects(ctx) if not state["deleted"] else self._deleted(ctx)
        return [p for p in rows if not text or text in p.name or text in p.category]

    @staticmethod
    def _deleted(ctx):
        with ctx.read() as session:
            return list(session.exec(select(Project).where(Project.station_id == ctx.station_id, Project.deleted == True)))

    def fetch(self, state, offset, limit, order_by, descending):
        # A station keeps a handful of projects: sorted here, as simply as in SQL.
        rows = sorted(self._rows(state), key=lambda p: getattr(p, order_by or "name"), reverse=descending)
        return rows[offset : offset + limit]

    def count(self, state) -> int:
        return len(self._rows(state))

    def row_label(self, row) -> str:
        return row.name

    def open_form(self, row=None):
        return form_result(ProjectDialog(self.ctx, row, self))


class DocumentDialog(FormDialog):
    def __init__(self, ctx, document: Document | None = None, parent=None):
        super().__init__(self.tr("管理文件"), parent)
        self.ctx, self.document = ctx, document
        d = document
        self.kind = self.add("kind", self.tr("类别"), combo(DOCUMENT_KINDS, d.kind if d else ""))
        self.title_edit = self.add("title", self.tr("文件名称"), QLineEdit(d.title if d else ""))
        self.issued = self.add("issued_on", self.tr("印发日期"), date_edit(d.issued_on if d else None))
        self.note = self.add("note", self.tr("备注"), QLineEdit(d.note if d else ""))
        self.finish_layout()

    def submit(self):
        return work.save_document(self.ctx, self.document.id if self.document else None, kind=self.kind.currentText(),
                                  title=self.title_edit.text(), issued_on=from_qdate(self.issued.date()), note=self.note.text())


class PlanDialog(FormDialog):
    def __init__(self, ctx, plan: ActivityPlan | None = None, parent=None):
        super().__init__(self.tr("活动计划"), parent)
        self.ctx, self.plan = ctx, plan
        self.year = self.add("year", self.tr("年份"), QSpinBox())
        self.year.setRange(2000, 2100)
        self.year.setValue(plan.year if plan else date.today().year)
        self.month = self.add("month", self.tr("月份"), QComboBox())
        self.month.addItem(self.tr("年度计划"), None)
        for m in range(1, 13):
            self.month.addItem(self.tr("{0}月").format(m), m)
        self.month.setCurrentIndex(max(0, self.month.findData(plan.month if plan else date.today().month)))
        self.title_edit = self.add("title", self.tr("计划名称"), QLineEdit(plan.title if plan else ""))
        self.content = self.add("content", self.tr("计划内容"), QPlainTextEdit(plan.content if plan else ""))
        self.content.setTabChangesFocus(True)
        self.finish_layout()

    def submit(self):
        return work.save_plan(self.ctx, self.plan.id if self.plan else None, year=self.year.value(), month=self.month.currentData(),
                              title=self.title_edit.text(), content=self.content.toPlainText())


class TrainingDialog(FormDialog):
    def __init__(self, ctx, training: Training | None = None, parent=None):
        super().__init__(self.tr("培训"), parent)
        self.ctx, self.training = ctx, training
        t = training
        self.title_edit = self.add("title", self.tr("培训名称"), QLineEdit(t.title if t else ""))
        self.date = self.add("date", self.tr("培训日期"), date_edit(t.date if t else None))
        self.place = self.add("place", self.tr("地点"), QLineEdit(t.place if t else ""))
        self.trainees = self.add("trainees", self.tr("参训人数"), QSpinBox())
        self.trainees.setRange(0, 100000)
        self.trainees.setValue(t.trainees if t else 0)
        self.centralized = self.add("centralized", self.tr("集中专业培训"), QCheckBox())
        self.centralized.setChecked(bool(t and t.centralized))
        self.content = self.add("content", self.tr("培训内容"), QPlainTextEdit(t.content if t else ""))
        self.content.setTabChangesFocus(True)
        self.finish_layout()

    def submit(self):
        return work.save_training(self.ctx, self.training.id if self.training else None, title=self.title_edit.text(),
                                  date=from_qdate(self.date.date()), place=self.place.text(), trainees=self.trainees.value(),
                                  centralized=self.centralized.isChecked(), content=self.content.toPlainText())


class RecordsPage(Page):
    title = "制度与计划"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.documents = RowsBox(self.tr("管理文件（组织架构、管理制度、项目计划，二.7）"),
                                 [self.tr("类别"), self.tr("文件名称"), self.tr("印发日期")], work.list_documents,
                                 lambda d: (d.kind, d.title, format_date(d.issued_on)), DocumentDialog, Document, "文件", self)
        self.plans = RowsBox(self.tr("年度、月度活动计划（四.8）"), [self.tr("期间"), self.tr("计划名称"), self.tr("内容")], work.list_plans,
                             lambda p: (f"{p.year}年" + (f"{p.month}月" if p.month else "（年度）"), p.title, p.content[:40]),
                             PlanDialog, ActivityPlan, "活动计划", self)
        self.trainings = RowsBox(self.tr("培训（三.3）"), [self.tr("日期"), self.tr("培训名称"), self.tr("参训人数"), self.tr("集中专业培训")],
                                 work.list_trainings, lambda t: (format_date(t.date), t.title, t.trainees, "是" if t.centralized else ""),
                                 TrainingDialog, Training, "培训", self)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.heading(self.tr("制度与计划")))
        for box in (self.documents, self.plans, self.trainings):
            column.addWidget(box)
        column.addStretch()
        self.scrollable(inner)
        self.changed.connect(self.show_counts)  # a box's 新增/删除: the status bar's counts too (they stayed, a trial)
        self.refresh()

    def refresh(self) -> None:
        for box in (self.documents, self.plans, self.trainings):
            box.reload()
        self.show_counts()

    def show_counts(self) -> None:
        self.status.emit(self.tr("管理文件 {0} 份，活动计划 {1} 份，培训 {2} 次").format(
            len(self.documents.rows), len(self.plans.rows), len(self.trainings.rows)))
