"""A station writes only its own rows (issue #28), tested from outside on every synced table.

Two stations enrolled at the real district server on 127.0.0.1 (SQLite and a real PostgreSQL). Station A
has synced a row of every kind. Station B — its own token, its own account — then sends, for each synced
table, rows that name A: a new row claiming A's ``station_id``, A's own row claiming A's ``station_id``, and
A's row id under B's own ``station_id``. Each is answered ``rejected`` with a Chinese reason that says the
row is another station's, and A's data at the district does not change by one value. The same rows carried
on a USB stick (B's package, signed with B's own token) are refused the same way.

The list of tables is the protocol's (``sync.protocol.ENTITIES``), checked against the app's models, so a
table added later is covered without anyone remembering this file."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
import requests
from sqlalchemy import select

from app.db import Store
from app.models import SYNCED_MODELS, OutboxEntry
from app.services import activities, demands, teams, work
from app.services.context import Context
from app.services.station import init_station
from sync import protocol
from sync.client import SyncClient, load_state
from sync.package import export_package
from sync.server import admin
from sync.server.db import TABLES
from sync.server.packages import import_package
from sync_helpers import DistrictServer
from test_sync import FAST, server_rows

ENTITIES = protocol.ENTITIES


def test_the_protocol_lists_every_synced_table():
    """What the parametrised tests below run over is every table a station syncs, no more, no fewer."""
    assert sorted(ENTITIES) == sorted(m.__tablename__ for m in SYNCED_MODELS) == sorted(TABLES)


class Stations:
    """Station A (a demo ledger with a row in every synced table, synced) and station B (enrolled, empty)."""

    def __init__(self, district: DistrictServer, a: Store, b: Store):
        self.district, self.a, self.b = district, a, b
        self.token_b = load_state(b).token

    def post_as_b(self, rows: list[dict]) -> requests.Response:
        envelope = {"batch_id": str(uuid.uuid4()), "station_id": self.b.station_id,
                    "protocol": protocol.PROTOCOL_VERSION, "rows": rows}
        headers = {"Authorization": f"Bearer {self.token_b}", protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)}
        return requests.post(self.district.base + protocol.BATCHES, json=envelope, headers=headers, timeout=30)


def _enroll(store: Store, district: DistrictServer, name: str) -> SyncClient:
    code = admin.add_station(district.engine, name, "艾山街道")
    client = SyncClient(store, **FAST)
    assert client.enroll(district.base, code) == name
    return client


def _fill_every_table(store: Store, tmp) -> None:
    """The demo ledger has no photo, training, project–team link or hop: add one of each (the hop, a 上报 to the
    street's 所, which the district must know of before A syncs)."""
    ctx = Context(store=store)
    need = demands.record_demand(ctx, requester="张大娘", content="想学用智能手机挂号", category="便民服务")
    demands.approve(ctx, need.id)
    demands.report_up(ctx, need.id, reason="本村办不了")
    image = tmp / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"A" * 600)
    activities.add_photo(ctx, activities.list_activities(ctx, limit=1)[0].activity.id, image)
    work.save_training(ctx, title="志愿服务骨干培训", date="2026-03-01", centralized=True, trainees=30)
    work.save_project(ctx, name="邻里守望", category="特惠性服务", team_ids=[teams.list_teams(ctx)[0].team.id])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stations(request, tmp_path_factory, demo_template):
    """Built once per backend: A's ledger takes a few seconds to sync, and a refused row changes nothing."""
    tmp = tmp_path_factory.mktemp("ownership")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'district.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    district = DistrictServer(url)
    district.start()
    (tmp / "a").mkdir()
    shutil.copy(demo_template, tmp / "a" / "station.db")
    a = Store.open(tmp / "a")
    b = Store.open(tmp / "b")
    try:
        with Store.open(tmp / "institute") as institute:  # the 所 A's 上报 goes to
            init_station(institute, name="艾山街道新时代文明实践所", level="institute", kind="village", street="艾山街道", population=900)
            code = admin.add_station(district.engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
            SyncClient(institute, **FAST).enroll(district.base, code)
        _fill_every_table(a, tmp)
        result = _enroll(a, district, "甲村").sync()
        assert result.rejected == 0
        init_station(b, name="乙村新时代文明实践站", kind="village", population=800, street="艾山街道")
        assert _enroll(b, district, "乙村").sync().rejected == 0
        held = server_rows(district.engine, a.station_id)
        assert all(held[entity] for entity in ENTITIES), [e for e in ENTITIES if not held[e]]
        yield Stations(district, a, b)
    finally:
        a.close()
        b.close()
        district.close()


def _one_of_a(district: DistrictServer, station_id: str, entity: str) -> dict:
    rows = server_rows(district.engine, station_id)[entity]
    return rows[min(rows)]


def forged_rows(stations: Stations, entity: str, first_seq: int = 1) -> list[tuple[str, dict]]:
    """B's three attempts on one table, each with the words its refusal must carry."""
    a_id, b_id = stations.a.station_id, stations.b.station_id
    theirs = _one_of_a(stations.district, a_id, entity)
    new_id = str(uuid.uuid4())
    attempts = [
        # a new row, claiming to be A's
        ("不能写入其他实践站的数据", {**theirs, "id": new_id, "version": 1, "station_id": a_id}),
        # A's own row, a version up, still claiming to be A's
        ("不能写入其他实践站的数据", {**theirs, "version": theirs["version"] + 1, "station_id": a_id}),
        # A's row id reused under B's own station id
        ("该记录属于其他实践站", {**theirs, "version": theirs["version"] + 1, "station_id": b_id}),
    ]
    rows = []
    for n, (reason, payload) in enumerate(attempts):
        for column in ("name", "title", "reason", "note", "caption"):  # what a forger would change, where there is one
            if isinstance(payload.get(column), str):
                payload[column] = "篡改"
                break
        rows.append((reason, {"seq": first_seq + n, "entity": entity, "id": payload["id"], "op": "update",
                              "version": payload["version"], "payload": payload}))
    return rows


def assert_nothing_of_a_changed(stations: Stations, before: dict, forged: list[tuple[str, dict]]) -> None:
    district = stations.district
    assert server_rows(district.engine, stations.a.station_id) == before
    ours = server_rows(district.engine, stations.b.station_id)
    with district.engine.connect() as conn:
        for _reason, row in forged:
            table = TABLES[row["entity"]]
            assert row["id"] not in ours[row["entity"]]
            holders = conn.execute(select(table.c.station_id).where(table.c.id == row["id"])).scalars().all()
            # a new id is nowhere; A's ids are still A's
            assert holders in ([], [stations.a.station_id]), (row["entity"], holders)


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_station_cannot_write_another_stations_rows(stations, entity):
    before = server_rows(stations.district.engine, stations.a.station_id)
    forged = forged_rows(stations, entity)
    answer = stations.post_as_b([row for _reason, row in forged])
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [protocol.REJECTED] * len(forged)
    for (reason, _row), result in zip(forged, results, strict=True):
        assert reason in result["reason"], (entity, result)
    assert_nothing_of_a_changed(stations, before, forged)


def test_nor_by_usb_stick(stations, tmp_path):
    """B's package carries the same rows for every table, signed with B's own token: each is refused with
    the reason in B's reply, and A's data at the district stays as it was."""
    before = server_rows(stations.district.engine, stations.a.station_id)
    forged: list[tuple[str, dict]] = []
    with stations.b.session() as session:  # what a tampered program at B would have queued
        for entity in ENTITIES:
            for reason, row in forged_rows(stations, entity):
                entry = OutboxEntry(entity=entity, row_id=row["id"], op="update", version=row["version"],
                                    operator="篡改的程序", payload=json.dumps(row["payload"], ensure_ascii=False))
                session.add(entry)
                session.flush()
                forged.append((reason, {**row, "seq": entry.seq}))
        session.commit()
    export_package(stations.b, tmp_path / "b.slpkg")
    done = import_package(stations.district.engine, stations.district.app.state.photos, tmp_path / "b.slpkg")
    assert done.station_name == "乙村" and done.applied == 0 and done.rejected == len(forged) == 3 * len(ENTITIES)
    answers = {r["seq"]: r for batch in json.loads(_reply_document(done.reply))["batches"] for r in batch["results"]}
    for reason, row in forged:
        answer = answers[row["seq"]]
        assert answer["status"] == protocol.REJECTED and reason in answer["reason"], row["entity"]
    assert_nothing_of_a_changed(stations, before, forged)


def _reply_document(reply: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(reply)) as zf:
        return zf.read("reply.json")
