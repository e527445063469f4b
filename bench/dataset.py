"""A 5-year dataset for benchmarks: 20,000 volunteers, 100,000 activities, ~400,000 participations.

Written with plain executemany (the ORM would spend minutes on half a million
objects) but in the exact shape the app writes: every synced row also gets its
outbox entry, so the sync benchmark can push it.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from datetime import UTC, date, datetime, time, timedelta

from app.changes import to_jsonable
from app.db import Store
from app.demo import GIVEN, SURNAMES, _id_number
from app.models import hours
from app.models.enums import TEAM_CATEGORIES
from app.services.pinyin import name_keys
from app.services.station import init_station

SYNC_COLUMNS = ("id", "station_id", "version", "updated_at", "deleted")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(store: Store, *, volunteers: int = 20_000, activities: int = 100_000, per_activity: int = 4,
             teams: int = 17, years: int = 5, seed: int = 1, today: date | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    today = today or date.today()
    station = init_station(store, name="基准测试村新时代文明实践站", kind="community", population=120_000)
    sid = station.id
    stamp = datetime.now(UTC)
    now = stamp.replace(tzinfo=None).isoformat(sep=" ")  # how UTCDateTime stores it
    booleans = {"deleted", "own_name", "family"}
    conn = sqlite3.connect(store.paths.db)
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the app itself always runs FULL
    hours.drop(conn.execute)  # the hours figures are rebuilt once at the end, not per inserted row
    outbox: list[tuple] = []

    def insert(table: str, rows: list[dict]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        conn.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                         [tuple(r[c] for c in cols) for r in rows])
        for r in rows:
            # The payload exactly as the change-capture hook writes it (booleans, aware timestamps).
            payload = {k: (bool(v) if k in booleans else stamp.isoformat() if k == "updated_at" else to_jsonable(v)) for k, v in r.items()}
            outbox.append((table, r["id"], "insert", 1, json.dumps(payload, ensure_ascii=False), "基准", now))
        if len(outbox) > 20_000:
            flush_outbox()

    def flush_outbox() -> None:
        conn.executemany("INSERT INTO outbox (entity,row_id,op,version,payload,operator,at) VALUES (?,?,?,?,?,?,?)", outbox)
        outbox.clear()

    def base() -> dict:
        return {"id": _uid(rng), "station_id": sid, "version": 1, "updated_at": now, "deleted": 0}

    vol_rows = []
    pinyin_cache: dict[str, tuple[str, str]] = {}
    for n in range(1, volunteers + 1):
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        full, initials = pinyin_cache.setdefault(name, name_keys(name))
        female = rng.random() < 0.5
        born = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
        phone = f"13{rng.randrange(10**9):09d}"
        vol_rows.append({**base(), "number": f"ZY{n:06d}", "name": name, "name_pinyin": full, "name_initials": initials,
                         "id_type": "居民身份证", "id_number": _id_number(rng, born, female), "gender": "女" if female else "男",
                         "birth_date": born.isoformat(), "phone": phone, "phone_tail": phone[-4:], "political_status": "群众",
                         "tags": "", "skills": "", "registered_on": "2021-01-01", "address": "", "note": ""})
    insert("volunteer", vol_rows)
    team_rows = [{**base(), "name": f"{cat}志愿服务队", "category": cat, "leader_id": None, "founded_on": "2021-01-01", "description": ""}
                 for cat in TEAM_CATEGORIES[:teams]]
    insert("team", team_rows)
    start_day = today - timedelta(days=365 * years)
    span = (today - start_day).days
    act_rows, part_rows = [], []
    vol_ids = [v["id"] for v in vol_rows]
    for _ in range(activities):
        team = rng.choice(team_rows)
        day = start_day + timedelta(days=rng.randrange(span + 1))
        act = {**base(), "title": f"{team['category']}志愿服务活动", "category": team["category"], "team_id": team["id"],
               "date": day.isoformat(), "start_time": time(9).isoformat(), "end_time": time(11).isoformat(), "place": "党群服务中心",
               "organiser": team["name"], "own_name": 1, "served_count": rng.randint(5, 60), "service_target": "群众", "content": "",
               "status": "done", "family": 0, "project_id": None}
        act_rows.append(act)
        for vid in rng.sample(vol_ids, per_activity):
            part_rows.append({**base(), "activity_id": act["id"], "volunteer_id": vid, "hours": 2.0, "role": "志愿者"})
        if len(act_rows) >= 10_000:
            insert("activity", act_rows)
            insert("participation", part_rows)
            act_rows, part_rows = [], []
    insert("activity", act_rows)
    insert("participation", part_rows)
    flush_outbox()
    hours.install(conn.execute)
    hours.rebuild(conn.execute)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {"volunteers": volunteers, "activities": activities, "participations": activities * per_activity}
