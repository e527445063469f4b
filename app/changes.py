"""Change capture: a session hook that versions synced rows and writes the outbox.

Every flush that inserts or changes a synced row bumps its ``version``,
stamps ``updated_at`` and adds one ``OutboxEntry`` to the same session, so
the change and its outbox row commit or roll back together. Services never
write the outbox themselves. Synced rows are soft-deleted; a hard delete is
refused here.
"""

from __future__ import annotations

import json
from functools import cache
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from .models import OutboxEntry, SyncedBase, utcnow
from .models.limits import row_problems

OPERATOR_KEY = "operator"
STATION_KEY = "station_id"
SYSTEM_OPERATOR = "系统"


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def row_payload(obj: SQLModel) -> dict[str, Any]:
    """Every column of ``obj`` as JSON-ready values (the wire and audit format)."""
    mapper = inspect(obj).mapper
    return {col.key: to_jsonable(getattr(obj, col.key)) for col in mapper.column_attrs}


@cache
def _table_rank() -> dict[str, int]:
    # Parents before children, so that the outbox (and so a sync batch) never
    # names a row before the row it points at.
    return {table.name: i for i, table in enumerate(SQLModel.metadata.sorted_tables)}


class HardDeleteRefused(RuntimeError):
    pass


class AppendOnlyRefused(RuntimeError):
    pass


def _changed_columns(obj) -> set[str]:
    return {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _capture_changes(session: Session, flush_context, instances) -> None:  # noqa: ARG001
    changes: list[tuple[str, SyncedBase]] = []
    now = utcnow()
    for obj in session.deleted:
        if isinstance(obj, SyncedBase):
            raise HardDeleteRefused(f"{type(obj).__name__} {obj.id}: synced rows are soft-deleted")
    for obj in session.new:
        if isinstance(obj, SyncedBase):
            if not obj.station_id:
                obj.station_id = session.info.get(STATION_KEY) or obj.id
            obj.version = 1
            obj.updated_at = now
            changes.append(("insert", obj))
    for obj in session.dirty:
        if not isinstance(obj, SyncedBase) or not session.is_modified(obj, include_collections=False):
            continue
        if getattr(obj, "append_only", False) and _changed_columns(obj) - {"version"}:
            # (a version raised alone resends the row unchanged: sync after a restore)
            raise AppendOnlyRefused(f"{type(obj).__name__} {obj.id}: append-only rows are reversed by a new entry")
        history = inspect(obj).attrs.deleted.history
        became_deleted = bool(history.added) and history.added[0] is True and not (
            history.deleted and history.deleted[0] is True
        )
        obj.version = (obj.version or 0) + 1
        obj.updated_at = now
        changes.append(("delete" if became_deleted else "update", obj))
    if not changes:
        return
    # The last net for every path (forms, CLI, Excel, demo): nothing is stored that the district's
    # columns cannot hold; the person gets the field's Chinese message and nothing is written.
    for _op, obj in changes:
        problems = row_problems(obj.__table__, {key: getattr(obj, key) for key in obj.__table__.columns.keys()})
        if problems:
            from .services.errors import ValidationError

            raise ValidationError(problems)
    rank = _table_rank()
    changes.sort(key=lambda change: rank.get(change[1].__tablename__, 0))
    operator = session.info.get(OPERATOR_KEY) or SYSTEM_OPERATOR
    for op, obj in changes:
        session.add(
            OutboxEntry(
                entity=obj.__tablename__,
                row_id=obj.id,
                op=op,
                version=obj.version,
                payload=json.dumps(row_payload(obj), ensure_ascii=False, separators=(",", ":")),
                operator=operator,
                at=now,
            )
        )
