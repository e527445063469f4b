"""Applying one batch: one transaction, per row only where the version is newer, idempotent by batch id."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Engine, Float, Integer, Time, bindparam, exc as sa_exc, select, text, update
from sqlalchemy.types import Boolean

from app.models.base import UTCDateTime, utcnow
from app.models.limits import BOOKKEEPING, INT32, row_problems
from app.models.labels import ENTITY_LABELS
from app.services.rowcheck import check_row

from .. import protocol
from . import people, stats, tiers
from .db import TABLES, account, among_ids, announcement, batch_log, rejection, stored_file

log = logging.getLogger(__name__)


class BadRequest(ValueError):
    """The batch itself is malformed (not one row of it): 400/422 with a Chinese message."""


def _convert(table, payload: dict) -> dict[str, Any]:
    """JSON values to the column types (ISO dates and times back to Python objects)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in payload:
            raise ValueError(f"缺少字段 {column.name}")
        value = payload[column.name]
        kind = column.type
        if value is None:
            values[column.name] = None
        elif isinstance(kind, (UTCDateTime, DateTime)):
            parsed = datetime.fromisoformat(str(value))
            values[column.name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        elif isinstance(kind, Date):
            values[column.name] = date.fromisoformat(str(value))
        elif isinstance(kind, Time):
            values[column.name] = time.fromisoformat(str(value))
        elif isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise ValueError(f"{column.name} 应为 true/false")
            values[column.name] = value
        elif isinstance(kind, Integer):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{column.name} 应为整数")
            values[column.name] = value
        elif isinstance(kind, Float):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"{column.name} 应为数字")
            values[column.name] = float(value)
        else:
            if not isinstance(value, str):
                raise ValueError(f"{column.name} 应为文字")
            values[column.name] = value
    return values


class Answer(tuple):
    """(status, reason) plus what the client needs beyond them: the server's version for ``stale``,
    the parent a ``rejected`` row waits for."""

    extra: dict

    def __new__(cls, status: str, reason: str = "", **extra):
        answer = super().__new__(cls, (status, reason))
        answer.extra = extra
        return answer


def _reject(reason: str, **extra) -> Answer:
    return Answer(protocol.REJECTED, reason, **extra)


def _same_content(table, stored, values: dict) -> bool:
    """The stored row holds what ``values`` says (bookkeeping columns aside, ``deleted`` included)."""
    for column in table.columns:
        if column.name in BOOKKEEPING and column.name != "deleted":
            continue
        mine, theirs = getattr(stored, column.name), values.get(column.name)
        if isinstance(mine, float) or isinstance(theirs, float):
            if mine is None or theirs is None or abs(float(mine) - float(theirs)) > 1e-9:
                return False
        elif mine != theirs:
            return False
    return True


class BatchContext:
    """What the rows of one batch need to know about the server, fetched in a few IN queries
    instead of several per row, and the writes, staged per table and sent with executemany."""

    def __init__(self, conn: Connection, station_id: str, rows: list[dict], *, careful: bool = False):
        self.conn, self.station_id, self.careful = conn, station_id, careful
        self.today = date.today()  # what check_row compares dates with, read once a batch
        self.versions: dict[tuple[str, str], tuple[str, int]] = {}  # (entity, id) -> (station_id, version)
        self.present: dict[str, set[str]] = {}  # table -> ids of this station known to exist
        self.numbers: dict[str, str] = {}  # volunteer number -> id, this station
        self.files: set[str] = set()
        self.activities: dict[str, dict] = {}  # activities of this station its rows name, as the district had them
        self.dispatches: set[str] = set()  # district dispatches addressed to this station, named by the batch
        self.staged: dict[str, dict[str, tuple[bool, dict]]] = {}  # table -> id -> (is_insert, values)
        self.touched = stats.Touched()  # what the staff pages' kept figures must recount
        self.linked: dict[str, tuple[str, str, bool]] = {}  # volunteers written: id -> (证件类型, 号码, deleted) (people.py)
        ids_by_entity: dict[str, set[str]] = {}
        refs: dict[str, set[str]] = {}
        shas, numbers, dispatches = set(), set(), set()
        for row in rows:
            entity, payload = row.get("entity"), row.get("payload")
            table = TABLES.get(entity) if isinstance(entity, str) else None
            if table is None or not isinstance(payload, dict) or not isinstance(row.get("id"), str):
                continue
            ids_by_entity.setdefault(entity, set()).add(row["id"])
            for column, parent in _references(table):
                value = payload.get(column)
                if isinstance(value, str):
                    refs.setdefault(parent, set()).add(value)
            if entity == "photo" and isinstance(payload.get("sha256"), str):
                shas.add(payload["sha256"])
            if entity == "volunteer" and isinstance(payload.get("number"), str):
                numbers.add(payload["number"])
            if entity == "demand" and isinstance(payload.get("dispatch_id"), str):
                dispatches.add(payload["dispatch_id"])
        for entity, ids in ids_by_entity.items():
            table = TABLES[entity]
            for among in among_ids(conn, table.c.id, ids):
                for r in conn.execute(select(table.c.id, table.c.station_id, table.c.version).where(among)):
                    self.versions[(entity, r.id)] = (r.station_id, r.version)
        for name, ids in refs.items():
            table = TABLES[name]
            found = self.present.setdefault(name, set())
            # Of an activity, also what its new participations' figures need (stats.add_inserted).
            extra = [table.c.date, table.c.team_id, table.c.deleted, table.c.status] if name == "activity" else []
            for among in among_ids(conn, table.c.id, ids):
                # By id alone, the station compared here: with ``station_id = ?`` in the query SQLite's planner took the
                # station's index and read every row the station had, for each batch (#29).
                for r in conn.execute(select(table.c.id, table.c.station_id, *extra).where(among)):
                    if r.station_id == station_id:
                        found.add(r.id)
                        if extra:
                            self.activities[r.id] = dict(r._mapping)
        for chunk in _chunks(shas):
            self.files.update(conn.execute(select(stored_file.c.sha256).where(stored_file.c.sha256.in_(chunk))).scalars())
        for chunk in _chunks(dispatches):
            self.dispatches.update(conn.execute(select(announcement.c.id).where(
                announcement.c.id.in_(chunk), announcement.c.kind == "dispatch", announcement.c.station_id == station_id)).scalars())
        volunteer = TABLES["volunteer"]
        for among in among_ids(conn, volunteer.c.number, numbers):
            for r in conn.execute(select(volunteer.c.number, volunteer.c.id).where(volunteer.c.station_id == station_id, among)):
                self.numbers[r.number] = r.id

    def stored(self, entity: str, row_id: str):
        """The whole row as the server has it (only for a row whose version is not newer: rare)."""
        staged = self.staged.get(entity, {}).get(row_id)
        if staged is not None:
            return _Values(staged[1])
        table = TABLES[entity]
        return self.conn.execute(select(table).where(table.c.id == row_id)).first()

    def remember(self, entity: str, row_id: str, values: dict) -> tuple:
        """What ``write_one`` is about to change in this batch's bookkeeping, for ``forget``."""
        return (self.versions.get((entity, row_id)), row_id in self.present.get(entity, set()),
                self.numbers.get(values.get("number")) if entity == "volunteer" else None, self.linked.get(row_id))

    def forget(self, entity: str, row_id: str, values: dict, before: tuple) -> None:
        """A row the database refused after all (careful mode: its savepoint rolled back, even after its own write
        went in): the batch knows it as it was before, so its children wait for it (named) instead of being
        refused by the database for a parent that is not there, and it links no person."""
        version, present, holder, link = before
        if version is None:
            self.versions.pop((entity, row_id), None)
        else:
            self.versions[(entity, row_id)] = version
        if not present:
            self.present.get(entity, set()).discard(row_id)
        self.staged.get(entity, {}).pop(row_id, None)
        if entity == "volunteer":
            if holder is None:
                self.numbers.pop(values["number"], None)
            else:
                self.numbers[values["number"]] = holder
            if link is None:
                self.linked.pop(row_id, None)
            else:
                self.linked[row_id] = link

    def write_one(self, entity: str, row_id: str, values: dict) -> None:
        table = TABLES[entity]
        if (entity, row_id) in self.versions:
            mine = (table.c.id == row_id) & (table.c.station_id == self.station_id)
            self.conn.execute(table.update().where(mine).values(values))
        else:
            self.conn.execute(table.insert().values(values))
        self.touched.note(entity, row_id, values, (entity, row_id) not in self.versions)
        self.versions[(entity, row_id)] = (self.station_id, values["version"])
        self.present.setdefault(entity, set()).add(row_id)
        if entity == "volunteer":
            self.numbers[values["number"]] = row_id
            self.linked[row_id] = (values["id_type"], values["id_number"], values["deleted"])

    def stage(self, entity: str, row_id: str, values: dict) -> None:
        table_rows = self.staged.setdefault(entity, {})
        is_insert = table_rows[row_id][0] if row_id in table_rows else (entity, row_id) not in self.versions
        table_rows[row_id] = (is_insert, values)
        self.touched.note(entity, row_id, values, is_insert)
        self.versions[(entity, row_id)] = (self.station_id, values["version"])
        self.present.setdefault(entity, set()).add(row_id)
        if entity == "volunteer":
            self.numbers[values["number"]] = row_id
            self.linked[row_id] = (values["id_type"], values["id_number"], values["deleted"])

    def flush(self) -> None:
        """Parents before children, inserts in bulk; foreign keys are deferred to the commit anyway."""
        for table in [t for t in TABLES.values() if t.name in self.staged]:
            inserts = [values for is_insert, values in self.staged[table.name].values() if is_insert]
            updates = [{**values, "_id": values["id"], "_owner": self.station_id}
                       for is_insert, values in self.staged[table.name].values() if not is_insert]
            if inserts:
                self.conn.execute(table.insert(), inserts)
            if updates:
                mine = (table.c.id == bindparam("_id")) & (table.c.station_id == bindparam("_owner"))
                statement = table.update().where(mine).values({c.name: bindparam(c.name) for c in table.columns})
                self.conn.execute(statement, updates)


@cache
def _references(table) -> tuple[tuple[str, str], ...]:
    """(column, the table it names) for each foreign key of a synced table."""
    return tuple((fk.parent.name, fk.column.table.name) for fk in table.foreign_keys)


class _Values:
    def __init__(self, values: dict):
        self.__dict__.update(values)


def _chunks(values, size: int = 500):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def apply_row(batch: BatchContext, row: dict) -> tuple[str, str]:
    station_id = batch.station_id
    entity = row.get("entity")
    table = TABLES.get(entity) if isinstance(entity, str) else None
    if table is None:
        return _reject(f"未知的数据类型“{entity}”")
    payload = row.get("payload")
    if not isinstance(payload, dict):
        return _reject("记录内容格式错误")
    row_id, version = row.get("id"), row.get("version")
    if not isinstance(row_id, str) or payload.get("id") != row_id or not isinstance(version, int) or payload.get("version") != version:
        return _reject("记录的编号或版本与内容不一致")
    if not 1 <= len(row_id) <= 36 or isinstance(version, bool) or not 1 <= version <= INT32[1]:
        return _reject("记录的编号或版本超出范围")
    # A row is the sending station's, whatever it says: one that names another station is refused here,
    # one that reuses another station's id just below, and what is written carries the account's station
    # id (after _convert) and updates only that station's rows (BatchContext) — no single line is the guard.
    if payload.get("station_id") != station_id:
        return _reject("不能写入其他实践站的数据")
    existing = batch.versions.get((entity, row_id))
    if existing is not None and existing[0] != station_id:
        return _reject("该记录属于其他实践站")
    # What the district's columns can hold (app/models/limits.py, the app's own definition), before
    # anything touches the database: a value out of range is this row's problem, never the batch's.
    problems = list(row_problems(table, payload, wire=True).values())
    if problems:
        return _reject("；".join(problems))
    try:
        values = _convert(table, payload)
    except (ValueError, TypeError, OverflowError) as exc:
        return _reject(f"字段格式错误：{exc}")
    values["station_id"] = station_id  # the authenticated account's, never the row's
    if existing is not None and existing[1] >= version:
        # The same version with the same content is a resend. Anything else means the station's versions
        # went back (a restore, a copied data folder): it must send this row again above the server's
        # version, or the district would keep content the station no longer has — or, with the same content
        # at a lower version (a row deleted here and brought back deleted from the district after a
        # restore), a version and time the station does not have. The station settles instead of resending
        # when it has itself written a version at least the server's (outbox._resend_above).
        if existing[1] == version and _same_content(table, batch.stored(entity, row_id), values):
            return Answer(protocol.DUPLICATE)
        return Answer(protocol.STALE, "区里的版本较新，需以新版本重新上传", server_version=existing[1])
    problems = check_row(entity, payload, today=batch.today)
    if problems:
        return _reject("；".join(problems))
    if entity == "station" and row_id != station_id:
        return _reject("实践站记录的编号与账号不符")
    # Parents must already be here (or earlier in this batch): a deferred foreign key must never fail the commit.
    for fk in table.foreign_keys:
        ref_id = values.get(fk.parent.name)
        if ref_id is not None and ref_id not in batch.present.get(fk.column.table.name, set()):
            parent = fk.column.table.name
            return _reject(f"引用的{ENTITY_LABELS.get(parent, parent)}记录尚未同步或不存在", waits_for={"entity": parent, "id": ref_id})
    if entity == "volunteer" and (holder := batch.numbers.get(values["number"], row_id)) != row_id:
        # Another row of this station holds the number (after a restore it may be renumbered next): wait for it.
        return _reject(f"志愿者编号“{values['number']}”与本站另一条记录重复", waits_for={"entity": "volunteer", "id": holder})
    if entity == "photo" and values["sha256"] not in batch.files:
        return _reject("照片文件尚未上传")
    if entity == "demand" and (values["source"] == "district") != bool(values["dispatch_id"]):
        return _reject("需求来源与区中心派单编号不符")
    if entity == "demand" and values["dispatch_id"] and values["dispatch_id"] not in batch.dispatches:
        return _reject("该需求的派单编号不是区文明实践中心派给本站的")
    if (refused := tiers.refused(batch, entity, values)) is not None:  # 五.2: 转派 and 上报 between the tiers
        return _reject(refused)
    if batch.careful:
        # Retrying a batch the database refused: this row alone, inside a savepoint.
        before = batch.remember(entity, row_id, values)
        try:
            with batch.conn.begin_nested():
                batch.write_one(entity, row_id, values)
                tiers.follow(batch, entity, values)
        except sa_exc.DBAPIError as exc:
            batch.forget(entity, row_id, values, before)
            log.warning("row %s %s refused by the database: %s", entity, row_id, type(exc.orig).__name__)
            return _reject("区里的数据库无法保存这条记录，请联系区文明实践中心")
        return Answer(protocol.APPLIED)
    batch.stage(entity, row_id, values)
    tiers.follow(batch, entity, values)
    return Answer(protocol.APPLIED)


class BatchReused(ValueError):
    """A batch id already answered, sent again with other rows: refused (409), never answered as before."""


def content_hash(rows: list) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _text(value, limit: int) -> str:
    """Anything a station sent, as text any database stores (a lone surrogate becomes "?")."""
    return str(value).encode("utf-8", "replace").decode("utf-8")[:limit]


def apply_batch(conn: Connection, acct, envelope: dict, *, careful: bool = False, digest: str | None = None) -> dict:
    """Everything in one transaction (the caller's). Returns the per-row answer.

    ``digest``: the SHA-256 of the batch as received (the server hashes the body it read; cheaper than
    serialising the rows again), so a batch id reused with other rows is told from a resend.
    ``careful``: the database refused the batch written in bulk (a value past every check); write each
    row in its own savepoint instead, so the row it refuses is answered ``rejected`` and the rest go in."""
    batch_id = envelope.get("batch_id")
    rows = envelope.get("rows")
    if not isinstance(batch_id, str) or not 8 <= len(batch_id) <= 36 or not batch_id.isascii() or not isinstance(rows, list):
        raise BadRequest("批次格式错误：缺少 batch_id 或 rows")
    if len(rows) > protocol.MAX_BATCH_ROWS:
        raise BadRequest(f"一批最多 {protocol.MAX_BATCH_ROWS} 条记录")
    if envelope.get("station_id") != acct.station_id:
        raise PermissionError("令牌所属实践站与批次不符")
    digest = digest or content_hash(rows)
    previous = conn.execute(select(batch_log.c.response, batch_log.c.account_id, batch_log.c.content_sha256)
                            .where(batch_log.c.batch_id == batch_id)).first()
    if previous is not None:
        if previous.account_id != acct.id:
            raise PermissionError("批次编号已被其他实践站使用")
        if previous.content_sha256 and previous.content_sha256 != digest:
            raise BatchReused("该批次编号已用于另一批数据，请重新同步")
        stored = previous.response if isinstance(previous.response, dict) else json.loads(previous.response)
        return {**stored, "replayed": True}  # the first answer, again; nothing applied twice
    if not all(isinstance(row, dict) and isinstance(row.get("seq"), int) for row in rows):
        raise BadRequest("每条记录都必须有整数 seq")
    results = []
    counts = {protocol.APPLIED: 0, protocol.DUPLICATE: 0, protocol.REJECTED: 0, protocol.STALE: 0}
    now = utcnow()
    batch = BatchContext(conn, acct.station_id, rows, careful=careful)
    rejections = []
    for row in rows:
        answer = apply_row(batch, row)
        status, reason = answer
        counts[status] += 1
        result = {"seq": row["seq"], "status": status, **getattr(answer, "extra", {})}
        if status == protocol.REJECTED:
            result["reason"] = reason = _text(reason, 500)
            rejections.append(dict(account_id=acct.id, batch_id=batch_id, entity=_text(row.get("entity"), 40),
                                   row_id=_text(row.get("id"), 36), reason=reason, at=now))
        results.append(result)
    touched = batch.touched
    months = stats.months_before(conn, touched) if touched and not careful else set()
    batch.flush()
    people.link_volunteers(conn, acct.station_id, batch.linked)  # one person across ledgers (#30)
    if touched:
        if careful:  # careful mode wrote each row as it went, so the old months are gone: recount all of the station's
            stats.refresh(conn, acct.station_id, None, volunteers=touched.volunteers)
        else:  # changed months recounted, new rows added to the others (stats.py)
            recounted = months | stats.months_after(conn, touched)
            stats.refresh(conn, acct.station_id, recounted, volunteers=touched.volunteers)
            stats.add_inserted(conn, acct.station_id, touched, recounted, batch.staged, batch.activities)
    if rejections:
        conn.execute(rejection.insert(), rejections)
    response = {"batch_id": batch_id, "results": results, "server_time": now.isoformat(), "max_batch_rows": protocol.MAX_BATCH_ROWS}
    conn.execute(batch_log.insert().values(batch_id=batch_id, account_id=acct.id, received_at=now, rows=len(rows), content_sha256=digest,
                                           applied=counts[protocol.APPLIED], rejected=counts[protocol.REJECTED], response=response))
    conn.execute(update(account).where(account.c.id == acct.id).values(
        last_sync_at=now, rows_received=account.c.rows_received + counts[protocol.APPLIED],
        rows_rejected=account.c.rows_rejected + counts[protocol.REJECTED],
        client_version=_text(envelope.get("app_version", ""), 40)))
    return response


class BatchConflict(RuntimeError):
    """The database refused a batch three times (a concurrent twin, a constraint): the client retries later."""


def station_lock_key(station_id: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, the same in every server process."""
    return int.from_bytes(hashlib.sha256(f"station-batch:{station_id}".encode()).digest()[:8], "big", signed=True)


def station_lock(conn, station_id: str) -> None:
    """One station's batches are applied one at a time, in the order they arrive, across every server
    process: a transaction-scoped advisory lock on PostgreSQL (released at commit or rollback). A client
    retrying while its first attempt still runs in another process waits here, then finds the batch
    in ``batch_log`` and gets the first attempt's answer. SQLite has one writer anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": station_lock_key(station_id)})


def apply_envelope(engine: Engine, acct, envelope: dict, digest: str | None = None) -> dict:
    """One batch, from the network or from a USB package, the same way: in bulk first; if the database
    refuses it anyway (a value past every check, or the same batch id committed meanwhile by a concurrent
    request), once more row by row in savepoints: the refused row is answered "rejected", the others go
    in, and a concurrent twin's answer is replayed. Raises PermissionError, BatchReused, BadRequest or
    BatchConflict."""
    for careful in (False, True, True):
        try:
            with engine.begin() as conn:
                station_lock(conn, acct.station_id)
                if careful and conn.dialect.name == "postgresql":
                    conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
                return apply_batch(conn, acct, envelope, careful=careful, digest=digest)
        except sa_exc.DBAPIError as exc:
            log.warning("batch from account %s refused by the database (%s)%s", acct.id, type(exc.orig).__name__,
                        "" if careful else "; retrying row by row")
    raise BatchConflict("批次冲突，请稍后重试")
