"""六.4 月度评估 for thousands of stations: each station's verdicts kept, not recomputed on every page view.

Evaluating one station takes some twenty queries (the same evaluator the stations run on their own PCs);
3,000 stations on every view took about half a minute. A station's verdicts for a month are kept with the
rules they were judged by and when; they are used again until the station syncs (new rows), the district
publishes other rules, or — for the month still running, whose verdicts depend on the day — the day changes.
A Monday morning after 300 stations synced re-evaluates those 300, not all 3,000."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from datetime import UTC, date, datetime

from sqlalchemy import Connection, delete, select, true
from sqlalchemy import exc as sa_exc

from app.models.base import utcnow
from app.rules import AT_RISK, MET, MISSED, NOT_APPLICABLE, ON_TRACK, Period, Rule, Verdict, evaluate

from .db import TABLES, account, evaluation_cache

log = logging.getLogger(__name__)


SUMMARY_FORMAT = 4  # bumped when summary_of changes what it keeps: verdicts kept in an older form are judged again
# (3: every problem kept, not the first six — the street page listed 6 of 7, #30; 4: a month paces an annual count)


def rules_key(rules: list[Rule]) -> str:
    kept = {"summary": SUMMARY_FORMAT, "rules": [dataclasses.asdict(r) for r in rules]}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def summary_of(verdicts: list[Verdict]) -> dict:
    """What the ranking needs of a station's verdicts: kept beside them, so a page of thousands of
    stations does not rebuild some 60,000 verdicts to rank them."""
    counted = [v for v in verdicts if v.status != NOT_APPLICABLE]
    missed = sum(v.status == MISSED for v in counted)
    return {"met": sum(v.status in (MET, ON_TRACK) for v in counted), "counted": len(counted),
            "at_risk": sum(v.status == AT_RISK for v in counted), "missed": missed,
            # 主要问题: every failed (未达标) item first, then the ones at risk, each saying which it is (#30). All of
            # them: the pages show the first few and the rest on demand, the PDF and Excel all.
            "problems": ([f"【未达标】{v.title}：{v.gap}" for v in counted if v.status == MISSED]
                         + [f"【有风险】{v.title}：{v.gap}" for v in counted if v.status == AT_RISK])}


def verdicts_for_all(conn: Connection, year: int, month: int | None, rules: list[Rule], *, today: date | None = None,
                     full: bool = True, street: str = "", half: int | None = None,
                     deadline: float | None = None) -> list[tuple]:
    """(account, summary, verdicts) for every enrolled station that has synced its station row, from the kept
    verdicts where they still hold and judged afresh (and kept) where not. ``full=False``: the summaries only
    (verdicts None), read without the verdicts themselves. ``street``: that street's stations only (#30).
    ``month`` None: the whole year (kept under the period "2026"; a running year is judged to date), or with ``half``
    1 or 2 that half-year (六.4 半年观摩, kept under "2026-H1"). ``deadline`` (a ``time.perf_counter()``): judge
    afresh only until then; a station still to judge after it comes back as (account, None, None) — a page shows
    what is ready and has the rest judged in the background (``judge_later``) rather than keep a person waiting
    the 30–40 s that 3,000 stations take (#29)."""
    today = today or date.today()
    period = Period.of(year=year, month=month, half=None if month else half, today=today)
    key = rules_key(rules)
    label = f"{year:04d}-{month:02d}" if month else f"{year:04d}-H{half}" if half else f"{year:04d}"
    running = period.end >= today  # the month still running: its verdicts depend on the day
    station = TABLES["station"]
    accounts = conn.execute(select(account).join(station, station.c.id == account.c.station_id)
                            .where(account.c.station_id != None, account.c.street == street if street else true())
                            .order_by(account.c.name)).all()
    columns = [c for c in evaluation_cache.c if full or c.name != "verdicts"]
    kept = {r.station_id: r for r in conn.execute(select(*columns).where(evaluation_cache.c.period == label))}
    out, fresh = [], []
    for acct in accounts:
        row = kept.get(acct.station_id)
        usable = (row is not None and row.rules_key == key and (not running or row.computed_on == today)
                  and (acct.last_sync_at is None or _aware(row.computed_at) >= _aware(acct.last_sync_at)))
        if usable:
            summary = {"met": row.met, "counted": row.counted, "at_risk": row.at_risk, "missed": row.missed, "problems": row.problems}
            verdicts = [Verdict(**v) for v in row.verdicts] if full else None
        elif deadline is not None and time.perf_counter() > deadline:
            out.append((acct, None, None))
            continue
        else:
            verdicts = evaluate(conn, TABLES, acct.station_id, period, rules)
            summary = summary_of(verdicts)
            fresh.append({"station_id": acct.station_id, "period": label, "rules_key": key, "computed_at": utcnow(),
                          "computed_on": today, "verdicts": [dataclasses.asdict(v) for v in verdicts], **summary})
        out.append((acct, summary, verdicts))
    if fresh:
        _keep(conn, label, fresh)
    return out


def _keep(conn: Connection, label: str, fresh: list[dict]) -> None:
    """Replace the kept verdicts of these stations; two staff views computing at once both succeed."""
    try:
        with conn.begin_nested():
            for start in range(0, len(fresh), 500):
                part = fresh[start:start + 500]
                conn.execute(delete(evaluation_cache).where(evaluation_cache.c.period == label,
                                                            evaluation_cache.c.station_id.in_([f["station_id"] for f in part])))
                conn.execute(evaluation_cache.insert(), part)
        conn.commit()
    except sa_exc.DBAPIError as exc:  # another process kept them first: theirs are as good
        log.info("evaluation cache not written (%s)", type(exc.orig).__name__)
        conn.rollback()


JUDGE_LOCK_KEY = 0x5354_4A55_4447_4531  # "STJUDGE1": one process judges at a time (PostgreSQL advisory lock)


def judge_running_month(engine) -> int | None:
    """Judge now the running month's stations whose kept verdicts no longer hold (a new day, a sync since,
    other rules), and the running half-year's and year's, so a staff member opening the evaluation or a 街道
    ranking only reads. Returns how many stations of the month are ready, or None when another server process is
    judging (PostgreSQL: a session advisory lock)."""
    from sqlalchemy import text

    from .admin import current_rules

    with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres and not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": JUDGE_LOCK_KEY}).scalar():
            conn.rollback()
            return None
        try:
            today = date.today()
            rules = current_rules(conn)
            ready = len(verdicts_for_all(conn, today.year, today.month, rules, today=today, full=False))
            # The running half-year and year too (六.4 半年观摩, 全年评估 judge every month of them, #30): without
            # this the first 街道 ranking of the half or the year each day judged every station while staff waited.
            verdicts_for_all(conn, today.year, None, rules, today=today, full=False, half=1 if today.month <= 6 else 2)
            verdicts_for_all(conn, today.year, None, rules, today=today, full=False)
            return ready
        finally:
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": JUDGE_LOCK_KEY})
                conn.commit()


_later: set[tuple] = set()  # the (engine, year, month, half) being judged in the background by this process
_later_lock = threading.Lock()


def judge_later(engine, year: int, month: int | None, *, half: int | None = None) -> bool:
    """Judge every station of the period in a background thread of this process (one per period at a time), so
    the page that found stations unjudged can answer at once and show them on its next load. True if started."""
    from .admin import current_rules

    key = (id(engine), year, month, half)
    with _later_lock:
        if key in _later:
            return False
        _later.add(key)

    def run() -> None:
        try:
            with engine.connect() as conn:
                verdicts_for_all(conn, year, month, current_rules(conn), full=False, half=half)
        except Exception:  # logged; the page judges what is still missing next time
            log.exception("judging %s-%s in the background failed", year, month)
        finally:
            with _later_lock:
                _later.discard(key)

    threading.Thread(target=run, name=f"judge-{year}-{month}", daemon=True).start()
    return True


def judging_later(engine, year: int, month: int | None, *, half: int | None = None) -> bool:
    with _later_lock:
        return (id(engine), year, month, half) in _later


class AheadJudge:
    """A thread in each server process that calls ``judge_running_month`` every ``every_s`` seconds (the
    first time a few seconds after start): after midnight every station of the running month needs judging
    again (3,000 stations: about 40 s), and without this the first staff member of the day waited for it."""

    def __init__(self, engine, every_s: float, first_after_s: float = 5.0):
        import threading

        self.engine, self.every_s, self.first_after_s = engine, every_s, first_after_s
        self.stopped = threading.Event()
        self.rounds = 0
        self.thread = threading.Thread(target=self._run, name="judge-ahead", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(30)

    def _run(self) -> None:
        wait = self.first_after_s
        while not self.stopped.wait(wait):
            wait = self.every_s
            try:
                judge_running_month(self.engine)
            except Exception:  # a failed round is logged and tried again next time
                log.exception("judging the running month ahead failed")
            self.rounds += 1
