"""Columns every synced row carries, and the UTC timestamp type."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from typing import Any

from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def new_ids(n: int) -> list[str]:
    """``n`` random (version 4) UUIDs from one read of the system's randomness: ``uuid4()`` reads it once
    per id, and each read lets go of the interpreter lock — 400,000 times in a settlement, each one a chance
    for the job to keep the window's thread waiting (app/giveway.py)."""
    import os

    pool = os.urandom(16 * n)
    return [str(uuid.UUID(bytes=pool[i:i + 16], version=4)) for i in range(0, 16 * n, 16)]


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, hands back aware UTC — identical on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


# Marks an index only the station's own store carries (``Index(..., info=STATION_ONLY)``): the district
# copies the synced tables without it (sync/server/db.py). Such indexes serve the station's screens on a
# 5-year ledger — the 工作台's figures, the unsettled-points reminder — not the district's queries.
STATION_ONLY = {"station_only": True}


class SyncedBase(SQLModel):
    """A row the station owns and pushes to the district.

    The id is made locally so that a row keeps its identity on every machine;
    ``version`` goes up on every change (set by the change-capture hook, never
    by hand); nothing synced is hard-deleted, it is flagged ``deleted``.
    """

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    station_id: str = Field(index=True, max_length=36)
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted: bool = Field(default=False)  # no index: low selectivity misleads the planner


def reference(target: str, *, optional: bool = False, index: bool = False) -> Any:
    """A foreign key to another synced row, checked at commit time (DEFERRABLE INITIALLY DEFERRED).

    Deferred, so that a flush (or a sync batch) may insert a child before its
    parent within one transaction; the constraint still holds at commit.
    """
    return Field(
        default=None if optional else ...,
        max_length=36,
        index=index,
        sa_column_args=[ForeignKey(target, deferrable=True, initially="DEFERRED")],
    )
