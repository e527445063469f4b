"""What district and street staff must look at on a Monday morning (#30), within the account's scope: the district's
dispatches with what became of each, and one list of what needs attention with the week's change as figures.

Read by the staff pages (web.py); plain data in, plain dicts out, so the page, its tests and the command line agree."""

from __future__ import annotations

import json
from typing import Any
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select, true

from app.models.base import utcnow
from app.models.enums import DemandState as S, station_level

from . import admin, tiers
from .db import TABLES, account, announcement, rejection

STALE_DAYS = 7  # a station not synced for this long needs a look
RECENT_DAYS = 7  # "newly": rejected records of the last week
LOW_RATING = 2  # 五.2 群众评单: a rating of 2 or less is read with the resident's words
RATING_DAYS = 30  # low ratings given in the last month stay on the list
WAITING = (S.ordered.value, S.approved.value, S.dispatched.value, S.taken.value)  # not yet served
SHORT_ID = 8  # a dispatch's short id: the first characters of its UUID, which the CLI accepts
LIMIT = 50  # lines per section; the count says how many there are in all


def short_id(dispatch_id: str) -> str:
    return dispatch_id[:SHORT_ID]


def _names(conn: Connection, street: str) -> dict[str, Any]:
    """station id → its account row (id, name, level, street), for the accounts in scope."""
    return {a.station_id: a for a in conn.execute(
        select(account.c.id, account.c.name, account.c.level, account.c.street, account.c.station_id)
        .where(account.c.station_id.is_not(None), admin.in_street(street)))}


def _body(text: str) -> dict:
    try:
        data = json.loads(text or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _day(text) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def withdrawals(conn: Connection, street: str = "") -> dict[str, str]:
    """dispatch id → the reason it was withdrawn, for the dispatches in scope."""
    query = select(announcement.c.body).where(announcement.c.kind == "dispatch_withdrawn")
    if street:
        query = query.where(announcement.c.station_id.in_(admin.station_ids_in(street)))
    out = {}
    for body in conn.execute(query).scalars():
        data = _body(body)
        if isinstance(data.get("dispatch_id"), str):
            out[data["dispatch_id"]] = str(data.get("reason") or "")
    return out


def dispatches(conn: Connection, today: date, street: str = "", *, limit: int | None = 200) -> list[dict]:
    """The district's dispatches (to ``street``'s stations, or all), newest first, each with its deadline, who took it,
    what became of it, a withdrawal's reason and the short id the CLI accepts."""
    demand, team, volunteer = TABLES["demand"], TABLES["team"], TABLES["volunteer"]
    query = select(announcement).where(announcement.c.kind == "dispatch").order_by(announcement.c.seq.desc())
    if street:
        query = query.where(announcement.c.station_id.in_(admin.station_ids_in(street)))
    sent = conn.execute(query.limit(limit) if limit else query).all()
    if not sent:
        return []
    names = _names(conn, street)
    withdrawn = withdrawals(conn, street)
    outcome: dict[str, Any] = {}
    for chunk in range(0, len(sent), 500):
        ids = [a.id for a in sent[chunk:chunk + 500]]
        for row in conn.execute(select(demand, team.c.name.label("team_name"), volunteer.c.name.label("volunteer_name"))
                              .outerjoin(team, team.c.id == demand.c.team_id).outerjoin(volunteer, volunteer.c.id == demand.c.volunteer_id)
                              .where(demand.c.dispatch_id.in_(ids), demand.c.deleted == False)):
            outcome[row.dispatch_id] = row
    rows = []
    for a in sent:
        asked, d = _body(a.body), outcome.get(a.id)
        first, path, taken_by = d, "", ""
        if d is not None:
            taken_by = "、".join(x for x in (d.team_name or "", d.volunteer_name or "") if x)
        if d is not None and S(d.state).handed_on:
            # 转派 or 上报 on (五.2): what matters is where the need is now, at the end of the chain.
            hops = tiers.chain(conn, a.id)
            if len(hops) > 1:
                path = "".join(f" → {_holder(conn, hop.station_id)}" for hop, _d in hops[1:])
                d = hops[-1][1]
                taken_by = "、".join(x for x in _assignee(conn, d) if x) if d is not None else ""
        due_on = d.due_on if d is not None else _day(asked.get("due_on"))
        waiting = d is None or d.state in WAITING or S(d.state).handed_on  # handed on with nowhere further: still waiting
        late = False
        if a.id in withdrawn and waiting:
            state = "已撤回（等待该站同步）" if d is None else "已撤回（该站下次同步时撤销）"
        elif d is None:
            state = "未送达（等待该站同步）"
        else:
            state = S(d.state).label + (f"，评分 {d.rating}" if d.rating else "")
        if path and first is not None:  # (a path is found only for a demand: first is that demand)
            state = f"{S(first.state).label}{path}：{state}"
        if a.id not in withdrawn and waiting and due_on is not None and due_on < today:
            late = True
        acct = names.get(a.station_id)
        what = (f"{asked.get('requester', '')}（{asked.get('category', '')}）：{asked.get('content', '')}" if asked else a.title)
        rows.append({"id": a.id, "short": short_id(a.id), "published_at": a.published_at, "station": acct.name if acct else "",
                     "via": tiers.hop_origin(asked),
                     "account_id": acct.id if acct else None, "tier": station_level(acct.level).unit if acct else "", "what": what,
                     "due_on": due_on, "state": state + ("（已超期）" if late else ""), "late": late, "taken_by": taken_by,
                     "withdrawn": a.id in withdrawn, "reason": withdrawn.get(a.id, ""),
                     "feedback": d.feedback if d is not None else "", "can_withdraw": a.id not in withdrawn and waiting})
    return rows


def _holder(conn: Connection, station_id: str) -> str:
    name = conn.execute(select(account.c.name).where(account.c.station_id == station_id)).scalar()
    return name or "（未知台账）"


def _assignee(conn: Connection, d) -> tuple[str, str]:
    team, volunteer = TABLES["team"], TABLES["volunteer"]
    t = conn.execute(select(team.c.name).where(team.c.id == d.team_id)).scalar() if d.team_id else None
    v = conn.execute(select(volunteer.c.name).where(volunteer.c.id == d.volunteer_id)).scalar() if d.volunteer_id else None
    return t or "", v or ""


def _week(conn: Connection, start: date, end: date, ids) -> dict:
    """Activities held, their service hours and demands received from ``start`` to ``end`` (both included)."""
    activity, participation, demand = TABLES["activity"], TABLES["participation"], TABLES["demand"]
    held = and_(activity.c.station_id.in_(ids), activity.c.deleted == False, activity.c.status == "done",
                activity.c.date >= start, activity.c.date <= end)
    activities = conn.execute(select(func.count()).select_from(activity).where(held)).scalar_one()
    hours = conn.execute(select(func.coalesce(func.sum(participation.c.hours), 0.0)).select_from(participation)
                         .join(activity, activity.c.id == participation.c.activity_id)
                         .where(held, participation.c.deleted == False, participation.c.station_id == activity.c.station_id)
                         ).scalar_one()
    demands = conn.execute(select(func.count()).select_from(demand).where(
        demand.c.station_id.in_(ids), demand.c.deleted == False, demand.c.received_on >= start, demand.c.received_on <= end)).scalar_one()
    return {"activities": int(activities), "hours": round(float(hours or 0), 1), "demands": int(demands)}


def _aware(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def attention(conn: Connection, today: date, street: str = "") -> dict:
    """Monday morning's list for an account whose scope is ``street`` ("" the whole district): each section a list of
    lines (text and link) with how many there are in all, and the last seven days against the seven before."""
    demand, demand_event = TABLES["demand"], TABLES["demand_event"]
    names = _names(conn, street)
    ids = admin.station_ids_in(street)
    now = utcnow()

    def where(station_id: str) -> tuple[str, str, int | None]:
        acct = names.get(station_id)
        return (acct.name, station_level(acct.level).unit, acct.id) if acct else ("", "", None)

    # Residents' demands past their 办结期限 (a dispatch's are under the dispatches, not twice).
    late_demand = and_(demand.c.station_id.in_(ids), demand.c.deleted == False, demand.c.state.in_(WAITING),
                       demand.c.due_on < today, demand.c.dispatch_id.is_(None))
    overdue = []
    for d in conn.execute(select(demand).where(late_demand).order_by(demand.c.due_on, demand.c.number).limit(LIMIT)):
        name, tier, account_id = where(d.station_id)
        overdue.append({"station": name, "tier": tier, "account_id": account_id, "number": d.number, "content": d.content[:40],
                        "received_on": d.received_on, "due_on": d.due_on, "days": (today - d.due_on).days,
                        # its own ledger's 派单, to a team: not the 中心's (a reader took "已派单" for one, #30)
                        "state": "已派给服务队，待接单" if d.state == S.dispatched else S(d.state).label})
    overdue_count = conn.execute(select(func.count()).select_from(demand).where(late_demand)).scalar_one()

    late_dispatches = [r for r in dispatches(conn, today, street, limit=None) if r["late"]]

    cutoff = now - timedelta(days=STALE_DAYS)
    stale_where = and_(account.c.station_id.is_not(None), account.c.revoked == False, admin.in_street(street),
                       or_(account.c.last_sync_at.is_(None), account.c.last_sync_at <= cutoff))
    stale = []
    for a in conn.execute(select(account).where(stale_where).order_by(account.c.last_sync_at.asc().nulls_first(), account.c.name).limit(LIMIT)):
        last = _aware(a.last_sync_at)
        stale.append({"station": a.name, "tier": station_level(a.level).unit, "street": a.street, "account_id": a.id,
                      "days": None if last is None else (now - last).days})
    stale_count = conn.execute(select(func.count()).select_from(account).where(stale_where)).scalar_one()

    rated_at = (select(func.max(demand_event.c.at)).where(demand_event.c.demand_id == demand.c.id, demand_event.c.to_state == S.rated.value,
                                                          demand_event.c.deleted == False).scalar_subquery())
    low_where = and_(demand.c.station_id.in_(ids), demand.c.deleted == False, demand.c.rating.is_not(None),
                     demand.c.rating <= LOW_RATING, rated_at >= now - timedelta(days=RATING_DAYS))
    low = []
    for d in conn.execute(select(demand, rated_at.label("rated_at")).where(low_where).order_by(rated_at.desc()).limit(LIMIT)):
        name, tier, account_id = where(d.station_id)
        low.append({"station": name, "tier": tier, "account_id": account_id, "number": d.number, "content": d.content[:40],
                    "rating": d.rating, "feedback": d.feedback, "rated_at": d.rated_at})
    low_count = conn.execute(select(func.count()).select_from(demand).where(low_where)).scalar_one()

    rejected: dict[int, dict] = {}  # per station: how many this week, and the latest reason
    for r in conn.execute(select(rejection.c.account_id, rejection.c.reason, rejection.c.at, account.c.name, account.c.level)
                          .join(account, account.c.id == rejection.c.account_id)
                          .where(rejection.c.at >= now - timedelta(days=RECENT_DAYS), admin.in_street(street))
                          .order_by(rejection.c.at.desc(), rejection.c.id.desc()).limit(5000)):
        seen = rejected.setdefault(r.account_id, {"station": r.name, "tier": station_level(r.level).unit, "account_id": r.account_id,
                                                  "count": 0, "reason": r.reason, "at": r.at})
        seen["count"] += 1

    this_start = today - timedelta(days=6)
    last_start, last_end = this_start - timedelta(days=7), this_start - timedelta(days=1)
    this_week, last_week = _week(conn, this_start, today, ids), _week(conn, last_start, last_end, ids)
    change = [{"label": label, "unit": unit, "now": this_week[key], "before": last_week[key],
               "delta": round(this_week[key] - last_week[key], 1)}
              for key, label, unit in (("activities", "活动", "次"), ("hours", "服务时长", "小时"), ("demands", "群众点单", "件"))]
    return {"overdue": overdue, "overdue_count": overdue_count, "late_dispatches": late_dispatches[:LIMIT],
            "late_dispatch_count": len(late_dispatches), "stale": stale, "stale_count": stale_count, "low": low, "low_count": low_count,
            "rejected": list(rejected.values())[:LIMIT], "change": change, "this_week": (this_start, today), "last_week": (last_start, last_end),
            "stale_days": STALE_DAYS, "recent_days": RECENT_DAYS, "rating_days": RATING_DAYS, "low_rating": LOW_RATING,
            "nothing": not (overdue or late_dispatches or stale or low or rejected)}


def find_dispatch(conn: Connection, text: str, street: str = ""):
    """The dispatch named by its id or its short id (the first characters, at least 6), in scope; None if none.
    ValidationError (Chinese) when a short id names more than one."""
    from app.services.errors import ValidationError

    text = (text or "").strip().lower()
    if len(text) < 6 or len(text) > 36:
        return None
    scoped = announcement.c.station_id.in_(admin.station_ids_in(street)) if street else true()
    found = conn.execute(select(announcement).where(announcement.c.kind == "dispatch", scoped,
                                                    announcement.c.id.startswith(text, autoescape=True)).limit(2)).all()
    if len(found) > 1:
        raise ValidationError({"dispatch_id": f"派单编号“{text}”对应不止一条派单，请多输入几位（完整编号见“五单”办理情况页）"})
    return found[0] if found else None
