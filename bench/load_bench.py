"""The Monday morning: S stations sync at once into the district on PostgreSQL with 2 server workers.

Each station is a generated one-year demo store (about 1,300 changes) with ids of its own. All S clients
start together (threads in this process, each with its own store and HTTP session); the figures are the
aggregate rows/s, each station's completion time (median, max, and whether any was starved: max ≤ 3×
median), errors, and the server processes' RSS and CPU — beside its floor, the same rows typed into the
district's own tables, measured in alternated pairs in the same run (#29).

    python -m bench.load_bench [--stations 20 50 100] [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL helper: Debian's binaries in a temp dir


def _tree_pids(pid: int) -> list[int]:
    out = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if Path(f"/proc/{pid}/task/{pid}/children").exists() else []:
        out += _tree_pids(int(child))
    return out


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / ticks


def _serve(url: str, folder: Path, workers: int) -> tuple[subprocess.Popen, str]:
    from sync_helpers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "district", "--db", url, "--dir", str(folder), "serve", "--port", str(port),
                             "--workers", str(workers)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(base + "/api/v1/ping", timeout=1).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("district server did not start")


def _templates(folder: Path, count: int) -> list[Path]:
    """``count`` one-year demo stores with ids of their own, not enrolled: each pair syncs fresh copies of them."""
    from app.db import Store
    from app.demo import build_demo

    made = []
    for n in range(count):
        path = folder / f"template-{n}"
        with Store.open(path) as store:
            build_demo(store, years=1, seed=100 + n)
        made.append(path)
    return made


def _typed_rows(templates: list[Path]) -> list[tuple[str, str]]:
    """Every change the stations will send, as (entity, payload): what the floor loads."""
    from app import outbox
    from app.db import Store

    rows: list[tuple[str, str]] = []
    for path in templates:
        with Store.open(path) as store:
            rows += [(p.entity, p.payload) for p in outbox.pending(store, limit=1_000_000)]
    return rows


def _stations(engine, base: str, templates: list[Path], folder: Path):
    """Fresh copies of the templates, each enrolled at the district ``base`` serves."""
    from app.db import Store
    from sync.client import SyncClient
    from sync.server import admin

    stores = []
    for n, template in enumerate(templates):
        shutil.copytree(template, folder / f"s{n}")
        store = Store.open(folder / f"s{n}")
        code = admin.add_station(engine, f"基准村{n:03d}", f"基准街道{n % 8}")
        SyncClient(store).enroll(base, code)
        stores.append(store)
    return stores


def _table_floor(pg, payload_rows: list[tuple[str, str]]) -> float:
    """The same rows as the district stores them: typed, into its own tables with their indexes and
    foreign keys (a fresh database migrated the same way), parents first, one multi-row INSERT per 1,000
    rows straight through psycopg, one transaction. Only the inserts are timed. What loading these rows
    costs PostgreSQL, with none of the checks and answers a station's batch gets."""
    import psycopg

    from sync import protocol
    from sync.server.apply import _convert
    from sync.server.db import TABLES, make_engine, migrate

    url = pg.new_database()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    latest: dict[tuple[str, str], dict] = {}
    for entity, payload in payload_rows:
        row = json.loads(payload)
        latest[(entity, row["id"])] = row  # a row's last version, as the district ends up holding it
    typed = {}
    for entity in protocol.ENTITIES:
        columns = [c.name for c in TABLES[entity].columns]
        typed[entity] = (columns, [tuple(_convert(TABLES[entity], row)[c] for c in columns)
                                   for (e, _), row in latest.items() if e == entity])
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        start = time.perf_counter()
        with conn.cursor() as cur:
            for entity, (columns, rows) in typed.items():
                one = "(" + ",".join(["%s"] * len(columns)) + ")"
                for i in range(0, len(rows), 1000):
                    chunk = rows[i:i + 1000]
                    cur.execute(f"INSERT INTO {entity} ({','.join(columns)}) VALUES " + ",".join([one] * len(chunk)),
                                [v for row in chunk for v in row])
        conn.commit()
        seconds = time.perf_counter() - start
    return len(latest) / seconds


def run_once(pg, templates: list[Path], workers: int = 2) -> dict:
    """The stations of ``templates`` syncing at once to a fresh district database served by ``workers`` processes."""
    from app import outbox
    from sync.client import SyncClient
    from sync.server.db import make_engine, migrate

    stations = len(templates)
    url = pg.new_database()
    engine = make_engine(url)
    migrate(engine)
    with tempfile.TemporaryDirectory(prefix="station-load-") as tmp:
        folder = Path(tmp)
        proc, base = _serve(url, folder / "district", workers)
        try:
            stores = _stations(engine, base, templates, folder)
            rows = sum(outbox.pending_count(s) for s in stores)
            pids = _tree_pids(proc.pid)
            cpu_before = _cpu_seconds(pids)
            times: list[float] = [0.0] * stations
            errors: list[str] = []
            peak = [0.0]
            go = threading.Barrier(stations + 1)

            def sync(index: int) -> None:
                go.wait()
                start = time.perf_counter()
                try:
                    result = SyncClient(stores[index], max_retry_seconds=600).sync()
                    if result.rejected:
                        errors.append(f"station {index}: {result.rejected} rejected")
                except Exception as exc:  # every failure is a figure here
                    errors.append(f"station {index}: {exc}")
                times[index] = time.perf_counter() - start

            threads = [threading.Thread(target=sync, args=(i,)) for i in range(stations)]
            for t in threads:
                t.start()
            go.wait()
            start = time.perf_counter()
            while any(t.is_alive() for t in threads):
                peak[0] = max(peak[0], _rss_mb(_tree_pids(proc.pid)))
                time.sleep(0.2)
            wall = time.perf_counter() - start
            cpu = _cpu_seconds(_tree_pids(proc.pid)) - cpu_before
            left = sum(outbox.pending_count(s) for s in stores)
            for store in stores:
                store.close()
        finally:
            proc.terminate()
            proc.wait(20)
    engine.dispose()
    return {"stations": stations, "rows": rows, "wall": wall, "rate": rows / wall, "median": statistics.median(times),
            "max": max(times), "errors": errors, "left": left, "rss": peak[0], "cpu": cpu}


def paired(pg, count: int, workers: int, pairs: int) -> None:
    """#29: the Monday morning against its floor (the same rows typed into the district's own tables), alternated in
    one run — the floor first in odd pairs, the sync first in even ones: the median ratio of ``pairs`` pairs, the
    spread and the load (goal ≥ 0.5× the floor at S=50)."""
    ratios, rates, floors = [], [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="station-load-templates-") as tmp:
        templates = _templates(Path(tmp), count)
        typed_rows = _typed_rows(templates)
        for n in range(pairs):
            if n % 2:
                r = run_once(pg, templates, workers)
                floor = _table_floor(pg, typed_rows)
            else:
                floor = _table_floor(pg, typed_rows)
                r = run_once(pg, templates, workers)
            ratios.append(r["rate"] / floor)
            rates.append(r["rate"])
            floors.append(floor)
            print(f"  S={count} pair {n + 1}: {r['rows']:,} rows in {r['wall']:.1f} s = {r['rate']:,.0f} rows/s; floor "
                  f"{floor:,.0f} rows/s typed into the district's own tables; ratio {r['rate'] / floor:.2f}; per station "
                  f"median {r['median']:.1f} s, max {r['max']:.1f} s ({'starved' if r['max'] > 3 * r['median'] else 'none starved'}); "
                  f"errors {len(r['errors'])}, rows left unsent {r['left']}; server peak RSS {r['rss']:.0f} MB, CPU {r['cpu']:.1f} s",
                  flush=True)
            for e in r["errors"][:5]:
                print("   ", e)
    ratio = statistics.median(ratios)
    spread = max(ratios) / min(ratios)
    verdict = ("spread too wide to judge (the machine is busy): run again when it is quiet" if spread > 1.5
               else "the goal is set for S=50" if count != 50 else "goal met" if ratio >= 0.5 else "GOAL MISSED")
    print(f"S={count} ({workers} workers): median {statistics.median(rates):,.0f} rows/s, floor {statistics.median(floors):,.0f} rows/s, "
          f"ratio median {ratio:.2f} (spread {min(ratios):.2f}–{max(ratios):.2f}, {pairs} pairs; goal ≥ 0.5 at S=50: {verdict}); "
          f"load {load_before:.1f} → {os.getloadavg()[0]:.1f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.load_bench")
    parser.add_argument("--stations", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args(argv)
    from sync_helpers import Postgres

    pg = Postgres()
    try:
        for count in args.stations:
            paired(pg, count, args.workers, args.pairs)
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
