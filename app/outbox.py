"""Reading and acknowledging the outbox: what sync pushes and what the district said about it.

The outbox is never trimmed (it is the audit trail); sync only stamps rows
``acked_at`` (the district applied it or already had it) or ``rejected_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, update
from sqlmodel import select

from .models import OutboxEntry, utcnow

if TYPE_CHECKING:  # the store opens the outbox (restore); the outbox never opens a store
    from .db import Store


@dataclass(frozen=True)
class Pending:
    seq: int
    entity: str
    row_id: str
    op: str
    version: int
    payload: str  # JSON text, sent as is


def pending(store: Store, *, after_seq: int = 0, limit: int = 500) -> list[Pending]:
    """Unacknowledged, unrejected changes in order."""
    query = (
        select(OutboxEntry.seq, OutboxEntry.entity, OutboxEntry.row_id, OutboxEntry.op, OutboxEntry.version, OutboxEntry.payload)
        .where(OutboxEntry.acked_at == None, OutboxEntry.rejected_reason == None, OutboxEntry.seq > after_seq)
        .order_by(OutboxEntry.seq)
        .limit(limit)
    )
    with store.session() as session:
        return [Pending(*row) for row in session.exec(query)]


def pending_count(store: Store) -> int:
    query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.acked_at == None, OutboxEntry.rejected_reason == None)
    with store.session() as session:
        return session.exec(query).one()


RESEND_OPERATOR = "同步"  # who the audit trail names for a version raised to resend a row


def record_results(store: Store, acked: list[int], rejected: dict[int, str], *, waits_for: dict[int, str] | None = None,
                   stale: dict[int, int] | None = None, at: datetime | None = None) -> int:
    """Stamp the district's per-row answer, in one transaction. Returns how many earlier rows went back
    into the queue (children whose parent has now arrived), which the caller pushes in another pass.

    ``waits_for``: seq -> "entity:id" of the parent a rejected row waits for.
    ``stale``: seq -> the district's version of a row whose content differs from ours at an equal or
    lower version (our versions went back: a restore). The row is written again above that version, as a
    new outbox entry, and every older pending entry of it is settled by that one."""
    at = at or utcnow()
    waits_for, stale = waits_for or {}, stale or {}
    requeued = 0
    with store.session(operator=RESEND_OPERATOR) as session:
        for seq, reason in rejected.items():  # first: a newer version acknowledged below settles these
            session.exec(update(OutboxEntry).where(OutboxEntry.seq == seq).values(rejected_reason=reason[:500], waits_for=waits_for.get(seq)))
        for start in range(0, len(acked), 500):
            chunk = acked[start : start + 500]
            session.exec(update(OutboxEntry).where(OutboxEntry.seq.in_(chunk)).values(acked_at=at))
            arrived = session.exec(select(OutboxEntry.entity, OutboxEntry.row_id, OutboxEntry.version).where(OutboxEntry.seq.in_(chunk))).all()
            keys = [f"{entity}:{row_id}" for entity, row_id, _v in arrived]
            # Children set aside only because this parent was missing go back into the queue.
            # (waits_for is cleared whenever a row is settled, so only refused rows still carry one)
            requeued += session.exec(update(OutboxEntry).where(OutboxEntry.waits_for != None, OutboxEntry.waits_for.in_(keys))
                                     .values(rejected_reason=None, waits_for=None)).rowcount
            # An older rejected version of a row now accepted is settled by the newer one. (Refused rows
            # are few: found through the pending index first, then matched here.)
            newest = {(entity, row_id): version for entity, row_id, version in arrived}
            refused = session.exec(select(OutboxEntry).where(OutboxEntry.acked_at == None, OutboxEntry.rejected_reason != None)).all()
            for old in refused:
                if old.version < newest.get((old.entity, old.row_id), 0):
                    old.acked_at, old.waits_for = at, None
                    session.add(old)
        for seq, server_version in stale.items():
            _resend_above(session, seq, server_version, at)
        session.commit()
    return requeued


def _resend_above(session, seq: int, server_version: int, at: datetime) -> None:
    from sqlalchemy.orm.attributes import flag_modified

    from .models import SYNCED_MODELS

    entry = session.get(OutboxEntry, seq)
    if entry is None:
        return
    newer = session.exec(select(OutboxEntry.seq).where(OutboxEntry.entity == entry.entity, OutboxEntry.row_id == entry.row_id,
                                                       OutboxEntry.seq > seq, OutboxEntry.version >= server_version)).first()
    if newer is not None:
        # Not a restore: this station itself wrote the district's version (or a later one) after this
        # entry, and sent it first (a USB package imported before an older one) or sends it next. The old
        # entry is settled; the newer one decides.
        session.exec(update(OutboxEntry).where(OutboxEntry.seq == seq).values(acked_at=at, waits_for=None))
        return
    session.exec(update(OutboxEntry).where(OutboxEntry.entity == entry.entity, OutboxEntry.row_id == entry.row_id,
                                           OutboxEntry.acked_at == None, OutboxEntry.seq <= seq).values(acked_at=at, waits_for=None))
    model = next((m for m in SYNCED_MODELS if m.__tablename__ == entry.entity), None)
    row = session.get(model, entry.row_id) if model is not None else None
    if row is None:
        return
    # The change-capture hook adds one: the new version is above the district's and above ours.
    row.version = max(row.version, server_version)
    flag_modified(row, "version")
    session.add(row)
    session.flush()
    # Entries made after the stale one and still waiting carry older versions: the new one covers them.
    session.exec(update(OutboxEntry).where(OutboxEntry.entity == entry.entity, OutboxEntry.row_id == entry.row_id,
                                           OutboxEntry.acked_at == None, OutboxEntry.version < row.version)
                 .values(acked_at=at, waits_for=None))


def requeue_everything(store: Store, *, operator: str = "恢复备份") -> int:
    """Queue every synced row once more, as it is now (after a restore: the district may hold later
    versions the station no longer has; each row is answered duplicate, or stale and sent again above
    the district's version, so that the district ends equal to this station, content included)."""
    import json

    from .changes import row_payload
    from .models import SYNCED_MODELS

    now, total = utcnow(), 0
    with store.session() as session:
        for model in SYNCED_MODELS:  # parents before children
            offset = 0
            while True:
                rows = session.exec(select(model).order_by(model.id).offset(offset).limit(2000)).all()
                if not rows:
                    break
                session.execute(OutboxEntry.__table__.insert(), [
                    dict(entity=model.__tablename__, row_id=row.id, op="update", version=row.version, operator=operator, at=now,
                         payload=json.dumps(row_payload(row), ensure_ascii=False, separators=(",", ":"))) for row in rows])
                total += len(rows)
                offset += len(rows)
                session.expunge_all()
        session.commit()
    return total


@dataclass(frozen=True)
class Rejected:
    seq: int
    entity: str
    row_id: str
    title: str
    reason: str
    at: datetime


def rejected_rows(store: Store, *, limit: int = 200) -> list[Rejected]:
    """What the district refused and nothing newer has settled, newest first. A row that only waits for its
    parent says which one: it goes up by itself once the parent is accepted."""
    import json

    from .models.labels import ENTITY_LABELS, TITLE_FIELDS

    def title_of(entity: str, row_id: str, payload: dict) -> str:
        return str(payload.get(TITLE_FIELDS.get(entity, ""), "") or row_id[:8])

    query = (select(OutboxEntry).where(OutboxEntry.rejected_reason != None, OutboxEntry.acked_at == None)
             .order_by(OutboxEntry.seq.desc()).limit(limit))
    with store.session() as session:
        out = []
        for row in session.exec(query):
            reason, payload = row.rejected_reason or "", json.loads(row.payload)
            title = title_of(row.entity, row.row_id, payload)
            if row.waits_for:
                parent_entity, _, parent_id = row.waits_for.partition(":")
                parent = session.exec(select(OutboxEntry.payload).where(OutboxEntry.entity == parent_entity, OutboxEntry.row_id == parent_id)
                                      .order_by(OutboxEntry.seq.desc())).first()
                parent_title = title_of(parent_entity, parent_id, json.loads(parent) if parent else {})
                reason = f"等待{ENTITY_LABELS.get(parent_entity, parent_entity)}“{parent_title}”：它被区里接收后，这条会自动重新上传"
                if not payload.get(TITLE_FIELDS.get(row.entity, "")):
                    title = parent_title  # a membership or participation is known by whom it is about
            out.append(Rejected(row.seq, ENTITY_LABELS.get(row.entity, row.entity), row.row_id, title, reason, row.at))
        return out


def still_rejected(store: Store, seqs: list[int]) -> int:
    """How many of these outbox rows are still refused (not gone back into the queue, not settled)."""
    with store.session() as session:
        return sum(session.exec(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.seq.in_(seqs[i : i + 500]), OutboxEntry.rejected_reason != None, OutboxEntry.acked_at == None)).one()
            for i in range(0, len(seqs), 500))


def rejected_count(store: Store) -> int:
    query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.rejected_reason != None, OutboxEntry.acked_at == None)
    with store.session() as session:
        return session.exec(query).one()
