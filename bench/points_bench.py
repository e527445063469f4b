"""积分银行 on the 5-year dataset: settling a year of activities, everyone's balances, and a redemption,
each beside the bare SQL doing the same work, in alternated pairs in the same run (bench/pairs.py)."""

from __future__ import annotations

import json
import sqlite3
import statistics
import uuid
from datetime import date
from pathlib import Path

from app.db import Store
from app.services import points
from app.services.context import Context

from .pairs import paired, report


BARE_BALANCES = ("SELECT v.id, v.name, v.phone, SUM(CASE WHEN e.points > 0 THEN e.points ELSE 0 END), "
                 "SUM(CASE WHEN e.points < 0 THEN -e.points ELSE 0 END) FROM volunteer v JOIN point_entry e "
                 "ON e.volunteer_id = v.id AND e.deleted = 0 WHERE v.station_id = ? AND v.deleted = 0 GROUP BY v.id LIMIT 500")


def run(data: Path, *, pairs: int = 5) -> None:
    with Store.open(data) as store:
        ctx = Context(store)
        station_id = store.station_id
        year_start = date(date.today().year, 1, 1)
        raw = sqlite3.connect(store.paths.db, isolation_level=None)
        raw.execute("PRAGMA foreign_keys=ON")  # as the store's own connections: the entries' volunteers are checked
        raw.execute("PRAGMA synchronous=FULL")
        before = raw.execute("SELECT COALESCE(MAX(rowid), 0) FROM point_entry").fetchone()[0]
        outbox_before = raw.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]

        def take_out() -> None:
            """What a settlement or a bare insert wrote, taken out again (untimed), so the next pair starts alike."""
            raw.execute("PRAGMA foreign_keys=OFF")  # else each delete scans point_entry for entries reversing it
            raw.execute("BEGIN")
            raw.execute("DELETE FROM outbox WHERE seq > ?", (outbox_before,))
            raw.execute("DELETE FROM point_entry WHERE rowid > ?", (before,))
            raw.execute("COMMIT")
            raw.execute("PRAGMA foreign_keys=ON")

        settled: list[tuple[int, int]] = []

        def settle() -> None:
            settled.append(points.settle_activities(ctx, date_from=year_start))

        settle()  # once, untimed: the entries the bare side writes are these
        columns = [c[1] for c in raw.execute("PRAGMA table_info(point_entry)")]
        marks = ",".join("?" * len(columns))
        rows = [(str(uuid.uuid4()), *row[1:]) for row in raw.execute("SELECT * FROM point_entry WHERE rowid > ?", (before,))]
        written, credited = settled[-1]
        if not written:
            raise RuntimeError("积分基准：今年没有可结算的活动（数据集已结算过？），无法比较 / nothing to settle this year")
        assert len(rows) == written
        take_out()

        # Bare: the same entries the settlement wrote (each with a new id: same volunteers, points, dates,
        # reasons and sources) inserted with executemany into the store's own point_entry table (its indexes
        # and foreign keys too), with one outbox row each (its JSON payload built per row), no rules, no change
        # capture, committed as the settlement is (its WAL written and synced).
        def bare() -> None:
            raw.execute("BEGIN")
            raw.executemany(f"INSERT INTO point_entry VALUES ({marks})", rows)
            raw.executemany("INSERT INTO outbox (entity, row_id, op, version, payload, operator, at) VALUES (?,?,?,?,?,?,?)",
                            [("point_entry", r[0], "insert", 1, json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False), "基准",
                              "2026-01-01") for r in rows])
            raw.execute("COMMIT")

        result = paired(f"settle this year's activities ({written:,} entries, {credited:,} points; beside a bare executemany of "
                        "as many entries with a change row each)", settle, bare, pairs=pairs, warm=False, reset=take_out)
        print(result.line("s", goal=2), flush=True)
        assert all(s == (written, credited) for s in settled), settled  # each pair settled the same year afresh
        settle()  # as the bench found it, for the steps after this one
        print(f"  ({written / statistics.median(result.ours):,.0f} entries/s)", flush=True)
        report(f"everyone's balances (top 500 of {written:,} entries; beside a bare GROUP BY)",
               lambda: points.accounts(ctx), lambda: raw.execute(BARE_BALANCES, (station_id,)).fetchall(), pairs=pairs, repeat=3)
        raw.execute("CREATE TEMP TABLE bare_entry AS SELECT * FROM point_entry WHERE 0")  # for the redemption below
        holder = points.accounts(ctx)[0].holder
        goods = points.save_goods(ctx, name="基准测试毛巾", unit="条", price=1)
        points.restock(ctx, goods.id, 1000)

        def bare_redeem() -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("SELECT COALESCE(SUM(points), 0) FROM point_entry WHERE volunteer_id = ?", (holder.volunteer_id,)).fetchone()
            raw.execute("SELECT COALESCE(SUM(quantity), 0) FROM stock_move WHERE goods_id = ?", (goods.id,)).fetchone()
            raw.execute("INSERT INTO bare_entry (id, station_id, version, updated_at, deleted, points, occurred_on, reason, source, operator) "
                        "VALUES (?, ?, 1, '2026-01-01', 0, -1, '2026-01-01', 'x', 'bare', '')", (str(uuid.uuid4()), station_id))
            raw.execute("COMMIT")

        report("one redemption (balance + stock checked under the write lock, two entries, outbox; beside bare SQL)",
               lambda: points.redeem(ctx, holder, goods.id), bare_redeem, pairs=pairs, repeat=6)
        raw.close()
