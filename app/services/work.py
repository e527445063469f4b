"""Projects (五.1–五.4), trainings (三.3), management documents (二.7) and activity plans (四.8)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from ..models import ActivityPlan, Document, Project, ProjectTeam, Team, Training
from ..models.enums import DOCUMENT_KINDS, PROJECT_CATEGORIES, PROJECT_STATUSES
from .common import check_choice, check_length, clean, get_row, parse_date, parse_int, save_row
from .context import Context, live
from .errors import FieldErrors


def _list(ctx: Context, model, *order):
    with ctx.read() as session:
        return list(session.exec(live(model).where(model.station_id == ctx.station_id).order_by(*order)))


# -- projects ------------------------------------------------------------------------

def _set_project_teams(ctx: Context, session: Session, project: Project, team_ids: list[str]) -> None:
    wanted = list(dict.fromkeys(team_ids))
    for link in session.exec(live(ProjectTeam).where(ProjectTeam.project_id == project.id)):
        if link.team_id not in wanted:
            link.deleted = True
        else:
            wanted.remove(link.team_id)
    for team_id in wanted:
        get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
        session.add(ProjectTeam(station_id=ctx.station_id, project_id=project.id, team_id=team_id))


def save_project(ctx: Context, project_id: str | None = None, *, team_ids: list[str] | None = None, **values) -> Project:
    errors = FieldErrors()
    name, category, status = clean(values.get("name")), clean(values.get("category")), clean(values.get("status")) or "running"
    description = (values.get("description") or "").strip()
    check_length(errors, "name", "项目名称", name, 100, required=True)
    check_choice(errors, "category", "项目类别", category, PROJECT_CATEGORIES)
    check_choice(errors, "status", "项目状态", status, tuple(PROJECT_STATUSES))
    check_length(errors, "description", "项目简介", description, 2000)
    out = {"name": name, "category": category, "description": description, "status": status,
           "brand": bool(values.get("brand", False)),
           "started_on": parse_date(values.get("started_on"), errors, "started_on", "开始日期")}
    errors.raise_if_any()
    hook = (lambda session, row: _set_project_teams(ctx, session, row, team_ids)) if team_ids is not None else None
    return save_row(ctx, Project, project_id, out, what="项目", after=hook)


def list_projects(ctx: Context) -> list[Project]:
    return _list(ctx, Project, col(Project.brand).desc(), Project.name)


def project_team_ids(ctx: Context, project_id: str) -> list[str]:
    with ctx.read() as session:
        return list(session.exec(select(ProjectTeam.team_id).where(ProjectTeam.project_id == project_id, ProjectTeam.deleted == False)))


# -- trainings, documents, plans --------------------------------------------------------

def save_training(ctx: Context, training_id: str | None = None, **values) -> Training:
    errors = FieldErrors()
    title = clean(values.get("title"))
    check_length(errors, "title", "培训名称", title, 200, required=True)
    day = parse_date(values.get("date"), errors, "date", "培训日期")
    if day is None and "date" not in errors:
        errors.add("date", "请填写培训日期")
    out = {"title": title, "place": clean(values.get("place")), "content": (values.get("content") or "").strip(),
           "centralized": bool(values.get("centralized", False)), "date": day,
           "trainees": parse_int(values.get("trainees") or 0, errors, "trainees", "参训人数应为不小于0的整数")}
    errors.raise_if_any()
    return save_row(ctx, Training, training_id, out, what="培训")


def list_trainings(ctx: Context) -> list[Training]:
    return _list(ctx, Training, col(Training.date).desc())


def save_document(ctx: Context, document_id: str | None = None, **values) -> Document:
    errors = FieldErrors()
    kind, title = clean(values.get("kind")), clean(values.get("title"))
    check_choice(errors, "kind", "文件类别", kind, DOCUMENT_KINDS)
    check_length(errors, "title", "文件名称", title, 200, required=True)
    out = {"kind": kind, "title": title, "note": clean(values.get("note")),
           "issued_on": parse_date(values.get("issued_on"), errors, "issued_on", "印发日期")}
    errors.raise_if_any()
    return save_row(ctx, Document, document_id, out, what="文件")


def list_documents(ctx: Context) -> list[Document]:
    return _list(ctx, Document, Document.kind, Document.title)


def save_plan(ctx: Context, plan_id: str | None = None, **values) -> ActivityPlan:
    errors = FieldErrors()
    title = clean(values.get("title"))
    check_length(errors, "title", "计划名称", title, 200, required=True)
    month = values.get("month")
    out = {"title": title, "content": (values.get("content") or "").strip(),
           "year": parse_int(values.get("year") or date.today().year, errors, "year", "年份无效", minimum=2000, maximum=2100),
           "month": None if month in (None, "", 0) else parse_int(month, errors, "month", "月份应为1到12", minimum=1, maximum=12)}
    errors.raise_if_any()
    return save_row(ctx, ActivityPlan, plan_id, out, what="活动计划")


def list_plans(ctx: Context) -> list[ActivityPlan]:
    return _list(ctx, ActivityPlan, col(ActivityPlan.year).desc(), ActivityPlan.month)
