"""This ledger's volunteers who are registered in other ledgers too (#30), as the district last said.

A volunteer who serves in two villages, or in a village and at the 所, is one person at the district: it links the
ledgers' records by a keyed hash of the ID number and sends each ledger, with its pull (network or USB reply), a
``person_links`` item naming which of its own volunteers are registered elsewhere, in how many other ledgers, and
their hours there — never another ledger's name, record or the person's data. The station keeps it in
``volunteer_elsewhere`` and shows it on the 志愿者 page and in the form.

Offline first: a volunteer registered here today is known to be registered elsewhere only after the next sync.
The 志愿服务记录证明 stays per ledger (谁记录谁证明): it certifies only the hours recorded here; the district total is
shown beside it, never printed as if this ledger had recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func
from sqlmodel import col, select

from ..changes import changed
from ..models import VolunteerElsewhere
from ..models.base import utcnow
from .common import format_date
from .context import Context

ITEM = "person_links"  # the pull item (sync/protocol.py PULLED)


@dataclass(frozen=True)
class Elsewhere:
    """A volunteer of this ledger as the district knows them elsewhere."""

    ledgers: int  # other ledgers registering the same person
    hours: float  # their service hours there
    as_of: datetime

    def total(self, hours_here: float) -> float:
        return round(hours_here + self.hours, 2)

    def short(self, hours_here: float) -> str:
        """For a list column: 另在2处登记 · 区里累计35.5小时."""
        return f"另在{self.ledgers}处登记 · 区里累计{self.total(hours_here):g}小时"

    def note(self, hours_here: float) -> str:
        """For the form: what the district said, and what the certificate covers."""
        when = (self.as_of if self.as_of.tzinfo else self.as_of.replace(tzinfo=UTC)).astimezone()  # this PC's day
        return (f"已在其他{self.ledgers}个站点登记，区里累计时长 {self.total(hours_here):g} 小时"
                f"（本站 {hours_here:g} 小时，其他站点 {self.hours:g} 小时；截至{format_date(when.date())}同步）。"
                "本站出具的服务证明只证明本站记录的时长。")


def _number(value, kind, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:  # NaN
        return None
    value = kind(value)
    return value if low <= value <= high else None


def receive(ctx: Context, item: dict) -> int:
    """The district's newest word on this ledger's volunteers elsewhere replaces the last one, whole. Returns how many
    volunteers it names that the last one did not (newly found registered elsewhere, for the sync's message)."""
    import json

    try:
        body = json.loads(item.get("body") or "")
    except (TypeError, ValueError):
        return 0
    listed = body.get("volunteers") if isinstance(body, dict) else None
    if not isinstance(listed, dict):
        return 0
    try:
        as_of = datetime.fromisoformat(str(item.get("published_at")))
    except ValueError:
        as_of = utcnow()
    rows = []
    for volunteer_id, said in listed.items():
        if not isinstance(volunteer_id, str) or not 1 <= len(volunteer_id) <= 36 or not isinstance(said, dict):
            continue
        ledgers, hours = _number(said.get("ledgers"), int, 1, 100_000), _number(said.get("hours"), float, 0, 10_000_000)
        if ledgers is not None and hours is not None:
            rows.append(VolunteerElsewhere(volunteer_id=volunteer_id, ledgers=ledgers, hours=round(hours, 2),
                                           as_of=as_of))
    with ctx.write() as session:
        before = set(session.exec(select(VolunteerElsewhere.volunteer_id)))
        session.execute(delete(VolunteerElsewhere))
        session.add_all(rows)
        changed(session, VolunteerElsewhere.__tablename__)  # the 志愿者 page shows it
    return len({r.volunteer_id for r in rows} - before)


def of(ctx: Context, volunteer_ids: list[str]) -> dict[str, Elsewhere]:
    """What the district said of each listed volunteer who is registered elsewhere (the others are absent)."""
    if not volunteer_ids:
        return {}
    out: dict[str, Elsewhere] = {}
    with ctx.read() as session:
        for start in range(0, len(volunteer_ids), 500):
            chunk = volunteer_ids[start:start + 500]
            for row in session.exec(select(VolunteerElsewhere).where(col(VolunteerElsewhere.volunteer_id).in_(chunk))):
                out[row.volunteer_id] = Elsewhere(row.ledgers, row.hours, row.as_of)
    return out


def count(ctx: Context) -> int:
    with ctx.read() as session:
        return session.exec(select(func.count()).select_from(VolunteerElsewhere)).one()
