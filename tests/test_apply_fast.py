"""The district's apply path called directly (sync/server/apply.py), no HTTP server: every answer a row can get and
every boundary between stations, judged against answers worked out by hand. Fast enough for `make mutate`'s
``apply`` group (#28), where each planted bug runs these tests; the same boundaries are tested through the real
server on SQLite and PostgreSQL in test_sync_trust.py, test_sync_ownership.py and test_server_fuzz.py."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date

import pytest
from sqlalchemy import select, update

from app import outbox
from app.services import activities, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.station import init_station
from conftest import make_id
from sync import protocol
from sync.server import admin
from sync.server.apply import BadRequest, BatchReused, apply_batch, apply_envelope
from sync.server.db import TABLES, account, batch_log, make_engine, migrate, rejection


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'district.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _account(engine, station_id: str, name: str):
    admin.add_station(engine, name, "艾山街道")
    with engine.begin() as conn:
        newest = conn.execute(select(account.c.id).order_by(account.c.id.desc())).scalar()
        conn.execute(update(account).where(account.c.id == newest).values(station_id=station_id))
        return conn.execute(select(account).where(account.c.id == newest)).one()


def _station(tmp_path, name: str):
    """A station's own store with one volunteer, one team and one held activity she took part in."""
    from app.db import Store

    store = Store.open(tmp_path / name)
    init_station(store, name=f"{name}新时代文明实践站", kind="village", population=1000, street="艾山街道")
    ctx = Context(store=store)
    person = volunteers.add_volunteer(ctx, name="张三", id_number=make_id(seq=len(name)), phone="13812345678",
                                      registered_on="2020-01-01")
    team = teams.add_team(ctx, name="敬老服务队", category="敬老爱老")
    activities.add_activity(ctx, title="敬老饺子宴", category="敬老爱老", date=date(2025, 5, 9), start_time="14:00", end_time="17:00",
                            team_id=team.id, participants=[ParticipantInput(person.id)])
    return store, ctx


@pytest.fixture
def village(tmp_path, engine):
    store, ctx = _station(tmp_path, "东村")
    yield store, ctx, _account(engine, store.station_id, "东村")
    store.close()


@pytest.fixture
def neighbour(tmp_path, engine):
    store, ctx = _station(tmp_path, "西村")
    yield store, ctx, _account(engine, store.station_id, "西村")
    store.close()


def _rows(store, after: int = 0) -> list[dict]:
    return [{"seq": r.seq, "entity": r.entity, "id": r.row_id, "op": r.op, "version": r.version, "payload": json.loads(r.payload)}
            for r in outbox.pending(store, after_seq=after, limit=100_000)]


def _envelope(station_id: str, rows: list[dict], batch_id: str | None = None) -> dict:
    return {"batch_id": batch_id or str(uuid.uuid4()), "station_id": station_id, "protocol": protocol.PROTOCOL_VERSION, "rows": rows}


def _statuses(answer: dict) -> list[str]:
    return [r["status"] for r in answer["results"]]


def _one(engine, acct, row: dict) -> dict:
    """One row alone in a batch: its answer."""
    return apply_envelope(engine, acct, _envelope(acct.station_id, [row]))["results"][0]


def _stored(engine, entity: str, row_id: str):
    with engine.connect() as conn:
        return conn.execute(select(TABLES[entity]).where(TABLES[entity].c.id == row_id)).first()


def _row_of(rows: list[dict], entity: str) -> dict:
    return copy.deepcopy(next(r for r in rows if r["entity"] == entity))


def test_a_station_s_rows_are_applied_once_and_a_resend_is_a_duplicate(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    assert {r["entity"] for r in rows} >= {"station", "volunteer", "team", "activity", "participation"}
    envelope = _envelope(store.station_id, rows)
    first = apply_envelope(engine, acct, envelope)
    assert _statuses(first) == [protocol.APPLIED] * len(rows) and [r["seq"] for r in first["results"]] == [r["seq"] for r in rows]
    assert "replayed" not in first
    again = apply_envelope(engine, acct, envelope)  # the same batch again (its answer lost on the way back)
    assert again["replayed"] is True and again["results"] == first["results"]
    other_id = apply_envelope(engine, acct, _envelope(store.station_id, rows))  # the same rows in a new batch
    assert _statuses(other_id) == [protocol.DUPLICATE] * len(rows)
    with engine.connect() as conn:
        logged = conn.execute(select(batch_log.c.rows, batch_log.c.applied, batch_log.c.rejected).order_by(batch_log.c.received_at)).all()
        received, rejected = conn.execute(select(account.c.rows_received, account.c.rows_rejected).where(account.c.id == acct.id)).one()
    assert [tuple(r) for r in logged] == [(len(rows), len(rows), 0), (len(rows), 0, 0)]  # the replay is not logged twice
    assert (received, rejected) == (len(rows), 0)
    for row in rows:
        stored = _stored(engine, row["entity"], row["id"])
        assert stored.station_id == store.station_id and stored.version == row["version"]


def test_the_batch_itself_is_checked_before_any_row(engine, village, neighbour):
    store, _ctx, acct = village
    rows = _rows(store)
    with pytest.raises(PermissionError, match="令牌所属实践站与批次不符"):
        apply_envelope(engine, acct, _envelope(neighbour[0].station_id, rows))
    for bad in ({"batch_id": "short", "rows": rows}, {"batch_id": "批次编号不是ascii码", "rows": rows},
                {"batch_id": "x" * 37, "rows": rows}, {"batch_id": str(uuid.uuid4()), "rows": "not a list"}):
        with pytest.raises(BadRequest, match="批次格式错误"):
            apply_envelope(engine, acct, {**bad, "station_id": store.station_id})
    apply_envelope(engine, acct, {"batch_id": "12345678", "station_id": store.station_id, "rows": []})  # 8 characters: enough
    with pytest.raises(BadRequest, match=f"一批最多 {protocol.MAX_BATCH_ROWS} 条记录"):
        apply_envelope(engine, acct, _envelope(store.station_id, [rows[0]] * (protocol.MAX_BATCH_ROWS + 1)))
    apply_envelope(engine, acct, _envelope(store.station_id, [{**rows[0], "seq": n} for n in range(protocol.MAX_BATCH_ROWS)]))
    with pytest.raises(BadRequest, match="整数 seq"):
        apply_envelope(engine, acct, _envelope(store.station_id, [{**rows[0], "seq": "1"}]))
    with pytest.raises(BadRequest, match="整数 seq"):
        apply_envelope(engine, acct, _envelope(store.station_id, ["not a row"]))


def test_a_batch_id_is_one_batch_of_one_station(engine, village, neighbour):
    store, _ctx, acct = village
    rows = _rows(store)
    envelope = _envelope(store.station_id, rows[:2])
    apply_envelope(engine, acct, envelope)
    with pytest.raises(BatchReused):  # the same id with other rows: not a resend
        apply_envelope(engine, acct, {**envelope, "rows": rows[:3]})
    other_store, _other_ctx, other = neighbour
    with pytest.raises(PermissionError, match="批次编号已被其他实践站使用"):
        apply_envelope(engine, other, {**_envelope(other_store.station_id, _rows(other_store)[:2]), "batch_id": envelope["batch_id"]})


def test_a_row_naming_another_station_is_refused_on_every_table_it_sends(engine, village, neighbour):
    """Whatever table: a row that says it is another station's is refused, and nothing is written (every synced
    table, through the server: test_sync_ownership.py)."""
    store, _ctx, acct = village
    other = neighbour[0].station_id
    rows = _rows(store)
    for entity in sorted({r["entity"] for r in rows}):
        row = _row_of(rows, entity)
        row["payload"]["station_id"] = other
        answer = _one(engine, acct, row)
        assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "不能写入其他实践站的数据"), entity
        assert _stored(engine, entity, row["id"]) is None
    with engine.connect() as conn:
        refused = conn.execute(select(rejection.c.entity, rejection.c.reason)).all()
    assert len(refused) == len({r["entity"] for r in rows}) and {r.reason for r in refused} == {"不能写入其他实践站的数据"}


def test_another_station_s_row_cannot_be_overwritten_by_reusing_its_id(engine, village, neighbour):
    store, _ctx, acct = village
    other_store, _other_ctx, other = neighbour
    theirs = _rows(other_store)
    assert _statuses(apply_envelope(engine, other, _envelope(other_store.station_id, theirs))) == [protocol.APPLIED] * len(theirs)
    for entity in ("volunteer", "team", "activity", "participation"):
        row = _row_of(theirs, entity)
        row["payload"]["station_id"] = store.station_id  # claims to be ours, with their row's id
        row["version"] = row["payload"]["version"] = row["version"] + 1
        answer = _one(engine, acct, row)
        assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "该记录属于其他实践站"), entity
        stored = _stored(engine, entity, row["id"])
        assert stored.station_id == other_store.station_id and stored.version == row["version"] - 1


def test_a_row_is_written_with_the_account_s_station_and_only_over_its_own_rows(engine, village):
    store, ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    person = next(v for v in volunteers.search_volunteers(ctx, "", limit=10))
    volunteers.update_volunteer(ctx, person.id, skills="理发")
    later = _rows(store, after=rows[-1]["seq"])
    answer = apply_envelope(engine, acct, _envelope(store.station_id, later))
    assert _statuses(answer) == [protocol.APPLIED] * len(later)
    stored = _stored(engine, "volunteer", person.id)
    assert (stored.skills, stored.version, stored.station_id) == ("理发", person.version + 1, store.station_id)


def test_versions_a_resend_the_same_content_and_other_content_at_a_version_the_district_has(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    team = _row_of(rows, "team")
    assert _one(engine, acct, team)["status"] == protocol.DUPLICATE
    changed = copy.deepcopy(team)
    changed["payload"]["description"] = "另一种内容"
    answer = _one(engine, acct, changed)  # same version, other content: the station's versions went back
    assert (answer["status"], answer["server_version"]) == (protocol.STALE, team["version"])
    assert "reason" not in answer  # the station resends above it (outbox._resend_above); nothing to show a person
    assert _stored(engine, "team", team["id"]).description == team["payload"]["description"]
    newer = copy.deepcopy(changed)
    newer["version"] = newer["payload"]["version"] = team["version"] + 1
    assert _one(engine, acct, newer)["status"] == protocol.APPLIED
    older = copy.deepcopy(team)  # the first version again, after the second: never written over it
    answer = _one(engine, acct, older)
    assert (answer["status"], answer["server_version"]) == (protocol.STALE, team["version"] + 1)
    stored = _stored(engine, "team", team["id"])
    assert (stored.description, stored.version) == ("另一种内容", team["version"] + 1)


def test_the_row_must_agree_with_its_payload_and_stay_in_range(engine, village):
    store, _ctx, acct = village
    team = _row_of(_rows(store), "team")
    cases = [
        ({**team, "entity": "no_such_table"}, "未知的数据类型“no_such_table”"),
        ({**team, "entity": 5}, "未知的数据类型“5”"),
        ({**team, "payload": "text"}, "记录内容格式错误"),
        ({**team, "id": str(uuid.uuid4())}, "记录的编号或版本与内容不一致"),
        ({**team, "version": team["version"] + 1}, "记录的编号或版本与内容不一致"),
        ({**team, "version": "1"}, "记录的编号或版本与内容不一致"),
        ({**team, "id": None}, "记录的编号或版本与内容不一致"),
    ]
    for version in (0, 2**31):
        cases.append(({**team, "version": version, "payload": {**team["payload"], "version": version}}, "记录的编号或版本超出范围"))
    long_id = "x" * 37
    cases.append(({**team, "id": long_id, "payload": {**team["payload"], "id": long_id}}, "记录的编号或版本超出范围"))
    cases.append(({**team, "id": "", "payload": {**team["payload"], "id": ""}}, "记录的编号或版本超出范围"))
    for row, reason in cases:
        answer = _one(engine, acct, row)
        assert (answer["status"], answer["reason"]) == (protocol.REJECTED, reason), row
    top = 2**31 - 1  # the largest version a district column holds is still a version
    assert _one(engine, acct, {**team, "version": top, "payload": {**team["payload"], "version": top}})["status"] == protocol.APPLIED


def test_values_past_a_column_or_a_rule_are_this_row_s_problem(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, [r for r in rows if r["entity"] in ("station", "volunteer", "team")]))
    team = _row_of(rows, "team")
    team["version"] = team["payload"]["version"] = team["version"] + 1
    team["payload"]["name"] = "队" * 101
    answer = _one(engine, acct, team)
    assert answer["status"] == protocol.REJECTED and "不能超过" in answer["reason"]
    activity = _row_of(rows, "activity")
    activity["payload"]["date"] = "2025-13-40"
    answer = _one(engine, acct, activity)
    assert answer["status"] == protocol.REJECTED and "不是有效日期" in answer["reason"]
    assert _stored(engine, "activity", activity["id"]) is None


def test_a_station_record_must_be_the_account_s_own(engine, village):
    store, _ctx, acct = village
    station = _row_of(_rows(store), "station")
    station["id"] = station["payload"]["id"] = str(uuid.uuid4())
    answer = _one(engine, acct, station)
    assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "实践站记录的编号与账号不符")


def test_a_child_waits_for_its_parent_and_follows_it_in_the_same_batch(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    participation = _row_of(rows, "participation")
    answer = _one(engine, acct, participation)  # its activity and volunteer not yet here
    assert answer["status"] == protocol.REJECTED and answer["reason"].startswith("引用的")
    assert answer["waits_for"]["entity"] in ("activity", "volunteer")
    assert answer["waits_for"]["id"] in (participation["payload"]["activity_id"], participation["payload"]["volunteer_id"])
    answer = apply_envelope(engine, acct, _envelope(store.station_id, rows))  # parents earlier in the batch: in
    assert _statuses(answer) == [protocol.APPLIED] * len(rows)


def test_a_parent_of_another_station_is_not_a_parent(engine, village, neighbour):
    store, _ctx, acct = village
    other_store, _other_ctx, other = neighbour
    theirs = _rows(other_store)
    apply_envelope(engine, other, _envelope(other_store.station_id, theirs))
    ours = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, [r for r in ours if r["entity"] != "participation"]))
    participation = _row_of(ours, "participation")
    participation["payload"]["volunteer_id"] = _row_of(theirs, "volunteer")["id"]  # their volunteer in our activity
    answer = _one(engine, acct, participation)
    assert answer["status"] == protocol.REJECTED and answer["waits_for"] == {"entity": "volunteer", "id": participation["payload"]["volunteer_id"]}


def test_a_volunteer_number_held_by_another_row_of_the_station_waits_for_it(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    twin = _row_of(rows, "volunteer")
    held_by = twin["id"]
    twin["id"] = twin["payload"]["id"] = str(uuid.uuid4())
    twin["payload"]["id_number"] = make_id(seq=77)
    answer = _one(engine, acct, twin)
    assert answer["status"] == protocol.REJECTED and answer["waits_for"] == {"entity": "volunteer", "id": held_by}
    assert "与本站另一条记录重复" in answer["reason"]


def test_the_careful_path_gives_every_row_the_same_answer_as_the_bulk_one(engine, village, tmp_path):
    """Row by row in savepoints (after the database refused a batch in bulk): the same answers, the same rows."""
    store, _ctx, acct = village
    rows = _rows(store)
    bad = _row_of(rows, "team")
    bad["payload"]["station_id"] = str(uuid.uuid4())
    mixed = [*rows, {**bad, "seq": rows[-1]["seq"] + 1}]
    with engine.begin() as conn:
        careful = apply_batch(conn, acct, _envelope(store.station_id, mixed), careful=True)
    assert _statuses(careful) == [protocol.APPLIED] * len(rows) + [protocol.REJECTED]
    bulk_engine = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    migrate(bulk_engine)
    try:
        bulk_acct = _account(bulk_engine, store.station_id, "东村")
        bulk = apply_envelope(bulk_engine, bulk_acct, _envelope(store.station_id, mixed))
        assert _statuses(bulk) == _statuses(careful)
        for row in rows:
            a, b = _stored(engine, row["entity"], row["id"]), _stored(bulk_engine, row["entity"], row["id"])
            assert dict(a._mapping) == dict(b._mapping), row["entity"]
    finally:
        bulk_engine.dispose()
