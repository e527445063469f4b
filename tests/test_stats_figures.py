"""The 工作台's and the 工作统计's figures equal a count made from the rows themselves.

stats.period_figures reads three grouped queries and folds them in Python; this test recounts every figure
from plain rows (no grouping in SQL) on a demo year with rows in the 回收站, a planned activity and a team
in the bin, so a wrong fold, join or filter shows as a difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import pytest
from sqlalchemy import text

from app.db import Store
from app.demo import build_demo
from app.services import stats
from app.services.context import Context

TODAY = date(2026, 11, 15)  # the demo's own "today": nothing here reads the clock


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with Store.open(tmp_path_factory.mktemp("figures")) as store:
        build_demo(store, years=1, seed=11, today=TODAY)
        with store.engine.begin() as conn:
            # Rows that must count nowhere: a binned participation on each of a few activities, a binned
            # activity, an activity turned back into a plan, a team in the bin (its activities still count
            # in the totals, not under its name).
            conn.execute(text("UPDATE participation SET deleted = 1 WHERE id IN (SELECT min(id) FROM participation GROUP BY activity_id LIMIT 40)"))
            conn.execute(text("UPDATE activity SET deleted = 1 WHERE id = (SELECT id FROM activity WHERE date >= '2026-03-01' ORDER BY id LIMIT 1)"))
            conn.execute(text("UPDATE activity SET status = 'planned' WHERE id = (SELECT id FROM activity WHERE date >= '2026-06-01' AND deleted = 0 ORDER BY id LIMIT 1)"))
            conn.execute(text("UPDATE team SET deleted = 1 WHERE id = (SELECT team_id FROM activity WHERE team_id IS NOT NULL ORDER BY id LIMIT 1)"))
        yield store


def _rows(store, sql: str) -> list:
    with store.engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_a_years_figures_equal_a_count_from_the_rows(store):
    ctx = Context(store=store)
    date_from, date_to = date(2026, 1, 1), TODAY
    figures = stats.period_figures(ctx, date_from, date_to)

    teams = {r.id: r.name for r in _rows(store, "SELECT id, name FROM team WHERE deleted = 0")}
    done = {r.id: r for r in _rows(store, "SELECT id, date, category, team_id, served_count, status, deleted FROM activity")
            if r.status == "done" and not r.deleted and date_from <= date.fromisoformat(str(r.date)[:10]) <= date_to}
    parts = [p for p in _rows(store, "SELECT activity_id, volunteer_id, hours, deleted FROM participation") if p.activity_id in done and not p.deleted]
    assert len(done) >= 50 and len(parts) >= 150 and len(teams) >= 3  # a real year, not an empty store

    def month(activity) -> tuple[int, int]:
        day = date.fromisoformat(str(activity.date)[:10])
        return day.year, day.month

    assert figures.activities == len(done)
    assert figures.served == sum(a.served_count for a in done.values())
    assert figures.participations == len(parts)
    assert figures.hours == round(sum(p.hours for p in parts), 2)
    assert figures.active_volunteers == len({p.volunteer_id for p in parts})
    assert figures.by_month == dict(Counter(month(a) for a in done.values()))
    hours_by_category: dict[str, float] = defaultdict(float)
    hours_by_month: dict[tuple[int, int], float] = defaultdict(float)
    hours_by_team: dict[str, float] = defaultdict(float)
    for p in parts:
        activity = done[p.activity_id]
        hours_by_category[activity.category] += p.hours
        hours_by_month[month(activity)] += p.hours
        if activity.team_id in teams:
            hours_by_team[teams[activity.team_id]] += p.hours
    counts = Counter(a.category for a in done.values())
    assert figures.by_category == {c: (n, round(hours_by_category[c], 2)) for c, n in counts.items()}
    assert figures.hours_by_month == {m: round(h, 2) for m, h in hours_by_month.items()}
    assert figures.category_months == {c: dict(Counter(month(a) for a in done.values() if a.category == c)) for c in counts}
    assert figures.team_months == {name: dict(Counter(month(a) for a in done.values() if a.team_id == tid)) for tid, name in teams.items()}
    assert figures.team_hours == {name: round(hours_by_team[name], 2) for name in teams.values()}
    binned_team = _rows(store, "SELECT id, name FROM team WHERE deleted = 1")[0]
    assert binned_team.name not in figures.team_months  # in the bin: counted in the totals, not under its name
    assert any(a.team_id == binned_team.id for a in done.values())


def test_the_overview_is_this_month_and_this_year_of_those_figures(store):
    ctx = Context(store=store)
    overview = stats.overview(ctx, today=TODAY)
    done = [r for r in _rows(store, "SELECT id, date, team_id FROM activity WHERE status = 'done' AND deleted = 0")
            if str(r.date)[:4] == "2026" and str(r.date)[:10] <= TODAY.isoformat()]
    this_month = [a for a in done if str(a.date)[:7] == "2026-11"]
    hours_month = sum(p.hours for p in _rows(store, "SELECT p.hours, p.activity_id FROM participation p WHERE p.deleted = 0")
                      if p.activity_id in {a.id for a in this_month})
    assert overview.activities_year == len(done) and overview.activities_month == len(this_month) > 0
    assert overview.hours_month == round(hours_month, 2)
    assert overview.volunteers == _rows(store, "SELECT count(*) FROM volunteer WHERE deleted = 0")[0][0]
    live_teams = _rows(store, "SELECT id, name FROM team WHERE deleted = 0 ORDER BY name")
    assert [t.team_name for t in overview.teams] == [t.name for t in live_teams]
    for team in overview.teams:
        assert team.this_year == sum(1 for a in done if a.team_id == team.team_id)
        assert team.this_month == sum(1 for a in this_month if a.team_id == team.team_id)
    assert overview.idle_teams == [t for t in overview.teams if t.this_month == 0]


def test_the_dashboard_knows_the_months_before_a_team_was_founded(tmp_path):
    """The 工作台's month table shows “—”, not a red 0, for a month before a team's 成立日期 (a new ledger started in
    December showed every team red for the whole year); a team with no 成立日期 is shown in every month."""
    from app.services import teams
    from app.services.station import init_station

    with Store.open(tmp_path / "data") as fresh:
        init_station(fresh, name="新村新时代文明实践站", kind="village", population=900, street="艾山街道")
        ctx = Context(store=fresh)
        teams.add_team(ctx, name="新队", category="敬老爱老", founded_on=date(2026, 6, 3))
        teams.add_team(ctx, name="老队", category="敬老爱老")
        shown = {t.team_name: t for t in stats.overview(ctx, today=date(2026, 7, 15)).teams}
    assert shown["新队"].founded_on == "2026-06-03" and shown["老队"].founded_on == ""
    assert [m for m in range(1, 13) if shown["新队"].existed_in(2026, m)] == list(range(6, 13))
    assert not shown["新队"].existed_in(2025, 12) and shown["新队"].existed_in(2027, 1)
    assert all(shown["老队"].existed_in(2026, m) for m in range(1, 13))
