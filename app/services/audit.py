"""The audit trail: who changed what, when — read from the outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from ..models import OutboxEntry
from .context import Context

ENTITY_LABELS = {
    "station": "实践站",
    "function_room": "功能室",
    "service_point": "服务站点",
    "volunteer": "志愿者",
    "team": "服务队",
    "membership": "队员",
    "activity": "活动",
    "participation": "参与记录",
    "photo": "照片",
    "project": "项目",
    "project_team": "项目服务队",
    "training": "培训",
    "document": "管理文件",
    "activity_plan": "活动计划",
    "household": "家庭户",
    "point_rule": "积分规则",
    "point_entry": "积分记录",
    "goods": "信用超市商品",
    "stock_move": "出入库",
    "demand": "群众点单",
    "demand_event": "点单办理",
}
OP_LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}
# The field that names a row for a person, per entity.
TITLE_FIELDS = {"station": "name", "function_room": "name", "service_point": "name", "volunteer": "name", "team": "name", "activity": "title", "photo": "filename",
                "project": "name", "training": "title", "document": "title", "activity_plan": "title",
                "household": "head", "point_rule": "name", "point_entry": "reason", "goods": "name", "stock_move": "reason",
                "demand": "content", "demand_event": "action"}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    operator: str
    action: str  # 新增 / 修改 / 删除
    entity: str  # Chinese label
    title: str
    version: int


def list_changes(ctx: Context, *, limit: int = 50, entity: str | None = None, row_id: str | None = None) -> list[AuditEntry]:
    query = select(OutboxEntry).order_by(OutboxEntry.seq.desc()).limit(limit)
    if entity:
        query = query.where(OutboxEntry.entity == entity)
    if row_id:
        query = query.where(OutboxEntry.row_id == row_id)
    out = []
    with ctx.read() as session:
        for row in session.exec(query):
            payload = json.loads(row.payload)
            title = str(payload.get(TITLE_FIELDS.get(row.entity, ""), "") or "")
            out.append(
                AuditEntry(
                    seq=row.seq, at=row.at, operator=row.operator, action=OP_LABELS.get(row.op, row.op),
                    entity=ENTITY_LABELS.get(row.entity, row.entity), title=title or row.row_id[:8], version=row.version,
                )
            )
    return out

