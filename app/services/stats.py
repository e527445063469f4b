"""Figures for the 工作台: this month and this year at a glance (三.2: each team ≥1 activity a month)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from ..models import Activity, Participation, Team, Volunteer
from .context import Context


@dataclass(frozen=True)
class TeamMonth:
    team_id: str
    team_name: str
    category: str
    this_month: int
    this_year: int
    founded_on: str = ""  # ISO date, "" if not given: the months before it are not the team's to have missed

    def existed_in(self, year: int, month: int) -> bool:
        return not self.founded_on or (year, month) >= (int(self.founded_on[:4]), int(self.founded_on[5:7]))


@dataclass(frozen=True)
class Overview:
    today: date
    volunteers: int
    activities_month: int
    activities_year: int
    hours_month: float
    hours_year: float
    teams: list[TeamMonth]

    @property
    def idle_teams(self) -> list[TeamMonth]:
        return [t for t in self.teams if t.this_month == 0]


def overview(ctx: Context, *, today: date | None = None, figures: PeriodFigures | None = None) -> Overview:
    """This month and this year at a glance, from the year's figures to date (``figures``, when the caller
    has them already: the 工作台 reads them once for both). A done activity cannot be dated after today
    (services.activities), so the year to date is the year."""
    today = today or date.today()
    if figures is None or (figures.date_from, figures.date_to) != (date(today.year, 1, 1), today):
        figures = period_figures(ctx, date(today.year, 1, 1), today)
    this_month = (today.year, today.month)
    with ctx.read() as session:
        volunteers = session.exec(
            select(func.count()).select_from(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == False)
        ).one()
        team_rows = session.exec(select(Team).where(Team.station_id == ctx.station_id, Team.deleted == False).order_by(Team.name)).all()
        teams = []
        for team in team_rows:
            months = figures.team_id_months.get(team.id, {})
            teams.append(TeamMonth(team.id, team.name, team.category, months.get(this_month, 0), sum(months.values()),
                                   team.founded_on.isoformat() if team.founded_on else ""))
    return Overview(
        today=today, volunteers=volunteers,
        activities_month=figures.by_month.get(this_month, 0), activities_year=figures.activities,
        hours_month=figures.hours_by_month.get(this_month, 0.0), hours_year=figures.hours, teams=teams,
    )


@dataclass(frozen=True)
class PeriodFigures:
    date_from: date
    date_to: date
    activities: int
    hours: float
    served: int
    participations: int
    active_volunteers: int
    by_month: dict[tuple[int, int], int]  # (year, month) -> activities
    by_category: dict[str, tuple[int, float]]  # category -> (activities, hours)
    team_months: dict[str, dict[tuple[int, int], int]]  # team name -> (year, month) -> activities
    team_hours: dict[str, float]
    category_months: dict[str, dict[tuple[int, int], int]]  # category -> (year, month) -> activities
    team_id_months: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict)  # live team id -> (year, month) -> activities
    hours_by_month: dict[tuple[int, int], float] = field(default_factory=dict)  # (year, month) -> hours


def period_figures(ctx: Context, date_from: date, date_to: date) -> PeriodFigures:
    """Everything the 工作统计 prints for a month or a year, and the 工作台 shows, in three grouped reads:
    the done activities by team, category and month; their participations by the same keys (through the
    station's covering index, so no participation row is read); and the distinct volunteers who served.
    On the 5-year bench store a year takes about 0.25 s (0.8 s as seven queries, one of them summing
    every participation of every year)."""
    done = (Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.status == "done",
            Activity.date >= date_from, Activity.date <= date_to)
    live_part = (Participation.deleted == False,)
    month = func.strftime("%Y-%m", Activity.date) if ctx.store.engine.dialect.name == "sqlite" else func.to_char(Activity.date, "YYYY-MM")
    keys = (Activity.team_id, Activity.category, month)
    with ctx.read() as session:
        activity_groups = session.exec(
            select(*keys, func.count(), func.coalesce(func.sum(Activity.served_count), 0)).where(*done).group_by(*keys)).all()
        hour_groups = session.exec(
            select(*keys, func.coalesce(func.sum(Participation.hours), 0.0), func.count())
            .join(Participation, Participation.activity_id == Activity.id).where(*done, *live_part).group_by(*keys)).all()
        active = session.exec(
            select(func.count(func.distinct(Participation.volunteer_id)))
            .join(Activity, Activity.id == Participation.activity_id).where(*done, *live_part)).one()
        team_names = {t.id: t.name for t in session.exec(select(Team).where(Team.station_id == ctx.station_id, Team.deleted == False))}

    def ym(text: str) -> tuple[int, int]:
        year, mon = text.split("-")
        return int(year), int(mon)

    activities = served = 0
    by_month: dict[tuple[int, int], int] = {}
    category_counts: dict[str, int] = {}
    team_months: dict[str, dict[tuple[int, int], int]] = {name: {} for name in sorted(team_names.values())}
    team_id_months: dict[str, dict[tuple[int, int], int]] = {team_id: {} for team_id in team_names}
    category_months: dict[str, dict[tuple[int, int], int]] = {}
    for team_id, category, m, n, served_here in activity_groups:
        key = ym(m)
        activities += n
        served += int(served_here)
        by_month[key] = by_month.get(key, 0) + n
        category_counts[category] = category_counts.get(category, 0) + n
        per_category = category_months.setdefault(category, {})
        per_category[key] = per_category.get(key, 0) + n
        if team_id in team_names:
            per_team = team_months[team_names[team_id]]
            per_team[key] = per_team.get(key, 0) + n
            team_id_months[team_id][key] = team_id_months[team_id].get(key, 0) + n
    hours = 0.0
    participations = 0
    category_hours: dict[str, float] = {}
    hours_by_month: dict[tuple[int, int], float] = {}
    team_hours = {name: 0.0 for name in team_months}
    for team_id, category, m, h, n in hour_groups:
        key = ym(m)
        hours += h
        participations += n
        category_hours[category] = category_hours.get(category, 0.0) + h
        hours_by_month[key] = hours_by_month.get(key, 0.0) + h
        if team_id in team_names:
            team_hours[team_names[team_id]] += h
    by_category = {cat: (n, round(category_hours.get(cat, 0.0), 2)) for cat, n in category_counts.items()}
    return PeriodFigures(date_from, date_to, activities, round(hours, 2), served, participations, active,
                         by_month, by_category, team_months, {name: round(h, 2) for name, h in team_hours.items()},
                         category_months, team_id_months, {k: round(h, 2) for k, h in hours_by_month.items()})
