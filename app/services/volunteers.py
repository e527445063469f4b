"""Volunteers (三.2, 三.4): registration with validated ID and phone, search, hours."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..models import Activity, Membership, Participation, Team, Volunteer, VolunteerHours
from ..models.enums import ID_TYPES, PARTY_STATUSES, POLITICAL_STATUSES, RESIDENT_ID, GENDERS
from .common import format_date, apply_changes, check_choice, check_length, clean, get_row, normal, parse_date, parse_phone
from .context import Context, live
from .errors import FieldErrors, NotFound, ValidationError
from .idcard import IdNumberError, normalize, parse_resident_id
from .phone import phone_tail
from .pinyin import name_keys

NUMBER_PREFIX = "ZY"
FIELDS = (
    "name", "id_type", "id_number", "gender", "birth_date", "phone", "political_status",
    "tags", "skills", "registered_on", "address", "note",
)
SORT_COLUMNS = {
    "number": Volunteer.number,
    "name": Volunteer.name_pinyin,
    "gender": Volunteer.gender,
    "birth_date": Volunteer.birth_date,
    "registered_on": Volunteer.registered_on,
    "political_status": Volunteer.political_status,
}


def split_tags(tags) -> list[str]:
    if isinstance(tags, str):
        for sep in "，、;；":
            tags = tags.replace(sep, ",")
        tags = tags.split(",")
    return [t for t in (clean(t) for t in (tags or ())) if t]


def is_party_member(volunteer: Volunteer) -> bool:
    return volunteer.political_status in PARTY_STATUSES


def age_on(volunteer: Volunteer, day: date | None = None) -> int | None:
    if volunteer.birth_date is None:
        return None
    day = day or date.today()
    born = volunteer.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def registered_ids(session: Session, station_id: str) -> dict[tuple[str, str], tuple[str, str, str, bool]]:
    """(证件类型, 证件号码) → (id, name, number, in the recycle bin) for every volunteer of the station, in one
    query: what a check of thousands of rows (an Excel import) compares against instead of a query a row."""
    rows = session.exec(select(Volunteer.id_type, Volunteer.id_number, Volunteer.id, Volunteer.name, Volunteer.number,
                               Volunteer.deleted).where(Volunteer.station_id == station_id))
    return {(t, n): (vid, name, number, bool(deleted)) for t, n, vid, name, number, deleted in rows}


def _validated(ctx: Context, session: Session, values: dict, *, current: Volunteer | None,
               known: dict[tuple[str, str], tuple[str, str, str, bool]] | None = None, keys: bool = True) -> dict:
    """Clean and check a volunteer's fields; raise ValidationError naming every bad field.

    ``known``: ``registered_ids`` of the station, for checking many rows; ``keys=False`` skips the pinyin
    search keys (a dry run shows no search)."""
    errors = FieldErrors()
    merged = {key: getattr(current, key) for key in FIELDS} if current else {}
    merged.update(values)
    out: dict = {}
    out["name"] = clean(merged.get("name"))
    check_length(errors, "name", "姓名", out["name"], 50, required=True)
    out["id_type"] = clean(merged.get("id_type")) or RESIDENT_ID
    check_choice(errors, "id_type", "证件类型", out["id_type"], ID_TYPES)

    raw_id = merged.get("id_number") or ""
    gender, birth = clean(merged.get("gender")), merged.get("birth_date")
    if out["id_type"] == RESIDENT_ID:
        try:
            parsed = parse_resident_id(raw_id)
            out["id_number"], gender, birth = parsed.number, parsed.gender, parsed.birth_date
        except IdNumberError as exc:
            errors.add("id_number", str(exc))
            out["id_number"] = normalize(raw_id)
    else:
        out["id_number"] = normalize(raw_id)
        check_length(errors, "id_number", "证件号码", out["id_number"], 40, required=True)
    out["gender"] = gender
    check_choice(errors, "gender", "性别", gender, GENDERS, required=False)
    out["birth_date"] = parse_date(birth, errors, "birth_date", "出生日期")

    if "id_number" not in errors and out["id_number"]:
        if known is not None:
            match = known.get((out["id_type"], out["id_number"]))
            other = match if match is not None and (current is None or match[0] != current.id) else None
        else:
            query = select(Volunteer.id, Volunteer.name, Volunteer.number, Volunteer.deleted).where(
                Volunteer.station_id == ctx.station_id,
                Volunteer.id_type == out["id_type"],
                Volunteer.id_number == out["id_number"],
            )
            if current is not None:
                query = query.where(Volunteer.id != current.id)
            other = session.exec(query.limit(1)).first()
        if other is not None:
            _vid, name, number, deleted = other
            where = "（在回收站中，可先恢复）" if deleted else ""
            errors.add("id_number", f"身份证号与已登记的志愿者 {name}（编号 {number}）重复{where}")

    out["phone"] = parse_phone(merged.get("phone"), errors, "phone")
    out["political_status"] = clean(merged.get("political_status")) or "群众"
    check_choice(errors, "political_status", "政治面貌", out["political_status"], POLITICAL_STATUSES)
    tags = split_tags(merged.get("tags"))
    if any(len(t) > 10 for t in tags):
        errors.add("tags", "每个标签不能超过10个字")
    out["tags"] = ",".join(dict.fromkeys(tags))
    check_length(errors, "tags", "标签", out["tags"], 200)
    out["skills"] = clean(merged.get("skills"))
    check_length(errors, "skills", "技能特长", out["skills"], 300)
    out["address"] = clean(merged.get("address"))
    check_length(errors, "address", "住址", out["address"], 200)
    out["note"] = clean(merged.get("note"))
    check_length(errors, "note", "备注", out["note"], 500)
    registered = parse_date(merged.get("registered_on") or date.today(), errors, "registered_on", "注册日期")
    if registered and registered > date.today():
        errors.add("registered_on", "注册日期不能晚于今天")
    if registered and out.get("birth_date") and registered < out["birth_date"]:
        errors.add("registered_on", f"注册日期（{format_date(registered)}）早于出生日期（{format_date(out['birth_date'])}）")
    out["registered_on"] = registered
    if current is not None and registered:
        # Service is recorded from the day a volunteer registered: a later date would orphan what is kept.
        first = session.exec(select(func.min(Activity.date)).join(Participation, Participation.activity_id == Activity.id).where(
            Participation.volunteer_id == current.id, Participation.deleted == False, Activity.deleted == False,
            Activity.status == "done")).one()
        if first is not None and first < registered:
            errors.add("registered_on", f"该志愿者{format_date(first)}已有服务记录，注册日期不能晚于这一天")
        if first is not None and out.get("birth_date") and first < out["birth_date"]:
            errors.add("birth_date", f"该志愿者{format_date(first)}已有服务记录，出生日期不能晚于这一天，请核对证件号码")
    errors.raise_if_any()

    if keys:
        out["name_pinyin"], out["name_initials"] = name_keys(out["name"])
    out["phone_tail"] = phone_tail(out["phone"])
    return out


def next_number(session: Session, station_id: str) -> str:
    """ZY000001, ZY000002 … never reused, even after a volunteer is deleted."""
    last = session.exec(
        select(Volunteer.number)
        .where(Volunteer.station_id == station_id, Volunteer.number.like(f"{NUMBER_PREFIX}%"))
        .order_by(Volunteer.number.desc())
        .limit(1)  # the ORM's first() does not limit: without this every number was loaded for each new volunteer
    ).first()
    seq = int(last[len(NUMBER_PREFIX):]) + 1 if last else 1
    return f"{NUMBER_PREFIX}{seq:06d}"


def _set_teams(session: Session, ctx: Context, volunteer: Volunteer, team_ids) -> None:
    """Make the volunteer's current teams exactly ``team_ids`` (a leader cannot leave their team)."""
    wanted = list(dict.fromkeys(team_ids))
    current = session.exec(
        live(Membership).where(Membership.volunteer_id == volunteer.id, Membership.left_on == None)
    ).all()
    for membership in current:
        if membership.team_id not in wanted:
            team = session.get(Team, membership.team_id)
            if team is not None and team.leader_id == volunteer.id and not team.deleted:
                raise ValidationError({"teams": f"{volunteer.name} 是“{team.name}”的队长，不能退出该队，请先更换队长"})
            membership.left_on = date.today()
    have = {m.team_id for m in current}
    for team_id in wanted:
        if team_id not in have:
            get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
            session.add(Membership(station_id=ctx.station_id, volunteer_id=volunteer.id, team_id=team_id,
                                   joined_on=date.today()))


def add_volunteer_in(session: Session, ctx: Context, *, team_ids=(), known: dict | None = None, number: str | None = None,
                     **values) -> Volunteer:
    """Add within a caller's transaction (the importer adds a whole sheet in one, passing the station's
    ``registered_ids`` and the numbers it hands out under the write lock, so a row costs no lookups)."""
    clean_values = _validated(ctx, session, values, current=None, known=known)
    volunteer = Volunteer(station_id=ctx.station_id, number=number or next_number(session, ctx.station_id), **clean_values)
    session.add(volunteer)
    for team_id in dict.fromkeys(team_ids):
        get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id)
        session.add(Membership(station_id=ctx.station_id, volunteer_id=volunteer.id, team_id=team_id, joined_on=volunteer.registered_on))
    session.flush()
    return volunteer


def add_volunteer(ctx: Context, *, team_ids: tuple[str, ...] | list[str] = (), **values) -> Volunteer:
    # The write lock from the start: the next 志愿者编号 is read and used by one session at a time, so two
    # processes adding at once get different numbers instead of a UNIQUE clash.
    with ctx.write(immediate=True) as session:
        return add_volunteer_in(session, ctx, team_ids=team_ids, **values)


def update_volunteer_in(session: Session, ctx: Context, volunteer_id: str, *, team_ids: list[str] | None = None, **values) -> Volunteer:
    """Update within a caller's transaction (the importer updates a whole sheet in one)."""
    volunteer = get_row(session, Volunteer, volunteer_id, what="志愿者", station_id=ctx.station_id)
    apply_changes(volunteer, _validated(ctx, session, values, current=volunteer))
    if team_ids is not None:
        _set_teams(session, ctx, volunteer, team_ids)
    session.flush()
    return volunteer


def update_volunteer(ctx: Context, volunteer_id: str, *, team_ids: list[str] | None = None, **values) -> Volunteer:
    with ctx.write() as session:
        return update_volunteer_in(session, ctx, volunteer_id, team_ids=team_ids, **values)


def current_team_ids(ctx: Context, volunteer_id: str) -> list[str]:
    with ctx.read() as session:
        return list(session.exec(
            select(Membership.team_id).where(
                Membership.volunteer_id == volunteer_id, Membership.deleted == False, Membership.left_on == None
            )
        ))


def get_volunteer(ctx: Context, volunteer_id: str) -> Volunteer:
    with ctx.read() as session:
        return get_row(session, Volunteer, volunteer_id, what="志愿者", station_id=ctx.station_id, allow_deleted=True)


def find_by_number(ctx: Context, number: str, *, in_bin: bool = False) -> Volunteer:
    """A live volunteer by number (``in_bin``: one in the 回收站, to restore it)."""
    number = normal(number).upper()
    with ctx.read() as session:
        volunteer = session.exec(
            select(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.number == number, Volunteer.deleted == in_bin)
        ).first()
    if volunteer is None:
        raise NotFound(f"{'回收站中' if in_bin else ''}找不到志愿者编号为 {number} 的志愿者")
    return volunteer


def search_condition(text: str):
    """One search box: name, full pinyin, pinyin initials, phone tail, 志愿者编号."""
    typed = clean(text)  # names as stored: as typed
    if not typed:
        return None
    text = normal(typed)  # numbers, pinyin and phones from any keyboard (１３８ → 138)
    lowered = text.lower()
    conditions = [Volunteer.name.contains(typed, autoescape=True)]
    if any(ch.isdigit() for ch in text):  # "z" alone must not match every ZY… number
        conditions.append(Volunteer.number.contains(text.upper(), autoescape=True))
    if lowered.isascii() and lowered.isalpha():
        conditions += [
            Volunteer.name_initials.startswith(lowered, autoescape=True),
            Volunteer.name_pinyin.startswith(lowered, autoescape=True),
        ]
    if text.isdigit():
        if len(text) == 4:
            conditions.append(Volunteer.phone_tail == text)
        elif len(text) >= 3:
            conditions.append(Volunteer.phone.endswith(text, autoescape=True))
    return or_(*conditions)


def volunteer_query(ctx: Context, text: str = "", *, deleted: bool = False, team_id: str | None = None, party_only: bool = False,
                    min_hours: float | None = None):
    query = select(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == deleted)
    if min_hours:
        from .stars import hours_column

        query = query.where(hours_column() >= min_hours)
    condition = search_condition(text)
    if condition is not None:
        query = query.where(condition)
    if team_id:
        members = select(Membership.volunteer_id).where(
            Membership.team_id == team_id, Membership.deleted == False, Membership.left_on == None
        )
        query = query.where(Volunteer.id.in_(members))
    if party_only:
        query = query.where(Volunteer.political_status.in_(PARTY_STATUSES))
    return query


def search_volunteers(
    ctx: Context, text: str = "", *, deleted: bool = False, team_id: str | None = None, party_only: bool = False,
    order_by: str = "number", descending: bool = False, limit: int | None = None, offset: int = 0, min_hours: float | None = None,
) -> list[Volunteer]:
    if order_by == "hours":
        from .stars import hours_column

        column = hours_column()
    else:
        column = SORT_COLUMNS.get(order_by, Volunteer.number)
    query = volunteer_query(ctx, text, deleted=deleted, team_id=team_id, party_only=party_only, min_hours=min_hours)
    query = query.order_by(column.desc() if descending else column, Volunteer.number).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with ctx.read() as session:
        return list(session.exec(query))


def count_volunteers(ctx: Context, text: str = "", *, deleted: bool = False, min_hours: float | None = None) -> int:
    query = volunteer_query(ctx, text, deleted=deleted, min_hours=min_hours).with_only_columns(func.count()).order_by(None)
    with ctx.read() as session:
        return session.exec(query).one()


def hours_of(ctx: Context, volunteer_ids: list[str]) -> dict[str, float]:
    """Cumulative hours of each listed volunteer, from the maintained figure (app/models/hours.py)."""
    if not volunteer_ids:
        return {}
    query = select(VolunteerHours.volunteer_id, VolunteerHours.total).where(VolunteerHours.volunteer_id.in_(volunteer_ids))
    with ctx.read() as session:
        found = {vid: round(float(h), 2) for vid, h in session.exec(query)}
    return {vid: found.get(vid, 0.0) for vid in volunteer_ids}


def team_names_of(ctx: Context, volunteer_ids: list[str]) -> dict[str, list[str]]:
    """Current teams of each volunteer, for lists and rosters."""
    if not volunteer_ids:
        return {}
    query = (
        select(Membership.volunteer_id, Team.name)
        .join(Team, Team.id == Membership.team_id)
        .where(
            Membership.volunteer_id.in_(volunteer_ids), Membership.deleted == False,
            Membership.left_on == None, Team.deleted == False,
        )
        .order_by(Team.name)
    )
    out: dict[str, list[str]] = {vid: [] for vid in volunteer_ids}
    with ctx.read() as session:
        for volunteer_id, team_name in session.exec(query):
            out[volunteer_id].append(team_name)
    return out


def hours_condition(year: int | None = None):
    conditions = [Participation.deleted == False, Activity.deleted == False, Activity.status == "done"]
    if year is not None:
        conditions += [Activity.date >= date(year, 1, 1), Activity.date <= date(year, 12, 31)]
    return conditions


def volunteer_hours(ctx: Context, volunteer_id: str, *, year: int | None = None) -> float:
    """Service hours from participations in done activities (三.4: hours drive stars and points)."""
    query = (
        select(func.coalesce(func.sum(Participation.hours), 0.0))
        .join(Activity, Activity.id == Participation.activity_id)
        .where(Participation.volunteer_id == volunteer_id, *hours_condition(year))
    )
    with ctx.read() as session:
        return round(float(session.exec(query).one()), 2)
