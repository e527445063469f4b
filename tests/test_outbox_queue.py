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
    people = [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"人{n}", id_number=make_id(seq=300 + n),
                                       phone=f"1381234{n:04d}") for n in range(4)]
    mine = rows(ctx)[start:]
    seqs = [r.seq for r in mine]
    assert [p.row_id for p in outbox.pending(ctx.store)][-4:] == [p.id for p in people]
    everything = outbox.pending(ctx.store, limit=10_000)
    assert [p.seq for p in everything] == sorted(p.seq for p in everything) and len(everything) == outbox.pending_count(ctx.store)
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[1])] == seqs[2:]  # after, not from
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[0], limit=2)] == seqs[1:3]
    first = outbox.pending(ctx.store, after_seq=seqs[0] - 1, limit=1)[0]
    assert (first.seq, first.entity, first.row_id, first.op, first.version) == (seqs[0], "volunteer", people[0].id, "insert", 1)
    assert first.payload == mine[0].payload
    total = outbox.pending_count(ctx.store)
    outbox.record_results(ctx.store, [seqs[0]], {seqs[1]: "拒收"}, at=AT)
    assert outbox.pending_count(ctx.store) == total - 2
    assert [p.seq for p in outbox.pending(ctx.store, after_seq=seqs[0] - 1)] == seqs[2:]
    assert (outbox.rejected_count(ctx.store), outbox.still_rejected(ctx.store, seqs)) == (1, 1)
    assert outbox.still_rejected(ctx.store, [seqs[0], seqs[2]]) == 0


def test_acknowledgements_stamp_exactly_their_rows_in_chunks(ctx):
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="积分人", id_number=make_id(seq=77),
                                      phone="13812340077")
    with ctx.write() as session:  # 1,203 changes: three chunks of 500 and a remainder
        insert_many(session, PointEntry, [{"volunteer_id": person.id, "points": 1, "occurred_on": date(2026, 3, 1),
                                           "reason": f"第{n}条", "source": "hand", "operator": "管理员"} for n in range(1203)])
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
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(seq=401),
                                      phone="13812340401", team_ids=[team.id])
    other = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="李四", id_number=make_id(seq=402),
                                     phone="13812340402", team_ids=[team.id])
    mine = rows(ctx)[start:]
    (p1, m1, p2, m2) = [r.seq for r in mine]
    assert [r.entity for r in mine] == ["volunteer", "membership", "volunteer", "membership"]
    outbox.record_results(ctx.store, [], {p1: "暂时不收", m1: "缺少志愿者", m2: "缺少志愿者"},
                          waits_for={m1: f"volunteer:{person.id}", m2: f"volunteer:{other.id}"}, at=AT)
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
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="王五", id_number=make_id(seq=501),
                                      phone="13812340501")
    volunteers.update_volunteer(ctx, person.id, skills="理发")
    other = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="赵六", id_number=make_id(seq=502),
                                     phone="13812340502")
    v1, v2, o1 = [r.seq for r in rows(ctx)[start:]]
    outbox.record_results(ctx.store, [], {v1: "版本1被拒", o1: "另一人被拒"}, at=AT)
    outbox.record_results(ctx.store, [v2], {}, at=LATER)
    by_seq = {r.seq: r for r in rows(ctx)}
    assert by_seq[v1].acked_at == LATER and by_seq[v2].acked_at == LATER
    assert by_seq[o1].acked_at is None and outbox.rejected_count(ctx.store) == 1  # another row's refusal stays


def test_a_row_the_district_holds_at_a_higher_version_is_written_again_above_it(ctx):
    start = len(rows(ctx))
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="孙七", id_number=make_id(seq=601),
                                      phone="13812340601")
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
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="周八", id_number=make_id(seq=701),
                                      phone="13812340701")
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
