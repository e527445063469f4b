"""A bulk write in a background job gives way to the window's thread between slices of rows, and only when
the window has been kept waiting (app/giveway.py)."""

from __future__ import annotations

import sys
import threading
import time
from datetime import date

from sqlmodel import func, select

from app import giveway
from app.changes import insert_many
from app.models import OutboxEntry, PointEntry
from app.services import volunteers
from conftest import make_id


def _in_a_thread(fn):
    result = []
    worker = threading.Thread(target=lambda: result.append(fn()))
    worker.start()
    worker.join()
    return result[0]


def test_gives_way_only_off_the_window_thread_and_only_when_the_window_waits(monkeypatch):
    monkeypatch.setattr(giveway, "_since_window_ran", None)
    assert _in_a_thread(giveway.give_way) is False  # no window: the command line, the server
    giveway.set_watch(lambda: 0.001)
    assert _in_a_thread(giveway.give_way) is False  # the window ran a moment ago
    giveway.set_watch(lambda: 0.5)
    start = time.perf_counter()
    assert _in_a_thread(giveway.give_way) is True
    assert time.perf_counter() - start >= giveway.PAUSE_S
    assert giveway.give_way() is False  # the window's own thread never waits for itself


def test_a_bulk_insert_gives_way_between_slices_and_writes_everything(ctx, monkeypatch):
    vol = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="积分人", id_number=make_id(seq=78), phone="13812340078")
    calls = []
    # Counted where the slices pause; SQLite's progress handler may give way inside a statement too (db.py),
    # as often as the statement's steps say — one index more is one call more.
    monkeypatch.setattr(giveway, "give_way", lambda: calls.append(sys._getframe(1).f_code.co_name) or False)
    monkeypatch.setattr(giveway, "SLICE", 100)
    rows = [{"volunteer_id": vol.id, "points": 1, "occurred_on": date(2026, 3, 1), "reason": f"第{n}次", "source": f"activity:{n}",
             "operator": "管理员"} for n in range(250)]
    with ctx.write() as session:
        insert_many(session, PointEntry, rows)
    assert calls.count("slices") == 2 * 2  # 250 rows in three slices: two pauses for the entries, two for their outbox rows
    with ctx.store.session() as session:
        assert session.exec(select(func.count()).select_from(PointEntry)).one() == 250
        assert session.exec(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.entity == "point_entry")).one() == 250


def test_a_bulk_insert_reads_the_system_randomness_once_for_all_its_ids(ctx, monkeypatch):
    """Each read lets go of the interpreter lock; 400,000 of them kept the window waiting during a settlement."""
    import os
    import uuid

    vol = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="积分人", id_number=make_id(seq=79), phone="13812340079")
    reads = []
    real = os.urandom
    monkeypatch.setattr(os, "urandom", lambda n: reads.append(n) or real(n))
    rows = [{"volunteer_id": vol.id, "points": 1, "occurred_on": date(2026, 3, 1), "reason": f"第{n}次", "source": f"activity:{n}",
             "operator": "管理员"} for n in range(300)]
    with ctx.write() as session:
        insert_many(session, PointEntry, rows)
    assert reads == [16 * 300]
    with ctx.store.session() as session:
        ids = [e.id for e in session.exec(select(PointEntry))]
    assert len(set(ids)) == 300 and all(uuid.UUID(i).version == 4 for i in ids)


def test_a_long_statement_gives_way_from_inside_sqlite(ctx, monkeypatch):
    """SQLite's progress handler calls give_way every PROGRESS_OPS steps of a statement: a long read too."""
    from sqlalchemy import text

    calls = []
    monkeypatch.setattr(giveway, "give_way", lambda: calls.append(1) or True)

    def long_read() -> int:
        with ctx.read() as session:
            return session.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
                                        "SELECT count(*) FROM n")).scalar_one()

    assert _in_a_thread(long_read) == 200000  # a True from give_way never stops the statement
    assert len(calls) >= 200000 * 3 // giveway.PROGRESS_OPS  # each row of the CTE is several steps
