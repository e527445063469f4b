"""The activity ledger (三.2, 四.8): activities, participants with hours, photos."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from sqlalchemy import func, literal_column, or_
from sqlmodel import Session, col, select

from ..files import atomic_output
from ..models import Activity, Membership, Participation, Photo, Project, Team, Volunteer
from ..models.enums import PARTICIPANT_ROLES, TEAM_CATEGORIES, ActivityStatus
from .common import apply_changes, check_choice, check_length, clean, format_date, get_row, normal, parse_date, parse_time, quoted
from .context import Context, live
from .errors import FieldErrors, ValidationError

MAX_HOURS_PER_DAY = 24.0
MAX_PHOTO_BYTES = 20 * 1024 * 1024
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")
FIELDS = (
    "title", "category", "team_id", "date", "start_time", "end_time", "place", "organiser",
    "own_name", "served_count", "service_target", "content", "status", "family", "project_id",
)


@dataclass(frozen=True)
class ParticipantInput:
    volunteer_id: str
    hours: float | None = None  # None: the activity's duration
    role: str = "志愿者"


@dataclass(frozen=True)
class ActivitySummary:
    activity: Activity
    team_name: str
    participants: int
    hours: float


@dataclass(frozen=True)
class Participant:
    participation: Participation
    volunteer: Volunteer


def duration_hours(start: time | None, end: time | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return round(minutes / 60, 2) if minutes > 0 else None


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class Overlap:
    """One of a person's other activities on the same day whose time window overlaps this one's."""

    volunteer_id: str
    volunteer_name: str
    title: str
    start: time
    end: time
    minutes: int  # of this activity's window it covers

    def describe(self) -> str:
        return f"志愿者 {self.volunteer_name} 在同一时段（{self.start:%H:%M}–{self.end:%H:%M}）已参加{quoted(self.title)}"


def _overlaps(session: Session, ctx: Context, *, day: date, start: time | None, end: time | None, volunteer_ids: list[str],
              activity_id: str | None) -> dict[str, tuple[list[Overlap], int]]:
    """Per volunteer: the done activities of theirs that day whose window overlaps ``start``–``end``, and how
    many minutes of this window they cover together (overlapping windows counted once)."""
    if start is None or end is None or _minutes(end) <= _minutes(start) or not volunteer_ids:
        return {}
    low, high = _minutes(start), _minutes(end)
    rows = session.exec(
        select(Participation.volunteer_id, Volunteer.name, Activity.title, Activity.start_time, Activity.end_time)
        .join(Activity, Activity.id == Participation.activity_id).join(Volunteer, Volunteer.id == Participation.volunteer_id)
        .where(Participation.volunteer_id.in_(volunteer_ids), Participation.deleted == False,
               Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.status == ActivityStatus.done.value,
               Activity.date == day, Activity.id != (activity_id or ""),
               Activity.start_time != None, Activity.end_time != None)
        .order_by(Activity.start_time)).all()
    found: dict[str, list[Overlap]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    for volunteer_id, name, title, other_start, other_end in rows:
        a, b = max(low, _minutes(other_start)), min(high, _minutes(other_end))
        if a < b:
            found.setdefault(volunteer_id, []).append(Overlap(volunteer_id, name, title, other_start, other_end, b - a))
            spans.setdefault(volunteer_id, []).append((a, b))
    out = {}
    for volunteer_id, overlaps in found.items():
        covered, reach = 0, low
        for a, b in sorted(spans[volunteer_id]):  # the union of the overlapping parts
            a = max(a, reach)
            if b > a:
                covered += b - a
                reach = b
        out[volunteer_id] = (overlaps, covered)
    return out


def overlapping(ctx: Context, *, day: date, start: time | None, end: time | None, volunteer_ids: list[str],
                activity_id: str | None = None) -> list[Overlap]:
    """For a form about to save a done activity: whose service would overlap another activity of theirs."""
    return overlap_report(ctx, day=day, start=start, end=end, volunteer_ids=volunteer_ids, activity_id=activity_id)[0]


def overlap_report(ctx: Context, *, day: date, start: time | None, end: time | None, volunteer_ids: list[str],
                   activity_id: str | None = None) -> tuple[list[Overlap], set[str]]:
    """``overlapping``, and the volunteers whose whole window is already served elsewhere: confirmed, they are not
    recorded in this activity at all (what the form must say before the clerk confirms)."""
    with ctx.read() as session:
        found = _overlaps(session, ctx, day=day, start=start, end=end, volunteer_ids=volunteer_ids, activity_id=activity_id)
    window = _minutes(end) - _minutes(start) if start is not None and end is not None else 0
    return ([o for overlaps, _covered in found.values() for o in overlaps],
            {volunteer_id for volunteer_id, (_overlaps_of, covered) in found.items() if covered >= window})


def _validated(ctx: Context, session: Session, values: dict, *, current: Activity | None) -> dict:
    errors = FieldErrors()
    merged = {k: getattr(current, k) for k in FIELDS} if current else {}
    merged.update(values)
    out: dict = {"title": clean(merged.get("title")), "category": clean(merged.get("category"))}
    check_length(errors, "title", "活动名称", out["title"], 200, required=True)
    check_choice(errors, "category", "活动类别", out["category"], TEAM_CATEGORIES)
    out["date"] = parse_date(merged.get("date"), errors, "date", "活动日期")
    if out["date"] is None and "date" not in errors:
        errors.add("date", "请填写活动日期")
    out["start_time"] = parse_time(merged.get("start_time"), errors, "start_time", "开始时间")
    out["end_time"] = parse_time(merged.get("end_time"), errors, "end_time", "结束时间")
    if out["start_time"] and out["end_time"] and out["end_time"] <= out["start_time"]:
        errors.add("end_time", "结束时间应晚于开始时间")
    status = clean(merged.get("status")) or ActivityStatus.done.value
    if status not in ActivityStatus.__members__:
        errors.add("status", "活动状态应为“计划”或“已开展”")
    out["status"] = status
    if status == ActivityStatus.done and out["date"] and out["date"] > date.today():
        errors.add("date", f"已开展的活动日期（{format_date(out['date'])}）不能晚于今天；未来的活动请记为“计划”")
    team_id = merged.get("team_id") or None
    if team_id:
        team = session.get(Team, team_id)
        if team is None or team.deleted or team.station_id != ctx.station_id:
            errors.add("team_id", "所选服务队不存在或已删除")
    out["team_id"] = team_id
    for key, label, limit in (("place", "活动地点", 200), ("organiser", "组织者", 100), ("service_target", "服务对象", 200), ("content", "活动内容", 5000)):
        out[key] = clean(merged.get(key)) if key != "content" else (merged.get(key) or "").strip()
        check_length(errors, key, label, out[key], limit)
    served = merged.get("served_count") or 0
    try:
        out["served_count"] = int(normal(str(served)))
        if out["served_count"] < 0:
            raise ValueError
    except ValueError:
        errors.add("served_count", "服务对象人数应为不小于0的整数")
    out["own_name"] = bool(merged.get("own_name", True))
    out["family"] = bool(merged.get("family", False))
    project_id = merged.get("project_id") or None
    if project_id:
        project = session.get(Project, project_id)
        if project is None or project.deleted or project.station_id != ctx.station_id:
            errors.add("project_id", "所选项目不存在或已删除")
    out["project_id"] = project_id
    errors.raise_if_any()
    return out


def _check_participants(session: Session, ctx: Context, activity: Activity, participants: list[ParticipantInput], *,
                        count_overlap_once: bool = False) -> list[ParticipantInput]:
    """Hours in (0, 24], no one twice, no one over 24 hours on one day across activities, and no one in two
    places at once (#26: six copies of one 14:00–17:00 activity gave a person 15 hours of one afternoon).

    A done activity whose time window overlaps another of the same person's that day is refused, naming the
    other; ``count_overlap_once`` (the clerk confirmed both are true, e.g. a 2-hour activity inside a day-long
    one) records the person with the overlapping time left out, so their hours never exceed the clock's."""
    errors: list[str] = []
    default = duration_hours(activity.start_time, activity.end_time)
    resolved: list[ParticipantInput] = []
    seen: set[str] = set()
    overlaps = (_overlaps(session, ctx, day=activity.date, start=activity.start_time, end=activity.end_time,
                          volunteer_ids=[p.volunteer_id for p in participants], activity_id=activity.id)
                if activity.status == ActivityStatus.done else {})
    _refuse_a_second_entry(activity, participants, overlaps)
    for p in participants:
        volunteer = session.get(Volunteer, p.volunteer_id)
        if volunteer is None or volunteer.deleted or volunteer.station_id != ctx.station_id:
            errors.append("参与志愿者中有人不存在或已删除")
            continue
        if p.volunteer_id in seen:
            errors.append(f"志愿者 {volunteer.name} 重复添加")
            continue
        seen.add(p.volunteer_id)
        hours = p.hours if p.hours is not None else default
        if hours is None:
            errors.append(f"请填写志愿者 {volunteer.name} 的服务时长（活动未填起止时间，无法自动计算）")
            continue
        try:
            hours = round(float(hours), 2)
        except (TypeError, ValueError):
            errors.append(f"志愿者 {volunteer.name} 的服务时长“{hours}”不是数字")
            continue
        if not 0 < hours <= MAX_HOURS_PER_DAY:
            errors.append(f"志愿者 {volunteer.name} 的服务时长应大于0且不超过24小时（现在为{hours:g}小时）")
            continue
        if p.role not in PARTICIPANT_ROLES:
            errors.append(f"志愿者 {volunteer.name} 的角色“{p.role}”无效，应为：{'、'.join(PARTICIPANT_ROLES)}")
            continue
        if volunteer.birth_date and activity.date < volunteer.birth_date:
            errors.append(f"志愿者 {volunteer.name} 出生于{format_date(volunteer.birth_date)}，不能参加{format_date(activity.date)}的活动，"
                          "请核对活动日期或证件号码")
            continue
        if activity.status == ActivityStatus.done and volunteer.registered_on and activity.date < volunteer.registered_on:
            errors.append(f"志愿者 {volunteer.name} 的注册日期是{format_date(volunteer.registered_on)}，晚于活动日期"
                          f"{format_date(activity.date)}：如其实际早已加入，请先在志愿者信息中把注册日期改为实际加入的日期")
            continue
        if p.volunteer_id in overlaps:
            clashes, covered = overlaps[p.volunteer_id]
            if not count_overlap_once:
                errors.append("；".join(o.describe() for o in clashes) + "：同一人不能同时在两处服务")
                continue
            hours = round(min(hours, max(0.0, (default or 0.0) - covered / 60)), 2)  # the overlapping time counted once
            if hours <= 0:
                continue  # all of it is already in the other activity: not recorded here a second time, with 0 hours
        if activity.status == ActivityStatus.done:
            other = session.exec(
                select(func.coalesce(func.sum(Participation.hours), 0.0))
                .join(Activity, Activity.id == Participation.activity_id)
                .where(
                    Participation.volunteer_id == p.volunteer_id, Participation.deleted == False,
                    Activity.deleted == False, Activity.status == "done",
                    Activity.date == activity.date, Activity.id != activity.id,
                )
            ).one()
            if other + hours > MAX_HOURS_PER_DAY:
                errors.append(
                    f"志愿者 {volunteer.name} 在{format_date(activity.date)}的服务时长合计{other + hours:g}小时，超过24小时"
                )
                continue
        resolved.append(ParticipantInput(p.volunteer_id, hours, p.role))
    if errors:
        raise ValidationError({"participants": "；".join(errors)})
    return resolved


def second_entry(title: str, volunteer_ids: list[str], clashes: list[Overlap], whole: set[str]) -> Overlap | None:
    """The activity already recorded that this one would repeat (``overlap_report``'s answer for it), or None.

    The same activity saved twice — the same name on the same day, and every participant's whole time already
    recorded in it — is 重复录入, refused whatever the clerk confirms: confirmed as an overlap it was kept as a
    second activity with no one in it, counted in the month's 活动 (a new user's trial)."""
    if not volunteer_ids or any(v not in whole for v in volunteer_ids):
        return None
    return next((o for o in clashes if o.title == title.strip()), None)


def _refuse_a_second_entry(activity: Activity, participants: list[ParticipantInput],
                           overlaps: dict[str, tuple[list[Overlap], int]]) -> None:
    """``second_entry`` as a rule: every way in (the form, a copy, the CLI, an import) comes through here."""
    if activity.start_time is None or activity.end_time is None:
        return
    window = _minutes(activity.end_time) - _minutes(activity.start_time)
    same = second_entry(activity.title, [p.volunteer_id for p in participants],
                        [o for clashes, _covered in overlaps.values() for o in clashes],
                        {v for v, (_clashes, covered) in overlaps.items() if covered >= window})
    if same is not None:
        raise ValidationError({"date": f"{format_date(activity.date)} {same.start:%H:%M}–{same.end:%H:%M} 已记有同名活动“{same.title}”，"
                                       "参与的志愿者也都已记入：这是重复录入。如确实是另一次活动，请改日期、时间或活动名称"})


def _write_participants(session: Session, ctx: Context, activity: Activity, participants: list[ParticipantInput], *,
                        count_overlap_once: bool = False) -> None:
    wanted = {p.volunteer_id: p for p in _check_participants(session, ctx, activity, participants, count_overlap_once=count_overlap_once)}
    existing = session.exec(live(Participation).where(Participation.activity_id == activity.id)).all()
    for row in existing:
        p = wanted.pop(row.volunteer_id, None)
        if p is None:
            row.deleted = True
        else:
            apply_changes(row, {"hours": p.hours, "role": p.role})
    for p in wanted.values():
        session.add(Participation(station_id=ctx.station_id, activity_id=activity.id, volunteer_id=p.volunteer_id, hours=p.hours, role=p.role))


def registered_after(ctx: Context, volunteer_ids: list[str], day: date) -> list[Volunteer]:
    """Live volunteers among ``volunteer_ids`` whose 注册日期 is after ``day`` (service that day cannot be recorded)."""
    if not volunteer_ids:
        return []
    with ctx.read() as session:
        return list(session.exec(select(Volunteer).where(Volunteer.id.in_(volunteer_ids), Volunteer.deleted == False,
                                                         Volunteer.registered_on > day).order_by(Volunteer.number)))


def team_founded_after(ctx: Context, team_id: str | None, day: date) -> Team | None:
    """The activity's team, if its 成立日期 is after ``day`` (a team entered today with today's date, whose
    activities of last week are being recorded: a new user's trial)."""
    if not team_id:
        return None
    with ctx.read() as session:
        team = session.get(Team, team_id)
        if team is None or team.deleted or team.station_id != ctx.station_id or team.founded_on is None:
            return None
        return team if team.founded_on > day else None


def _move_registration_back(session: Session, ctx: Context, activity: Activity, participants: list[ParticipantInput]) -> None:
    """The person confirmed it: participants registered after the activity were volunteers already; their
    注册日期 becomes the activity's date (never before their birth), in the same transaction — and, in the
    activity's team, their 入队时间 (the printed 队伍名册 said they joined after they served with it)."""
    for p in participants:
        volunteer = session.get(Volunteer, p.volunteer_id)
        if (volunteer is not None and volunteer.station_id == ctx.station_id and volunteer.registered_on
                and volunteer.registered_on > activity.date and not (volunteer.birth_date and activity.date < volunteer.birth_date)):
            volunteer.registered_on = activity.date
    _move_joining_back(session, activity, participants)


def _move_team_founding_back(session: Session, ctx: Context, activity: Activity, participants: list[ParticipantInput]) -> None:
    """The person confirmed it: the team was there on the activity's day; its 成立日期 becomes that day, and its
    participants' 入队时间 in it too."""
    team = session.get(Team, activity.team_id) if activity.team_id else None
    if team is not None and team.station_id == ctx.station_id and team.founded_on and team.founded_on > activity.date:
        team.founded_on = activity.date
    _move_joining_back(session, activity, participants)


def _move_joining_back(session: Session, activity: Activity, participants: list[ParticipantInput]) -> None:
    if not activity.team_id or not participants:
        return
    ids = [p.volunteer_id for p in participants]
    for membership in session.exec(live(Membership).where(Membership.team_id == activity.team_id, Membership.volunteer_id.in_(ids),
                                                          Membership.joined_on > activity.date)):
        membership.joined_on = activity.date


def add_activity_in(session: Session, ctx: Context, *, participants: list[ParticipantInput] = (), move_registration_back: bool = False,
                    count_overlap_once: bool = False, move_team_founding_back: bool = False, **values) -> Activity:
    """Add within a caller's transaction (the importer adds a whole sheet in one)."""
    activity = Activity(station_id=ctx.station_id, **_validated(ctx, session, values, current=None))
    session.add(activity)
    if move_team_founding_back:
        _move_team_founding_back(session, ctx, activity, list(participants))
    if move_registration_back:
        _move_registration_back(session, ctx, activity, list(participants))
    _write_participants(session, ctx, activity, list(participants), count_overlap_once=count_overlap_once)
    session.flush()
    return activity


def add_activity(ctx: Context, *, participants: list[ParticipantInput] = (), move_registration_back: bool = False,
                 count_overlap_once: bool = False, move_team_founding_back: bool = False, **values) -> Activity:
    with ctx.write() as session:
        return add_activity_in(session, ctx, participants=participants, move_registration_back=move_registration_back,
                               count_overlap_once=count_overlap_once, move_team_founding_back=move_team_founding_back, **values)


def update_activity(ctx: Context, activity_id: str, *, participants: list[ParticipantInput] | None = None,
                    move_registration_back: bool = False, count_overlap_once: bool = False, move_team_founding_back: bool = False,
                    **values) -> Activity:
    with ctx.write() as session:
        return update_activity_in(session, ctx, activity_id, participants=participants, move_registration_back=move_registration_back,
                                  count_overlap_once=count_overlap_once, move_team_founding_back=move_team_founding_back, **values)


def update_activity_in(session: Session, ctx: Context, activity_id: str, *, participants: list[ParticipantInput] | None = None,
                       move_registration_back: bool = False, count_overlap_once: bool = False, move_team_founding_back: bool = False,
                       **values) -> Activity:
    """Update within a caller's transaction (an import adds service to activities already in the ledger)."""
    activity = get_row(session, Activity, activity_id, what="活动", station_id=ctx.station_id)
    apply_changes(activity, _validated(ctx, session, values, current=activity))
    if move_team_founding_back:
        _move_team_founding_back(session, ctx, activity, list(participants or []))
    if participants is not None:
        if move_registration_back:
            _move_registration_back(session, ctx, activity, list(participants))
        _write_participants(session, ctx, activity, list(participants), count_overlap_once=count_overlap_once)
    return activity


def get_activity(ctx: Context, activity_id: str) -> Activity:
    with ctx.read() as session:
        return get_row(session, Activity, activity_id, what="活动", station_id=ctx.station_id, allow_deleted=True)


def participants_of(ctx: Context, activity_id: str) -> list[Participant]:
    query = (
        select(Participation, Volunteer)
        .join(Volunteer, Volunteer.id == Participation.volunteer_id)
        .where(Participation.activity_id == activity_id, Participation.deleted == False)
        .order_by(Volunteer.number)
    )
    with ctx.read() as session:
        return [Participant(p, v) for p, v in session.exec(query)]


def month_range(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def activity_filters(
    ctx: Context, *, text: str = "", date_from: date | None = None, date_to: date | None = None,
    team_id: str | None = None, category: str | None = None, deleted: bool = False, status: str | None = None,
    ids: list[str] | None = None,
) -> list:
    """WHERE conditions shared by every activity list (ledger page, CLI, print); ``status``: only those (done);
    ``ids``: only those (the rows chosen in a list)."""
    conditions = [Activity.station_id == ctx.station_id, Activity.deleted == deleted]
    if ids is not None:
        conditions.append(col(Activity.id).in_(ids))
    if status:
        conditions.append(Activity.status == status)
    if date_from:
        conditions.append(Activity.date >= date_from)
    if date_to:
        conditions.append(Activity.date <= date_to)
    if team_id:
        conditions.append(Activity.team_id == team_id)
    if category:
        conditions.append(Activity.category == category)
    text = clean(text)
    if text:
        conditions.append(
            or_(Activity.title.contains(text, autoescape=True), Activity.place.contains(text, autoescape=True),
                Activity.category.contains(text, autoescape=True))
        )
    return conditions


SORT_COLUMNS = {"date": (Activity.date, Activity.start_time), "title": (Activity.title,), "category": (Activity.category,),
                "place": (Activity.place,), "served_count": (Activity.served_count,)}


def _period(filters: dict, year: int | None, month: int | None) -> dict:
    if year is not None:
        filters["date_from"], filters["date_to"] = month_range(year, month)
    return filters


def count_activities(ctx: Context, *, year: int | None = None, month: int | None = None, **filters) -> int:
    query = select(func.count()).select_from(Activity).where(*activity_filters(ctx, **_period(filters, year, month)))
    with ctx.read() as session:
        return session.exec(query).one()


def date_bounds(ctx: Context, **filters) -> tuple[date, date] | None:
    """First and last activity date matching the filters (None when there are none)."""
    query = select(func.min(Activity.date), func.max(Activity.date)).where(*activity_filters(ctx, **filters))
    with ctx.read() as session:
        first, last = session.exec(query).one()
    if first is None:
        return None
    return (first if isinstance(first, date) else date.fromisoformat(str(first)),
            last if isinstance(last, date) else date.fromisoformat(str(last)))


def list_activities(ctx: Context, *, year: int | None = None, month: int | None = None, limit: int | None = None, offset: int = 0,
                    order_by: str = "date", descending: bool = True, **filters) -> list[ActivitySummary]:
    _period(filters, year, month)
    # Correlated per-row totals: with an index on activity_id this touches only
    # the listed activities' participations, never the whole table.
    live_participation = (Participation.activity_id == Activity.id, Participation.deleted == False)
    count = select(func.count()).where(*live_participation).correlate(Activity).scalar_subquery()
    hours = select(func.coalesce(func.sum(Participation.hours), 0.0)).where(*live_participation).correlate(Activity).scalar_subquery()
    query = (
        select(Activity, Team.name, count, hours)
        .outerjoin(Team, Team.id == Activity.team_id)
        .where(*activity_filters(ctx, **filters))
    )
    columns = SORT_COLUMNS.get(order_by, SORT_COLUMNS["date"])
    # Ties in the order they were entered (the table's rowid), not by the random id: nine copies of one activity
    # made on one day listed as 第2、5、9、7… (new-user trial, #25).
    entered = literal_column("activity.rowid")
    order = [c.desc() if descending else c for c in columns] + [entered.desc() if descending else entered]
    query = query.order_by(*order).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with ctx.read() as session:
        return [ActivitySummary(a, team or "", n, round(float(h), 2)) for a, team, n, h in session.exec(query)]


# -- photos ------------------------------------------------------------------

def photo_path(ctx: Context, sha256: str) -> Path:
    return ctx.store.paths.photos / sha256[:2] / sha256


def add_photo(ctx: Context, activity_id: str, source: str | os.PathLike[str], *, caption: str = "") -> Photo:
    """Copy an image into the data dir under its SHA-256 and attach it to the activity."""
    source = Path(source)
    errors = FieldErrors()
    if not source.is_file():
        errors.add("photo", f"找不到照片文件：{source.name}")
    elif source.stat().st_size > MAX_PHOTO_BYTES:
        errors.add("photo", f"照片 {source.name} 超过20MB，请压缩后再添加")
    else:
        with source.open("rb") as fh:
            head = fh.read(16)
        if not (head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")):
            errors.add("photo", f"{source.name} 不是支持的图片格式（JPG、PNG、GIF、BMP、WebP）")
    caption = clean(caption)
    check_length(errors, "caption", "照片说明", caption, 200)
    errors.raise_if_any()
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    target = photo_path(ctx, sha)
    if not target.exists():
        with atomic_output(target, shared=True) as partial:
            shutil.copyfile(source, partial)
    with ctx.write() as session:
        get_row(session, Activity, activity_id, what="活动", station_id=ctx.station_id)
        photo = Photo(station_id=ctx.station_id, activity_id=activity_id, sha256=sha, caption=caption,
                      filename=source.name[:200], size=target.stat().st_size)
        session.add(photo)
    return photo


def remove_photos(ctx: Context, activity_id: str, photo_ids: list[str]) -> None:
    """Take photos off an activity (a wrong one added): marked deleted, synced as such, all or none. The file stays
    in the data dir: the same picture may belong to another activity, and a backup restored later names it."""
    with ctx.write() as session:
        get_row(session, Activity, activity_id, what="活动", station_id=ctx.station_id)
        for photo_id in photo_ids:
            photo = get_row(session, Photo, photo_id, what="照片", station_id=ctx.station_id)
            if photo.activity_id != activity_id:
                raise ValidationError({"photo": "这张照片不属于本活动，未作改动"})
            photo.deleted = True
            session.add(photo)


def photos_of(ctx: Context, activity_id: str) -> list[Photo]:
    with ctx.read() as session:
        return list(session.exec(live(Photo).where(Photo.activity_id == activity_id).order_by(Photo.updated_at)))

