"""Reading and acknowledging the outbox: what sync pushes and what the district said about it.

The outbox is never trimmed (it is the audit trail); sync only stamps rows
``acked_at`` (the district applied it or already had it) or ``rejected_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import select

from .db import Store
from .models import OutboxEntry, utcnow


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
        .where(OutboxEntry.acked_at == None, OutboxEntry.rejected_reason == None, OutboxEntry.seq > after_seq)  # noqa: E711
        .order_by(OutboxEntry.seq)
        .limit(limit)
    )
    with store.session() as session:
        return [Pending(*row) for row in session.exec(query)]


def pending_count(store: Store) -> int:
    query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.acked_at == None, OutboxEntry.rejected_reason == None)  # noqa: E711
    with store.session() as session:
        return session.exec(query).one()


def record_results(store: Store, acked: list[int], rejected: dict[int, str], *, at: datetime | None = None) -> None:
    """Stamp the district's per-row answer, in one transaction."""
    at = at or utcnow()
    with store.session() as session:
        if acked:
            for start in range(0, len(acked), 500):
                session.exec(update(OutboxEntry).where(OutboxEntry.seq.in_(acked[start : start + 500])).values(acked_at=at))
        for seq, reason in rejected.items():
            session.exec(update(OutboxEntry).where(OutboxEntry.seq == seq).values(rejected_reason=reason[:500]))
        session.commit()


@dataclass(frozen=True)
class Rejected:
    seq: int
    entity: str
    row_id: str
    title: str
    reason: str
    at: datetime


def rejected_rows(store: Store, *, limit: int = 200) -> list[Rejected]:
    import json

    from .services.audit import ENTITY_LABELS, TITLE_FIELDS

    query = select(OutboxEntry).where(OutboxEntry.rejected_reason != None).order_by(OutboxEntry.seq.desc()).limit(limit)  # noqa: E711
    with store.session() as session:
        out = []
        for row in session.exec(query):
            payload = json.loads(row.payload)
            title = str(payload.get(TITLE_FIELDS.get(row.entity, ""), "") or row.row_id[:8])
            out.append(Rejected(row.seq, ENTITY_LABELS.get(row.entity, row.entity), row.row_id, title, row.rejected_reason or "", row.at))
        return out
