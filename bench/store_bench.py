"""The store on the 5-year dataset: generation, size, and four queries beside bare SQL, each in alternated
pairs (bench/pairs.py: 5 pairs, each side the median of 15 runs)."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

from app.db import Store
from app.services import activities, volunteers
from app.services.context import Context
from bench.dataset import generate
from bench.pairs import report


def run(data: Path, *, small: bool = False) -> None:
    scale = 10 if small else 1
    with Store.open(data) as store:
        start = time.perf_counter()
        counts = generate(store, volunteers=20_000 // scale, activities=100_000 // scale)
        generated = time.perf_counter() - start
        size_mb = store.paths.db.stat().st_size / 2**20
        print(f"dataset: {counts['volunteers']:,} volunteers, {counts['activities']:,} activities, "
              f"{counts['participations']:,} participations (+ outbox) in {generated:.1f} s; DB {size_mb:.0f} MB (one run: the "
              "bench's own set-up)")
        ctx = Context(store=store)
        raw = sqlite3.connect(store.paths.db)
        sid = store.station_id
        some = raw.execute("SELECT id FROM volunteer WHERE number='ZY000100'").fetchone()[0]
        year, month = date.today().year, date.today().month
        first, last = activities.month_range(year, month)

        queries = [
            (
                "filter volunteers by initials 'zs' (200 rows)",
                (lambda: volunteers.search_volunteers(ctx, "zs", limit=200)),
                (lambda: raw.execute(
                    "SELECT * FROM volunteer WHERE station_id=? AND deleted=0 AND name_initials LIKE 'zs%' ORDER BY number LIMIT 200", (sid,)).fetchall()),
            ),
            (
                "count volunteers matching 'zs'",
                (lambda: volunteers.count_volunteers(ctx, "zs")),
                (lambda: raw.execute(
                    "SELECT COUNT(*) FROM volunteer WHERE station_id=? AND deleted=0 AND name_initials LIKE 'zs%'", (sid,)).fetchone()),
            ),
            (
                "list one month's activities with totals",
                (lambda: activities.list_activities(ctx, year=year, month=month)),
                (lambda: raw.execute(
                    "SELECT a.*, t.name, (SELECT COUNT(*) FROM participation p WHERE p.activity_id=a.id AND p.deleted=0), "
                    "(SELECT COALESCE(SUM(hours),0) FROM participation p WHERE p.activity_id=a.id AND p.deleted=0) "
                    "FROM activity a LEFT JOIN team t ON t.id=a.team_id WHERE a.station_id=? AND a.deleted=0 "
                    "AND a.date BETWEEN ? AND ? ORDER BY a.date DESC", (sid, first.isoformat(), last.isoformat())).fetchall()),
            ),
            (
                "total one volunteer's hours",
                (lambda: volunteers.volunteer_hours(ctx, some)),
                (lambda: raw.execute(
                    "SELECT COALESCE(SUM(p.hours),0) FROM participation p JOIN activity a ON a.id=p.activity_id WHERE p.volunteer_id=? "
                    "AND p.deleted=0 AND a.deleted=0 AND a.status='done'", (some,)).fetchone()),
            ),
        ]
        for name, ours, bare in queries:
            report(name, ours, bare, repeat=15)
        raw.close()
