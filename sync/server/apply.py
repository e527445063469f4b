"""Applying one batch: one transaction, per row only where the version is newer, idempotent by batch id."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Float, Integer, Time, bindparam, select, update
from sqlalchemy.types import Boolean

from app.models.base import UTCDateTime, utcnow
from app.services.rowcheck import check_row

from .. import protocol
from .db import TABLES, account, announcement, batch_log, rejection, stored_file



class BadRequest(ValueError):
    """The batch itself is malformed (not one row of it): 400/422 with a Chinese message."""


def _convert(table, payload: dict) -> dict[str, Any]:
    """JSON values to the column types (ISO dates and times back to Python objects)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in payload:
            raise BadRequest(f"缺少字段 {column.name}")
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


def _reject(reason: str) -> tuple[str, str]:
    return protocol.REJECTED, reason


class BatchContext:
    """What the rows of one batch need to know about the server, fetched in a few IN queries
    instead of several per row, and the writes, staged per table and sent with executemany."""

    def __init__(self, conn: Connection, station_id: str, rows: list[dict]):
        self.conn, self.station_id = conn, station_id
        self.versions: dict[tuple[str, str], tuple[str, int]] = {}  # (entity, id) -> (station_id, version)
        self.present: dict[str, set[str]] = {}  # table -> ids of this station known to exist
        self.numbers: dict[str, str] = {}  # volunteer number -> id, this station
        self.files: set[str] = set()
        self.dispatches: set[str] = set()  # district dispatches addressed to this station, named by the batch
        self.staged: dict[str, dict[str, tuple[bool, dict]]] = {}  # table -> id -> (is_insert, values)
        ids_by_entity: dict[str, set[str]] = {}
        refs: dict[str, set[str]] = {}
        shas, numbers, dispatches = set(), set(), set()
        for row in rows:
            entity, payload = row.get("entity"), row.get("payload")
            table = TABLES.get(entity) if isinstance(entity, str) else None
            if table is None or not isinstance(payload, dict) or not isinstance(row.get("id"), str):
                continue
            ids_by_entity.setdefault(entity, set()).add(row["id"])
            for fk in table.foreign_keys:
                value = payload.get(fk.parent.name)
                if isinstance(value, str):
                    refs.setdefault(fk.column.table.name, set()).add(value)
            if entity == "photo" and isinstance(payload.get("sha256"), str):
                shas.add(payload["sha256"])
            if entity == "volunteer" and isinstance(payload.get("number"), str):
                numbers.add(payload["number"])
            if entity == "demand" and isinstance(payload.get("dispatch_id"), str):
                dispatches.add(payload["dispatch_id"])
        for entity, ids in ids_by_entity.items():
            table = TABLES[entity]
            for chunk in _chunks(ids):
                for r in conn.execute(select(table.c.id, table.c.station_id, table.c.version).where(table.c.id.in_(chunk))):
                    self.versions[(entity, r.id)] = (r.station_id, r.version)
        for name, ids in refs.items():
            table = TABLES[name]
            found = self.present.setdefault(name, set())
            for chunk in _chunks(ids):
                found.update(conn.execute(select(table.c.id).where(table.c.id.in_(chunk), table.c.station_id == station_id)).scalars())
        for chunk in _chunks(shas):
            self.files.update(conn.execute(select(stored_file.c.sha256).where(stored_file.c.sha256.in_(chunk))).scalars())
        for chunk in _chunks(dispatches):
            self.dispatches.update(conn.execute(select(announcement.c.id).where(
                announcement.c.id.in_(chunk), announcement.c.kind == "dispatch", announcement.c.station_id == station_id)).scalars())
        volunteer = TABLES["volunteer"]
        for chunk in _chunks(numbers):
            for r in conn.execute(select(volunteer.c.number, volunteer.c.id).where(volunteer.c.station_id == station_id, volunteer.c.number.in_(chunk))):
                self.numbers[r.number] = r.id

    def stage(self, entity: str, row_id: str, values: dict) -> None:
        table_rows = self.staged.setdefault(entity, {})
        is_insert = table_rows[row_id][0] if row_id in table_rows else (entity, row_id) not in self.versions
        table_rows[row_id] = (is_insert, values)
        self.versions[(entity, row_id)] = (self.station_id, values["version"])
        self.present.setdefault(entity, set()).add(row_id)
        if entity == "volunteer":
            self.numbers[values["number"]] = row_id

    def flush(self) -> None:
        """Parents before children, inserts in bulk; foreign keys are deferred to the commit anyway."""
        for table in [t for t in TABLES.values() if t.name in self.staged]:
            inserts = [values for is_insert, values in self.staged[table.name].values() if is_insert]
            updates = [{**values, "_id": values["id"]} for is_insert, values in self.staged[table.name].values() if not is_insert]
            if inserts:
                self.conn.execute(table.insert(), inserts)
            if updates:
                statement = table.update().where(table.c.id == bindparam("_id")).values({c.name: bindparam(c.name) for c in table.columns})
                self.conn.execute(statement, updates)


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
    if payload.get("station_id") != station_id:
        return _reject("不能写入其他实践站的数据")
    existing = batch.versions.get((entity, row_id))
    if existing is not None and existing[0] != station_id:
        return _reject("该记录属于其他实践站")
    if existing is not None and existing[1] >= version:
        return protocol.DUPLICATE, ""
    problems = check_row(entity, payload)
    if problems:
        return _reject("；".join(problems))
    try:
        values = _convert(table, payload)
    except (ValueError, TypeError) as exc:
        return _reject(f"字段格式错误：{exc}")
    if entity == "station" and row_id != station_id:
        return _reject("实践站记录的编号与账号不符")
    # Parents must already be here (or earlier in this batch): a deferred foreign key must never fail the commit.
    for fk in table.foreign_keys:
        ref_id = values.get(fk.parent.name)
        if ref_id is not None and ref_id not in batch.present.get(fk.column.table.name, set()):
            return _reject(f"引用的{fk.column.table.name}记录尚未同步或不存在")
    if entity == "volunteer" and batch.numbers.get(values["number"], row_id) != row_id:
        return _reject(f"志愿者编号“{values['number']}”与本站另一条记录重复")
    if entity == "photo" and values["sha256"] not in batch.files:
        return _reject("照片文件尚未上传")
    if entity == "demand" and (values["source"] == "district") != bool(values["dispatch_id"]):
        return _reject("需求来源与区中心派单编号不符")
    if entity == "demand" and values["dispatch_id"] and values["dispatch_id"] not in batch.dispatches:
        return _reject("该需求的派单编号不是区文明实践中心派给本站的")
    batch.stage(entity, row_id, values)
    return protocol.APPLIED, ""


def apply_batch(conn: Connection, acct, envelope: dict) -> dict:
    """Everything in one transaction (the caller's). Returns the per-row answer."""
    batch_id = envelope.get("batch_id")
    rows = envelope.get("rows")
    if not isinstance(batch_id, str) or not 8 <= len(batch_id) <= 36 or not isinstance(rows, list):
        raise BadRequest("批次格式错误：缺少 batch_id 或 rows")
    if len(rows) > protocol.MAX_BATCH_ROWS:
        raise BadRequest(f"一批最多 {protocol.MAX_BATCH_ROWS} 条记录")
    if envelope.get("station_id") != acct.station_id:
        raise PermissionError("令牌所属实践站与批次不符")
    previous = conn.execute(select(batch_log.c.response, batch_log.c.account_id).where(batch_log.c.batch_id == batch_id)).first()
    if previous is not None:
        if previous.account_id != acct.id:
            raise PermissionError("批次编号已被其他实践站使用")
        return previous.response if isinstance(previous.response, dict) else json.loads(previous.response)
    if not all(isinstance(row, dict) and isinstance(row.get("seq"), int) for row in rows):
        raise BadRequest("每条记录都必须有整数 seq")
    results = []
    counts = {protocol.APPLIED: 0, protocol.DUPLICATE: 0, protocol.REJECTED: 0}
    now = utcnow()
    batch = BatchContext(conn, acct.station_id, rows)
    rejections = []
    for row in rows:
        status, reason = apply_row(batch, row)
        counts[status] += 1
        result = {"seq": row["seq"], "status": status}
        if reason:
            result["reason"] = reason
            rejections.append(dict(account_id=acct.id, batch_id=batch_id, entity=str(row.get("entity"))[:40],
                                   row_id=str(row.get("id"))[:36], reason=reason[:500], at=now))
        results.append(result)
    batch.flush()
    if rejections:
        conn.execute(rejection.insert(), rejections)
    response = {"batch_id": batch_id, "results": results, "server_time": now.isoformat()}
    conn.execute(batch_log.insert().values(batch_id=batch_id, account_id=acct.id, received_at=now, rows=len(rows),
                                           applied=counts[protocol.APPLIED], rejected=counts[protocol.REJECTED], response=response))
    conn.execute(update(account).where(account.c.id == acct.id).values(
        last_sync_at=now, rows_received=account.c.rows_received + counts[protocol.APPLIED],
        rows_rejected=account.c.rows_rejected + counts[protocol.REJECTED],
        client_version=str(envelope.get("app_version", ""))[:40]))
    return response
