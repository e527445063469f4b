"""Per-station figures for the staff pages, kept up to date as batches are applied.

The overview shows, for each of thousands of stations, its volunteers, a month's activities in all and per
team, and the year's service hours. Counting them from every station's rows on each page view grows with
the rows; instead each batch updates, inside its own transaction, only what it touched:

- a month a batch *changed* — an activity or participation the district already had was edited, moved, binned
  or restored (its old and new months) — is recounted from the station's rows for that month, never
  incremented, so a resend, an edit, a date moved across months or a row sent to the bin all leave the same
  figures as counting from nothing would;
- rows the batch *added* (new activities and participations, as they stand once the batch is written) are
  added to their months' figures, unless the month is being recounted anyway. A first sync is all additions:
  recounting every touched month on each batch made it grow with the square of the station's rows (#29: a
  batch of participations in random order touched every month, and each recount read them all).

When the batch carried volunteers, the station's live volunteers are counted again.

``rebuild`` recounts everything (the d0008 upgrade, or by hand after a restore of the district database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache

from sqlalchemy import Connection, and_, bindparam, delete, extract, func, or_, select, true, update

from app.services.activities import month_range

from .db import TABLES, account, among_ids, station_month, team_month

Period = tuple[int, int]  # (year, month)


@cache
def label(period: Period) -> str:
    return f"{period[0]:04d}-{period[1]:02d}"


class Touched:
    """What one batch changed that the figures depend on, gathered while its rows are staged."""

    def __init__(self) -> None:
        self.activities: set[str] = set()  # activity ids whose months are recounted: changed ones, and those of changed participations
        self.updated_activities: set[str] = set()  # rows the district had before (their old date counts too)
        self.updated_participations: set[str] = set()  # may have moved from another activity
        self.inserted_activities: set[str] = set()  # new to the district: added to their month as they end up
        self.inserted_participations: set[str] = set()
        self.volunteers = False

    def note(self, entity: str, row_id: str, values: dict, is_insert: bool) -> None:
        """``is_insert``: the district did not have the row before this batch (a row staged twice in one batch keeps
        its first answer, and what counts is how it stands once the batch is written)."""
        if entity == "activity":
            if is_insert:
                self.inserted_activities.add(row_id)
            else:
                self.activities.add(row_id)
                self.updated_activities.add(row_id)
        elif entity == "participation":
            if is_insert:
                self.inserted_participations.add(row_id)
            else:
                self.activities.add(values["activity_id"])
                self.updated_participations.add(row_id)
        elif entity == "volunteer":
            self.volunteers = True

    def __bool__(self) -> bool:
        return bool(self.activities or self.inserted_activities or self.inserted_participations) or self.volunteers


def _months(dates: Iterable[date]) -> set[Period]:
    return {(d.year, d.month) for d in dates if d is not None}


def months_before(conn: Connection, touched: Touched) -> set[Period]:
    """Before the batch is written: the months the changed activities and moved participations were in."""
    activity, participation = TABLES["activity"], TABLES["participation"]
    found: set[Period] = set()
    for among in among_ids(conn, activity.c.id, touched.updated_activities):
        found |= _months(conn.execute(select(activity.c.date).where(among)).scalars())
    for among in among_ids(conn, participation.c.id, touched.updated_participations):
        found |= _months(conn.execute(select(activity.c.date).select_from(participation)
                                      .join(activity, activity.c.id == participation.c.activity_id)
                                      .where(among)).scalars())
    return found


def months_after(conn: Connection, touched: Touched) -> set[Period]:
    activity = TABLES["activity"]
    found: set[Period] = set()
    for among in among_ids(conn, activity.c.id, touched.activities):
        found |= _months(conn.execute(select(activity.c.date).where(among)).scalars())
    return found


def _chunks(values, size: int = 500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _count(conn: Connection, where) -> tuple[list[dict], list[dict]]:
    """station_month and team_month rows counted from the activities matching ``where`` (held ones only)."""
    activity, participation = TABLES["activity"], TABLES["participation"]
    held = and_(where, activity.c.deleted == False, activity.c.status == "done")
    y, m = extract("year", activity.c.date), extract("month", activity.c.date)
    months: dict[tuple[str, str], dict] = {}
    for station_id, year, month, n in conn.execute(select(activity.c.station_id, y, m, func.count()).where(held)
                                                   .group_by(activity.c.station_id, y, m)):
        months[(station_id, label((int(year), int(month))))] = {"activities": n, "hours": 0.0}
    for station_id, year, month, hours in conn.execute(
            select(activity.c.station_id, y, m, func.coalesce(func.sum(participation.c.hours), 0.0)).select_from(participation)
            .join(activity, activity.c.id == participation.c.activity_id)
            .where(held, participation.c.deleted == False, participation.c.station_id == activity.c.station_id)
            .group_by(activity.c.station_id, y, m)):
        months[(station_id, label((int(year), int(month))))]["hours"] = round(float(hours or 0), 2)
    teams = [{"station_id": station_id, "team_id": team_id, "period": label((int(year), int(month))), "activities": n}
             for station_id, team_id, year, month, n in conn.execute(
                 select(activity.c.station_id, activity.c.team_id, y, m, func.count()).where(held, activity.c.team_id.is_not(None))
                 .group_by(activity.c.station_id, activity.c.team_id, y, m))]
    return [{"station_id": sid, "period": period, **f} for (sid, period), f in months.items()], teams


def _insert(conn: Connection, months: list[dict], teams: list[dict]) -> None:
    for table, rows in ((station_month, months), (team_month, teams)):
        for start in range(0, len(rows), 5000):
            conn.execute(table.insert(), rows[start:start + 5000])


def refresh(conn: Connection, station_id: str, periods: set[Period] | None, *, volunteers: bool = True) -> None:
    """Recount ``station_id``'s figures for ``periods`` (every month it has when None) from its rows."""
    activity = TABLES["activity"]
    if periods is None or periods:
        where = activity.c.station_id == station_id
        mine, mine_teams = station_month.c.station_id == station_id, team_month.c.station_id == station_id
        if periods is not None:
            ranges = [month_range(y, m) for y, m in sorted(periods)]
            where = and_(where, or_(*[and_(activity.c.date >= start, activity.c.date <= end) for start, end in ranges]))
            labels = [label(p) for p in periods]
            mine, mine_teams = and_(mine, station_month.c.period.in_(labels)), and_(mine_teams, team_month.c.period.in_(labels))
        months, teams = _count(conn, where)
        conn.execute(delete(station_month).where(mine))
        conn.execute(delete(team_month).where(mine_teams))
        _insert(conn, months, teams)
    if volunteers:
        _count_volunteers(conn, account.c.station_id == station_id)


def add_inserted(conn: Connection, station_id: str, touched: Touched, recounted: set[Period],
                 staged: Mapping[str, Mapping[str, tuple[bool, dict]]], known: Mapping[str, dict]) -> None:
    """Add the batch's new activities and participations, as they stand once it is written, to their months'
    figures — except in the months ``recounted`` (their count already holds them). Counts as ``_count`` does: held
    activities only (status done, not binned), hours of live participations of the activity's own station.

    ``staged``: table -> id -> (is new, values) as the batch wrote them (``BatchContext.staged``; only the bulk path
    calls this, where every new row was staged): new rows are counted from those, and only an activity the batch did
    not write is taken from ``known``, the batch's own look-up of the parents its rows name (id -> station_id, date,
    team_id, deleted, status): a participation is staged only once its activity was found there or staged before it
    (apply_row). Reading back every new row was a tenth of a first sync (#29)."""

    def held(a) -> bool:
        return a["station_id"] == station_id and not a["deleted"] and a["status"] == "done"

    months: dict[Period, list] = {}  # period -> [activities, hours]
    teams: dict[tuple[str, Period], int] = {}
    for activity_id in touched.inserted_activities:
        a = staged["activity"][activity_id][1]
        period = (a["date"].year, a["date"].month)
        if not held(a) or period in recounted:
            continue
        months.setdefault(period, [0, 0.0])[0] += 1
        if a["team_id"] is not None:
            teams[(a["team_id"], period)] = teams.get((a["team_id"], period), 0) + 1
    new_participations = [staged["participation"][pid][1] for pid in touched.inserted_participations]
    written = staged.get("activity", {})
    for p in new_participations:
        parent = written[p["activity_id"]][1] if p["activity_id"] in written else known[p["activity_id"]]
        period = (parent["date"].year, parent["date"].month)
        if held(parent) and not p["deleted"] and p["station_id"] == station_id and period not in recounted:
            months.setdefault(period, [0, 0.0])[1] += p["hours"] or 0.0
    if months:
        labels = {label(p): p for p in months}
        kept = {r.period: r for r in conn.execute(select(station_month).where(
            station_month.c.station_id == station_id, station_month.c.period.in_(list(labels))))}
        new, changed = [], []
        for text, period in labels.items():
            n, hours = months[period]
            old = kept.get(text)
            if old is None:
                new.append({"station_id": station_id, "period": text, "activities": n, "hours": round(hours, 2)})
            else:
                changed.append({"k_station": station_id, "k_period": text, "activities": old.activities + n,
                                "hours": round(old.hours + hours, 2)})
        if changed:
            conn.execute(update(station_month).where(station_month.c.station_id == bindparam("k_station"),
                                                     station_month.c.period == bindparam("k_period")), changed)
        _insert(conn, new, [])
    if teams:
        kept_teams = {(r.team_id, r.period): r.activities for chunk in _chunks({t for t, _p in teams})
                      for r in conn.execute(select(team_month).where(
                          team_month.c.station_id == station_id, team_month.c.team_id.in_(chunk),
                          team_month.c.period.in_(list({label(p) for _t, p in teams}))))}
        new_teams, changed_teams = [], []
        for (team_id, period), n in teams.items():
            old = kept_teams.get((team_id, label(period)))
            if old is None:
                new_teams.append({"station_id": station_id, "team_id": team_id, "period": label(period), "activities": n})
            else:
                changed_teams.append({"k_station": station_id, "k_team": team_id, "k_period": label(period), "activities": old + n})
        if changed_teams:
            conn.execute(update(team_month).where(team_month.c.station_id == bindparam("k_station"),
                                                  team_month.c.team_id == bindparam("k_team"),
                                                  team_month.c.period == bindparam("k_period")), changed_teams)
        _insert(conn, [], new_teams)


def _count_volunteers(conn: Connection, which) -> None:
    volunteer = TABLES["volunteer"]
    live = (select(func.count()).select_from(volunteer)
            .where(volunteer.c.station_id == account.c.station_id, volunteer.c.deleted == False))
    conn.execute(update(account).where(which).values(volunteers=live.scalar_subquery()))


def rebuild(conn: Connection) -> int:
    """Recount every station's figures from its rows, in a few grouped queries. Returns how many stations."""
    conn.execute(delete(station_month))
    conn.execute(delete(team_month))
    months, teams = _count(conn, true())
    _insert(conn, months, teams)
    _count_volunteers(conn, account.c.station_id.is_not(None))
    return len({m["station_id"] for m in months})


def figures_for(conn: Connection, station_ids: list[str] | None, today: date) -> dict[str, dict]:
    """Per station (those named, or every one): the month of ``today``'s activities in all and per team, the
    volunteers, and the year's hours through the month of ``today`` — read from the kept figures."""
    if station_ids is not None and not station_ids:
        return {}
    team = TABLES["team"]
    this_month, january = label((today.year, today.month)), label((today.year, 1))
    out: dict[str, dict] = {}

    def of(station_id: str) -> dict:
        return out.setdefault(station_id, {"volunteers": 0, "hours": 0.0, "per_team": [], "month_total": 0})

    def only(column):
        return column.in_(station_ids) if station_ids is not None else true()

    for station_id, n in conn.execute(select(account.c.station_id, account.c.volunteers).where(only(account.c.station_id))):
        if station_id:
            of(station_id)["volunteers"] = n
    for station_id, hours in conn.execute(
            select(station_month.c.station_id, func.sum(station_month.c.hours))
            .where(only(station_month.c.station_id), station_month.c.period >= january, station_month.c.period <= this_month)
            .group_by(station_month.c.station_id)):
        of(station_id)["hours"] = round(float(hours or 0), 1)
    for station_id, n in conn.execute(select(station_month.c.station_id, station_month.c.activities)
                                      .where(only(station_month.c.station_id), station_month.c.period == this_month)):
        of(station_id)["month_total"] = n
    for station_id, name, n in conn.execute(
            select(team.c.station_id, team.c.name, func.coalesce(team_month.c.activities, 0)).select_from(team)
            .outerjoin(team_month, and_(team_month.c.team_id == team.c.id, team_month.c.period == this_month))
            .where(only(team.c.station_id), team.c.deleted == False)
            .order_by(team.c.station_id, team.c.name)):
        of(station_id)["per_team"].append((name, n))
    return out


def per_street_month(conn: Connection, year: int, *, street: str = "") -> list[tuple[str, int, int]]:
    """(street, month, activities) for ``year``: the district's chart, from the kept figures. ``street``: only the
    stations whose district account is of that street (a 街道 staff account's chart, #30)."""
    station = TABLES["station"]
    query = (select(station.c.street, station_month.c.period, func.sum(station_month.c.activities))
             .select_from(station_month).join(station, station.c.id == station_month.c.station_id))
    if street:
        query = query.join(account, account.c.station_id == station_month.c.station_id).where(account.c.street == street)
    rows = conn.execute(
        query
        .where(station_month.c.period >= label((year, 1)), station_month.c.period <= label((year, 12)))
        .group_by(station.c.street, station_month.c.period)).all()
    return [(street, int(period[5:]), int(n)) for street, period, n in rows if n]
