"""Figures for the 工作台: this month and this year at a glance (三.2: each team ≥1 activity a month)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from ..models import Activity, Participation, Team, Volunteer
from .activities import month_range
from .context import Context


@dataclass(frozen=True)
class TeamMonth:
    team_id: str
    team_name: str
    category: str
    this_month: int
    this_year: int


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


def overview(ctx: Context, *, today: date | None = None) -> Overview:
    today = today or date.today()
    month_start, month_end = month_range(today.year, today.month)
    year_start, year_end = month_range(today.year, None)
    done = (Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.status == "done")  # noqa: E712
    with ctx.read() as session:
        volunteers = session.exec(
            select(func.count()).select_from(Volunteer).where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == False)  # noqa: E712
        ).one()

        def count(start: date, end: date) -> int:
            return session.exec(select(func.count()).select_from(Activity).where(*done, Activity.date.between(start, end))).one()

        def hours(start: date, end: date) -> float:
            query = (
                select(func.coalesce(func.sum(Participation.hours), 0.0))
                .join(Activity, Activity.id == Participation.activity_id)
                .where(*done, Participation.deleted == False, Activity.date.between(start, end))  # noqa: E712
            )
            return round(float(session.exec(query).one()), 2)

        per_team = dict(
            ((team_id, in_month), n)
            for team_id, in_month, n in session.exec(
                select(Activity.team_id, Activity.date >= month_start, func.count())
                .where(*done, Activity.date.between(year_start, min(year_end, month_end)))
                .group_by(Activity.team_id, Activity.date >= month_start)
            )
        )
        teams = []
        for team in session.exec(select(Team).where(Team.station_id == ctx.station_id, Team.deleted == False).order_by(Team.name)):  # noqa: E712
            month_n = per_team.get((team.id, True), 0)
            teams.append(TeamMonth(team.id, team.name, team.category, month_n, month_n + per_team.get((team.id, False), 0)))
        return Overview(
            today=today, volunteers=volunteers,
            activities_month=count(month_start, month_end), activities_year=count(year_start, year_end),
            hours_month=hours(month_start, month_end), hours_year=hours(year_start, year_end), teams=teams,
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


def period_figures(ctx: Context, date_from: date, date_to: date) -> PeriodFigures:
    """Everything the 工作统计 prints for a month or a year, in a handful of grouped queries."""
    done = (Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.status == "done",  # noqa: E712
            Activity.date >= date_from, Activity.date <= date_to)
    live_part = (Participation.deleted == False,)  # noqa: E712
    month = func.strftime("%Y-%m", Activity.date) if ctx.store.engine.dialect.name == "sqlite" else func.to_char(Activity.date, "YYYY-MM")
    with ctx.read() as session:
        activities, served = session.exec(select(func.count(), func.coalesce(func.sum(Activity.served_count), 0)).where(*done)).one()
        hours, participations, active = session.exec(
            select(func.coalesce(func.sum(Participation.hours), 0.0), func.count(), func.count(func.distinct(Participation.volunteer_id)))
            .join(Activity, Activity.id == Participation.activity_id).where(*done, *live_part)
        ).one()
        by_month = {tuple(int(x) for x in m.split("-")): n for m, n in session.exec(select(month, func.count()).where(*done).group_by(month))}
        hours_by_activity = (
            select(Participation.activity_id, func.sum(Participation.hours).label("h")).where(*live_part).group_by(Participation.activity_id).subquery()
        )
        by_category = {
            cat: (n, round(float(h or 0), 2))
            for cat, n, h in session.exec(
                select(Activity.category, func.count(), func.sum(hours_by_activity.c.h))
                .outerjoin(hours_by_activity, hours_by_activity.c.activity_id == Activity.id)
                .where(*done).group_by(Activity.category)
            )
        }
        team_names = {t.id: t.name for t in session.exec(select(Team).where(Team.station_id == ctx.station_id, Team.deleted == False))}  # noqa: E712
        team_months: dict[str, dict[tuple[int, int], int]] = {name: {} for name in sorted(team_names.values())}
        for team_id, m, n in session.exec(select(Activity.team_id, month, func.count()).where(*done, Activity.team_id != None).group_by(Activity.team_id, month)):  # noqa: E711
            if team_id in team_names:
                team_months[team_names[team_id]][tuple(int(x) for x in m.split("-"))] = n
        category_months: dict[str, dict[tuple[int, int], int]] = {}
        for cat, m, n in session.exec(select(Activity.category, month, func.count()).where(*done).group_by(Activity.category, month)):
            category_months.setdefault(cat, {})[tuple(int(x) for x in m.split("-"))] = n
        team_hours = {name: 0.0 for name in team_months}
        for team_id, h in session.exec(
            select(Activity.team_id, func.sum(Participation.hours)).join(Participation, Participation.activity_id == Activity.id)
            .where(*done, *live_part, Activity.team_id != None).group_by(Activity.team_id)  # noqa: E711
        ):
            if team_id in team_names:
                team_hours[team_names[team_id]] = round(float(h or 0), 2)
    return PeriodFigures(date_from, date_to, activities, round(float(hours), 2), int(served), participations, active,
                         by_month, by_category, team_months, team_hours, category_months)
