"""Applying one batch: one transaction, per row only where the version is newer, idempotent by batch id."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Float, Integer, Time, select, update
from sqlalchemy.types import Boolean

from app.models.base import UTCDateTime, utcnow
from app.services.rowcheck import check_row

from .. import protocol
from .db import TABLES, account, batch_log, rejection, stored_file

UNIQUE_KEYS = {"volunteer": ("number",)}  # (station_id, …) unique on the server too


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


def apply_row(conn: Connection, station_id: str, row: dict, applied: dict[str, set[str]]) -> tuple[str, str]:
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
    existing = conn.execute(select(table.c.station_id, table.c.version).where(table.c.id == row_id)).first()
    if existing is not None and existing.station_id != station_id:
        return _reject("该记录属于其他实践站")
    if existing is not None and existing.version >= version:
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
    # Parents must already be here (or in this batch): a deferred foreign key must never fail the commit.
    for fk in table.foreign_keys:
        ref_id = values.get(fk.parent.name)
        if ref_id is None:
            continue
        parent = fk.column.table
        if ref_id in applied.get(parent.name, set()):
            continue
        found = conn.execute(select(parent.c.station_id).where(parent.c.id == ref_id)).first()
        if found is None or found.station_id != station_id:
            return _reject(f"引用的{parent.name}记录尚未同步或不存在")
    for unique in UNIQUE_KEYS.get(entity, ()):
        clash = conn.execute(
            select(table.c.id).where(table.c.station_id == station_id, table.c[unique] == values[unique], table.c.id != row_id)
        ).first()
        if clash is not None:
            return _reject(f"{unique} “{values[unique]}”与本站另一条记录重复")
    if entity == "photo" and conn.execute(select(stored_file.c.sha256).where(stored_file.c.sha256 == values["sha256"])).first() is None:
        return _reject("照片文件尚未上传")
    if existing is None:
        conn.execute(table.insert().values(**values))
    else:
        conn.execute(table.update().where(table.c.id == row_id).values(**values))
    applied.setdefault(entity, set()).add(row_id)
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
    results, applied = [], {}
    counts = {protocol.APPLIED: 0, protocol.DUPLICATE: 0, protocol.REJECTED: 0}
    now = utcnow()
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("seq"), int):
            raise BadRequest("每条记录都必须有整数 seq")
        status, reason = apply_row(conn, acct.station_id, row, applied)
        counts[status] += 1
        result = {"seq": row["seq"], "status": status}
        if reason:
            result["reason"] = reason
            conn.execute(rejection.insert().values(account_id=acct.id, batch_id=batch_id, entity=str(row.get("entity"))[:40],
                                                   row_id=str(row.get("id"))[:36], reason=reason[:500], at=now))
        results.append(result)
    response = {"batch_id": batch_id, "results": results, "server_time": now.isoformat()}
    conn.execute(batch_log.insert().values(batch_id=batch_id, account_id=acct.id, received_at=now, rows=len(rows),
                                           applied=counts[protocol.APPLIED], rejected=counts[protocol.REJECTED], response=response))
    conn.execute(update(account).where(account.c.id == acct.id).values(
        last_sync_at=now, rows_received=account.c.rows_received + counts[protocol.APPLIED],
        rows_rejected=account.c.rows_rejected + counts[protocol.REJECTED],
        client_version=str(envelope.get("app_version", ""))[:40]))
    return response
