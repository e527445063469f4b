"""Change capture: a session hook that versions synced rows and writes the outbox.

Every flush that inserts or changes a synced row bumps its ``version``,
stamps ``updated_at`` and adds one ``OutboxEntry`` to the same session, so
the change and its outbox row commit or roll back together. Services never
write the outbox themselves. Synced rows are soft-deleted; a hard delete is
refused here.

``insert_many`` is the same capture for a long run of new rows (a settlement's
hundred thousand point entries): the same stamps, checks and outbox rows, written
with two executemany INSERTs (one statement, a row of parameters each) instead of the ORM's unit of work.
"""

from __future__ import annotations

import json
from functools import cache
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from .giveway import slices
from .models import OutboxEntry, SyncedBase, utcnow
from .models.base import new_id, new_ids
from .models.limits import BOOKKEEPING, checker, row_problems, table_spec

OPERATOR_KEY = "operator"
STATION_KEY = "station_id"
SYSTEM_OPERATOR = "系统"


_AS_IS = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values: no isinstance walk (a settlement converts millions)
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def _jsonable_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# The outbox payload of a whole row in one C-level pass: the encoder asks only for dates and times (the same
# text as ``json.dumps({k: to_jsonable(v)}, ensure_ascii=False, separators=(",", ":"))``).
encode_payload = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_jsonable_default).encode


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


def capture_changes(session: Session, flush_context, instances) -> None:
    """Before every flush: each new or changed synced row gets its version and ``updated_at`` and one outbox row.
    (Registered below with ``event.listen`` rather than the decorator, so the mutation test reaches it: #28.)"""
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
    _check(changes)
    session.info.setdefault(CHANGED_KEY, set()).update(obj.__tablename__ for _op, obj in changes)
    rank = _table_rank()
    changes.sort(key=lambda change: rank.get(change[1].__tablename__, 0))
    operator = session.info.get(OPERATOR_KEY) or SYSTEM_OPERATOR
    for op, obj in changes:
        session.add(OutboxEntry(**_outbox_values(op, obj, operator, now)))


event.listen(Session, "before_flush", capture_changes)


def _check(changes) -> None:
    # The last net for every path (forms, CLI, Excel, demo): nothing is stored that the district's
    # columns cannot hold; the person gets the field's Chinese message and nothing is written.
    for _op, obj in changes:
        problems = row_problems(obj.__table__, {key: getattr(obj, key) for key in obj.__table__.columns.keys()})
        if problems:
            from .services.errors import ValidationError

            raise ValidationError(problems)


def _outbox_values(op: str, obj: SyncedBase, operator: str, now: datetime) -> dict[str, Any]:
    return {"entity": obj.__tablename__, "row_id": obj.id, "op": op, "version": obj.version,
            "payload": json.dumps(row_payload(obj), ensure_ascii=False, separators=(",", ":")), "operator": operator, "at": now}


def _defaults(model: type[SyncedBase]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A model's column defaults: plain values, and factories called per row (``id``)."""
    plain, factories = {}, {}
    for name in model.__table__.columns.keys():
        field = model.model_fields.get(name)
        if field is None:
            continue
        if field.default_factory is not None:
            factories[name] = field.default_factory
        elif not field.is_required():
            plain[name] = field.default
    return plain, factories


def insert_many(session: Session, model: type[SyncedBase], rows: list[dict[str, Any]]) -> int:
    """Insert new synced rows of ``model`` (dicts of column values) exactly as a flush would capture
    them — defaults, station, version 1, ``updated_at``, the column limits, one outbox row each — with
    two executemany INSERTs instead of the ORM's unit of work (a settlement writes 400,000 at once).
    A row that breaks a limit raises ``ValidationError`` before anything is written."""
    if not rows:
        return 0
    from .services.errors import ValidationError

    table = model.__table__
    keys = table.columns.keys()
    plain, factories = _defaults(model)
    always, if_given = _checks(table, plain, factories)
    always_checks = [(spec.name, checker(spec)) for spec in always]
    given_checks = [(spec.name, checker(spec)) for spec in if_given]
    now = utcnow()
    operator = session.info.get(OPERATOR_KEY) or SYSTEM_OPERATOR
    station = session.info.get(STATION_KEY)
    full_rows, outbox = [], []
    fresh_ids = iter(new_ids(sum(1 for given in rows if "id" not in given))) if factories.get("id") is new_id else None
    for given in rows:
        row = {**plain, **{k: next(fresh_ids) if fresh_ids is not None and k == "id" else f()
                           for k, f in factories.items() if k not in given}, **given}
        row["station_id"] = row.get("station_id") or station or row["id"]
        row["version"], row["updated_at"], row["deleted"] = 1, now, bool(row.get("deleted", False))
        row = {key: row.get(key) for key in keys}
        # The column limits: every column the caller gave, and those with no default (a missing one says so);
        # a model's own defaults need no check.
        problems = {name: message for name, check in always_checks if (message := check(row[name]))}
        problems.update((name, message) for name, check in given_checks
                        if name in given and (message := check(row[name])))
        if problems:
            raise ValidationError(problems)
        full_rows.append(row)
        outbox.append({"entity": table.name, "row_id": row["id"], "op": "insert", "version": 1, "operator": operator, "at": now,
                       "payload": encode_payload(row)})
    session.info.setdefault(CHANGED_KEY, set()).add(table.name)
    connection = session.connection()  # the store's: SQLite (the district never captures changes)
    _executemany(connection, table, full_rows)
    _executemany(connection, OutboxEntry.__table__, outbox)
    return len(full_rows)


# -- what changed, told to whoever shows it (#25) ------------------------------------------------------
# A page showed what it read when it was opened: a volunteer's hours stayed 0 after a sign-in confirmed in
# another window. Each committed transaction now says which synced tables it changed; the window refreshes
# the pages that show them. Listeners are called on the committing thread (a background job's, too).

CHANGED_KEY = "changed_tables"
_listeners: list = []


def changed(session: Session, table: str) -> None:
    """Tell the listeners, at this session's commit, that ``table`` changed: for a local table (not captured as a
    synced one) that a page shows, e.g. the district's announcements on the 工作台."""
    session.info.setdefault(CHANGED_KEY, set()).add(table)


def on_commit(listener) -> callable:
    """``listener(bind, tables)`` after every commit that changed synced rows (``bind``: the session's
    engine or connection; ``tables``: a frozenset of table names). Returns the function that unsubscribes."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    tables = session.info.pop(CHANGED_KEY, None)
    if tables and _listeners:
        bind = session.get_bind()
        for listener in list(_listeners):
            try:
                listener(bind, frozenset(tables))
            except Exception:  # a listener must never undo or fail a commit that happened
                import logging

                logging.getLogger(__name__).exception("a commit listener failed")


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(CHANGED_KEY, None)


def _remembering(processor):
    """A bind processor that converts each distinct value once: a settlement's rows share one ``updated_at``
    and a few hundred dates."""
    done: dict = {}

    def convert(value):
        try:
            return done[value]
        except KeyError:
            done[value] = converted = processor(value)
            return converted
        except TypeError:  # not hashable
            return processor(value)

    return convert


def _checks(table, plain: dict, factories: dict) -> tuple[list, list]:
    """The limit checks of ``table``'s columns (bookkeeping aside): those without a default, always; the others
    only when a row gives them a value."""
    specs = [spec for name, spec in table_spec(table).items() if name not in BOOKKEEPING]
    return ([spec for spec in specs if spec.name not in plain and spec.name not in factories],
            [spec for spec in specs if spec.name in plain or spec.name in factories])


def _executemany(connection, table, rows: list[dict[str, Any]]) -> None:
    """One INSERT statement run through the driver's executemany (a row of parameters each), each value
    converted by its column's own bind processor (what SQLAlchemy does per row, done here without building
    a statement context per row: a third of a settlement's time)."""
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.columns[name].type.bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608 - model names, quoted
           f"VALUES ({', '.join('?' for _ in names)})")
    pairs = [(name, _remembering(proc) if proc is not None else None) for name, proc in zip(names, processors, strict=True)]
    params = [tuple(proc(row[name]) if proc is not None else row[name] for name, proc in pairs) for row in rows]
    for part in slices(params):  # the window's thread gets its turn between slices (app/giveway.py)
        connection.exec_driver_sql(sql, part)
