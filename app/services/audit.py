"""The audit trail: who changed what, when — read from the outbox — and who saw whose full ID number or
phone (``reveal``, kept in ``personal_data_view``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from ..models import Demand, Household, OutboxEntry, PersonalDataView, Volunteer
from ..models.labels import ENTITY_LABELS, TITLE_FIELDS
from .common import get_row
from .context import Context
from .errors import PermissionDenied

OP_LABELS = {"insert": "新增", "update": "修改", "delete": "删除"}


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    operator: str
    action: str  # 新增 / 修改 / 删除
    entity: str  # Chinese label
    title: str
    version: int


REVEAL_ACTION = "查看完整信息"

# What an admin may reveal, per kind of record: the model, its Chinese name, the field naming the
# person, and the personal fields with their labels.
REVEALABLE = {
    "volunteer": (Volunteer, "志愿者", "name", {"id_number": "证件号码", "phone": "联系电话"}),
    "demand": (Demand, "点单群众", "requester", {"contact": "联系电话"}),
    "household": (Household, "家庭户", "head", {"phone": "联系电话"}),
}


def reveal(ctx: Context, entity: str, row_id: str) -> dict[str, str]:
    """One record's full personal fields, for an admin who asked on screen (the eye button); the reveal is
    written to the audit trail first, so there is no look without a trace."""
    if not ctx.actor.role.may_reveal_personal_data:
        raise PermissionDenied("只有管理员可以查看完整的证件号码和电话")
    model, noun, name_field, fields = REVEALABLE[entity]
    with ctx.read() as session:
        row = get_row(session, model, row_id, what=noun, station_id=ctx.station_id, allow_deleted=True)
        values = {key: getattr(row, key) or "" for key in fields}
        who = getattr(row, name_field)
    record_view(ctx, entity, row_id, f"{noun}“{who}”的{'和'.join(fields.values())}")
    return values


def record_view(ctx: Context, entity: str, row_id: str, what: str) -> None:
    """Keep one line of who saw or exported full personal data (also used by exports with --full)."""
    with ctx.store.session() as session:
        session.add(PersonalDataView(operator=ctx.actor.label[:50], entity=entity, row_id=row_id, what=what[:200]))
        session.commit()


def list_views(ctx: Context, *, limit: int = 50) -> list[PersonalDataView]:
    with ctx.read() as session:
        return list(session.exec(select(PersonalDataView).order_by(PersonalDataView.id.desc()).limit(limit)))


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
        if entity in (None, "volunteer", "demand", "household"):  # reveals of personal data, in the same trail
            views = select(PersonalDataView).order_by(PersonalDataView.id.desc()).limit(limit)
            if entity:
                views = views.where(PersonalDataView.entity == entity)
            if row_id:
                views = views.where(PersonalDataView.row_id == row_id)
            for view in session.exec(views):
                out.append(AuditEntry(seq=0, at=view.at, operator=view.operator, action=REVEAL_ACTION,
                                      entity=ENTITY_LABELS.get(view.entity, view.entity), title=view.what, version=0))
    out.sort(key=lambda e: e.at, reverse=True)
    return out[:limit]

