"""Sync: push 100,000 changes to a local district server on SQLite and on PostgreSQL.

Figures: changes per second, bytes sent, the client's peak RSS (the client runs
in its own process), and, after a SIGKILL half-way, how many rows the next run
sends again (goal ≤ one batch).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CLIENT = r"""
import sys, time
from app.db import Store
from sync.client import SyncClient
store = Store.open(sys.argv[1])
client = SyncClient(store, max_retry_seconds=60)
start = time.perf_counter()
result = client.sync(progress=lambda p: print("progress", p.rows_done, flush=True))
seconds = time.perf_counter() - start
assert result.rejected == 0, f"{result.rejected} rows rejected"
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's size at fork.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024
print("result", result.pushed, result.bytes_sent, f"{seconds:.2f}", peak, flush=True)
"""


def _dataset(folder: Path, volunteers: int, activities: int) -> Path:
    from app.db import Store
    from bench.dataset import generate

    data = folder / "station"
    with Store.open(data) as store:
        generate(store, volunteers=volunteers, activities=activities, teams=17)
    return data


def _client(data: Path, *, kill_after: int | None = None) -> tuple[int, int, float, int] | None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, str(data)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    seen = 0
    for line in proc.stdout:
        if line.startswith("progress"):
            seen += 1
            if kill_after is not None and seen > kill_after:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return None
        elif line.startswith("result"):
            _, pushed, sent, seconds, rss = line.split()
            proc.wait()
            return int(pushed), int(sent), float(seconds), int(rss)
    proc.wait()
    raise RuntimeError("the sync client failed")


def run_backend(name: str, new_url, template: Path, changes: int) -> None:
    from sqlalchemy import func, select

    from sync.client import SyncClient
    from sync.server import admin
    from sync.server.db import batch_log
    from sync_helpers import DistrictServer

    with tempfile.TemporaryDirectory() as tmp:
        for kill in (False, True):
            data = Path(tmp) / ("killed" if kill else "clean")
            shutil.copytree(template, data)
            server = DistrictServer(new_url(), Path(tmp) / f"files-{kill}")
            server.start()
            try:
                from app.db import Store

                with Store.open(data) as store:
                    SyncClient(store).enroll(server.base, admin.add_station(server.engine, "基准村"))
                if not kill:
                    pushed, sent, seconds, rss = _client(data)
                    print(f"{name}: pushed {pushed:,} changes in {seconds:.1f} s = {pushed / seconds:,.0f} changes/s "
                          f"(goal ≥ 5,000); sent {sent / 2**20:.1f} MB; client peak RSS {rss} MB (goal ≤ 200)")
                else:
                    _client(data, kill_after=changes // 1000)  # killed after about half the batches
                    _client(data)
                    with server.engine.connect() as conn:
                        sent_rows = conn.execute(select(func.sum(batch_log.c.rows))).scalar()
                    print(f"{name}: after a SIGKILL half-way, rows sent again: {sent_rows - changes} (goal ≤ one batch of 500)")
            finally:
                server.close()


def check_cost(template: Path, rows: int = 20_000) -> None:
    """What the structural check (app/models/limits.py) adds per row on the server, against the
    app-rule check every row already had, on the same payloads."""
    import json
    import time

    from sqlmodel import select

    from app.db import Store
    from app.models import OutboxEntry
    from app.models.limits import row_problems
    from app.services.rowcheck import check_row
    from sync.server.db import TABLES

    with Store.open(template) as store, store.session() as session:
        entries = [(e.entity, json.loads(e.payload)) for e in session.exec(select(OutboxEntry).limit(rows))]
    start = time.perf_counter()
    for entity, payload in entries:
        check_row(entity, payload)
    before = time.perf_counter() - start
    start = time.perf_counter()
    for entity, payload in entries:
        row_problems(TABLES[entity], payload, wire=True)
    added = time.perf_counter() - start
    per = 1e6 / len(entries)
    print(f"per-row checks on {len(entries):,} real payloads: app rules {before * per:.1f} µs, structural check "
          f"{added * per:.1f} µs ({added / before:.2f}× the rules; at 5,000 rows/s that is {added * per * 5000 / 1e4:.1f} % of a second)")


def run(*, small: bool = False) -> None:
    from sync_helpers import Postgres

    scale = 10 if small else 1
    with tempfile.TemporaryDirectory() as tmp:
        volunteers, activities = 20_000 // scale, 16_000 // scale
        template = _dataset(Path(tmp), volunteers, activities)
        changes = volunteers + 17 + activities * 5 + 1
        print(f"{changes:,} changes waiting")
        check_cost(template)
        files = iter(range(1, 10))
        run_backend("SQLite", lambda: f"sqlite:///{tmp}/district-{next(files)}.db", template, changes)
        postgres = Postgres()
        try:
            run_backend("PostgreSQL", postgres.new_database, template, changes)
        finally:
            postgres.stop()
