import json

import pytest
from sqlmodel import select

from app.changes import HardDeleteRefused
from app.models import OutboxEntry, Volunteer
from app.services import audit, teams, volunteers
from app.services.context import Actor, Context
from app.services.errors import ValidationError
from app.models.enums import Role
from app.services.station import set_deleted
from conftest import make_id


def outbox(ctx):
    with ctx.read() as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.seq)))


def test_one_row_per_change_with_version_payload_operator(ctx):
    clerk = Context(store=ctx.store, actor=Actor("wang", "王录入", Role.clerk))
    before = len(outbox(ctx))
    v = volunteers.add_volunteer(clerk, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678")
    volunteers.update_volunteer(clerk, v.id, skills="理发")
    volunteers.update_volunteer(clerk, v.id, skills="理发")  # no net change: no outbox row
    set_deleted(clerk, Volunteer, v.id, deleted=True, what="志愿者")
    set_deleted(clerk, Volunteer, v.id, deleted=False, what="志愿者")
    rows = [r for r in outbox(ctx)[before:]]
    assert [(r.entity, r.op, r.version) for r in rows] == [
        ("volunteer", "insert", 1), ("volunteer", "update", 2), ("volunteer", "delete", 3), ("volunteer", "update", 4),
    ]
    assert all(r.operator == "王录入" and r.row_id == v.id for r in rows)
    payload = json.loads(rows[1].payload)
    assert payload["skills"] == "理发" and payload["version"] == 2 and payload["station_id"] == ctx.station_id
    assert json.loads(rows[2].payload)["deleted"] is True


def test_rolled_back_transaction_leaves_no_outbox_row(ctx):
    before = len(outbox(ctx))
    with pytest.raises(RuntimeError):
        with ctx.write() as session:
            session.add(Volunteer(station_id=ctx.station_id, number="ZY9", name="回滚", id_number="x"))
            session.flush()  # the hook has written its outbox row in this transaction
            raise RuntimeError("power cut")
    assert len(outbox(ctx)) == before
    assert volunteers.count_volunteers(ctx) == 0


def test_failed_validation_leaves_no_outbox_row(ctx):
    before = len(outbox(ctx))
    with pytest.raises(ValidationError, match="校验位"):
        volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number="110105194912310021", phone="13812345678")
    assert len(outbox(ctx)) == before


def test_parents_precede_children_in_one_flush(ctx):
    team = teams.add_team(ctx, name="队", category="敬老爱老")
    before = len(outbox(ctx))
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678", team_ids=[team.id])
    assert [r.entity for r in outbox(ctx)[before:]] == ["volunteer", "membership"]


def test_hard_delete_refused(ctx):
    v = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678")
    with pytest.raises(HardDeleteRefused):
        with ctx.write() as session:
            session.delete(session.get(Volunteer, v.id))


def test_audit_lists_who_changed_what(ctx):
    clerk = Context(store=ctx.store, actor=Actor("wang", "王录入", Role.clerk))
    volunteers.add_volunteer(clerk, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678")
    entries = audit.list_changes(ctx, limit=1)
    assert (entries[0].operator, entries[0].action, entries[0].entity, entries[0].title) == ("王录入", "新增", "志愿者", "张三")
    assert audit.list_changes(ctx, entity="station")[0].entity == "实践站"


def test_bulk_insert_captures_exactly_what_a_flush_captures(ctx):
    """Settlement writes its entries through ``insert_many``: the rows and their outbox rows must be the
    ones the ORM's flush would have written, and a bad row stops the whole batch."""
    from datetime import date

    from app.changes import insert_many
    from app.models import PointEntry
    from app.services.errors import ValidationError

    vol = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="积分人", id_number=make_id(seq=77), phone="13812340077")

    def entry(reason: str) -> PointEntry:
        return PointEntry(volunteer_id=vol.id, points=15, occurred_on=date(2026, 3, 1), reason=reason, source="activity:x", operator="管理员")

    with ctx.write() as session:
        session.add(entry("经由会话"))
    with ctx.write() as session:
        insert_many(session, PointEntry, [{"volunteer_id": vol.id, "points": 15, "occurred_on": date(2026, 3, 1), "reason": "批量写入",
                                           "source": "activity:x", "operator": "管理员"}])
    with ctx.store.session() as session:
        rows = {r.reason: r for r in session.exec(select(PointEntry))}
        boxes = {json.loads(b.payload)["reason"]: b for b in session.exec(select(OutboxEntry).where(OutboxEntry.entity == "point_entry"))}
    flushed, bulk = rows["经由会话"], rows["批量写入"]
    assert bulk.station_id == flushed.station_id == ctx.station_id and bulk.version == flushed.version == 1
    assert bulk.updated_at is not None and bulk.occurred_on == date(2026, 3, 1)
    a, b = json.loads(boxes["经由会话"].payload), json.loads(boxes["批量写入"].payload)
    assert set(a) == set(b) and {k: v for k, v in a.items() if k not in ("id", "reason", "updated_at")} == {
        k: v for k, v in b.items() if k not in ("id", "reason", "updated_at")}
    assert (boxes["批量写入"].op, boxes["批量写入"].version, boxes["批量写入"].row_id) == ("insert", 1, bulk.id)
    from app.changes import row_payload

    # the very text a flush writes for that row (the bulk path encodes in one pass)
    assert boxes["批量写入"].payload == json.dumps(row_payload(bulk), ensure_ascii=False, separators=(",", ":"))
    before = len(rows)
    with pytest.raises(ValidationError):
        with ctx.write() as session:
            insert_many(session, PointEntry, [{"volunteer_id": vol.id, "points": 1, "occurred_on": date(2026, 3, 1), "reason": reason}
                                              for reason in ("好的", "太长" * 200)])
    with pytest.raises(ValidationError) as missing:  # a column with no default, not given
        with ctx.write() as session:
            insert_many(session, PointEntry, [{"volunteer_id": vol.id, "occurred_on": date(2026, 3, 1), "reason": "没有积分"}])
    assert "points" in missing.value.errors
    with ctx.store.session() as session:
        assert len(session.exec(select(PointEntry)).all()) == before
