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
