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
    short = {**team, "id": "t", "payload": {**team["payload"], "id": "t", "name": "一字编号队"}}  # 1 to 36 characters
    assert _one(engine, acct, short)["status"] == protocol.APPLIED


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


def test_the_batch_s_own_messages_are_exact(engine, village, neighbour):
    """What a station is told when its batch is refused whole: the client shows it to the clerk."""
    store, _ctx, acct = village
    rows = _rows(store)
    cases = [
        (_envelope(neighbour[0].station_id, rows), PermissionError, "令牌所属实践站与批次不符"),
        ({"batch_id": "short", "rows": rows, "station_id": store.station_id}, BadRequest, "批次格式错误：缺少 batch_id 或 rows"),
        (_envelope(store.station_id, [{**rows[0], "seq": "1"}]), BadRequest, "每条记录都必须有整数 seq"),
    ]
    for envelope, kind, message in cases:
        with pytest.raises(kind) as info:
            apply_envelope(engine, acct, envelope)
        assert str(info.value) == message
    envelope = _envelope(store.station_id, rows[:1])
    apply_envelope(engine, acct, envelope)
    with pytest.raises(BatchReused) as reused:
        apply_envelope(engine, acct, {**envelope, "rows": rows[:2]})
    assert str(reused.value) == "该批次编号已用于另一批数据，请重新同步"
    with pytest.raises(PermissionError) as taken:
        apply_envelope(engine, neighbour[2], {**_envelope(neighbour[0].station_id, []), "batch_id": envelope["batch_id"]})
    assert str(taken.value) == "批次编号已被其他实践站使用"


def test_a_batch_s_answer_its_log_and_the_account_s_counters(engine, village):
    store, _ctx, acct = village
    rows = _rows(store)
    bad = _row_of(rows, "team")
    bad["seq"] = rows[-1]["seq"] + 1
    bad["id"] = bad["payload"]["id"] = "长" * 36  # in range, and refused for another reason: its id and entity are logged whole
    bad["payload"]["station_id"] = "别的站"
    envelope = {**_envelope(store.station_id, [*rows, bad]), "app_version": "9" * 50}
    answer = apply_envelope(engine, acct, envelope)
    assert set(answer) == {"batch_id", "results", "server_time", "max_batch_rows"}
    assert answer["batch_id"] == envelope["batch_id"] and answer["max_batch_rows"] == protocol.MAX_BATCH_ROWS
    assert answer["server_time"][:4].isdigit()
    assert _statuses(answer) == [protocol.APPLIED] * len(rows) + [protocol.REJECTED]
    assert answer["results"][-1] == {"seq": bad["seq"], "status": protocol.REJECTED, "reason": "不能写入其他实践站的数据"}
    with engine.connect() as conn:
        refused = conn.execute(select(rejection)).one()
        counters = conn.execute(select(account.c.rows_received, account.c.rows_rejected, account.c.client_version,
                                       account.c.last_sync_at).where(account.c.id == acct.id)).one()
    assert (refused.account_id, refused.batch_id, refused.entity, refused.row_id, refused.reason) == (
        acct.id, envelope["batch_id"], "team", "长" * 36, "不能写入其他实践站的数据")
    assert counters.rows_received == len(rows) and counters.rows_rejected == 1 and counters.client_version == "9" * 40
    assert counters.last_sync_at is not None
    replay = apply_envelope(engine, acct, envelope)  # the answer kept for a resend, read back from the log
    assert replay["results"] == answer["results"] and replay["batch_id"] == answer["batch_id"]
    with engine.connect() as conn:
        assert conn.execute(select(account.c.rows_received, account.c.rows_rejected).where(account.c.id == acct.id)).one() == (
            len(rows), 1)  # counted once


def test_a_long_reason_is_cut_to_what_the_log_holds(engine, village):
    store, _ctx, acct = village
    team = _row_of(_rows(store), "team")
    team["payload"]["name"] = "队" * 5000  # the message quotes nothing of it, but names the limit
    answer = _one(engine, acct, team)
    assert answer["status"] == protocol.REJECTED and len(answer["reason"]) <= 500
    from sync.server.apply import _text

    assert _text("字" * 600, 500) == "字" * 500 and _text(12345, 3) == "123"


def test_an_update_touches_only_its_own_row_in_bulk_and_row_by_row(engine, village):
    """The bulk update and the careful path's one-row update each write one row: the station's other rows, and no
    other station's, keep what they had."""
    store, ctx, acct = village
    second = volunteers.add_volunteer(ctx, name="李四", id_number=make_id(seq=91), phone="13912345678", registered_on="2020-01-01")
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    first = next(v for v in volunteers.search_volunteers(ctx, "", limit=10) if v.id != second.id)
    for careful, skills in ((False, "理发"), (True, "修电器")):
        volunteers.update_volunteer(ctx, first.id, skills=skills)
        later = _rows(store, after=max(r["seq"] for r in rows))
        rows += later
        if careful:
            with engine.begin() as conn:
                answer = apply_batch(conn, acct, _envelope(store.station_id, later), careful=True)
        else:
            answer = apply_envelope(engine, acct, _envelope(store.station_id, later))
        assert _statuses(answer) == [protocol.APPLIED] * len(later)
        assert _stored(engine, "volunteer", first.id).skills == skills
        other = _stored(engine, "volunteer", second.id)
        assert (other.skills, other.name, other.version) == ("", "李四", 1), careful


def test_same_content_compares_every_column_but_the_bookkeeping(engine, village):
    """A resend is told from other content at the same version: a float within a rounding, a value given where the
    district has none, and 已删除 each count."""
    store, _ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    participation = _row_of(rows, "participation")
    nudged = copy.deepcopy(participation)
    nudged["payload"]["hours"] = participation["payload"]["hours"] + 1e-12  # the same hours, as JSON may carry them
    assert _one(engine, acct, nudged)["status"] == protocol.DUPLICATE
    for change in ({"hours": participation["payload"]["hours"] + 0.5}, {"deleted": True}, {"role": "组织者"}):
        other = copy.deepcopy(participation)
        other["payload"].update(change)
        assert _one(engine, acct, other)["status"] == protocol.STALE, change
    team = _row_of(rows, "team")
    described = copy.deepcopy(team)
    described["payload"]["founded_on"] = "2020-01-01" if not team["payload"].get("founded_on") else None
    assert _one(engine, acct, described)["status"] == protocol.STALE  # a value against none, either way round
    later = copy.deepcopy(team)
    later["payload"]["updated_at"] = "2031-01-01T00:00:00+00:00"  # bookkeeping alone differs: still a resend
    assert _one(engine, acct, later)["status"] == protocol.DUPLICATE


def test_a_photo_waits_for_its_file_and_an_app_rule_is_this_row_s_problem(engine, village, tmp_path):
    from PIL import Image

    store, ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    Image.new("RGB", (40, 30), (200, 30, 30)).save(tmp_path / "p.jpg")
    held = next(s.activity for s in activities.list_activities(ctx))
    activities.add_photo(ctx, held.id, tmp_path / "p.jpg")
    photo = _row_of(_rows(store, after=rows[-1]["seq"]), "photo")
    answer = _one(engine, acct, photo)
    assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "照片文件尚未上传")
    participation = _row_of(rows, "participation")
    participation["version"] = participation["payload"]["version"] = participation["version"] + 1
    participation["payload"]["hours"] = 25.0  # past what one day holds (the app's own rule)
    answer = _one(engine, acct, participation)
    assert answer["status"] == protocol.REJECTED and "24" in answer["reason"] and "；" not in answer["reason"]


def test_a_demand_from_the_district_must_carry_a_dispatch_made_for_this_station(engine, village):
    from app.services import demands

    store, ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    demands.record_demand(ctx, requester="王大娘", content="帮忙修理水管", category="敬老爱老", contact="13812345678")
    demand = _row_of(_rows(store, after=rows[-1]["seq"]), "demand")
    assert _one(engine, acct, copy.deepcopy(demand))["status"] == protocol.APPLIED  # a resident's: no dispatch needed
    for source, dispatch, reason in (("district", None, "需求来源与区中心派单编号不符"),
                                     ("resident", str(uuid.uuid4()), "需求来源与区中心派单编号不符"),
                                     ("district", str(uuid.uuid4()), "该需求的派单编号不是区文明实践中心派给本站的")):
        claimed = copy.deepcopy(demand)
        claimed["id"] = claimed["payload"]["id"] = str(uuid.uuid4())
        claimed["payload"].update(source=source, dispatch_id=dispatch, number=claimed["payload"]["number"] + "b")
        answer = _one(engine, acct, claimed)
        assert (answer["status"], answer["reason"]) == (protocol.REJECTED, reason), (source, dispatch)


def test_a_good_batch_is_written_in_bulk_without_falling_back_row_by_row(engine, village, caplog):
    """The row-by-row path is for a batch the database refused; a good batch never needs it (a bulk write that broke
    would still give the right answers through it, only twice as slowly — and hide the break)."""
    import logging

    store, ctx, acct = village
    volunteers.add_volunteer(ctx, name="李四", id_number=make_id(seq=92), phone="13912345678", registered_on="2020-01-01")
    rows = _rows(store)
    with caplog.at_level(logging.WARNING, logger="sync.server.apply"):
        apply_envelope(engine, acct, _envelope(store.station_id, rows))
        for person in volunteers.search_volunteers(ctx, "", limit=10):
            volunteers.update_volunteer(ctx, person.id, skills="理发")
        apply_envelope(engine, acct, _envelope(store.station_id, _rows(store, after=rows[-1]["seq"])))
    assert [r.getMessage() for r in caplog.records if r.name == "sync.server.apply"] == []


def test_what_the_log_keeps_of_a_refused_row_is_cut_to_its_columns(engine, village):
    store, _ctx, acct = village
    odd = {"seq": 1, "entity": "表" * 600, "id": "i" * 50, "op": "insert", "version": 1, "payload": {}}
    envelope = _envelope(store.station_id, [odd])  # no app_version: the account's client version stays empty
    answer = apply_envelope(engine, acct, envelope)
    reason = answer["results"][0]["reason"]
    assert len(reason) == 500 and reason.startswith("未知的数据类型“表")
    with engine.connect() as conn:
        logged = conn.execute(select(rejection.c.entity, rejection.c.row_id, rejection.c.reason)).one()
        version = conn.execute(select(account.c.client_version).where(account.c.id == acct.id)).scalar()
    assert (logged.entity, logged.row_id, logged.reason) == ("表" * 40, "i" * 36, reason) and version == ""


def test_every_problem_of_a_row_is_named_together(engine, village):
    store, _ctx, acct = village
    team = _row_of(_rows(store), "team")
    team["payload"].update(name="队" * 101, description="简" * 6000)
    answer = _one(engine, acct, team)
    assert answer["status"] == protocol.REJECTED and answer["reason"].count("；") == 1
    assert answer["reason"].startswith("服务队名称不能超过") or "；服务队名称不能超过" in answer["reason"]


def test_a_row_the_database_refuses_row_by_row_is_forgotten_and_its_children_wait(engine, village, monkeypatch):
    """Careful mode (the batch refused in bulk): the refused row's savepoint rolls back and the batch forgets it, so a
    row naming it waits for it by name instead of being written against a parent that is not there."""
    from sqlalchemy import exc as sa_exc

    from sync.server.apply import BatchContext

    store, _ctx, acct = village
    rows = _rows(store)
    team = _row_of(rows, "team")
    real = BatchContext.write_one

    def refuse_the_team(self, entity, row_id, values):
        real(self, entity, row_id, values)  # its own write went in before the database refused it
        if entity == "team":
            raise sa_exc.IntegrityError("INSERT", {}, Exception("planted"))

    monkeypatch.setattr(BatchContext, "write_one", refuse_the_team)
    with engine.begin() as conn:
        answer = apply_batch(conn, acct, _envelope(store.station_id, rows), careful=True)
    by_seq = {r["seq"]: r for r in answer["results"]}
    assert by_seq[team["seq"]] == {"seq": team["seq"], "status": protocol.REJECTED,
                                   "reason": "区里的数据库无法保存这条记录，请联系区文明实践中心"}
    activity = _row_of(rows, "activity")
    assert by_seq[activity["seq"]]["waits_for"] == {"entity": "team", "id": team["id"]}
    assert _stored(engine, "team", team["id"]) is None and _stored(engine, "activity", activity["id"]) is None
    others = [r for r in rows if r["entity"] in ("station", "volunteer")]
    assert all(by_seq[r["seq"]]["status"] == protocol.APPLIED for r in others)


def _figures(conn) -> tuple:
    """The district's kept figures (sync/server/stats.py): per station and month, per team and month, volunteers."""
    from sync.server.stats import station_month, team_month

    return (sorted(tuple(r) for r in conn.execute(select(station_month)).all()),
            sorted(tuple(r) for r in conn.execute(select(team_month)).all()),
            sorted(tuple(r) for r in conn.execute(select(account.c.station_id, account.c.volunteers)).all()))


def _kept_and_recounted(engine) -> tuple[tuple, tuple]:
    """The figures as the batches kept them, and as counted afresh from every row (rolled back after)."""
    from sync.server import stats

    with engine.connect() as conn:
        kept = _figures(conn)
        conn.rollback()  # (the reads' own transaction)
        with conn.begin() as transaction:
            stats.rebuild(conn)
            recounted = _figures(conn)
            transaction.rollback()
    return kept, recounted


@pytest.mark.parametrize("careful", [False, True])
def test_the_figures_kept_batch_by_batch_are_those_counted_afresh(engine, village, neighbour, careful):
    """The oracle for the bookkeeping after each batch (months before and after a move, new rows added, the careful
    path's recount, the volunteers' count, the person links): the same figures a full recount gives."""
    from sync.server import people
    from sync.server.db import person_link

    people.use_key(engine, bytes(range(32)))
    store, ctx, acct = village
    with engine.begin() as conn:
        apply_batch(conn, acct, _envelope(store.station_id, _rows(store)), careful=careful)
    apply_envelope(engine, neighbour[2], _envelope(neighbour[0].station_id, _rows(neighbour[0])))  # another station's
    kept, recounted = _kept_and_recounted(engine)
    assert kept == recounted and len(kept[0]) == 2  # each station's May 2025
    after = outbox.pending(store, after_seq=0, limit=100_000)[-1].seq

    may = activities.list_activities(ctx)[0].activity
    li = volunteers.add_volunteer(ctx, name="李四", id_number=make_id(seq=88), phone="13812345679", registered_on="2020-01-01")
    team = teams.list_teams(ctx)[0].team
    activities.update_activity(ctx, may.id, date=date(2025, 7, 3))  # May's only activity moves to July
    activities.add_activity(ctx, title="重阳敬老", category="敬老爱老", date=date(2025, 10, 29), start_time="09:00",
                            end_time="11:30", team_id=team.id, participants=[ParticipantInput(li.id)])
    with engine.begin() as conn:
        apply_batch(conn, acct, _envelope(store.station_id, _rows(store, after)), careful=careful)
    kept, recounted = _kept_and_recounted(engine)
    assert kept == recounted
    months = {(r[0], r[1]): r[2:] for r in kept[0]}
    assert months.get((store.station_id, "2025-05"), (0,))[0] == 0 and months[(store.station_id, "2025-07")][0] == 1
    assert months[(store.station_id, "2025-10")][:2] == (1, 2.5)
    assert dict((r[0], r[1]) for r in kept[2])[store.station_id] == 2
    with engine.connect() as conn:  # each of the village's volunteers linked as the village's, the neighbour's as hers
        links = set(conn.execute(select(person_link.c.volunteer_id, person_link.c.station_id)).all())
        written = set(conn.execute(select(TABLES["volunteer"].c.id, TABLES["volunteer"].c.station_id)).all())
    assert links == written and len({v for v, s in links if s == store.station_id}) == 2


def test_a_row_refused_for_its_content_is_told_every_reason_in_the_clerk_s_words(engine, village):
    """check_row's problems, joined by "；"; a value of the wrong form; a parent not yet synced, named as the clerk
    names it; a demand marked 已转出 with no hop the district took — each reason exact."""
    from datetime import timedelta

    from app.services import demands

    store, ctx, acct = village
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))

    late = _row_of(rows, "activity")
    late["version"] = late["payload"]["version"] = late["version"] + 1
    late["payload"].update(date=(date.today() + timedelta(days=2)).isoformat(), start_time="17:00:00", end_time="14:00:00")
    answer = _one(engine, acct, late)
    assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "结束时间应晚于开始时间；已开展的活动日期不能晚于今天")

    odd = _row_of(rows, "team")
    odd["version"] = odd["payload"]["version"] = odd["version"] + 1
    odd["payload"]["deleted"] = "no"
    answer = _one(engine, acct, odd)
    assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "字段格式错误：deleted 应为 true/false")

    orphan = _row_of(rows, "participation")
    orphan["id"] = orphan["payload"]["id"] = str(uuid.uuid4())
    orphan["payload"]["activity_id"] = missing = str(uuid.uuid4())
    answer = _one(engine, acct, orphan)
    assert (answer["status"], answer["reason"]) == (protocol.REJECTED, "引用的活动记录尚未同步或不存在")
    assert answer["waits_for"] == {"entity": "activity", "id": missing}

    after = rows[-1]["seq"]
    demands.record_demand(ctx, requester="马大爷", content="代购生活用品", category="便民服务", received_on="2025-05-01")
    passed = _row_of(_rows(store, after), "demand")
    passed["payload"]["state"] = "passed"  # 已转出, though no 转派 went up
    answer = _one(engine, acct, passed)
    assert (answer["status"], answer["reason"]) == (
        protocol.REJECTED, "这条需求的转派（上报）没有被区里接收，不能标为已转出。请在本台账“收回”后重新办理")
    assert _stored(engine, "demand", passed["id"]) is None


def test_a_number_against_none_at_the_same_version_is_other_content_either_way_round(engine, village):
    """A nullable number (a 功能室's 面积): stored empty and sent with a value, or the reverse, is not a resend."""
    from app.models.enums import ROOM_FUNCTIONS
    from app.services import station as station_service

    store, ctx, acct = village
    station_service.save_room(ctx, None, name="图书室", function=ROOM_FUNCTIONS[0], area_m2="", note="")
    station_service.save_room(ctx, None, name="活动室", function=ROOM_FUNCTIONS[0], area_m2="36", note="")
    rows = _rows(store)
    apply_envelope(engine, acct, _envelope(store.station_id, rows))
    for room in (r for r in rows if r["entity"] == "function_room"):
        other = copy.deepcopy(room)
        other["payload"]["area_m2"] = 20.0 if room["payload"]["area_m2"] is None else None
        assert _one(engine, acct, other)["status"] == protocol.STALE, room["payload"]["name"]
        assert _one(engine, acct, copy.deepcopy(room))["status"] == protocol.DUPLICATE
