"""One street as its 实践所's 专管员 reads it on a Monday (#30): each 所 and station's 五有 for the month and the year,
the teams with no activity this month and the days left, the ledgers not synced for a week, the demands still open and
past their deadline by tier, and the 所's own ledger beside its stations — the page, its PDF (六.4 月度评估) and its
Excel all from ``street_status``, so the three agree.

Plain data in, plain dataclasses out; the 五有 verdicts are the kept ones (evaluations.py), the figures the kept
per-month ones (stats.py) and the rows themselves."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection, and_, case, func, select

from app.models.base import utcnow
from app.models.enums import DemandState as S, station_level

from . import admin, streets, tiers
from .attention import STALE_DAYS, WAITING
from .db import TABLES, account, team_month
from .evaluations import verdicts_for_all


@dataclass
class Judged:
    """A unit's 五有 for one period, as the ranking keeps it."""
    met: int
    counted: int
    missed: int
    at_risk: int
    problems: list[str]

    @property
    def text(self) -> str:
        if self.missed:
            return f"未达标 {self.missed} 项"
        if self.at_risk:
            return f"有风险 {self.at_risk} 项"
        return "达标"

    @property
    def missed_problems(self) -> list[str]:
        """The 未达标 items (problems list them first)."""
        return [p for p in self.problems if p.startswith("【未达标】")]

    @property
    def tone(self) -> str:  # the page's colour for it
        return "bad" if self.missed else "risk" if self.at_risk else "ok"


@dataclass
class UnitStatus:
    account_id: int
    name: str
    level: str
    synced: bool  # its station row has reached the district
    last_sync: datetime | None
    stale_days: int | None = None  # days since its last sync when that is STALE_DAYS or more (None: fine or never)
    month: Judged | None = None
    year: Judged | None = None
    activities: int = 0
    hours: float = 0.0
    volunteers: int = 0
    brand: int = 0
    teams: int = 0
    idle_teams: list[str] = field(default_factory=list)  # no activity held in the month
    open_demands: int = 0  # still waiting for service now
    overdue_demands: int = 0  # of those, past their 办结期限
    from_district: int = 0  # of the open ones, dispatched by the 中心 (派单)
    started: date | None = None  # its ledger's first day: its first activity, or the day it was added at the district

    @property
    def year_missed(self) -> list[str]:
        """The year's 未达标 items the month's problems do not already name (in January they are mostly the same)."""
        return self._year_only("【未达标】")

    @property
    def year_at_risk(self) -> list[str]:
        """The year's 有风险 items the month's problems do not already name."""
        return self._year_only("【有风险】")

    def _year_only(self, mark: str) -> list[str]:
        """The year's items of ``mark`` whose rule the month's list does not already name with the same mark."""
        if self.year is None:
            return []
        said = {_title(p) for p in self.month.problems if p.startswith(mark)} if self.month else set()
        return [p for p in self.year.problems if p.startswith(mark) and _title(p) not in said]

    def before(self, day: date) -> bool:
        """Its ledger began after ``day``: a month or year ending then has nothing of it to judge."""
        return self.started is not None and day < self.started

    @property
    def tier(self) -> str:
        return station_level(self.level).unit

    @property
    def never_synced(self) -> bool:
        return self.last_sync is None


@dataclass
class TierDemands:
    tier: str
    units: int
    open: int
    overdue: int
    from_district: int


@dataclass
class ReportedUp:
    """A need one of the street's ledgers 上报ed out of the street (to the 中心), and where it stands there now."""
    unit: str
    tier: str
    account_id: int
    number: str
    content: str
    reason: str
    at: datetime
    to: str
    state: str
    waiting: bool  # not yet served (nor closed) where it went


@dataclass
class StreetStatus:
    street: str
    year: int
    month: int
    today: date
    units: list[UnitStatus]  # the 所 first, then its stations by name
    reported_up: list[ReportedUp] = field(default_factory=list)  # newest first

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def month_end(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def unjudged(self, u: UnitStatus, *, whole_year: bool = False) -> str:
        """Why a unit has no verdict for the month (or the year): what the page says in its place."""
        if not u.synced:
            return "从未同步"
        if u.before(date(self.year, 12, 31) if whole_year else self.month_end):
            return "尚无台账记录"
        return "未评估"

    @property
    def running(self) -> bool:
        """The month is the current one: its teams can still act, and the days left are counted."""
        return (self.year, self.month) == (self.today.year, self.today.month)

    @property
    def days_left(self) -> int:
        """Days of the month after today (the evaluator's “距月底还有 N 天”); 0 for a month that is over."""
        if not self.running:
            return 0
        return calendar.monthrange(self.year, self.month)[1] - self.today.day

    @property
    def institute(self) -> list[UnitStatus]:
        return [u for u in self.units if u.level == "institute"]

    @property
    def stations(self) -> list[UnitStatus]:
        return [u for u in self.units if u.level != "institute"]

    @property
    def stale(self) -> list[UnitStatus]:
        return [u for u in self.units if u.never_synced or u.stale_days is not None]

    @property
    def idle(self) -> list[UnitStatus]:
        return [u for u in self.units if u.idle_teams]

    @property
    def meeting(self) -> tuple[int, int]:
        """(units with no 未达标 item this month, units judged)."""
        judged = [u.month for u in self.units if u.month is not None]
        return sum(month.missed == 0 for month in judged), len(judged)

    @property
    def risky(self) -> int:
        """Of the units with no 未达标 item this month, those with an item 有风险."""
        return sum(1 for u in self.units if u.month is not None and u.month.missed == 0 and u.month.at_risk)

    @property
    def any_ledger(self) -> bool:
        """Some unit of the street had begun its ledger by the month's end (else there is nothing to say of it)."""
        return any(not u.before(self.month_end) for u in self.units)

    @property
    def by_tier(self) -> list[TierDemands]:
        out = []
        for level in ("institute", "station"):
            these = [u for u in self.units if (u.level == "institute") == (level == "institute")]
            out.append(TierDemands(station_level(level).unit, len(these), sum(u.open_demands for u in these),
                                   sum(u.overdue_demands for u in these), sum(u.from_district for u in these)))
        return out


def _title(problem: str) -> str:
    """A problem's rule title: "【未达标】title：gap" → title."""
    return problem.split("】", 1)[-1].split("：", 1)[0]


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _judged(summary: dict) -> Judged:
    return Judged(summary["met"], summary["counted"], summary["missed"], summary["at_risk"], list(summary["problems"] or []))


def street_status(conn: Connection, street: str, year: int, month: int, *, today: date | None = None) -> StreetStatus:
    """``street``'s 所 and stations for the month ``year``-``month`` (the demands and the syncs as they stand today)."""
    today = today or date.today()
    station, team, demand = TABLES["station"], TABLES["team"], TABLES["demand"]
    accounts = conn.execute(
        select(account.c.id, account.c.name, account.c.level, account.c.station_id, account.c.last_sync_at,
               account.c.created_at, station.c.id.label("synced"))
        .outerjoin(station, station.c.id == account.c.station_id)
        .where(account.c.street == street, account.c.revoked == False, account.c.level != "center")
    ).all()
    now = utcnow()
    units: list[UnitStatus] = []
    by_station: dict[str, UnitStatus] = {}
    for a in sorted(accounts, key=lambda a: (a.level != "institute", a.name)):
        last, created = _aware(a.last_sync_at), _aware(a.created_at)
        days = None if last is None else (now - last).days
        u = UnitStatus(a.id, a.name, a.level, a.synced is not None, last,
                       stale_days=days if days is not None and days >= STALE_DAYS else None,
                       started=created.date() if created is not None else None)
        units.append(u)
        if a.station_id and a.synced is not None:
            by_station[a.station_id] = u
    status = StreetStatus(street, year, month, today, units)
    if not by_station:
        return status
    status.reported_up = _reported_up(conn, by_station)

    # Each ledger's first day: its first activity where that came before it was added here (records typed in from
    # earlier years count), so a month before any record is "尚无台账记录", not a month of 未达标 (#30).
    activity = TABLES["activity"]
    ids = list(by_station)
    for start in range(0, len(ids), 500):
        for sid, first in conn.execute(select(activity.c.station_id, func.min(activity.c.date)).where(
                activity.c.station_id.in_(ids[start:start + 500]), activity.c.deleted == False)
                .group_by(activity.c.station_id)):
            u = by_station[sid]
            if first is not None and (u.started is None or first < u.started):
                u.started = first
    month_end = date(year, month, calendar.monthrange(year, month)[1])
    rules = admin.current_rules(conn)
    if date(year, month, 1) <= today:  # a month not yet begun has nothing to judge
        for acct, summary, _v in verdicts_for_all(conn, year, month, rules, today=today, full=False, street=street):
            unit = by_station.get(acct.station_id)
            if unit is not None and not unit.before(month_end):
                unit.month = _judged(summary)
    if date(year, 1, 1) <= today:
        for acct, summary, _v in verdicts_for_all(conn, year, None, rules, today=today, full=False, street=street):
            unit = by_station.get(acct.station_id)
            if unit is not None and not unit.before(date(year, 12, 31)):
                unit.year = _judged(summary)

    # The month's figures, counted as the street ranking counts them (the same code).
    figured = [streets.Unit(u.account_id, u.name, u.level, sid, 0) for sid, u in by_station.items()]
    streets._per_station(conn, figured, streets.Span("month", year, month), today)
    for f in figured:
        u = by_station[f.station_id]
        u.activities, u.hours, u.volunteers, u.brand = f.activities, f.hours, f.volunteers, f.brand

    period = f"{year:04d}-{month:02d}"
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        active = {(sid, tid) for sid, tid in conn.execute(
            select(team_month.c.station_id, team_month.c.team_id).where(
                team_month.c.station_id.in_(part), team_month.c.period == period, team_month.c.activities > 0))}
        for t in conn.execute(select(team.c.id, team.c.station_id, team.c.name, team.c.founded_on).where(
                team.c.station_id.in_(part), team.c.deleted == False)
                .order_by(team.c.name)):
            u = by_station[t.station_id]
            if (t.founded_on is not None and t.founded_on > month_end) or u.before(month_end):
                continue  # founded after the month, or its ledger began after it: nothing was asked of it then
            u.teams += 1
            if (t.station_id, t.id) not in active:
                u.idle_teams.append(t.name)
        waiting = and_(demand.c.station_id.in_(part), demand.c.deleted == False, demand.c.state.in_(WAITING))
        for sid, n, late, dispatched in conn.execute(
                select(demand.c.station_id, func.count(),
                       func.sum(case((demand.c.due_on < today, 1), else_=0)),
                       func.count(demand.c.dispatch_id))
                .where(waiting).group_by(demand.c.station_id)):
            u = by_station[sid]
            u.open_demands, u.overdue_demands, u.from_district = int(n), int(late or 0), int(dispatched or 0)
    return status


REPORTED_LIMIT = 50  # the newest 上报s out of the street on the page


def _reported_up(conn: Connection, by_station: dict[str, UnitStatus]) -> list[ReportedUp]:
    """五.2 上报 out of the street: the hops of kind "report" its ledgers made to a ledger of no street or another (the
    中心), newest first, each with what became of it there — a street account sees no other way what the 中心 did."""
    hop, demand = TABLES["demand_hop"], TABLES["demand"]
    inside = list(by_station)
    found = conn.execute(
        select(hop.c.id, hop.c.station_id, hop.c.reason, hop.c.at, hop.c.to_name, hop.c.to_station_id,
               demand.c.number, demand.c.content)
        .join(demand, demand.c.id == hop.c.demand_id)
        .where(hop.c.station_id.in_(inside), hop.c.kind == "report", hop.c.deleted == False,
               hop.c.to_station_id.not_in(inside))
        .order_by(hop.c.at.desc()).limit(REPORTED_LIMIT)).all()
    out = []
    for h in found:
        u = by_station[h.station_id]
        hops = tiers.chain(conn, h.id)
        there = hops[-1][1] if hops else None
        if not hops:
            state, waiting = "区里尚未收到", True
        elif there is None:
            state, waiting = "未送达（等待区中心同步）", True
        else:
            state = S(there.state).label + (f"，评分 {there.rating}" if there.rating else "")
            waiting = there.state in WAITING
            if len(hops) > 1:  # handed on again by the 中心: named only if it came back into this street
                holder = by_station.get(there.station_id)
                state = (f"已转派{holder.name}：" if holder else "已由区中心转派：") + state
        out.append(ReportedUp(u.name, u.tier, u.account_id, h.number, h.content[:60], h.reason, h.at,
                              h.to_name or _name_of(conn, h.to_station_id), state, waiting))
    return out


def _name_of(conn: Connection, station_id: str) -> str:
    return conn.execute(select(account.c.name).where(account.c.station_id == station_id)).scalar() or "区中心"
