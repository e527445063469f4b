"""The district as it runs in production: several server processes on one real PostgreSQL.

A client retrying while its first attempt is still being applied in another process must not apply
the batch twice (a per-station advisory lock makes the second wait and replay the first's answer);
`--workers N` serves a whole sync."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app import outbox
from app.services import volunteers
from conftest import make_id
from sync import protocol
from sync.client import SyncClient, load_state
from sync.server import admin
from sync.server.db import TABLES, account, batch_log, make_engine, migrate
from sync_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def serve(url: str, folder: Path, *, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # Every server process of a district reads the same person link key (#30, docs/deploy.md), wherever its folder.
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "STATION_DISTRICT_PERSON_KEY_FILE": str(folder.parent / "person-link.key")}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "district", "--db", url, "--dir", str(folder), "serve",
                             "--port", str(port), "--workers", str(workers)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode(errors="replace"))
        try:
            if requests.get(base + protocol.PING, timeout=2).status_code == 200:
                return proc, base
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the district server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    proc.stderr.close()


@pytest.fixture
def pg_url(postgres):
    url = postgres.new_database()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def enrolled(ctx, url: str, base: str, people: int) -> tuple[dict, list]:
    engine = make_engine(url)
    try:
        code = admin.add_station(engine, "杨家庄村", "艾山街道")
    finally:
        engine.dispose()
    SyncClient(ctx.store).enroll(base, code)
    for i in range(people):
        volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"志愿者{i}", id_number=make_id(seq=i % 1000, region="370117" if i < 1000 else "370116"),
                                 phone=f"138{i:08d}")
    token = load_state(ctx.store).token
    headers = {"Authorization": f"Bearer {token}", protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION),
               "Content-Type": "application/json", "Content-Encoding": "gzip"}
    return headers, outbox.pending(ctx.store, limit=100_000)


def envelope_of(ctx, rows) -> bytes:
    body = {"batch_id": str(uuid.uuid4()), "station_id": ctx.store.station_id, "protocol": protocol.PROTOCOL_VERSION,
            "rows": [{"seq": r.seq, "entity": r.entity, "id": r.row_id, "op": r.op, "version": r.version,
                      "payload": json.loads(r.payload)} for r in rows]}
    return gzip.compress(json.dumps(body, ensure_ascii=False).encode())


def test_the_same_batch_sent_to_two_processes_at_once_is_applied_once(ctx, pg_url, tmp_path):
    first, base_a = serve(pg_url, tmp_path / "a")
    second, base_b = serve(pg_url, tmp_path / "b")
    try:
        headers, rows = enrolled(ctx, pg_url, base_a, 900)
        assert len(rows) == 901 <= protocol.MAX_BATCH_ROWS  # the station row and 900 volunteers, in one batch
        body = envelope_of(ctx, rows)
        answers: dict[str, requests.Response] = {}
        go = threading.Barrier(2)

        def send(base: str) -> None:
            go.wait()
            answers[base] = requests.post(base + protocol.BATCHES, data=body, headers=headers, timeout=120)

        threads = [threading.Thread(target=send, args=(b,)) for b in (base_a, base_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        a, b = answers[base_a], answers[base_b]
        assert a.status_code == b.status_code == 200, (a.text[:300], b.text[:300])
        original, replay = sorted((a.json(), b.json()), key=lambda answer: answer.get("replayed", False))
        assert replay == {**original, "replayed": True}  # the second delivery is answered with the first one's answer
        statuses = {r["status"] for r in a.json()["results"]}
        assert statuses == {protocol.APPLIED}
        engine = make_engine(pg_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(TABLES["volunteer"])).scalar() == 900
                assert conn.execute(select(func.count()).select_from(batch_log)).scalar() == 1
                received = conn.execute(select(account.c.rows_received)).scalar()
                assert received == len(rows)  # counted once
        finally:
            engine.dispose()
    finally:
        stop(first)
        stop(second)


def test_workers_flag_serves_a_full_sync(ctx, pg_url, tmp_path):
    proc, base = serve(pg_url, tmp_path / "w", workers=2)
    try:
        headers, _rows = enrolled(ctx, pg_url, base, 50)
        result = SyncClient(ctx.store).sync()
        assert result.pushed == 51 and result.rejected == 0 and outbox.pending_count(ctx.store) == 0  # the station row and 50 volunteers
    finally:
        stop(proc)


def test_one_request_writes_one_access_line(tmp_path):
    """``station district serve`` set its log up, then uvicorn imported sync.server.asgi, which set it up again: two
    handlers on the root logger, every line of the log twice."""
    url = f"sqlite:///{tmp_path / 'district.db'}"
    proc, base = serve(url, tmp_path / "district")
    marker = f"/district/no-such-page-{uuid.uuid4().hex}"
    try:
        requests.get(base + marker, timeout=30)
    finally:
        proc.terminate()
        try:
            _out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate(timeout=5)
    log = err.decode(errors="replace")
    assert log.count(marker) == 1, log
    assert log.count("区级同步服务") <= 1 and log.count("Application startup complete") == 1, log
