"""Only live rows count: the 五有 evaluator (the station's self-check and the district's ranking alike)
never counts what is in the 回收站."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.models import Activity, Document, Membership, Participation, Project, Team, Training, Volunteer
from app.rules import MISSED, Period, selfcheck
from app.services import activities, volunteers
from app.services.activities import ParticipantInput
from app.services.station import set_deleted
from conftest import make_id

DAY = date(2026, 3, 10)
PERIOD = Period.of(year=2026, today=date(2026, 11, 30))
OVER = Period.of(year=2026, today=date(2027, 1, 10))  # the year is over: a shortfall is 未达标


def test_volunteers_in_the_bin_are_not_active_volunteers(ctx):
    """The reported case: one live volunteer who never served, three who served and were binned: 0 %, not 300 %."""
    live = volunteers.add_volunteer(ctx, name="在册未服务", id_number=make_id(seq=1), phone="13812340001", registered_on=date(2026, 1, 2))
    served = [volunteers.add_volunteer(ctx, name=f"已删除{i}", id_number=make_id(seq=10 + i), phone=f"1381234001{i}",
                                       registered_on=date(2026, 1, 2)) for i in range(3)]
    activities.add_activity(ctx, title="敬老饺子宴", date=DAY, category="敬老爱老",
                            participants=[ParticipantInput(v.id, 3.0) for v in served])
    for v in served:
        set_deleted(ctx, Volunteer, v.id, deleted=True, what="志愿者")
    verdict = {v.rule_id: v for v in selfcheck(ctx, OVER)}["active_share"]
    assert (verdict.figure, verdict.status) == (0.0, MISSED) and live.id
    assert "超过60%" in verdict.title  # the rule is strict (seed 三.2: 大于 60%), and says so


BINNABLE = (Volunteer, Activity, Participation, Team, Membership, Project, Training, Document)


def figures(ctx) -> dict[str, tuple]:
    return {v.rule_id: (v.status, v.figure, v.target, tuple(v.details)) for v in selfcheck(ctx, PERIOD)}


# What hangs off a row and goes with it when it is gone; what only points at it loses the pointer.
PARTS = {"volunteer": [("participation", "volunteer_id"), ("membership", "volunteer_id"), ("point_entry", "volunteer_id")],
         "activity": [("participation", "activity_id"), ("photo", "activity_id")],
         "team": [("membership", "team_id"), ("project_team", "team_id")],
         "project": [("project_team", "project_id")]}
POINTERS = {"team": [("activity", "team_id"), ("demand", "team_id")], "project": [("activity", "project_id")],
            "volunteer": [("team", "leader_id"), ("demand", "volunteer_id")], "activity": [("demand", "activity_id")]}


def verdicts_without(store, tmp_path, chosen) -> dict[str, tuple]:
    """The verdicts of the same station where the chosen rows never existed (a copy, rows physically removed)."""
    import sqlite3

    from sqlalchemy import create_engine

    from app.rules import evaluate, load_rules, station_tables

    copy = tmp_path / f"without-{len(list(tmp_path.iterdir()))}.db"
    store.backup(to=copy)
    db = sqlite3.connect(copy)
    for model, row_id in chosen:
        name = model.__tablename__
        for child, column in PARTS.get(name, []):
            db.execute(f"DELETE FROM {child} WHERE {column} = ?", (row_id,))
        for other, column in POINTERS.get(name, []):
            db.execute(f"UPDATE {other} SET {column} = NULL WHERE {column} = ?", (row_id,))
        db.execute(f"DELETE FROM {name} WHERE id = ?", (row_id,))
    db.commit()
    db.close()
    engine = create_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        found = {v.rule_id: (v.status, v.figure, v.target, tuple(v.details))
                 for v in evaluate(conn, station_tables(), store.station_id, PERIOD, load_rules())}
    engine.dispose()
    return found


def test_a_row_in_the_recycle_bin_counts_as_if_it_were_not_there(demo_store, tmp_path):
    """Property: binning any rows gives exactly the verdicts of the same station without those rows (and what
    hangs off them); taking them out of the bin gives the old figures back."""
    from app.services.context import Context

    ctx = Context(store=demo_store)
    with demo_store.session() as session:
        rows = [(model, row.id) for model in BINNABLE for row in session.exec(select(model).where(model.deleted == False))]
    before = figures(ctx)

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.sampled_from(rows), min_size=1, max_size=10, unique=True))
    def bin_some(chosen):
        for model, row_id in chosen:
            set_deleted(ctx, model, row_id, deleted=True, what="记录")
        try:
            assert figures(ctx) == verdicts_without(demo_store, tmp_path, chosen)
        finally:
            for model, row_id in chosen:
                set_deleted(ctx, model, row_id, deleted=False, what="记录")
        assert figures(ctx) == before

    bin_some()


def test_metrics_are_a_closed_set(tmp_path):
    """A district typo or a private helper name is refused when published; a station keeps its last good rules."""
    import pytest

    from app.rules import OVERRIDE_NAME, RULES_FILE, RulesError, load_rules, parse_rules

    good = RULES_FILE.read_text(encoding="utf-8")
    bad = good.replace('metric = "teams"', 'metric = "_teams"', 1)
    with pytest.raises(RulesError, match="_teams"):
        parse_rules(bad)
    (tmp_path / OVERRIDE_NAME).write_text(bad, encoding="utf-8")
    assert [r.metric for r in load_rules(data_dir=tmp_path)] == [r.metric for r in parse_rules(good)]


def test_the_text_self_check_lists_every_miss(ctx, tmp_path):
    """Two teams that missed months: both are named, not only the first."""
    import subprocess
    import sys

    from app.services import teams

    for name in ("敬老爱老服务队", "护苗志愿服务队"):
        teams.add_team(ctx, name=name, category="敬老爱老")
    done = subprocess.run([sys.executable, "-m", "app.cli", "selfcheck", "--year", "2025", "--data-dir", str(ctx.store.paths.root)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "敬老爱老服务队 2025年3月没有活动" in done.stdout and "护苗志愿服务队 2025年3月没有活动" in done.stdout
