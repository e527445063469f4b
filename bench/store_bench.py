"""The store on the 5-year dataset: generation, size, and three queries beside bare SQL."""

from __future__ import annotations

import sqlite3
import statistics
import time
from datetime import date
from pathlib import Path

from app.db import Store
from app.services import activities, volunteers
from app.services.context import Context
from bench.dataset import generate


def median_ms(fn, repeat: int = 15) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(rows: list[tuple[str, float, float]]) -> None:
    print(f"{'measure':<44}{'service ms':>12}{'bare SQL ms':>13}{'ratio':>8}")
    for name, ours, bare in rows:
        print(f"{name:<44}{ours:>12.2f}{bare:>13.2f}{ours / bare if bare else float('nan'):>8.2f}")


def run(data: Path, *, small: bool = False) -> None:
    scale = 10 if small else 1
    with Store.open(data) as store:
        start = time.perf_counter()
        counts = generate(store, volunteers=20_000 // scale, activities=100_000 // scale)
        generated = time.perf_counter() - start
        size_mb = store.paths.db.stat().st_size / 2**20
        print(f"dataset: {counts['volunteers']:,} volunteers, {counts['activities']:,} activities, "
              f"{counts['participations']:,} participations (+ outbox) in {generated:.1f} s; DB {size_mb:.0f} MB")
        ctx = Context(store=store)
        raw = sqlite3.connect(store.paths.db)
        sid = store.station_id
        some = raw.execute("SELECT id FROM volunteer WHERE number='ZY000100'").fetchone()[0]
        year, month = date.today().year, date.today().month
        first, last = activities.month_range(year, month)

        rows = [
            (
                "filter volunteers by initials 'zs' (200 rows)",
                median_ms(lambda: volunteers.search_volunteers(ctx, "zs", limit=200)),
                median_ms(lambda: raw.execute(
                    "SELECT * FROM volunteer WHERE station_id=? AND deleted=0 AND name_initials LIKE 'zs%' ORDER BY number LIMIT 200", (sid,)).fetchall()),
            ),
            (
                "count volunteers matching 'zs'",
                median_ms(lambda: volunteers.count_volunteers(ctx, "zs")),
                median_ms(lambda: raw.execute(
                    "SELECT COUNT(*) FROM volunteer WHERE station_id=? AND deleted=0 AND name_initials LIKE 'zs%'", (sid,)).fetchone()),
            ),
            (
                "list one month's activities with totals",
                median_ms(lambda: activities.list_activities(ctx, year=year, month=month)),
                median_ms(lambda: raw.execute(
                    "SELECT a.*, t.name, (SELECT COUNT(*) FROM participation p WHERE p.activity_id=a.id AND p.deleted=0), "
                    "(SELECT COALESCE(SUM(hours),0) FROM participation p WHERE p.activity_id=a.id AND p.deleted=0) "
                    "FROM activity a LEFT JOIN team t ON t.id=a.team_id WHERE a.station_id=? AND a.deleted=0 "
                    "AND a.date BETWEEN ? AND ? ORDER BY a.date DESC", (sid, first.isoformat(), last.isoformat())).fetchall()),
            ),
            (
                "total one volunteer's hours",
                median_ms(lambda: volunteers.volunteer_hours(ctx, some)),
                median_ms(lambda: raw.execute(
                    "SELECT COALESCE(SUM(p.hours),0) FROM participation p JOIN activity a ON a.id=p.activity_id WHERE p.volunteer_id=? "
                    "AND p.deleted=0 AND a.deleted=0 AND a.status='done'", (some,)).fetchone()),
            ),
        ]
        raw.close()
        report(rows)
