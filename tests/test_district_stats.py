"""The district's per-station figures (volunteers, a month's activities in all and per team, hours) are kept
as batches are applied: whatever a station sends — new rows, edits, dates moved across months, a team
changed, participants moved, rows binned and restored, a batch resent — the kept figures equal a count made
from the rows themselves; a district upgraded from d0007 counts what it already held."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date

import pytest
from alembic import command
from sqlalchemy import select, text, update
from sqlmodel import select as select_model

from app import outbox
from app.models import Activity, Team, Volunteer
from app.models.base import utcnow
from app.services import activities
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.errors import ValidationError
from app.services.station import set_deleted
from sync import protocol
from sync.server import admin, stats
from sync.server.apply import _convert, apply_envelope
from sync.server.db import TABLES, account, alembic_config, migrate, station_month, team_month


def _account(district_engine, store):
    admin.add_station(district_engine, "测试村", "艾山街道")
    with district_engine.begin() as conn:
        conn.execute(update(account).values(station_id=store.station_id))
        return conn.execute(select(account)).one()


def _push(district_engine, acct, store, after: int, *, size: int = 200, answers=(protocol.APPLIED, protocol.DUPLICATE)) -> int:
    """Everything the station has queued after ``after`` as batches of ``size``, the way the client builds them."""
    rows = outbox.pending(store, after_seq=after, limit=1_000_000)
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        envelope = {"batch_id": str(uuid.uuid4()), "station_id": store.station_id, "protocol": protocol.PROTOCOL_VERSION,
                    "rows": [{"seq": r.seq, "entity": r.entity, "id": r.row_id, "op": r.op, "version": r.version,
                              "payload": json.loads(r.payload)} for r in batch]}
        answer = apply_envelope(district_engine, acct, envelope)
        assert {r["status"] for r in answer["results"]} <= set(answers), answer["results"][:3]
    return rows[-1].seq if rows else after


def _counted(conn, station_id: str) -> tuple[dict, dict, int]:
    """The oracle: the figures counted in Python from the district's rows."""
    activity, participation, volunteer = TABLES["activity"], TABLES["participation"], TABLES["volunteer"]
    months: dict[str, dict] = {}
    teams: dict[tuple[str, str], int] = {}
    held = {}
    for a in conn.execute(select(activity).where(activity.c.station_id == station_id)):
        if not a.deleted and a.status == "done":
            period = f"{a.date:%Y-%m}"
            held[a.id] = period
            months.setdefault(period, {"activities": 0, "hours": 0.0})["activities"] += 1
            if a.team_id:
                teams[(a.team_id, period)] = teams.get((a.team_id, period), 0) + 1
    for p in conn.execute(select(participation).where(participation.c.station_id == station_id)):
        if not p.deleted and p.activity_id in held:
            months[held[p.activity_id]]["hours"] += p.hours
    live = sum(1 for v in conn.execute(select(volunteer.c.deleted).where(volunteer.c.station_id == station_id)) if not v.deleted)
    return months, teams, live


def _kept(conn, station_id: str) -> tuple[dict, dict, int]:
    months = {r.period: {"activities": r.activities, "hours": r.hours}
              for r in conn.execute(select(station_month).where(station_month.c.station_id == station_id))}
    teams = {(r.team_id, r.period): r.activities for r in conn.execute(select(team_month).where(team_month.c.station_id == station_id))}
    live = conn.execute(select(account.c.volunteers).where(account.c.station_id == station_id)).scalar_one()
    return months, teams, live


def assert_kept_equals_counted(district_engine, station_id: str) -> None:
    with district_engine.connect() as conn:
        want_months, want_teams, want_live = _counted(conn, station_id)
        got_months, got_teams, got_live = _kept(conn, station_id)
    assert got_live == want_live
    assert got_teams == want_teams
    assert set(got_months) == set(want_months)
    for period, figures in want_months.items():
        assert got_months[period]["activities"] == figures["activities"], period
        assert got_months[period]["hours"] == pytest.approx(figures["hours"], abs=1e-6), period


def test_the_figures_follow_every_kind_of_change_a_station_sends(district_engine, demo_store):
    migrate(district_engine)
    store = demo_store
    ctx = Context(store=store)
    acct = _account(district_engine, store)
    seq = _push(district_engine, acct, store, 0)
    assert_kept_equals_counted(district_engine, store.station_id)
    with district_engine.connect() as conn:
        assert conn.execute(select(account.c.volunteers)).scalar_one() > 0
        assert len(conn.execute(select(station_month)).all()) >= 10  # a year of the demo: every month has activities

    rng = random.Random(15)
    with store.session() as session:
        made = list(session.exec(select_model(Activity.id).where(Activity.deleted == False)))
        teams = list(session.exec(select_model(Team.id).where(Team.deleted == False)))
        people = list(session.exec(select_model(Volunteer.id).where(Volunteer.deleted == False)))
    for _round in range(6):
        for _step in range(8):
            action = rng.choice(["date", "team", "status", "people", "bin", "restore", "add", "volunteer"])
            current = activities.get_activity(ctx, rng.choice(made))
            try:
                if action == "date" and not current.deleted:  # across months and years
                    activities.update_activity(ctx, current.id, date=date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)))
                elif action == "team" and not current.deleted:
                    activities.update_activity(ctx, current.id, team_id=rng.choice(teams + [None]))
                elif action == "status" and not current.deleted:
                    activities.update_activity(ctx, current.id, status="planned" if current.status == "done" else "done")
                elif action == "people" and not current.deleted:
                    activities.update_activity(ctx, current.id, participants=[ParticipantInput(v, rng.choice([0.5, 1.5, 3.0]))
                                                                              for v in rng.sample(people, 3)])
                elif action == "bin":
                    set_deleted(ctx, Activity, current.id, deleted=True, what="活动")
                elif action == "restore":
                    set_deleted(ctx, Activity, current.id, deleted=False, what="活动")
                elif action == "add":
                    made.append(activities.add_activity(ctx, title=f"新活动{len(made)}", category="卫生环保", date=date(2025, rng.randint(1, 12), 9),
                                                        status="done", team_id=rng.choice(teams),
                                                        participants=[ParticipantInput(rng.choice(people), 2.0)]).id)
                else:
                    who = rng.choice(people)
                    with store.session() as session:
                        binned = session.get(Volunteer, who).deleted
                    set_deleted(ctx, Volunteer, who, deleted=not binned, what="志愿者")
            except ValidationError:  # what the app refuses (a held activity dated in the future) is not sent
                pass
        seq = _push(district_engine, acct, store, seq, size=rng.choice([1, 3, 50]))
        assert_kept_equals_counted(district_engine, store.station_id)

    # Every row sent again, older versions too (a copied data folder): nothing applied, the figures unchanged.
    with district_engine.connect() as conn:
        before = _kept(conn, store.station_id)
    _push(district_engine, acct, store, 0, answers=(protocol.DUPLICATE, protocol.STALE))
    with district_engine.connect() as conn:
        assert _kept(conn, store.station_id) == before
    # What the staff page reads: this month's figures and the year's hours through it.
    with district_engine.connect() as conn:
        months, _teams, live = _counted(conn, store.station_id)
        figures = stats.figures_for(conn, [store.station_id], date(2025, 11, 20))[store.station_id]
    assert figures["volunteers"] == live
    assert figures["month_total"] == months.get("2025-11", {}).get("activities", 0)
    assert figures["hours"] == pytest.approx(round(sum(f["hours"] for p, f in months.items() if "2025-01" <= p <= "2025-11"), 1))


def test_rows_added_and_changed_in_the_same_batch_count_as_they_end_up(district_engine, demo_store):
    """New rows are added to their months' figures as the batch leaves them (#29), not as first staged: an activity
    added as planned and held before the sync, one added and binned, one added in March and moved to a month the
    batch also recounts, a participant added and taken off again, participants added to an activity already at the
    district — one batch, and also one row
    a batch, each time equal to a count from the rows."""
    migrate(district_engine)
    store, ctx = demo_store, Context(store=demo_store)
    acct = _account(district_engine, store)
    seq = _push(district_engine, acct, store, 0)
    with store.session() as session:
        teams = list(session.exec(select_model(Team.id).where(Team.deleted == False)))
        people = list(session.exec(select_model(Volunteer.id).where(Volunteer.deleted == False)))
        old = session.exec(select_model(Activity).where(Activity.deleted == False, Activity.status == "done")
                           .order_by(Activity.date)).first()
    for size in (1_000, 1):
        planned = activities.add_activity(ctx, title="先计划后开展", category="卫生环保", date=date(2025, 6, 9), status="planned",
                                          team_id=teams[0], participants=[ParticipantInput(people[0], 1.5)])
        activities.update_activity(ctx, planned.id, status="done")
        binned = activities.add_activity(ctx, title="加了又删", category="卫生环保", date=date(2025, 6, 10), status="done",
                                         team_id=teams[1], participants=[ParticipantInput(people[1], 2.0)])
        set_deleted(ctx, Activity, binned.id, deleted=True, what="活动")
        moved = activities.add_activity(ctx, title="三月改到旧活动那个月", category="卫生环保", date=date(2025, 3, 9), status="done",
                                        team_id=teams[0], participants=[ParticipantInput(people[2], 3.0)])
        activities.update_activity(ctx, moved.id, date=old.date)
        dropped = activities.add_activity(ctx, title="有人报名后退出", category="卫生环保", date=date(2025, 6, 11), status="done",
                                          participants=[ParticipantInput(people[5], 1.0), ParticipantInput(people[6], 4.0)])
        activities.update_activity(ctx, dropped.id, participants=[ParticipantInput(people[5], 1.0)])  # new, and binned at once
        activities.update_activity(ctx, old.id, participants=[ParticipantInput(people[3], 0.5), ParticipantInput(people[4], 2.5)])
        seq = _push(district_engine, acct, store, seq, size=size)
        assert_kept_equals_counted(district_engine, store.station_id)


def test_a_d0007_district_counts_what_it_already_holds(district_engine, demo_store):
    cfg = alembic_config(district_engine)
    with district_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "d0007")
    # Rows received under d0007: written straight into its tables (the kept figures did not exist yet).
    with district_engine.begin() as conn:  # the d0007 account table, as that release wrote it
        conn.execute(text("INSERT INTO station_account (name, street, station_id, revoked, created_at, rows_received, rows_rejected, "
                          "client_version, kind) VALUES ('老站', '颜庄街道', :s, :f, :t, 0, 0, '', '')"),
                     {"s": demo_store.station_id, "f": False, "t": utcnow().replace(tzinfo=None)})
        for entity in protocol.ENTITIES:
            table = TABLES[entity]
            latest = {r.row_id: r for r in outbox.pending(demo_store, limit=1_000_000) if r.entity == entity}  # a row's last version
            rows = [json.loads(r.payload) for r in latest.values()]
            if not rows:
                continue
            conn.execute(table.insert(), [_convert(table, row) for row in rows])
    migrate(district_engine)
    assert_kept_equals_counted(district_engine, demo_store.station_id)
    with district_engine.connect() as conn:
        assert conn.execute(select(station_month)).first() is not None
        assert conn.execute(select(team_month)).first() is not None
    # ``rebuild`` counts the same again (by hand, after restoring the district's database).
    with district_engine.begin() as conn:
        conn.execute(station_month.delete())
        assert stats.rebuild(conn) == 1
    assert_kept_equals_counted(district_engine, demo_store.station_id)
