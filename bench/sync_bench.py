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

    from sync import protocol
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
                          "(one run, for the bytes sent and the memory; the speed is the paired figure above)"
                          f"; sent {sent / 2**20:.1f} MB; client peak RSS {rss} MB (goal ≤ 200)")
                else:
                    _client(data, kill_after=changes // (2 * protocol.MAX_BATCH_ROWS))  # killed after about half the batches
                    _client(data)
                    with server.engine.connect() as conn:
                        sent_rows = conn.execute(select(func.sum(batch_log.c.rows))).scalar()
                    again = sent_rows - changes
                    print(f"{name}: after a SIGKILL half-way, rows sent again: {again:,} (goal ≤ two batches of at most "
                          f"{protocol.MAX_BATCH_ROWS:,} rows: the one answered and not yet stamped, and the one in flight: "
                          f"{'met' if again <= 2 * protocol.MAX_BATCH_ROWS else 'MISSED'})")
            finally:
                server.close()


def check_cost(template: Path, rows: int = 20_000) -> None:
    """What the structural check (app/models/limits.py) adds per row on the server, against the
    app-rule check every row already had, on the same payloads."""
    import json
    import statistics

    from sqlmodel import select

    from bench.pairs import paired

    from app.db import Store
    from app.models import OutboxEntry
    from app.models.limits import row_problems
    from app.services.rowcheck import check_row
    from sync.server.db import TABLES

    with Store.open(template) as store, store.session() as session:
        entries = [(e.entity, json.loads(e.payload)) for e in session.exec(select(OutboxEntry).limit(rows))]
    def rules() -> None:
        for entity, payload in entries:
            check_row(entity, payload)

    def structural() -> None:
        for entity, payload in entries:
            row_problems(TABLES[entity], payload, wire=True)

    result = paired(f"per-row checks on {len(entries):,} real payloads: the structural check beside the app rules every row "
                    "already had", structural, rules)
    per = 1e6 / len(entries)
    added, before = statistics.median(result.ours), statistics.median(result.bare)
    print(f"{result.line('s')}\n  (app rules {before * per:.1f} µs a row, structural check {added * per:.1f} µs; at 5,000 rows/s "
          f"that is {added * per * 5000 / 1e4:.1f} % of a second)")


def _floor(template: Path, url: str, batch: int = 4000, batch_bytes: int = 1_000_000) -> tuple[float, float]:
    """What a push cannot go below, in seconds: (the same rows typed by the server's own ``_convert`` and
    executemany'd into a freshly migrated district database in one transaction; the same gzip batch bodies POSTed
    to a bare uvicorn app that answers each with {} — cut as the client cuts them once grown: ``batch`` rows, or
    fewer when their payloads pass ``batch_bytes``)."""
    import gzip
    import json
    import threading
    import time

    import requests
    import uvicorn
    from sqlmodel import select

    from app.db import Store
    from app.models import OutboxEntry
    from sync.server.apply import _convert
    from sync.server.db import TABLES, make_engine, migrate
    from sync_helpers import free_port

    with Store.open(template) as store, store.session() as session:
        entries = [(e.seq, e.entity, e.row_id, e.op, e.version, json.loads(e.payload))
                   for e in session.exec(select(OutboxEntry).order_by(OutboxEntry.seq))]
    engine = make_engine(url)
    migrate(engine)
    start = time.perf_counter()
    typed: dict[str, list] = {}
    for _seq, entity, _id, _op, _v, payload in entries:
        typed.setdefault(entity, []).append(_convert(TABLES[entity], payload))
    with engine.begin() as conn:
        for entity in dict.fromkeys(e[1] for e in entries):  # in the order they first appear: parents first
            conn.execute(TABLES[entity].insert(), typed[entity])
    rows_s = time.perf_counter() - start
    engine.dispose()

    async def bare(scope, receive, send):  # the HTTP round trip alone: read the body, answer {}
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(bare, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    cuts: list[list] = [[]]
    nbytes = 0
    for e in entries:
        payload_size = len(json.dumps(e[5], ensure_ascii=False, separators=(",", ":")))  # characters, as the client counts
        if cuts[-1] and (len(cuts[-1]) == batch or nbytes + payload_size > batch_bytes):
            cuts.append([])
            nbytes = 0
        cuts[-1].append(e)
        nbytes += payload_size
    bodies = [gzip.compress(json.dumps({"rows": [{"seq": e[0], "entity": e[1], "id": e[2], "op": e[3], "version": e[4],
                                                  "payload": e[5]} for e in cut]},
                                       ensure_ascii=False, separators=(",", ":")).encode(), compresslevel=6)
              for cut in cuts]
    with requests.Session() as web:
        start = time.perf_counter()
        for body in bodies:
            web.post(f"http://127.0.0.1:{port}/", data=body, headers={"Content-Encoding": "gzip"}, timeout=60)
        post_s = time.perf_counter() - start
    server.should_exit = True
    thread.join(10)
    return rows_s, post_s


def paired_floor(name: str, new_url, template: Path, changes: int, pairs: int = 5) -> None:
    """Sync to ``station district serve`` (on a database ``new_url()`` makes) against its floor (``_floor``, on another
    such database), alternated in one run: the median of ``pairs`` pairs, the spread and the load (#29: goal ≤ 3× the
    floor, ≥ 10,000 changes/s on SQLite when the machine is quiet)."""
    import statistics

    from sync.client import SyncClient
    from sync.server import admin
    from sync_helpers import DistrictServer

    ratios, ours_all, floors = [], [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(pairs):
            rows_s, post_s = _floor(template, new_url())
            data = Path(tmp) / f"pair-{n}"
            shutil.copytree(template, data)
            server = DistrictServer(new_url(), Path(tmp) / f"files-{n}")
            server.start()
            try:
                from app.db import Store

                with Store.open(data) as store:
                    SyncClient(store).enroll(server.base, admin.add_station(server.engine, "基准村"))
                pushed, _sent, seconds, _rss = _client(data)
            finally:
                server.close()
            floor = rows_s + post_s
            ratios.append(seconds / floor)
            ours_all.append(seconds)
            floors.append(floor)
            print(f"  {name} pair {n + 1}: floor {floor:.2f} s (typed rows {rows_s:.2f} s + bare POSTs {post_s:.2f} s); "
                  f"sync {seconds:.2f} s = {pushed / seconds:,.0f} changes/s; ratio {seconds / floor:.1f}×", flush=True)
    ratio = statistics.median(ratios)
    spread = max(ratios) / min(ratios)
    verdict = ("spread too wide to judge (the machine is busy): run again when it is quiet" if spread > 1.5
               else "goal met" if ratio <= 3 else "GOAL MISSED")
    print(f"{name} sync of {changes:,} changes: median {statistics.median(ours_all):.1f} s "
          f"({changes / statistics.median(ours_all):,.0f} changes/s), floor {statistics.median(floors):.2f} s, "
          f"ratio median {ratio:.1f}× (spread {min(ratios):.1f}–{max(ratios):.1f}×, {pairs} pairs; goal ≤ 3×: {verdict}); "
          f"load {load_before:.1f} → {os.getloadavg()[0]:.1f}")


def five_year(data: Path) -> None:
    """#29: the first sync of the 5-year store (``bench/dataset.py``: 20,000 volunteers, 100,000 activities, about
    520,000 changes) into PostgreSQL, as a district runs, and into SQLite; goal ≤ 60 s on a quiet machine."""
    from app import outbox
    from app.db import Store
    from sync.client import SyncClient
    from sync.server import admin
    from sync_helpers import DistrictServer, Postgres

    postgres = Postgres()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, url in (("PostgreSQL", postgres.new_database()), ("SQLite", f"sqlite:///{tmp}/district.db")):
                copy = Path(tmp) / f"station-{name}"
                shutil.copytree(data, copy)
                server = DistrictServer(url, Path(tmp) / f"files-{name}")
                server.start()
                try:
                    with Store.open(copy) as store:
                        changes = outbox.pending_count(store)
                        SyncClient(store).enroll(server.base, admin.add_station(server.engine, "五年村"))
                    load = os.getloadavg()[0]
                    pushed, _sent, seconds, rss = _client(copy)
                finally:
                    server.close()
                shutil.rmtree(copy)
                print(f"first sync of the 5-year store into {name}: {pushed:,} of {changes:,} changes in {seconds:.1f} s "
                      f"= {pushed / seconds:,.0f} changes/s; client peak RSS {rss} MB; goal ≤ 60 s on a quiet machine: "
                      f"{'met' if seconds <= 60 else 'MISSED'}; load {load:.1f} → {os.getloadavg()[0]:.1f} (one run: a minute each, no floor)", flush=True)
    finally:
        postgres.stop()


def run(*, small: bool = False) -> None:
    from sync_helpers import Postgres

    scale = 10 if small else 1
    with tempfile.TemporaryDirectory() as tmp:
        volunteers, activities = 20_000 // scale, 16_000 // scale
        template = _dataset(Path(tmp), volunteers, activities)
        changes = volunteers + 17 + activities * 5 + 1
        print(f"{changes:,} changes waiting")
        check_cost(template)
        files = iter(range(1, 100))
        paired_floor("SQLite", lambda: f"sqlite:///{tmp}/district-{next(files)}.db", template, changes)
        run_backend("SQLite", lambda: f"sqlite:///{tmp}/district-{next(files)}.db", template, changes)
        postgres = Postgres()
        try:
            paired_floor("PostgreSQL", postgres.new_database, template, changes)
            run_backend("PostgreSQL", postgres.new_database, template, changes)
        finally:
            postgres.stop()


if __name__ == "__main__":
    run(small="--small" in sys.argv)
