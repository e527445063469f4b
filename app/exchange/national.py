"""Hours handed to the national system without typing them twice, and records from it taken back in.

《志愿服务记录与证明出具办法（试行）》第四条: records kept outside 全国志愿服务信息系统 are entered there by
the unified data standard. The export writes each volunteer's service records (one row per volunteer per
activity) in the layout a mapping file describes (resources/national/mapping.toml, replaceable by the
district: see ``MAPPING_OVERRIDE``); the import reads the same layout back — an export of the national
system or of 志愿山东, .xlsx, .xls or .csv — and registers the volunteers and their service records.
docs/national-export.md gives the sources.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlmodel import select

from resources import resource_path

from .excel import _norm_header, cell_text, read_sheet
from ..files import atomic_output
from .sheets import append_row
from ..models import Activity, Participation, Station, Team, Volunteer
from ..models.enums import ActivityStatus, TEAM_CATEGORIES
from ..services import activities as activity_service
from ..services import volunteers as volunteer_service
from ..services.common import FieldErrors, parse_date
from ..services.context import Context
from ..services.errors import ServiceError, ValidationError

MAPPING_FILE = resource_path("national", "mapping.toml")
MAPPING_OVERRIDE = "national-mapping.toml"  # in the data dir: the district's latest, pulled by sync
FIELDS = ("name", "id_type", "id_number", "gender", "birth_date", "phone", "political_status", "skills", "address",
          "registered_on", "volunteer_number", "title", "category", "date", "start_time", "end_time", "service_start",
          "service_end", "place", "content", "organiser", "team", "hours", "role")


class MappingError(ServiceError):
    """A mapping file that cannot be used, with the reason in Chinese."""


@dataclass(frozen=True)
class Column:
    header: str
    field: str = ""
    value: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Mapping:
    name: str
    sheet: str
    columns: tuple[Column, ...]
    version: int = 1
    categories: dict[str, str] = field(default_factory=dict)  # an import's category -> the app's (三.2)
    export_categories: dict[str, str] = field(default_factory=dict)  # the app's -> the export's
    default_category: str = "便民服务"

    def category_in(self, text: str) -> str:
        text = text.strip()
        if text in TEAM_CATEGORIES:
            return text
        return self.categories.get(text, self.default_category)


def parse_mapping(text: str) -> Mapping:
    try:
        data = tomllib.loads(text)
        columns = tuple(Column(header=str(c["header"]), field=str(c.get("field", "")), value=str(c.get("value", "")),
                               aliases=tuple(str(a) for a in c.get("aliases", ())), required=bool(c.get("required", False)))
                        for c in data["column"])
        mapping = Mapping(name=str(data.get("name", "全国志愿服务信息系统")), sheet=str(data.get("sheet", "志愿服务记录"))[:31],
                          columns=columns, version=int(data.get("version", 1)),
                          categories={str(k): str(v) for k, v in data.get("category", {}).items()},
                          export_categories={str(k): str(v) for k, v in data.get("export_category", {}).items()},
                          default_category=str(data.get("default_category", "便民服务")))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise MappingError(f"对应表格式错误：{exc}") from exc
    unknown = [c.field for c in columns if c.field and c.field not in FIELDS]
    if unknown:
        raise MappingError(f"对应表中有本程序不认识的字段：{'、'.join(unknown)}。可用的字段：{'、'.join(FIELDS)}")
    if not columns or any(not c.header.strip() for c in columns):
        raise MappingError("对应表中每一列都要有表头（header）")
    for needed in ("name", "id_number", "title", "hours"):
        if not any(c.field == needed for c in columns):
            raise MappingError(f"对应表缺少必需的字段 {needed}")
    wrong = [f"{k} → {v}" for k, v in mapping.categories.items() if v not in TEAM_CATEGORIES]
    if mapping.default_category not in TEAM_CATEGORIES or wrong:
        raise MappingError(f"对应表中的服务类别不是本程序的类别：{'、'.join(wrong) or mapping.default_category}。"
                           f"可用的类别：{'、'.join(TEAM_CATEGORIES)}")
    if not any(c.field in ("service_start", "date") for c in columns):
        raise MappingError("对应表缺少服务日期（service_start 或 date）")
    return mapping


def load_mapping(path: Path | None = None, *, data_dir: Path | None = None) -> Mapping:
    """The given file, else the district's published mapping (when sync brought one and it is valid), else the built-in one."""
    if path is not None:
        try:
            return parse_mapping(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise MappingError(f"无法读取对应表 {path}：{exc}") from exc
    if data_dir is not None and (Path(data_dir) / MAPPING_OVERRIDE).exists():
        try:
            return parse_mapping((Path(data_dir) / MAPPING_OVERRIDE).read_text(encoding="utf-8"))
        except (OSError, MappingError):
            pass  # a damaged download never stops the export: the built-in layout
    return parse_mapping(MAPPING_FILE.read_text(encoding="utf-8"))


# -- export ------------------------------------------------------------------------------------------------

def _moment(day: date, at: time | None) -> datetime:
    return datetime.combine(day, at or time(0))


def record_values(volunteer: Volunteer, activity: Activity, participation: Participation, team: str, station: str) -> dict:
    return {
        "name": volunteer.name, "id_type": volunteer.id_type, "id_number": volunteer.id_number, "gender": volunteer.gender,
        "birth_date": volunteer.birth_date, "phone": volunteer.phone, "political_status": volunteer.political_status,
        "skills": volunteer.skills, "address": volunteer.address, "registered_on": volunteer.registered_on,
        "volunteer_number": volunteer.number, "title": activity.title, "category": activity.category, "date": activity.date,
        "start_time": activity.start_time, "end_time": activity.end_time,
        "service_start": _moment(activity.date, activity.start_time),
        "service_end": _moment(activity.date, activity.end_time) if activity.end_time else None,
        "place": activity.place, "content": activity.content, "organiser": activity.organiser or station, "team": team,
        "hours": participation.hours, "role": participation.role,
    }


def export_national(ctx: Context, path: str | Path, *, year: int, month: int | None = None, mapping: Mapping | None = None,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Every done activity's service records of the period, one row per volunteer per activity, in the
    mapping's layout: full ID numbers and phones (the national system needs them), so an admin's export
    only, and recorded as a view of personal data. Returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ..privacy import revealed
    from ..services.audit import record_view

    revealed(ctx, True)  # PermissionDenied for a role that may not see full personal data
    mapping = mapping or load_mapping(data_dir=ctx.store.paths.root)
    start, end = activity_service.month_range(year, month)
    with ctx.read() as session:
        station = session.get(Station, ctx.station_id)
        teams = {t.id: t.name for t in session.exec(select(Team).where(Team.station_id == ctx.station_id))}
        rows = session.exec(
            select(Participation, Activity, Volunteer)
            .join(Activity, Activity.id == Participation.activity_id).join(Volunteer, Volunteer.id == Participation.volunteer_id)
            .where(Activity.station_id == ctx.station_id, Activity.deleted == False, Participation.deleted == False,
                   Activity.status == ActivityStatus.done.value, Activity.date >= start, Activity.date <= end)
            .order_by(Activity.date, Activity.start_time, Activity.title, Volunteer.number)).all()
        records = [record_values(v, a, p, teams.get(a.team_id, ""), station.name if station else "") for p, a, v in rows]
    book = Workbook()
    ws = book.active
    ws.title = mapping.sheet
    ws.append([c.header for c in mapping.columns])  # the header in row 1: the national importer reads it there
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(horizontal="center")
    for n, record in enumerate(records, start=1):
        record["category"] = mapping.export_categories.get(record["category"], record["category"])
        append_row(ws, [c.value if not c.field else record.get(c.field) for c in mapping.columns])  # data, never formulas
        if progress and n % 500 == 0:
            progress(n, len(records))
    for index, column in enumerate(mapping.columns, start=1):
        letter = get_column_letter(index)
        widths = {"id_number": 22, "service_start": 18, "service_end": 18, "title": 28, "content": 40, "phone": 14}
        ws.column_dimensions[letter].width = widths.get(column.field, max(10, len(column.header) * 2 + 2))
        for cell in ws[letter][1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, time):
                cell.number_format = "hh:mm"
            elif column.field in ("id_number", "phone"):
                cell.number_format = "@"  # text: an 18-digit number would lose its last digits
    ws.freeze_panes = "A2"
    target = Path(path)
    with atomic_output(target) as partial:
        book.save(partial)
    period = f"{year}年{month}月" if month else f"{year}年"
    record_view(ctx, "export", "", f"导出{period}志愿服务记录（{len(records)} 条）到全国志愿服务信息系统格式：{target.name}")
    return len(records)


# -- import -------------------------------------------------------------------------------------------------

@dataclass
class NationalRow:
    row: int
    values: dict
    errors: list[str] = field(default_factory=list)


@dataclass
class NationalImport:
    volunteers_added: int = 0
    volunteers_known: int = 0  # already registered here (same ID number): their records are added to them
    activities_added: int = 0
    records_added: int = 0
    records_known: int = 0  # the same activity (day, name, start) with this volunteer already in the ledger
    problems: list[str] = field(default_factory=list)


def _header_map(mapping: Mapping, headers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for column in mapping.columns:
        if not column.field:
            continue
        names = {_norm_header(column.header), *(_norm_header(a) for a in column.aliases)}
        for index, header in enumerate(headers):
            if header in names and column.field not in found:
                found[column.field] = index
    return found


def _as_moment(value) -> tuple[date | None, time | None, str]:
    """A cell holding a date, a date and time, or text such as 2026-03-05 09:00 / 2026/3/5 9:00."""
    if isinstance(value, datetime):
        return value.date(), (value.time() if value.time() != time(0) else None), ""
    if isinstance(value, date):
        return value, None, ""
    text = cell_text(value).replace("/", "-").replace("年", "-").replace("月", "-").replace("日", " ").strip()
    if not text:
        return None, None, ""
    day_text, _, clock = text.partition(" ")
    errors = FieldErrors()
    day = parse_date(day_text, errors, "date", "服务日期")
    if day is None:
        return None, None, f"服务时间“{cell_text(value)}”不是日期（应如 2026-03-05 09:00）"
    clock = clock.strip()
    if not clock:
        return day, None, ""
    try:
        parts = [int(p) for p in clock.split(":")[:2]]
        return day, time(parts[0], parts[1] if len(parts) > 1 else 0), ""
    except (ValueError, IndexError):
        return day, None, f"服务时间“{cell_text(value)}”中的时刻无法识别"


def read_records(path: str | Path, mapping: Mapping) -> list[NationalRow]:
    known = {_norm_header(c.header) for c in mapping.columns} | {_norm_header(a) for c in mapping.columns for a in c.aliases}
    sheet = read_sheet(path, known=known)
    columns = _header_map(mapping, sheet.headers)
    missing = [c.header for c in mapping.columns if c.required and c.field not in columns]
    if missing:
        raise ValidationError({"file": f"{Path(path).name} 缺少列：{'、'.join(missing)}（第{sheet.header_row}行是表头）"})
    rows = []
    for number, cells in sheet.rows:
        def get(name: str, cells=cells):  # (bound now: called only within this row's iteration)
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        record = NationalRow(row=number, values={})
        values = {name: get(name) for name in columns}
        day, start, problem = _as_moment(values.get("service_start") if "service_start" in columns else values.get("date"))
        if problem:
            record.errors.append(problem)
        elif day is None:
            record.errors.append("服务开始时间为空")
        _end_day, end, problem = _as_moment(values.get("service_end")) if "service_end" in columns else (None, None, "")
        if problem:
            record.errors.append(problem.replace("服务时间", "服务结束时间"))
        if "start_time" in columns and start is None:
            start = values.get("start_time") if isinstance(values.get("start_time"), time) else start
        hours_text = cell_text(values.get("hours")).replace("小时", "").replace("h", "").strip()
        try:
            hours = float(hours_text)
        except ValueError:
            record.errors.append(f"服务时长“{cell_text(values.get('hours'))}”不是数字" if hours_text else "服务时长为空")
            hours = None
        id_number = cell_text(values.get("id_number")).replace(" ", "").upper()
        record.values = {
            "name": cell_text(values.get("name")), "id_number": id_number, "id_type": cell_text(values.get("id_type")) or "居民身份证",
            "phone": cell_text(values.get("phone")), "political_status": cell_text(values.get("political_status")),
            "skills": cell_text(values.get("skills")), "address": cell_text(values.get("address")),
            "title": cell_text(values.get("title")), "category": cell_text(values.get("category")),
            "place": cell_text(values.get("place")), "content": cell_text(values.get("content")),
            "organiser": cell_text(values.get("organiser")), "team": cell_text(values.get("team")),
            "date": day, "start_time": start, "end_time": end, "hours": hours,
        }
        if not record.values["name"]:
            record.errors.append("姓名为空")
        if not id_number:
            record.errors.append("证件号码为空")
        if not record.values["title"]:
            record.errors.append("活动名称为空")
        rows.append(record)
    return rows


def import_national(ctx: Context, path: str | Path, *, mapping: Mapping | None = None, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> NationalImport:
    """Register the volunteers of a national (or 志愿山东) export and add their service records, all in
    one transaction: any row the app's own rules refuse stops the whole file, named by its Excel row.
    A volunteer already here (same ID number) keeps their record and gets the service; an activity
    already in the ledger (same day, name and start) with that volunteer is not added twice."""
    mapping = mapping or load_mapping(data_dir=ctx.store.paths.root)
    rows = read_records(path, mapping)
    bad = [r for r in rows if r.errors]
    if bad:
        raise ValidationError({"rows": "\n".join(f"第{r.row}行：{'；'.join(r.errors)}" for r in bad[:50])
                                       + (f"\n……另有 {len(bad) - 50} 行有问题" if len(bad) > 50 else "")})
    result = NationalImport()
    people: dict[str, list[NationalRow]] = {}
    for r in rows:
        people.setdefault(r.values["id_number"], []).append(r)
    events: dict[tuple, list[NationalRow]] = {}
    for r in rows:
        v = r.values
        events.setdefault((v["date"], v["title"], v["start_time"]), []).append(r)
    with ctx.write(immediate=True, label="导入全国志愿服务信息系统的记录") as session:
        ids: dict[str, str] = {}
        for id_number, records in people.items():
            first = records[0]
            existing = session.exec(select(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.id_number == id_number,
                                                            Volunteer.deleted == False)).first()
            if existing is not None:
                ids[id_number] = existing.id
                result.volunteers_known += 1
                continue
            v = first.values
            values = {"name": v["name"], "id_type": v["id_type"], "id_number": id_number, "phone": v["phone"],
                      "skills": v["skills"], "address": v["address"],
                      # a volunteer since their first service here at the latest (never after it)
                      "registered_on": min(r.values["date"] for r in records)}
            if v["political_status"]:
                values["political_status"] = v["political_status"]
            try:
                volunteer = volunteer_service.add_volunteer_in(session, ctx, **values)
                session.flush()
            except ValidationError as exc:
                raise ValidationError({"rows": f"第{first.row}行（{v['name']}）：{'；'.join(exc.errors.values())}"}) from None
            ids[id_number] = volunteer.id
            result.volunteers_added += 1
        teams = {t.name: t.id for t in session.exec(select(Team).where(Team.station_id == ctx.station_id, Team.deleted == False))}
        for n, ((day, title, start), records) in enumerate(events.items(), start=1):
            first = records[0].values
            activity = session.exec(select(Activity).where(
                Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.date == day,
                Activity.title == title, Activity.start_time == start)).first()
            participants = []
            already = set()
            if activity is not None:
                already = set(session.exec(select(Participation.volunteer_id).where(
                    Participation.activity_id == activity.id, Participation.deleted == False)))
            for r in records:
                volunteer_id = ids[r.values["id_number"]]
                if volunteer_id in already:
                    result.records_known += 1
                    continue
                already.add(volunteer_id)
                participants.append(activity_service.ParticipantInput(volunteer_id, r.values["hours"]))
            if not participants:
                continue
            try:
                if activity is None:
                    category = mapping.category_in(first["category"])
                    activity_service.add_activity_in(
                        session, ctx, participants=participants, title=title, category=category, date=day, start_time=start,
                        end_time=first["end_time"] if first["end_time"] and start and first["end_time"] > start else None,
                        place=first["place"], content=first["content"], organiser=first["organiser"],
                        team_id=teams.get(first["team"]), own_name=False)
                    result.activities_added += 1
                else:
                    current = [activity_service.ParticipantInput(p.volunteer_id, p.hours, p.role) for p in session.exec(
                        select(Participation).where(Participation.activity_id == activity.id, Participation.deleted == False))]
                    activity_service.update_activity_in(session, ctx, activity.id, participants=current + participants)
                session.flush()
            except ValidationError as exc:
                rows_named = "、".join(str(r.row) for r in records[:5])
                raise ValidationError({"rows": f"第{rows_named}行（{day:%Y-%m-%d}“{title}”）：{'；'.join(exc.errors.values())}"}) from None
            result.records_added += len(participants)
            if progress:
                progress(n, len(events))
        if dry_run:
            session.rollback()
    return result
