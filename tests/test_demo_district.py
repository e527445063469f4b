"""A demo district (#30, "Done when"): the 中心, two 所 and six stations built by the demo generator, enrolled
and synced to one real district server on 127.0.0.1. The self-check of the 中心 and of a 所 judges the
seed's teams and brand projects (三.2, 五.4), with figures equal to a count made here straight from the
ledger's rows, and the district holds the nine accounts with their tiers and streets and each one's rows."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import date

from sqlalchemy import func, select

from app.demo import SHARED_PEOPLE, build_demo_district
from app.db import Store
from app.models.enums import TEAM_CATEGORIES
from app.rules import MET, Period, evaluate, selfcheck
from app.services.context import Context
from sync.demo import enroll_and_sync
from sync.server import people
from sync.server.db import TABLES, account

SEED_TARGETS = {"center": (17, 5), "institute": (5, 3)}  # 三.2 teams, 五.4 brand projects
LECTURES = {"village": 2, "community": 4}  # 四.8: a 所's 理论政策宣讲 in its own name, by the kind of its street


def rows(db, sql: str, *params):
    """Read the ledger's SQLite file directly: no model, no service, no evaluator code."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def test_demo_district_enrolls_and_syncs_nine_ledgers(district_sqlite, tmp_path):
    started = time.monotonic()
    ledgers = build_demo_district(tmp_path / "示范区", seed=2022)
    built = time.monotonic()
    synced = enroll_and_sync(district_sqlite.engine, ledgers, server=district_sqlite.base)
    print(f"demo district: built in {built - started:.1f} s, enrolled and synced in {time.monotonic() - built:.1f} s")

    levels = [led.profile.level for led in ledgers]
    assert levels.count("center") == 1 and levels.count("institute") == 2 and levels.count("station") == 6
    assert {led.profile.street for led in ledgers if led.profile.level != "center"} == {"艾山街道", "汶源街道"}
    assert all(s.rejected == 0 and s.pushed > 0 for s in synced)

    today = date.today()
    period = Period.of(year=today.year)
    station_ids, dbs = {}, {}
    for led in ledgers:
        level = led.profile.level
        with Store.open(led.path, create=False) as store:
            sid = station_ids[led.profile.name] = store.station_id
            db = dbs[led.profile.name] = store.paths.db
            verdicts = {v.rule_id: v for v in selfcheck(Context(store=store), period)}
        if level == "station":
            continue
        teams_target, brands_target = SEED_TARGETS[level]
        live = "station_id = ? AND deleted = 0"
        # 三.2: the 中心's 17 are the 17 categories, one team each; a 所's are its teams
        team_rows = rows(db, f"SELECT id, category FROM team WHERE {live}", sid)
        teams = len({c for _, c in team_rows} & set(TEAM_CATEGORIES)) if level == "center" else len(team_rows)
        assert len(team_rows) == teams == teams_target
        brands = rows(db, f"SELECT COUNT(*) FROM project WHERE {live} AND brand = 1 AND status != 'planned'", sid)[0][0]
        assert brands == brands_target
        assert (verdicts["teams"].figure, verdicts["teams"].status) == (teams, MET)
        assert (verdicts["brand_projects"].figure, verdicts["brand_projects"].status) == (brands, MET)
        # each team active at least once a month: ≥ 12 in the generated year (三.2)
        per_team = dict(rows(db, f"SELECT team_id, COUNT(*) FROM activity WHERE {live} GROUP BY team_id", sid))
        assert all(per_team.get(tid, 0) >= 12 for tid, _ in team_rows), per_team
        if level == "institute":
            # 四.8: ≥ 12 in the 所's own name this year, and its 理论政策宣讲 by the kind of its street
            done = f"{live} AND status = 'done' AND own_name = 1 AND date >= ? AND date <= ?"
            span = (period.year_start.isoformat(), period.as_of.isoformat())
            own = rows(db, f"SELECT COUNT(*) FROM activity WHERE {done}", sid, *span)[0][0]
            lectures = rows(db, f"SELECT COUNT(*) FROM activity WHERE {done} AND category = '理论政策宣讲'", sid, *span)[0][0]
            assert verdicts["own_name"].figure == own and verdicts["lectures"].figure == lectures
            assert verdicts["lectures"].target == LECTURES[led.profile.kind]
            if today.month == 12:  # the whole year generated: the counts are the year's, not a pace
                assert own >= 12 and lectures >= LECTURES[led.profile.kind]
                assert verdicts["own_name"].status == verdicts["lectures"].status == MET
            managers = rows(db, "SELECT manager FROM station WHERE id = ?", sid)[0][0]
            assert len(managers.split("、")) >= 2 and verdicts["managers"].status == MET  # 三.1

    # The district: nine accounts, each enrolled to its ledger with its tier and street, and each one's rows.
    with district_sqlite.engine.connect() as conn:
        accounts = {a.name: a for a in conn.execute(select(account))}
        assert len(accounts) == 9
        for led in ledgers:
            acct, sid = accounts[led.profile.name], station_ids[led.profile.name]
            assert (acct.station_id, acct.level, acct.street, acct.revoked) == (sid, led.profile.level, led.profile.street, False)
            for table in ("volunteer", "team", "activity", "participation", "project", "demand"):
                here = rows(dbs[led.profile.name], f"SELECT COUNT(*) FROM {table} WHERE station_id = ?", sid)[0][0]
                t = TABLES[table]
                there = conn.execute(select(func.count()).select_from(t).where(t.c.station_id == sid)).scalar()
                assert here == there > 0, (led.profile.name, table, here, there)
            if led.profile.level != "station":  # the district judges the same rows the same way
                judged = {v.rule_id: v.figure for v in evaluate(conn, TABLES, sid, period)}
                assert (judged["teams"], judged["brand_projects"]) == SEED_TARGETS[led.profile.level]

    # One person across ledgers (#30): each volunteer the demo registered in two ledgers is one person at the district,
    # whose total is the sum of their hours in each ledger's own file; and each ledger heard it after its last sync.
    ledger_of = {sid: dbs[name] for name, sid in station_ids.items()}
    with district_sqlite.engine.connect() as conn:
        shared = people.shared(conn)
    assert len(shared) == sum(n for _from, _to, n, _moved in SHARED_PEOPLE)
    done = "p.deleted = 0 AND a.deleted = 0 AND a.status = 'done'"
    for person in shared:
        assert len(person.records) == 2
        served = ("SELECT COALESCE(SUM(p.hours), 0) FROM participation p JOIN activity a ON a.id = p.activity_id "
                  f"WHERE p.volunteer_id = ? AND {done}")
        here = {r.volunteer_id: rows(ledger_of[r.station_id], served, r.volunteer_id)[0][0] for r in person.records}
        assert person.total_hours == round(sum(here.values()), 2) > 0
        for r in person.records:
            heard = rows(ledger_of[r.station_id],
                         "SELECT ledgers, hours FROM volunteer_elsewhere WHERE volunteer_id = ?", r.volunteer_id)
            assert heard == [(1, round(person.total_hours - here[r.volunteer_id], 2))], (r.ledger, heard)
