"""积分银行 on the 5-year dataset: settling a year of activities, everyone's balances, and a redemption,
each beside the bare SQL doing the same work in the same run."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import date
from pathlib import Path

from app.db import Store
from app.services import points
from app.services.context import Context

from .rules_bench import _timed


BARE_BALANCES = ("SELECT v.id, v.name, v.phone, SUM(CASE WHEN e.points > 0 THEN e.points ELSE 0 END), "
                 "SUM(CASE WHEN e.points < 0 THEN -e.points ELSE 0 END) FROM volunteer v JOIN point_entry e "
                 "ON e.volunteer_id = v.id AND e.deleted = 0 WHERE v.station_id = ? AND v.deleted = 0 GROUP BY v.id LIMIT 500")


def run(data: Path) -> None:
    with Store.open(data) as store:
        ctx = Context(store)
        station_id = store.station_id
        year_start = date(date.today().year, 1, 1)
        raw = sqlite3.connect(store.paths.db, isolation_level=None)
        raw.execute("PRAGMA foreign_keys=ON")  # as the store's own connections: the entries' volunteers are checked
        before = raw.execute("SELECT COALESCE(MAX(rowid), 0) FROM point_entry").fetchone()[0]
        start = time.perf_counter()
        written, credited = points.settle_activities(ctx, date_from=year_start)
        settle = time.perf_counter() - start
        # Bare: the same entries the settlement wrote (each with a new id: same volunteers, points, dates,
        # reasons and sources) inserted with executemany into the store's own point_entry table (its indexes
        # and foreign keys too), no rules, no change capture; then with one outbox row each (its JSON payload
        # built per row). Each in a transaction rolled back, so the store is as the settlement left it.
        columns = [c[1] for c in raw.execute("PRAGMA table_info(point_entry)")]
        marks = ",".join("?" * len(columns))
        rows = [(str(uuid.uuid4()), *row[1:]) for row in raw.execute("SELECT * FROM point_entry WHERE rowid > ?", (before,))]
        assert len(rows) == written
        def bare(with_changes: bool) -> float:
            """Committed as the settlement is (its WAL written and synced), then taken out again, untimed."""
            raw.execute("BEGIN")
            start = time.perf_counter()
            raw.executemany(f"INSERT INTO point_entry VALUES ({marks})", rows)
            if with_changes:
                raw.executemany("INSERT INTO outbox (entity, row_id, op, version, payload, operator, at) VALUES (?,?,?,?,?,?,?)",
                                [("point_entry", r[0], "insert", 1, json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False), "基准",
                                  "2026-01-01") for r in rows])
            raw.execute("COMMIT")
            seconds = time.perf_counter() - start
            raw.execute("PRAGMA foreign_keys=OFF")  # else each delete scans point_entry for entries reversing it
            raw.execute("BEGIN")
            raw.execute("DELETE FROM outbox WHERE operator = '基准' AND at = '2026-01-01'")
            raw.executemany("DELETE FROM point_entry WHERE id = ?", [(r[0],) for r in rows])
            raw.execute("COMMIT")
            raw.execute("PRAGMA foreign_keys=ON")
            return seconds

        raw.execute("PRAGMA synchronous=FULL")  # as the store's connections
        bare_settle = bare(False)
        bare_with_changes = bare(True)
        raw.execute("CREATE TEMP TABLE bare_entry AS SELECT * FROM point_entry WHERE 0")  # for the redemption below
        print(f"settle this year's activities: {written:,} entries ({credited:,} points) in {settle:.1f} s "
              f"({written / settle:,.0f}/s); bare executemany of as many rows into point_entry {bare_settle:.2f} s; ratio {settle / bare_settle:.0f}; "
              f"bare with a change row each {bare_with_changes:.2f} s; ratio {settle / bare_with_changes:.1f} (goal ≤ 2)")
        ours = _timed(lambda: points.accounts(ctx))
        bare = _timed(lambda: raw.execute(BARE_BALANCES, (station_id,)).fetchall())
        print(f"everyone's balances (top 500 of {written:,} entries): {ours * 1000:.0f} ms; bare GROUP BY {bare * 1000:.0f} ms; "
              f"ratio {ours / bare:.1f}")
        holder = points.accounts(ctx)[0].holder
        goods = points.save_goods(ctx, name="基准测试毛巾", unit="条", price=1)
        points.restock(ctx, goods.id, 1000)
        ours = _timed(lambda: points.redeem(ctx, holder, goods.id), repeat=30)

        def bare_redeem() -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("SELECT COALESCE(SUM(points), 0) FROM point_entry WHERE volunteer_id = ?", (holder.volunteer_id,)).fetchone()
            raw.execute("SELECT COALESCE(SUM(quantity), 0) FROM stock_move WHERE goods_id = ?", (goods.id,)).fetchone()
            raw.execute("INSERT INTO bare_entry (id, station_id, version, updated_at, deleted, points, occurred_on, reason, source, operator) "
                        "VALUES (?, ?, 1, '2026-01-01', 0, -1, '2026-01-01', 'x', 'bare', '')", (str(uuid.uuid4()), station_id))
            raw.execute("COMMIT")

        bare = _timed(bare_redeem, repeat=30)
        raw.close()
        print(f"one redemption (balance + stock checked under the write lock, two entries, outbox): {ours * 1000:.2f} ms; "
              f"bare SQL {bare * 1000:.2f} ms; ratio {ours / bare:.0f}")
