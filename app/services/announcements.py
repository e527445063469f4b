"""District announcements at the station: each stays on the 工作台 until someone marks it read (#30)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from ..changes import changed
from ..models import Announcement
from ..models.base import utcnow
from .context import Context
from .errors import NotFound


@dataclass(frozen=True)
class Notice:
    id: str
    title: str
    body: str
    published_at: datetime
    read_at: datetime | None
    read_by: str


def _notice(row: Announcement) -> Notice:
    return Notice(row.id, row.title, row.body, row.published_at, row.read_at, row.read_by)


def unread(ctx: Context) -> list[Notice]:
    """The district's announcements nobody here has marked read, newest first."""
    with ctx.read() as session:
        rows = session.exec(select(Announcement).where(Announcement.read_at == None)
                            .order_by(col(Announcement.published_at).desc())).all()
        return [_notice(r) for r in rows]


def mark_read(ctx: Context, announcement_id: str) -> Notice:
    """已读: the announcement leaves the 工作台 (the 同步 page keeps it). Any operator may, a viewer too: reading
    a notice changes no record of the ledger. Marking it again keeps the first reader."""
    with ctx.store.gate.hold("通知已读"), ctx.store.session(operator=ctx.actor.label) as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise NotFound("找不到这条通知")
        if row.read_at is None:
            row.read_at, row.read_by = utcnow(), ctx.actor.label[:50]
            session.add(row)
            changed(session, "announcement")  # every window's 工作台 drops it
            session.commit()
            session.refresh(row)
        return _notice(row)
