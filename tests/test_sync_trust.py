"""Sync that can never wedge a station or leave the district silently out of date (issue #12):
values the district cannot hold, restores, rejected parents, reused batch ids, hostile bodies.
Against the real district server on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from datetime import date, time

import pytest
import requests

from sync_helpers import staff_login
from sqlalchemy import text
from sqlmodel import select as orm_select

from app.models import Activity, OutboxEntry, Volunteer
from app.outbox import pending_count, rejected_rows
from app.services import activities, volunteers
from app.services.activities import ParticipantInput
from app.services.errors import ValidationError
from conftest import make_id
from sync import protocol
from sync.client import load_state
from sync.server.db import TABLES
from test_sync import assert_same, enroll, server_rows

DAY = date(2026, 10, 29)


def plant(store, entity: str, row_id: str, **changes) -> int:
    """What an older app (without today's checks) would have queued: the row changed past every check,
    locally and in the outbox, as a new version. Returns the outbox seq."""
    with store.session() as session:
        last = session.exec(orm_select(OutboxEntry).where(OutboxEntry.entity == entity, OutboxEntry.row_id == row_id)
                            .order_by(OutboxEntry.seq.desc())).first()
        payload = {**json.loads(last.payload), **changes, "version": last.version + 1}
        entry = OutboxEntry(entity=entity, row_id=row_id, op="update", version=last.version + 1, operator="旧版程序",
                            payload=json.dumps(payload, ensure_ascii=False))
        session.add(entry)
        assignments = ", ".join(f"{k} = :{k}" for k in changes)
        session.execute(text(f"UPDATE {entity} SET {assignments}, version = :version WHERE id = :id"),
                        {**changes, "version": last.version + 1, "id": row_id})
        session.commit()
        return entry.seq


def add_people(ctx, n: int) -> list[Volunteer]:
    return [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"志愿者{i}", id_number=make_id(seq=100 + i), phone=f"1381234{i:04d}") for i in range(n)]


def record(ctx, people, *, title="重阳节敬老饺子宴", served=30) -> Activity:
    return activities.add_activity(ctx, title=title, date=DAY, category="敬老爱老", start_time=time(9), end_time=time(11),
                                   served_count=served, participants=[ParticipantInput(p.id, 2.0) for p in people])


# -- one definition of what a row may hold ------------------------------------------------------------

def test_values_the_district_cannot_hold_are_refused_at_entry(ctx):
    with pytest.raises(ValidationError) as caught:
        record(ctx, [], served=3_000_000_000)
    assert "served_count" in caught.value.errors and "100,000" in caught.value.errors["served_count"]
    with pytest.raises(ValidationError) as caught:
        record(ctx, [], served=99999999999999999999)  # was a raw OverflowError from SQLite
    assert "服务对象人数" in str(caught.value)
    with pytest.raises(ValidationError, match="常住人口"):
        from app.services.station import update_station

        update_station(ctx, population=13_812_345_678)
    # 50 × 庄 fits its column; its derived pinyin (300 letters) is cut to fit the search key's column
    long_name = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="庄" * 50, id_number=make_id(seq=901), phone="13812345678")
    assert long_name.name_pinyin.startswith("zhuang") and len(long_name.name_pinyin) == 200
    with pytest.raises(ValidationError, match="姓名"):
        volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="庄" * 51, id_number=make_id(seq=903), phone="13812345679")
    with ctx.store.session() as session:
        assert session.exec(orm_select(Activity)).all() == []  # nothing half-written


def test_cli_refuses_served_out_of_range(tmp_path):
    station = [sys.executable, "-m", "app.cli"]
    data = ["--data-dir", str(tmp_path / "d")]
    subprocess.run([*station, "init", *data, "--name", "测试村新时代文明实践站", "--kind", "village", "--population", "900"], check=True,
                   capture_output=True)
    done = subprocess.run([*station, "activity", "add", *data, "--title", "测试", "--date", "2026-10-29", "--category", "敬老爱老",
                           "--served", "3000000000"], capture_output=True, text=True)
    assert done.returncode == 1 and "服务对象人数应在0到100,000之间" in done.stderr and "Traceback" not in done.stderr


def test_planted_values_are_rejected_per_row_and_everything_else_arrives(ctx, district):
    client = enroll(ctx.store, district)
    people = add_people(ctx, 3)
    act = record(ctx, people)
    client.sync()
    # an older app let these through: each comes back rejected with its reason, the rest arrives
    served = plant(ctx.store, "activity", act.id, served_count=3_000_000_000)
    name = plant(ctx.store, "volunteer", people[0].id, name="庄" * 60)
    later = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="后来的志愿者", id_number=make_id(seq=555), phone="13912345678")
    result = client.sync()
    assert result.rejected == 2 and pending_count(ctx.store) == 0
    reasons = {r.seq: r.reason for r in rejected_rows(ctx.store)}
    assert "服务对象人数" in reasons[served] and "100,000" in reasons[served]
    assert "姓名不能超过50个字" in reasons[name]
    theirs = server_rows(district.engine, ctx.store.station_id)
    assert later.id in theirs["volunteer"] and theirs["activity"][act.id]["served_count"] == 30


def poison_activity_place(engine) -> None:
    """A district-side constraint no station check knows: an activity at the place "毒" is refused by the database."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE activity ADD CONSTRAINT no_poison CHECK (place <> '毒')"))
        else:
            conn.execute(text("CREATE TRIGGER no_poison BEFORE INSERT ON activity WHEN NEW.place = '毒' "
                              "BEGIN SELECT RAISE(ABORT, 'poison'); END"))


def test_a_row_the_database_refuses_is_rejected_alone(ctx, district):
    """Past every check, the database still refuses one row (here a district-side constraint): the batch is
    written again row by row, that row is answered rejected, and every other row of the batch goes in."""
    client = enroll(ctx.store, district)
    poison_activity_place(district.engine)
    people = add_people(ctx, 2)
    poisoned = activities.add_activity(ctx, title="有问题的活动", date=DAY, category="敬老爱老", place="毒",
                                       participants=[ParticipantInput(people[0].id, 1.0)])
    fine = record(ctx, people, title="正常的活动")
    result = client.sync()
    theirs = server_rows(district.engine, ctx.store.station_id)
    assert poisoned.id not in theirs["activity"] and fine.id in theirs["activity"]
    assert set(theirs["volunteer"]) == {p.id for p in people}
    rejected = {r.row_id: r.reason for r in rejected_rows(ctx.store)}
    assert "区里的数据库无法保存" in rejected[poisoned.id]
    # its participation waits for it (named parent), nothing else is held back
    assert result.rejected == 2 and pending_count(ctx.store) == 0
    assert len(theirs["participation"]) == 2


def test_a_row_refused_after_its_own_write_went_in_is_forgotten_and_its_children_wait_for_it(ctx, district, monkeypatch):
    """Row by row, a row's savepoint can roll back after its own INSERT succeeded (what follows it — a 转派's dispatch,
    a demand's receipt — refused). The batch then must not count it as stored: its participations wait for it
    (retried when it arrives), rather than being refused by the database for a missing parent, for good."""
    from sqlalchemy import exc as sa_exc

    from sync.server import apply, tiers

    client = enroll(ctx.store, district)
    poison_activity_place(district.engine)  # a poisoned row sends the batch row by row (as above)
    people = add_people(ctx, 2)
    activities.add_activity(ctx, title="有问题的活动", date=DAY, category="敬老爱老", place="毒")
    refused_late = record(ctx, people, title="写入后才被拒绝的活动")
    real_follow = tiers.follow

    def follow(batch, entity, values):
        if entity == "activity" and values["id"] == refused_late.id:
            raise sa_exc.IntegrityError("INSERT INTO announcement", {}, Exception("refused after the write"))
        return real_follow(batch, entity, values)

    monkeypatch.setattr(apply.tiers, "follow", follow)
    client.sync()
    theirs = server_rows(district.engine, ctx.store.station_id)
    assert refused_late.id not in theirs["activity"] and not theirs.get("participation")
    with ctx.store.session() as session:
        children = session.exec(orm_select(OutboxEntry).where(OutboxEntry.entity == "participation")).all()
    assert len(children) == 2
    assert all(c.waits_for == f"activity:{refused_late.id}" and "数据库无法保存" not in c.rejected_reason for c in children), \
        [(c.rejected_reason, c.waits_for) for c in children]


# -- restores ---------------------------------------------------------------------------------------

def test_restore_then_edit_leaves_the_district_equal_to_the_station(ctx, district):
    client = enroll(ctx.store, district)
    person, other = add_people(ctx, 2)
    client.sync()
    backup = ctx.store.backup()
    volunteers.update_volunteer(ctx, person.id, skills="第一次修改")
    volunteers.update_volunteer(ctx, person.id, skills="第二次修改")
    volunteers.update_volunteer(ctx, other.id, note="备份之后的修改，恢复后不再有")
    client.sync()
    ctx.store.restore(backup)
    volunteers.update_volunteer(ctx, person.id, skills="恢复之后的修改")
    result = client.sync()
    assert pending_count(ctx.store) == 0 and result.rejected == 0
    assert_same(ctx.store, district)  # content included: the district no longer holds the lost edits
    theirs = server_rows(district.engine, ctx.store.station_id)["volunteer"]
    assert theirs[person.id]["skills"] == "恢复之后的修改" and theirs[other.id]["note"] == ""
    assert client.sync().pushed == 0  # and it stays settled


def test_same_version_other_content_is_stale_not_duplicate(ctx, district):
    client = enroll(ctx.store, district)
    person = add_people(ctx, 1)[0]
    client.sync()
    token = load_state(ctx.store).token
    with ctx.store.session() as session:
        entry = session.exec(orm_select(OutboxEntry).where(OutboxEntry.row_id == person.id)).first()
    payload = {**json.loads(entry.payload), "skills": "同一版本，不同内容"}
    envelope = {"batch_id": str(uuid.uuid4()), "station_id": ctx.store.station_id, "protocol": 1,
                "rows": [{"seq": 1, "entity": "volunteer", "id": person.id, "op": "update", "version": entry.version, "payload": payload}]}
    headers = {"Authorization": f"Bearer {token}", protocol.HEADER_PROTOCOL: "1"}
    answer = requests.post(district.base + protocol.BATCHES, json=envelope, headers=headers, timeout=10).json()
    assert answer["results"][0]["status"] == "stale" and answer["results"][0]["server_version"] == entry.version
    # the same batch id with other rows is refused, never answered as before
    envelope["rows"][0]["payload"] = {**payload, "skills": "又换了内容"}
    reused = requests.post(district.base + protocol.BATCHES, json=envelope, headers=headers, timeout=10)
    assert reused.status_code == 409 and reused.json()["code"] == "batch_reused"
    assert server_rows(district.engine, ctx.store.station_id)["volunteer"][person.id]["skills"] == ""


# -- children follow their parents ---------------------------------------------------------------------

def test_children_of_a_rejected_parent_follow_it_once_it_is_fixed(ctx, district):
    client = enroll(ctx.store, district)
    people = add_people(ctx, 2)
    # the volunteer's row is refused by the district (here: a phone an older app let through)
    with ctx.store.session() as session:
        first = session.exec(orm_select(OutboxEntry).where(OutboxEntry.row_id == people[0].id)).one()
        first.payload = json.dumps({**json.loads(first.payload), "phone": "12345"}, ensure_ascii=False)
        session.add(first)
        session.commit()
    act = record(ctx, people)
    result = client.sync()
    waiting = [r for r in rejected_rows(ctx.store) if r.row_id != people[0].id]
    assert result.rejected == 2 and len(waiting) == 1 and "等待志愿者“志愿者0”" in waiting[0].reason and "自动重新上传" in waiting[0].reason
    with ctx.store.session() as session:
        child = session.exec(orm_select(OutboxEntry).where(OutboxEntry.seq == waiting[0].seq)).one()
    assert child.waits_for == f"volunteer:{people[0].id}"
    # the 专管员 fixes the volunteer; the participation follows in the same sync, and 0 waiting is true
    volunteers.update_volunteer(ctx, people[0].id, phone="13700001111")
    result = client.sync()
    assert result.rejected == 0 and pending_count(ctx.store) == 0 and rejected_rows(ctx.store) == []
    assert_same(ctx.store, district)
    assert len(server_rows(district.engine, ctx.store.station_id)["participation"]) == 2
    assert act.id in server_rows(district.engine, ctx.store.station_id)["activity"]


# -- hostile requests ------------------------------------------------------------------------------------

def test_hostile_requests_get_4xx(ctx, district):
    url = district.base
    nested = b"[" * 30_000 + b"]" * 30_000  # deeper than the parser's stack, within the size limit
    no_token = [
        requests.post(url + protocol.ENROLL, data=nested, headers={protocol.HEADER_PROTOCOL: "1"}, timeout=30),
        requests.post(url + protocol.ENROLL, data=b'{"code": "x"', headers={protocol.HEADER_PROTOCOL: "1"}, timeout=10),
        requests.post(url + protocol.ENROLL, json={"code": ["x"], "station_id": {"a": 1}}, headers={protocol.HEADER_PROTOCOL: "1"}, timeout=10),
        requests.post(url + protocol.ENROLL, json={"code": "x", "station_id": "s" * 400}, headers={protocol.HEADER_PROTOCOL: "1"}, timeout=10),
        requests.post(url + protocol.ENROLL, json={}, headers={protocol.HEADER_PROTOCOL: "²".encode()}, timeout=10),
        requests.get(url + protocol.PULL, headers={protocol.HEADER_PROTOCOL: "１".encode()}, timeout=10),
    ]
    assert [r.status_code for r in no_token] == [400, 400, 422, 422, 426, 426]
    client = enroll(ctx.store, district)
    add_people(ctx, 1)
    client.sync()
    token = load_state(ctx.store).token
    auth = {"Authorization": f"Bearer {token}", protocol.HEADER_PROTOCOL: "1"}
    sid = ctx.store.station_id

    def row(**extra):
        payload = {"id": "r1", "station_id": sid, "version": 1, **extra}
        return {"seq": 1, "entity": "volunteer", "id": payload["id"], "version": payload["version"], "payload": payload}

    rows = [
        row(version=2**40), {**row(), "id": "x" * 80, "payload": {**row()["payload"], "id": "x" * 80}},
        row(name="张三", updated_at="9999-12-31T23:59:59-23:59"), row(name="\ud800"),
    ]
    for bad in rows:
        envelope = {"batch_id": str(uuid.uuid4()), "station_id": sid, "protocol": 1, "rows": [bad]}
        answer = requests.post(url + protocol.BATCHES, json=envelope, headers=auth, timeout=10)
        assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "rejected", answer.text
    bodies = [
        (gzip.compress(nested), {"Content-Encoding": "gzip"}),
        (gzip.compress(b"[" + b"{}," * 3_000_000 + b"{}]"), {"Content-Encoding": "gzip"}),  # ~30 KB that unpacks to 9 MB
        (gzip.compress(b'{"rows": [' + b"1," * 2_000_000 + b"1]}"), {"Content-Encoding": "gzip"}),
    ]
    for body, headers in bodies:
        answer = requests.post(url + protocol.BATCHES, data=body, headers={**auth, **headers}, timeout=30)
        assert 400 <= answer.status_code < 500 and answer.json()["message"], answer.status_code
    for cursor in ("²", "9" * 40, "-1"):
        assert requests.get(url + protocol.PULL, params={"cursor": cursor}, headers=auth, timeout=10).status_code == 200
    assert requests.head(f"{url}{protocol.FILES}/{'ab' * 40}", headers=auth, timeout=10).status_code == 422


def test_openapi_declares_request_bodies(district_sqlite):
    from sync.server import admin

    admin.add_staff(district_sqlite.engine, "wmb", "district1", "区文明办")
    spec = staff_login(district_sqlite.base).get(district_sqlite.base + "/openapi.json", timeout=10).json()
    batch = spec["paths"][protocol.BATCHES]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["properties"]["rows"]["maxItems"] == protocol.MAX_BATCH_ROWS
    assert "requestBody" in spec["paths"][protocol.ENROLL]["post"]
    assert "application/octet-stream" in spec["paths"][protocol.FILES + "/{sha}"]["put"]["requestBody"]["content"]


def test_district_tables_match_the_app_columns():
    """The server checks rows against the very tables it writes: same columns, same lengths."""
    from app.models import SYNCED_MODELS

    for model in SYNCED_MODELS:
        ours, theirs = model.__table__, TABLES[model.__tablename__]
        assert [(c.name, getattr(c.type, "length", None)) for c in ours.columns] == \
               [(c.name, getattr(c.type, "length", None)) for c in theirs.columns]


def test_staff_pages_answer_bad_query_values_in_chinese(district):
    from sync.server import admin

    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    staff = staff_login(district.base)
    assert staff.get(district.base + "/district", timeout=10).status_code == 200
    for path in ("/district/evaluation?month=13", "/district/evaluation?year=99999", "/district/evaluation.xlsx?month=-1",
                 "/district/station/1234567890123456789012345", "/district/evaluation?year=abc"):
        answer = staff.get(district.base + path, timeout=10)
        assert answer.status_code == 422 and "请求参数不正确" in answer.text, (path, answer.status_code)
    assert staff.get(district.base + "/district/evaluation?year=2026&month=11", timeout=10).status_code == 200


# -- revocation is reversible, enrollment recoverable ------------------------------------------------------

def test_revoked_station_is_reenabled_and_syncs(ctx, district):
    from sync.client import SyncClient, SyncError
    from sync.server import admin

    client = enroll(ctx.store, district)
    add_people(ctx, 2)
    client.sync()
    assert admin.revoke(district.engine, "杨家庄村") == 1
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="停用期间登记", id_number=make_id(seq=321), phone="13912340000")
    with pytest.raises(SyncError, match="停用"):
        client.sync()
    code = admin.reenable(district.engine, "杨家庄村")
    with pytest.raises(SyncError, match="令牌无效"):  # the old token no longer works
        client.sync()
    assert SyncClient(ctx.store).enroll(district.base, code) == "杨家庄村"
    assert client.sync().rejected == 0 and pending_count(ctx.store) == 0
    assert_same(ctx.store, district)
    with pytest.raises(SyncError, match="登记码无效或已使用"):
        SyncClient(ctx.store).enroll(district.base, code)  # one-time


def test_new_account_after_revocation_and_a_new_pc_restored_from_before_enrollment(ctx, district, tmp_path):
    from app.db import Store
    from sync.client import SyncClient, SyncError
    from sync.server import admin

    people = add_people(ctx, 2)
    before_enrollment = ctx.store.backup()
    client = enroll(ctx.store, district)
    volunteers.update_volunteer(ctx, people[0].id, skills="登记之后的修改")
    client.sync()
    # a second account for the same station while the first is live: refused, naming the first
    other_code = admin.add_station(district.engine, "杨家庄村（新）", "艾山街道")
    with pytest.raises(SyncError, match="reenable 杨家庄村"):
        SyncClient(ctx.store).enroll(district.base, other_code)
    # the old PC dies; a new one gets the data folder from a backup made before the station ever enrolled
    with Store.open(tmp_path / "new-pc") as new_pc:
        new_pc.restore(before_enrollment)
        assert load_state(new_pc).token == ""
        new_ctx = type(ctx)(store=new_pc)
        volunteers.add_volunteer(new_ctx, registered_on="2020-01-01", name="恢复后登记", id_number=make_id(seq=654), phone="13912340001")
        # the district revokes the old account and made a new one: the station moves to it, rows kept
        admin.revoke(district.engine, "杨家庄村")
        assert SyncClient(new_pc).enroll(district.base, other_code) == "杨家庄村（新）"
        assert SyncClient(new_pc).sync().rejected == 0 and pending_count(new_pc) == 0
        assert_same(new_pc, district)  # the edit the restore undid is undone at the district too
        assert server_rows(district.engine, new_pc.station_id)["volunteer"][people[0].id]["skills"] == ""


def test_restore_keeps_the_enrollment_and_brings_back_later_rows_into_the_bin(ctx, district):
    from app.services.station import set_deleted

    client = enroll(ctx.store, district)
    kept = add_people(ctx, 1)[0]
    backup = ctx.store.backup()
    later = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="备份之后登记", id_number=make_id(seq=432), phone="13912340002")
    act = record(ctx, [kept, later], title="备份之后的活动")
    client.sync()
    ctx.store.restore(backup)
    # restoring did not undo the enrollment, and the newest number is given again
    again = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="恢复后登记", id_number=make_id(seq=433), phone="13912340003")
    assert again.number == later.number
    result = client.sync()
    assert result.recovered == 4 and result.rejected == 0 and pending_count(ctx.store) == 0  # volunteer, activity, 2 participations
    assert_same(ctx.store, district)
    with ctx.store.session() as session:
        back = session.get(Volunteer, later.id)
        assert back.deleted and back.number != again.number and back.name == "备份之后登记"
        assert session.get(Activity, act.id).deleted
    # the clerk takes the lost volunteer out of the 回收站: it is live again, here and at the district
    set_deleted(ctx, Volunteer, later.id, deleted=False, what="志愿者")
    client.sync()
    assert_same(ctx.store, district)
    assert server_rows(district.engine, ctx.store.station_id)["volunteer"][later.id]["deleted"] is False


def test_a_row_deleted_after_the_backup_comes_back_at_a_version_above_the_districts(ctx, district):
    """Found by the state machine below: backup, add, delete, sync, restore, sync. The district's row was
    already deleted, so the row brought back into the 回收站 had the very same content; sent as a new row at
    version 1, the district answered "duplicate" and kept its version 2 — station and district differed."""
    from app.services.station import set_deleted

    client = enroll(ctx.store, district)
    backup = ctx.store.backup()
    gone = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="备份之后登记", id_number=make_id(seq=434), phone="13912340004")
    set_deleted(ctx, Volunteer, gone.id, deleted=True, what="志愿者")
    client.sync()
    ctx.store.restore(backup)
    result = client.sync()
    assert result.recovered == 1 and pending_count(ctx.store) == 0
    assert_same(ctx.store, district)  # content, version and time alike
    theirs = server_rows(district.engine, ctx.store.station_id)["volunteer"][gone.id]
    assert theirs["deleted"] is True and theirs["version"] > 2


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))


@pytest.mark.slow
def test_amplification_bodies_stay_within_memory(tmp_path):
    """A 31 KB gzip body once unpacked into a gigabyte of Python objects. Measured in a real
    `station district serve` process: its peak RSS stays within 150 MB above idle."""
    import os
    import time as clock

    from app.db import Store
    from app.services.station import init_station
    from sync.client import SyncClient
    from sync.server import admin
    from sync.server.db import make_engine, migrate
    from sync_helpers import free_port

    folder = tmp_path / "district"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'district.db'}")
    migrate(engine)
    code = admin.add_station(engine, "杨家庄村", "艾山街道")
    engine.dispose()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "district", "--dir", str(folder), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = clock.monotonic() + 30
        while clock.monotonic() < deadline:
            try:
                requests.get(base + protocol.PING, timeout=1)
                break
            except requests.ConnectionError:
                clock.sleep(0.1)
        with Store.open(tmp_path / "station") as store:
            init_station(store, name="杨家庄村新时代文明实践站", kind="village", population=900)
            SyncClient(store).enroll(base, code)
            token = load_state(store).token
        auth = {"Authorization": f"Bearer {token}", protocol.HEADER_PROTOCOL: "1", "Content-Encoding": "gzip"}
        requests.get(base + protocol.PING, timeout=5)
        idle = _peak_rss(server.pid)
        bombs = [gzip.compress(b"[" + b"{}," * 3_000_000 + b"{}]", 9),
                 gzip.compress(b'{"rows":[' + b"[]," * 1_900_000 + b"[]]}", 9),
                 gzip.compress(b'{"rows":[' + b'"ab",' * 1_200_000 + b'"ab"]}', 9),
                 gzip.compress(b'{"rows":[' + b"1.5," * 1_500_000 + b"1.5]}", 9)]
        assert min(len(b) for b in bombs) < 40_000
        for body in bombs:
            answer = requests.post(base + protocol.BATCHES, data=body, headers=auth, timeout=60)
            assert 400 <= answer.status_code < 500
        peak = _peak_rss(server.pid)
        print(f"\ndistrict server: idle {idle / 2**20:.0f} MB, peak after the bodies {peak / 2**20:.0f} MB "
              f"(+{(peak - idle) / 2**20:.0f} MB)")
        assert peak - idle < 150 * 2**20
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=10)
    log = err.decode("utf-8", "replace")
    assert "POST /api/v1/batches" in log and token not in log  # the access log, without the token


def test_edits_restores_revocations_planted_values_and_skewed_clocks_converge(district, tmp_path_factory, monkeypatch):
    """A Hypothesis state machine over everything a village PC does to sync: edits, deletes, backups and
    restores, revocation and re-enabling, a value planted past the checks (then fixed by the clerk), a clock
    days off, network faults. Whatever the order, the final sync leaves district == station, content included."""
    from datetime import UTC, datetime, timedelta

    from hypothesis import HealthCheck, settings
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

    import app.changes
    from app.db import Store
    from app.services.context import Context
    from app.services.station import init_station, set_deleted
    from sync.client import SyncClient, SyncError
    from sync.server import admin
    from sync_helpers import FaultProxy
    from test_sync import FAST

    proxy = FaultProxy(district.port)
    names = st.sampled_from(["张三", "李四", "王五", "赵六"])
    skew = {"days": 0}
    # Relative to the real clock on purpose: a station's clock days off must not matter (versions decide, not times).
    monkeypatch.setattr(app.changes, "utcnow", lambda: datetime.now(UTC) + timedelta(days=skew["days"]))

    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.folder = tmp_path_factory.mktemp("station")
            self.store = Store.open(self.folder / "data")
            init_station(self.store, name="随机村新时代文明实践站", kind="village")
            self.ctx = Context(store=self.store)
            self.account = f"随机村{uuid.uuid4().hex[:6]}"
            self.client = SyncClient(self.store, **FAST)
            self.client.enroll(proxy.base, admin.add_station(district.engine, self.account))
            self.ids: list[str] = []
            self.backups = []
            self.seq = 0

        def pick(self, index):
            return self.ids[index % len(self.ids)]

        @rule(name=names)
        def add(self, name):
            self.seq += 1
            self.ids.append(volunteers.add_volunteer(self.ctx, name=name, id_number=make_id(seq=self.seq), phone="13812345678").id)

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50), skill=st.sampled_from(["理发", "电工", ""]))
        def edit(self, index, skill):
            try:
                volunteer = volunteers.get_volunteer(self.ctx, self.pick(index))
                volunteers.update_volunteer(self.ctx, volunteer.id, skills=skill)
            except (ValidationError, Exception) as exc:  # a restore may have taken the row away, or it holds a planted name
                assert isinstance(exc, (ValidationError,)) or "不存在" in str(exc) or type(exc).__name__ == "NotFound", exc

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50), deleted=st.booleans())
        def delete_or_restore(self, index, deleted):
            try:
                set_deleted(self.ctx, Volunteer, self.pick(index), deleted=deleted, what="志愿者")
            except Exception as exc:  # gone after a restore, or holding a planted name
                assert isinstance(exc, ValidationError) or type(exc).__name__ == "NotFound", exc

        @precondition(lambda self: self.ids)
        @rule(index=st.integers(0, 50))
        def plant(self, index):
            with self.store.session() as session:
                if session.get(Volunteer, self.pick(index)) is None:
                    return
            plant(self.store, "volunteer", self.pick(index), name="庄" * 60)

        @rule()
        def backup(self):
            self.backups.append(self.store.backup(to=self.folder / f"backup-{len(self.backups)}.db"))

        @precondition(lambda self: self.backups)
        @rule(index=st.integers(0, 20))
        def restore(self, index):
            self.store.restore(self.backups[index % len(self.backups)])
            with self.store.session() as session:
                self.ids = [v.id for v in session.exec(orm_select(Volunteer))]
            self.ids = self.ids  # rows only the district has come back into the 回收站 at the next sync

        @rule()
        def revoke_and_reenable(self):
            admin.revoke(district.engine, self.account)
            with pytest.raises(SyncError):
                self.client.sync()
            self.client.enroll(proxy.base, admin.reenable(district.engine, self.account))

        @rule(days=st.sampled_from([0, -3, 400]))
        def skew_clock(self, days):
            skew["days"] = days

        @rule(fault=st.sampled_from(["pass", "drop_before", "drop_after", "500"]))
        def sync(self, fault):
            proxy.plan = [fault]
            self.client.sync()

        def teardown(self):
            proxy.plan = []
            # the clerk fixes what the district refused, as the 同步 page asks
            with self.store.session(operator="专管员") as session:  # (in the 回收站 too)
                for volunteer in session.exec(orm_select(Volunteer)):
                    if len(volunteer.name) > 50:
                        volunteer.name = "庄小明"
                        session.add(volunteer)
                session.commit()
            self.client.sync()
            assert pending_count(self.store) == 0 and rejected_rows(self.store) == []
            assert_same(self.store, district)
            self.store.close()

    try:
        run_state_machine_as_test(Machine, settings=settings(max_examples=10, stateful_step_count=12, deadline=None,
                                                             suppress_health_check=list(HealthCheck)))
    finally:
        proxy.close()
