"""The 五有 evaluator: one station-year on the 5-year dataset, and a 300-station district on the server,
each beside the bare SQL counts it rests on, in alternated pairs (bench/pairs.py)."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.rules import Period, evaluate, load_rules, station_tables
from bench.pairs import report

BARE = [
    "SELECT COUNT(*) FROM activity WHERE station_id=:s AND deleted=0 AND status='done' AND date BETWEEN :a AND :b AND own_name=1",
    "SELECT team_id, strftime('%m', date), COUNT(*) FROM activity WHERE station_id=:s AND deleted=0 AND status='done' "
    "AND date BETWEEN :a AND :b GROUP BY team_id, strftime('%m', date)",
    "SELECT p.volunteer_id, SUM(p.hours) FROM participation p JOIN activity a ON a.id=p.activity_id WHERE a.station_id=:s "
    "AND a.deleted=0 AND a.status='done' AND a.date BETWEEN :a AND :b AND p.deleted=0 GROUP BY p.volunteer_id",
    "SELECT COUNT(*) FROM volunteer WHERE station_id=:s AND deleted=0",
]


def _bare(conn, station_id: str, year: int) -> None:
    for sql in BARE:
        conn.execute(sql, {"s": station_id, "a": f"{year}-01-01", "b": f"{year}-12-31"}).fetchall()


def one_station(data: Path) -> None:
    from app.db import Store

    with Store.open(data) as store:
        year = date.today().year
        period = Period.of(year=year)
        rules, tables = load_rules(), station_tables()
        raw = sqlite3.connect(store.paths.db)
        with store.engine.connect() as conn:
            report("evaluate one station-year on the 5-year dataset (beside its bare SQL counts)",
                   lambda: evaluate(conn, tables, store.station_id, period, rules), lambda: _bare(raw, store.station_id, year))
        raw.close()


def district(stations: int = 300) -> None:
    from sync.server.db import TABLES, make_engine, migrate

    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/district.db")
        migrate(engine)
        now = datetime.now(UTC)
        today = date.today()
        rows: dict[str, list[dict]] = {name: [] for name in ("station", "team", "volunteer", "activity", "participation")}
        ids = []
        for n in range(stations):
            sid = str(uuid.uuid4())
            ids.append(sid)
            base = {"station_id": sid, "version": 1, "updated_at": now, "deleted": False}
            rows["station"].append({**base, "id": sid, "name": f"第{n}村", "level": "station", "kind": rng.choice(("village", "community")),
                                    "street": f"街道{n % 9}", "population": rng.randint(800, 5000), "address": "", "phone": "0531-76512345",
                                    "contact": "扫码", "opening_hours": "周一至周五", "activity_day": "每月10日", "manager": "", "founded_on": None})
            teams = [str(uuid.uuid4()) for _ in range(4)]
            for t, tid in enumerate(teams):
                rows["team"].append({**base, "id": tid, "name": f"队{t}", "category": "敬老爱老", "leader_id": None, "founded_on": None, "description": ""})
            vols = [str(uuid.uuid4()) for _ in range(60)]
            for v, vid in enumerate(vols):
                rows["volunteer"].append({**base, "id": vid, "number": f"ZY{v:06d}", "name": "某", "name_pinyin": "", "name_initials": "",
                                          "id_type": "居民身份证", "id_number": "x", "gender": "男", "birth_date": None, "phone": "",
                                          "phone_tail": "", "political_status": rng.choice(("中共党员", "群众", "群众")), "tags": "",
                                          "skills": "", "registered_on": date(2022, 1, 1), "address": "", "note": ""})
            for _ in range(rng.randint(20, 70)):
                aid = str(uuid.uuid4())
                day = date(today.year, 1, 1) + timedelta(days=rng.randrange(max(1, (today - date(today.year, 1, 1)).days)))
                rows["activity"].append({**base, "id": aid, "title": "活动", "category": rng.choice(("敬老爱老", "理论政策宣讲")),
                                         "team_id": rng.choice(teams), "date": day, "start_time": None, "end_time": None, "place": "",
                                         "organiser": "", "own_name": True, "served_count": 10, "service_target": "", "content": "",
                                         "status": "done", "family": False, "project_id": None})
                for vid in rng.sample(vols, 4):
                    rows["participation"].append({**base, "id": str(uuid.uuid4()), "activity_id": aid, "volunteer_id": vid, "hours": 2.0, "role": "志愿者"})
        with engine.begin() as conn:
            for name in ("station", "team", "volunteer", "activity", "participation"):
                conn.execute(TABLES[name].insert(), rows[name])
        period, rules = Period.of(year=today.year, month=today.month), load_rules()
        total = sum(len(v) for v in rows.values())
        raw = sqlite3.connect(f"{tmp}/district.db")
        with engine.connect() as conn:
            def ours() -> None:
                for sid in ids:
                    evaluate(conn, TABLES, sid, period, rules)

            def bare() -> None:
                for sid in ids:
                    _bare(raw, sid, today.year)

            result = report(f"evaluate a {stations}-station district ({total:,} rows) on the server (beside bare SQL counts)",
                            ours, bare, unit="s")
        raw.close()
    print(f"  ({statistics.median(result.ours) / stations * 1000:.0f} ms a station)")


def run(data: Path, *, small: bool = False) -> None:
    one_station(data)
    district(30 if small else 300)
