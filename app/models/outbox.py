"""Change log: one row per change of a synced row, written in the same transaction.

It is the sync queue (rows after the last acknowledged ``seq`` go to the
district) and the audit trail (who changed what, when). Rows are never deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow


class OutboxEntry(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_row", "entity", "row_id"), Index("ix_outbox_pending", "acked_at", "rejected_reason", "seq"),
                      # Partial: nearly every row has neither, and a full index of NULLs tells the planner nothing.
                      Index("ix_outbox_waits_for", "waits_for", sqlite_where=text("waits_for IS NOT NULL")),
                      Index("ix_outbox_refused", "seq", sqlite_where=text("rejected_reason IS NOT NULL AND acked_at IS NULL")))

    seq: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)  # table name
    row_id: str = Field(max_length=36)
    op: str = Field(max_length=8)  # insert | update | delete
    version: int
    payload: str  # JSON of every column after the change
    operator: str = Field(default="", max_length=50)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set only from the district's per-row answer: acknowledged (applied or already had), or
    # rejected with its reason. A rejected row stays listed and does not block later rows.
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_reason: str | None = Field(default=None, max_length=500)
    # "entity:id" of the parent the district did not have when it rejected this row: once that parent
    # is applied, this row goes back into the queue by itself.
    waits_for: str | None = Field(default=None, max_length=80)
