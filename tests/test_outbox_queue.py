"""The outbox as a queue, called directly (no server): what is sent, in order, and how each of the district's answers
is stamped — acknowledged, refused, waiting for a parent, sent again above the district's version. Every expectation
is worked out by hand from the rows the test writes (#28: these functions were judged only through whole syncs)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlmodel import select

from app import outbox
from app.changes import insert_many
from app.models import OutboxEntry, PointEntry, Volunteer
from app.services import teams, volunteers
from conftest import make_id

AT = datetime(2027, 1, 4, 9, 30, tzinfo=timezone.utc)
LATER = datetime(2027, 1, 5, tzinfo=timezone.utc)


def rows(ctx) -> list[OutboxEntry]:
    with ctx.store.session() as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.seq)))


def test_pending_is_every_unanswered_change_in_order_after_a_seq_up_to_a_limit(ctx):
    start = len(rows(ctx))
    people = [
        volunteers.add_volunteer(
            ctx, registered_on="2020-01-01", name=f"人{n}", id_number=make_id(seq=300 + n), phone=f"1381234{n:04d}"
        )
        for n in range(4)
    ]
    mine = rows(ctx)[start:]
    seqs = [r.seq for r in mine]
    assert [p.row_id for p in outbox.pending(ctx.store)][-4:] == [p.id for p in people]
    everything = outbox.pending(ctx.store, limit=10_000)
    assert [p.seq for p in everything] == sorted(p.seq for p in everything) and len(everything) == outbox.pending_count(
        ctx.store
    )
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[1])] == seqs[2:]  # after, not from
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[0], limit=2)] == seqs[1:3]
    first = outbox.pending(ctx.store, after_seq=seqs[0] - 1, limit=1)[0]
    assert (first.seq, first.entity, first.row_id, first.op, first.version) == (
        seqs[0],
        "volunteer",
        people[0].id,
        "insert",
        1,
    )
    assert first.payload == mine[0].payload
    total = outbox.pending_count(ctx.store)
    outbox.record_results(ctx.store, [seqs[0]], {seqs[1]: "拒收"}, at=AT)
    assert outbox.pending_count(ctx.store) == total - 2
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[0] - 1)] == seqs[2:]
    assert (outbox.rejected_count(ctx.store), outbox.still_rejected(ctx.store, seqs)) == (1, 1)
    assert outbox.still_rejected(ctx.store, [seqs[0], seqs[2]]) == 0


def test_acknowledgements_stamp_exactly_their_rows_in_chunks(ctx):
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="积分人", id_number=make_id(seq=77), phone="13812340077"
    )
    with ctx.write() as session:  # 1,203 changes: three chunks of 500 and a remainder
        insert_many(
            session,
            PointEntry,
            [
                {
                    "volunteer_id": person.id,
                    "points": 1,
                    "occurred_on": date(2026, 3, 1),
                    "reason": f"第{n}条",
                    "source": "hand",
                    "operator": "管理员",
                }
                for n in range(1203)
            ],
        )
    waiting = [p.seq for p in outbox.pending(ctx.store, limit=10_000)]
    acked, kept = waiting[:-3], waiting[-3:]
    assert outbox.record_results(ctx.store, acked, {}, at=AT) == 0
    by_seq = {r.seq: r for r in rows(ctx)}
    assert all(by_seq[s].acked_at == AT for s in acked) and all(by_seq[s].acked_at is None for s in kept)
    assert [p.seq for p in outbox.pending(ctx.store, limit=10_000)] == kept and outbox.pending_count(ctx.store) == 3
    # a long reason is kept to 500 characters, with the parent it waits for
    outbox.record_results(ctx.store, [], {kept[0]: "长" * 600}, waits_for={kept[0]: "volunteer:x"}, at=AT)
    entry = {r.seq: r for r in rows(ctx)}[kept[0]]
    assert (len(entry.rejected_reason), entry.waits_for, entry.acked_at) == (500, "volunteer:x", None)
    assert outbox.still_rejected(ctx.store, waiting) == 1 == outbox.rejected_count(ctx.store)
    many = waiting + list(range(10**6, 10**6 + 700))  # more than one query's worth of seqs
    assert outbox.still_rejected(ctx.store, many) == 1


def test_a_child_waiting_for_its_parent_goes_back_into_the_queue_when_that_parent_is_accepted(ctx):
    team = teams.add_team(ctx, name="敬老队", category="敬老爱老")
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx,
        registered_on="2020-01-01",
        name="张三",
        id_number=make_id(seq=401),
        phone="13812340401",
        team_ids=[team.id],
    )
    other = volunteers.add_volunteer(
        ctx,
        registered_on="2020-01-01",
        name="李四",
        id_number=make_id(seq=402),
        phone="13812340402",
        team_ids=[team.id],
    )
    mine = rows(ctx)[start:]
    (p1, m1, p2, m2) = [r.seq for r in mine]
    assert [r.entity for r in mine] == ["volunteer", "membership", "volunteer", "membership"]
    outbox.record_results(
        ctx.store,
        [],
        {p1: "暂时不收", m1: "缺少志愿者", m2: "缺少志愿者"},
        waits_for={m1: f"volunteer:{person.id}", m2: f"volunteer:{other.id}"},
        at=AT,
    )
    assert outbox.rejected_count(ctx.store) == 3
    # 李四 is accepted: the membership that waited for him goes back up; 张三's still waits
    assert outbox.record_results(ctx.store, [p2], {}, at=AT) == 1
    waiting = [p.seq for p in outbox.pending(ctx.store, after_seq=mine[0].seq - 1)]
    assert m2 in waiting and m1 not in waiting
    entry = {r.seq: r for r in rows(ctx)}[m2]
    assert (entry.rejected_reason, entry.waits_for, entry.acked_at) == (None, None, None)
    assert outbox.still_rejected(ctx.store, [p1, m1, m2]) == 2


def test_an_older_refused_version_is_settled_by_a_newer_one_accepted(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="王五", id_number=make_id(seq=501), phone="13812340501"
    )
    volunteers.update_volunteer(ctx, person.id, skills="理发")
    volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="赵六", id_number=make_id(seq=502), phone="13812340502"
    )
    v1, v2, o1 = [r.seq for r in rows(ctx)[start:]]
    outbox.record_results(ctx.store, [], {v1: "版本1被拒", o1: "另一人被拒"}, at=AT)
    outbox.record_results(ctx.store, [v2], {}, at=LATER)
    by_seq = {r.seq: r for r in rows(ctx)}
    assert by_seq[v1].acked_at == LATER and by_seq[v2].acked_at == LATER
    assert by_seq[o1].acked_at is None and outbox.rejected_count(ctx.store) == 1  # another row's refusal stays


def test_a_row_the_district_holds_at_a_higher_version_is_written_again_above_it(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="孙七", id_number=make_id(seq=601), phone="13812340601"
    )
    volunteers.update_volunteer(ctx, person.id, skills="理发")  # version 2, still waiting
    first, second = [r.seq for r in rows(ctx)[start:]]
    # the district answers the first: it holds version 5 with other content (its copy from before a restore)
    outbox.record_results(ctx.store, [], {}, stale={first: 5}, at=AT)
    mine = [r for r in rows(ctx)[start:]]
    assert [(r.version, r.acked_at) for r in mine] == [(1, AT), (2, AT), (6, None)]
    assert mine[2].row_id == person.id and mine[2].operator == outbox.RESEND_OPERATOR
    with ctx.store.session() as session:
        assert session.get(Volunteer, person.id).version == 6
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=second)] == [mine[2].seq]
    # an answer for a seq that is no more changes nothing
    outbox.record_results(ctx.store, [], {}, stale={10**9: 3}, at=AT)
    assert len(rows(ctx)) == start + 3


def test_a_stale_answer_for_a_row_this_station_itself_wrote_again_since_settles_only_the_old_entry(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="周八", id_number=make_id(seq=701), phone="13812340701"
    )
    for skills in ("理发", "修电器"):
        volunteers.update_volunteer(ctx, person.id, skills=skills)  # versions 2 and 3
    first, second, third = [r.seq for r in rows(ctx)[start:]]
    # the district holds version 2 (this station's own, sent first by a USB package): entry 1 is settled, nothing new
    outbox.record_results(ctx.store, [], {}, stale={first: 2}, at=AT)
    mine = rows(ctx)[start:]
    assert [(r.version, r.acked_at) for r in mine] == [(1, AT), (2, None), (3, None)]
    with ctx.store.session() as session:
        assert session.get(Volunteer, person.id).version == 3
    # the district holds version 3 for the second: not newer than the third, which still decides
    outbox.record_results(ctx.store, [], {}, stale={second: 3}, at=AT)
    assert [(r.version, r.acked_at) for r in rows(ctx)[start:]] == [(1, AT), (2, AT), (3, None)]
    # and version 4 for the third: written again above it, as version 5
    outbox.record_results(ctx.store, [], {}, stale={third: 4}, at=AT)
    assert [(r.version, r.acked_at) for r in rows(ctx)[start:]] == [(1, AT), (2, AT), (3, AT), (5, None)]


# -- change capture: what a flush and the bulk path write ---------------------------------------------------------


def test_a_refused_write_names_the_row(ctx):
    """Hard deletes and edits of an append-only entry are bugs in the caller: the error names the row for the log."""
    import pytest

    from app.changes import AppendOnlyRefused, HardDeleteRefused
    from app.services import points

    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="吴九", id_number=make_id(seq=801), phone="13812340801"
    )
    with pytest.raises(HardDeleteRefused, match=f"^Volunteer {person.id}: "):
        with ctx.write() as session:
            session.delete(session.get(Volunteer, person.id))
    entry = points.add_entry(
        ctx, points.Holder(volunteer_id=person.id), points=5, reason="手工加分", occurred_on=date(2026, 3, 1)
    )
    with pytest.raises(AppendOnlyRefused, match=f"^PointEntry {entry.id}: "):
        with ctx.write() as session:
            session.get(PointEntry, entry.id).points = 50
    start = len(rows(ctx))
    with ctx.write() as session:  # the version alone may rise: the entry is sent again unchanged (after a restore)
        row = session.get(PointEntry, entry.id)
        row.version = 7
        session.add(row)
    again = rows(ctx)[start:]
    assert [(r.entity, r.row_id, r.version, r.op) for r in again] == [("point_entry", entry.id, 8, "update")]


def test_each_outbox_row_is_stamped_with_its_rows_time_and_plain_chinese_json(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="郑十", id_number=make_id(seq=802), phone="13812340802"
    )
    entry = rows(ctx)[start]
    with ctx.store.session() as session:
        stored = session.get(Volunteer, person.id)
    assert entry.at == stored.updated_at and entry.at is not None
    assert '"name":"郑十"' in entry.payload  # as written: no \\u escapes, no spaces (the district hashes the text)


def test_parents_go_first_in_the_outbox_whatever_order_they_were_added_in(ctx):
    from app.models import Membership

    team = teams.add_team(ctx, name="后加的队", category="敬老爱老")
    start = len(rows(ctx))
    with ctx.write() as session:
        person = Volunteer(
            station_id=ctx.station_id,
            number="ZY9901",
            name="先加成员",
            id_number=make_id(seq=803),
            phone="13812340803",
            registered_on=date(2020, 1, 1),
        )
        session.add(Membership(volunteer_id=person.id, team_id=team.id))  # the child first
        session.add(person)
    assert [r.entity for r in rows(ctx)[start:]] == ["volunteer", "membership"]


def test_a_commit_tells_its_listeners_which_tables_changed_on_every_path(ctx):
    from app.changes import on_commit

    heard: list[frozenset] = []
    stop = on_commit(lambda _bind, tables: heard.append(tables))
    try:
        volunteers.add_volunteer(
            ctx, registered_on="2020-01-01", name="钱一", id_number=make_id(seq=804), phone="13812340804"
        )
        person = volunteers.search_volunteers(ctx, "钱一")[0]
        with ctx.write() as session:
            assert insert_many(session, PointEntry, []) == 0
            assert (
                insert_many(
                    session,
                    PointEntry,
                    [
                        {
                            "volunteer_id": person.id,
                            "points": 2,
                            "reason": "批量",
                            "occurred_on": date(2026, 3, 1),
                            "source": "hand",
                        }
                    ],
                )
                == 1
            )
    finally:
        stop()
    assert heard == [frozenset({"volunteer"}), frozenset({"point_entry"})]


def test_the_bulk_path_stamps_the_operator_and_a_live_row(ctx):
    from app.models.enums import Role
    from app.services.context import Actor, Context

    clerk = Context(store=ctx.store, actor=Actor("wang", "王录入", Role.clerk))  # not the suite's 系统
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="孙二", id_number=make_id(seq=805), phone="13812340805"
    )
    start = len(rows(ctx))
    with clerk.write() as session:
        insert_many(
            session,
            PointEntry,
            [
                {
                    "volunteer_id": person.id,
                    "points": 3,
                    "reason": "批量",
                    "occurred_on": date(2026, 3, 1),
                    "source": "hand",
                }
            ],
        )
    entry = rows(ctx)[start]
    with ctx.store.session() as session:
        stored = session.get(PointEntry, entry.row_id)
    assert entry.operator == "王录入" and stored.deleted is False and stored.version == 1
    assert entry.at == stored.updated_at  # one time for the row and its outbox entry, as a flush stamps them
    # a column with a default is checked when given (a source longer than its 80 characters)
    import pytest

    from app.services.errors import ValidationError

    with pytest.raises(ValidationError) as refused:
        with clerk.write() as session:
            insert_many(
                session,
                PointEntry,
                [
                    {
                        "volunteer_id": person.id,
                        "points": 3,
                        "reason": "批量",
                        "source": "长" * 81,
                        "occurred_on": date(2026, 3, 1),
                    }
                ],
            )
    assert list(refused.value.errors) == ["source"]


def test_a_flush_captures_every_changed_row_past_rows_it_does_not_capture(ctx):
    people = [
        volunteers.add_volunteer(
            ctx, registered_on="2020-01-01", name=f"第{n}号", id_number=make_id(seq=811 + n), phone=f"139123408{n:02d}"
        )
        for n in range(6)
    ]
    start = len(rows(ctx))
    entries = [r.seq for r in rows(ctx)[:6]]
    with ctx.write() as session:  # one flush, its changed objects in no set order: six outbox rows among them
        loaded = [session.get(OutboxEntry, seq) for seq in entries] + [session.get(Volunteer, p.id) for p in people]
        for obj in loaded:  # (changed only once all are loaded: a query would flush what came before it)
            if isinstance(obj, OutboxEntry):
                obj.operator = "改过"  # not a synced row: not captured
            else:
                obj.skills = "理发"
    assert sorted((r.row_id, r.version) for r in rows(ctx)[start:]) == sorted((p.id, 2) for p in people)


def test_pending_sends_at_most_500_at_a_time_unless_asked(ctx):
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="李三", id_number=make_id(seq=806), phone="13812340806"
    )
    with ctx.write() as session:
        insert_many(
            session,
            PointEntry,
            [
                {
                    "volunteer_id": person.id,
                    "points": 1,
                    "reason": f"第{n}条",
                    "occurred_on": date(2026, 3, 1),
                    "source": "hand",
                }
                for n in range(600)
            ],
        )
    assert len(outbox.pending(ctx.store)) == 500 and len(outbox.pending(ctx.store, limit=10_000)) >= 601


def test_a_refusal_settled_since_is_neither_counted_nor_stamped_again(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="周四", id_number=make_id(seq=807), phone="13812340807"
    )
    volunteers.update_volunteer(ctx, person.id, skills="理发")
    volunteers.update_volunteer(ctx, person.id, skills="电工")
    v1, v2, v3 = [r.seq for r in rows(ctx)[start:]]
    outbox.record_results(ctx.store, [], {v1: "被拒"}, at=AT)
    outbox.record_results(ctx.store, [v2], {}, at=AT)  # settles v1 at AT
    assert outbox.still_rejected(ctx.store, [v1, v2, v3]) == 0 == outbox.rejected_count(ctx.store)
    outbox.record_results(ctx.store, [v3], {}, at=LATER)
    assert {r.seq: r.acked_at for r in rows(ctx)[start:]} == {v1: AT, v2: AT, v3: LATER}


def test_children_of_parents_in_different_chunks_all_go_back_into_the_queue(ctx):
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="冯五", id_number=make_id(seq=808), phone="13812340808"
    )
    with ctx.write() as session:
        insert_many(
            session,
            PointEntry,
            [
                {
                    "volunteer_id": person.id,
                    "points": 1,
                    "reason": f"第{n}条",
                    "occurred_on": date(2026, 3, 1),
                    "source": "hand",
                }
                for n in range(1100)
            ],
        )
    parents = outbox.pending(ctx.store, limit=10_000)
    first, last = parents[0], parents[-1]
    children = [v.seq for v in parents[1:3]]  # two rows set aside, each waiting for a parent in another chunk
    outbox.record_results(
        ctx.store,
        [],
        {children[0]: "等待", children[1]: "等待"},
        waits_for={children[0]: f"{first.entity}:{first.row_id}", children[1]: f"{last.entity}:{last.row_id}"},
        at=AT,
    )
    acked = [p.seq for p in parents if p.seq not in children]
    assert acked.index(first.seq) < 500 <= acked.index(last.seq)
    assert outbox.record_results(ctx.store, acked, {}, at=AT) == 2
    assert [p.seq for p in outbox.pending(ctx.store, limit=10_000)] == children


def test_a_stale_answer_touches_only_its_own_rows_entries(ctx):
    start = len(rows(ctx))
    one = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="甲", id_number=make_id(seq=901), phone="13812340901"
    )
    two = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="乙", id_number=make_id(seq=902), phone="13812340902"
    )
    for skills in ("理发", "电工"):
        volunteers.update_volunteer(ctx, two.id, skills=skills)  # 乙 at versions 2 and 3, after 甲's entry
    first = rows(ctx)[start].seq
    # the district holds 甲 at version 2: 乙's later entries at versions ≥ 2 are not 甲's newer ones
    outbox.record_results(ctx.store, [], {}, stale={first: 2}, at=AT)
    mine = [(r.row_id, r.version, r.acked_at) for r in rows(ctx)[start:]]
    assert mine == [(one.id, 1, AT), (two.id, 1, None), (two.id, 2, None), (two.id, 3, None), (one.id, 3, None)]


def test_a_stale_answer_at_the_entrys_own_version_sends_the_row_again_above_it(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="丙", id_number=make_id(seq=903), phone="13812340903"
    )
    first = rows(ctx)[start].seq
    outbox.record_results(ctx.store, [], {}, stale={first: 1}, at=AT)  # same version, other content: a restore
    assert [(r.version, r.acked_at) for r in rows(ctx)[start:]] == [(1, AT), (2, None)]
    with ctx.store.session() as session:
        assert session.get(Volunteer, person.id).version == 2


def test_a_stale_answer_settles_nothing_of_other_rows_before_it_nor_restamps_what_was_settled(ctx):
    other = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="先来的", id_number=make_id(seq=904), phone="13812340904"
    )  # another row's entry, before the stale one, still waiting
    start = len(rows(ctx))
    person = volunteers.add_volunteer(
        ctx, registered_on="2020-01-01", name="后来的", id_number=make_id(seq=905), phone="13812340905"
    )
    volunteers.update_volunteer(ctx, person.id, skills="理发")
    first, second = [r.seq for r in rows(ctx)[start:]]
    outbox.record_results(ctx.store, [first], {}, at=AT)  # version 1 taken at AT
    with ctx.store.session() as session:  # another table's entry with this row's id, waiting
        session.add(
            OutboxEntry(entity="team", row_id=person.id, op="update", version=1, payload="{}", operator="测试", at=AT)
        )
        session.commit()
    outbox.record_results(ctx.store, [], {}, stale={second: 4}, at=LATER)
    by_key = {(r.entity, r.row_id, r.version): r.acked_at for r in rows(ctx)}
    assert by_key[("volunteer", person.id, 1)] == AT  # settled before: its time kept
    assert by_key[("volunteer", person.id, 2)] == LATER and by_key[("volunteer", person.id, 5)] is None
    assert by_key[("team", person.id, 1)] is None
    assert by_key[("volunteer", other.id, 1)] is None


def test_a_stale_answer_for_a_row_of_a_table_this_program_no_longer_has_settles_it_quietly(ctx):
    with ctx.store.session() as session:
        for entity, row_id, version in (
            ("volunteer", "g2", 1),
            ("volunteer", "g2", 2),
            ("team", "g2", 5),
            ("volunteer", "g2", 3),
            ("retired", "x", 1),
        ):
            session.add(
                OutboxEntry(
                    entity=entity, row_id=row_id, op="update", version=version, payload="{}", operator="测试", at=AT
                )
            )
        session.commit()
    mine = {(r.entity, r.version): r.seq for r in rows(ctx) if r.row_id in ("g2", "x")}
    outbox.record_results(ctx.store, [], {}, stale={mine[("volunteer", 2)]: 4, mine[("retired", 1)]: 2}, at=LATER)
    after = {(r.entity, r.version): r.acked_at for r in rows(ctx) if r.row_id in ("g2", "x")}
    # this row's entries up to the stale one settled; its later one and another table's stay
    assert after == {
        ("volunteer", 1): LATER,
        ("volunteer", 2): LATER,
        ("team", 5): None,
        ("volunteer", 3): None,
        ("retired", 1): LATER,
    }


def test_a_stale_answer_for_a_row_no_longer_here_settles_its_entries_and_no_other(ctx):
    with ctx.store.session() as session:  # entries of a row this station no longer holds, and of another table's
        for entity, version in (("volunteer", 1), ("team", 1), ("volunteer", 2)):  # row with the same id
            session.add(
                OutboxEntry(
                    entity=entity, row_id="gone", op="update", version=version, payload="{}", operator="测试", at=AT
                )
            )
        session.commit()
    mine = [r for r in rows(ctx) if r.row_id == "gone"]
    outbox.record_results(ctx.store, [], {}, stale={mine[2].seq: 5}, at=LATER)
    after = {(r.entity, r.version): r.acked_at for r in rows(ctx) if r.row_id == "gone"}
    assert after == {("volunteer", 1): LATER, ("volunteer", 2): LATER, ("team", 1): None}
