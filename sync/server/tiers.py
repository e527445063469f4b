"""Demands between the tiers at the district (#30). Seed 五.2: 群众点单—中心（所、站）派单—志愿组织接单—群众评单—政府
奖单, and 新时代文明实践所（站）及时搜集上报群众需求.

A ledger hands a demand on by pushing a ``demand_hop`` row: 转派 down (a 所 to one of its street's stations, the 中心
to a 所 or a station) or 上报 up (a station to its street's 所, a 所 to the 中心). Applying that row, the district
checks the target is one this ledger may hand to and opens a dispatch there — an announcement whose id is the hop's
id, so a row sent twice opens it once — carrying the request as the ledger had it and every hop so far (who, when,
from which tier to which, why). The transitions the receiving ledger then records come back, on pull, to every
ledger up the chain as ``dispatch_progress`` items (one per event and ledger, keyed on both), so the 办理经过 of each
tier that saw the need shows what became of it. Each ledger also gets, on pull, a ``directory``: the ledgers it may
转派 to and the one it 上报s to.

apply.py calls ``refused`` before a row is stored and ``follow`` after; both are no-ops for other tables.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, Row, and_, delete, select

from app.models.base import utcnow
from app.models.enums import DemandState as S, StationLevel, station_level

from .db import TABLES, account, announcement

# Fixed, so that the progress item of an event for a ledger has the same id on every server process and every resend.
PROGRESS_NAMESPACE = uuid.UUID("2f1f7a4e-30a5-4c6b-9d1e-5e2d0a7c3b11")
DISTRICT = {"station_id": "", "name": "区文明实践中心", "level": "district"}
VERBS = {"dispatch": "派单", "pass": "转派", "report": "上报"}
REQUEST_FIELDS = ("requester", "contact", "address", "content", "category", "wanted_on", "due_on", "received_on")
PROGRESS_PREFIX = "下级"  # the action of an event that came back from another tier (app/services/demands.py)
GONE = (S.cancelled.value, S.rejected.value)  # a downstream demand that no longer stands: the need may be handed on again


def tier_label(level: str) -> str:
    return "区级平台" if level == "district" else station_level(level).unit


def unit(acct) -> dict:
    return {"station_id": acct.station_id, "name": acct.name, "level": acct.level or "station", "street": acct.street or ""}


def _live(conn: Connection, *where):
    return conn.execute(select(account).where(account.c.station_id.is_not(None), account.c.revoked == False, *where)
                        .order_by(account.c.id)).all()


def upper_of(conn: Connection, acct):
    """Where a ledger 上报s (五.2): a station to its street's 所 (one a 街道, 二.2), a 所 to the 中心; the 中心 nowhere."""
    level = station_level(acct.level)
    if level is StationLevel.station:
        found = _live(conn, account.c.level == StationLevel.institute.value, account.c.street == (acct.street or ""))
    elif level is StationLevel.institute:
        found = _live(conn, account.c.level == StationLevel.center.value)
    else:
        return None
    return found[0] if found else None


def lower_of(conn: Connection, acct) -> list:
    """Whom a ledger may 转派 to: a 所 its street's stations, the 中心 every 所 and station; a station no one."""
    level = station_level(acct.level)
    if level is StationLevel.institute:
        return _live(conn, account.c.level == StationLevel.station.value, account.c.street == (acct.street or ""))
    if level is StationLevel.center:
        return _live(conn, account.c.level.in_([StationLevel.institute.value, StationLevel.station.value]))
    return []


def directory_of(conn: Connection, acct) -> dict:
    upper = upper_of(conn, acct)
    return {"self": unit(acct), "upper": unit(upper) if upper is not None else None,
            "lower": sorted((unit(a) for a in lower_of(conn, acct)), key=lambda u: (u["street"], u["level"], u["name"]))}


def refresh_directory(engine: Engine, acct) -> None:
    """Before a pull (network or USB reply): a ``directory`` item for this ledger when what it may hand to has changed
    since the last one it was sent (a station enrolled, a 所 revoked …). Only the newest is kept."""
    if acct is None or not acct.station_id:
        return
    with engine.begin() as conn:
        text = json.dumps(directory_of(conn, acct), ensure_ascii=False, sort_keys=True)
        mine = and_(announcement.c.kind == "directory", announcement.c.station_id == acct.station_id)
        last = conn.execute(select(announcement.c.body).where(mine).order_by(announcement.c.seq.desc()).limit(1)).scalar()
        if last == text:
            return
        inserted = conn.execute(announcement.insert().values(id=str(uuid.uuid4()), kind="directory", title="可转派、上报的实践所（站）名单",
                                                             body=text, published_at=utcnow(), station_id=acct.station_id))
        new = inserted.inserted_primary_key[0] if inserted.inserted_primary_key else 0  # (0: none older is removed)
        # The older ones go, after the insert: SQLite gives a new row the highest seq + 1, and a seq used again
        # would sit behind the ledger's pull cursor.
        conn.execute(delete(announcement).where(mine, announcement.c.seq < new))


# -- applying rows --------------------------------------------------------------------------------------

def _cache(batch) -> dict:
    return batch.__dict__.setdefault("_tiers", {})


def _me(batch):
    cache = _cache(batch)
    if "me" not in cache:
        cache["me"] = batch.conn.execute(select(account).where(account.c.station_id == batch.station_id)
                                         .order_by(account.c.id.desc())).first()
    return cache["me"]


def _body(text) -> dict:
    try:
        data = json.loads(text or "")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _hops_of(conn: Connection, dispatch_id: str | None, receiver) -> list[dict]:
    """The hops a demand answering ``dispatch_id`` came through; a district staff's dispatch is one hop from the district."""
    if not dispatch_id:
        return []
    sent = conn.execute(select(announcement).where(announcement.c.id == dispatch_id, announcement.c.kind == "dispatch")).first()
    if sent is None:
        return []
    body = _body(sent.body)
    if isinstance(body.get("hops"), list):
        return [h for h in body["hops"] if isinstance(h, dict)]
    return [{"kind": "dispatch", "from": DISTRICT, "to": unit(receiver) if receiver is not None else {}, "demand_id": "", "number": "",
             "reason": str(body.get("note") or ""), "operator": DISTRICT["name"], "at": sent.published_at.isoformat()}]


def _hops_of_demand(batch, demand_id: str) -> list[dict]:
    cache = _cache(batch).setdefault("hops", {})
    if demand_id not in cache:
        stored = batch.stored("demand", demand_id)
        cache[demand_id] = (_hops_of(batch.conn, stored.dispatch_id, _me(batch)), stored) if stored is not None else ([], None)
    return cache[demand_id][0]


def _target(batch, values: dict):
    """The account a hop goes to, or a Chinese reason it may not go anywhere."""
    me, conn = _me(batch), batch.conn
    level = station_level(me.level)
    if values["kind"] == "report":
        if level is StationLevel.center:
            return None, "实践中心是最高一级，不能上报；办不了的需求可以转派给实践所或实践站"
        upper = upper_of(conn, me)
        if upper is None:
            if level is StationLevel.station:
                return None, (f"{me.street or '本站所属街道'}还没有在区里登记台账的实践所，不能上报。"
                              "请在本站“收回”后自行办理，或请区文明实践中心为该街道的实践所建账号并登记")
            return None, "区文明实践中心还没有在区里登记台账，不能上报。请在本所“收回”后自行办理"
        return upper, None
    if level is StationLevel.station:
        return None, "实践站不能转派：本站办不了的需求，请上报给所属街道的实践所"
    target = conn.execute(select(account).where(account.c.station_id == values["to_station_id"], account.c.revoked == False)
                          ).first()
    if target is None or target.station_id == me.station_id:
        return None, "转派的对象不是区里登记在用的实践所或实践站，请同步后从名单中重新选择"
    if level is StationLevel.institute and (station_level(target.level) is not StationLevel.station or target.street != me.street):
        return None, f"实践所只能转派给本街道（{me.street}）的实践站，“{target.name}”不是"
    if level is StationLevel.center and station_level(target.level) is StationLevel.center:
        return None, "实践中心只能转派给实践所或实践站"
    return target, None


def _earlier_hop_stands(batch, values: dict) -> bool:
    """This demand was handed on before and the other tier still has it (五.2's loop: one place serves a need at a time)."""
    hop, demand = TABLES["demand_hop"], TABLES["demand"]
    staged = [v for k, (_i, v) in batch.staged.get("demand_hop", {}).items() if k != values["id"]]
    if any(v["demand_id"] == values["demand_id"] for v in staged):
        return True
    earlier = batch.conn.execute(select(hop.c.id).where(hop.c.demand_id == values["demand_id"], hop.c.id != values["id"])).scalars().all()
    for hop_id in earlier:
        there = batch.conn.execute(select(demand.c.state).where(demand.c.dispatch_id == hop_id, demand.c.deleted == False)
                                   ).scalar()
        withdrawn = batch.conn.execute(select(announcement.c.id).where(announcement.c.kind == "dispatch_withdrawn",
                                                                       announcement.c.body.contains(hop_id))).first()
        if there not in GONE and withdrawn is None:
            return True
    return False


def _times(batch, entity: str, values_of, where) -> list:
    """The ``at`` of this station's rows of ``entity`` staged in this batch and stored (or written, in careful mode)."""
    table = TABLES[entity]
    staged = [v["at"] for _i, v in batch.staged.get(entity, {}).values() if values_of(v)]
    stored = batch.conn.execute(select(table.c.at).where(table.c.station_id == batch.station_id, *where(table.c))).scalars().all()
    return [_aware(t) for t in staged + list(stored) if t is not None]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _latest_hop_taken(batch, demand_id: str) -> bool:
    """The hop that put this demand into 已转派 / 已上报 was taken: the latest hop the district has of it is later than
    the last event taking the demand out of those states (收回, or cancelled when withdrawn; both on this ledger's
    clock, as the hop's time is; progress from below keeps the state and does not count). A hop refused is not stored, so
    a demand handed on before, taken back and handed on again to where the district refuses finds only the earlier
    hop — older than its 收回 — and is refused too, keeping the demand as the district had it."""
    handed = (S.passed.value, S.reported.value)
    hops = _times(batch, "demand_hop", lambda v: v["demand_id"] == demand_id, lambda c: (c.demand_id == demand_id,))
    if not hops:
        return False
    back = _times(batch, "demand_event", lambda v: v["demand_id"] == demand_id and v["from_state"] in handed and v["to_state"] not in handed,
                   lambda c: (c.demand_id == demand_id, c.from_state.in_(handed), c.to_state.not_in(handed)))
    return not back or max(hops) > max(back)


def refused(batch, entity: str, values: dict) -> str | None:
    """Why the district does not take this row (Chinese), for a 转派 or 上报 it cannot carry out; None otherwise."""
    if entity == "demand_hop":
        if values["deleted"]:
            return None  # sent back deleted by a ledger restored from an older backup (its 回收站): nothing to open
        if _me(batch) is None:
            return "区里找不到本台账的账号"
        _target_acct, reason = _target(batch, values)
        if reason:
            return reason
        if _earlier_hop_stands(batch, values):
            return "该需求已经转出，对方还在办理，不能再次转出"
        return None
    if entity == "demand" and values["state"] in (S.passed.value, S.reported.value) and not _latest_hop_taken(batch, values["id"]):
        # The hop goes up just before the demand's new state (app/services/demands.py), after the 收回 that
        # brought it back, if any: missing or older than that, this hop was refused.
        return "这条需求的转派（上报）没有被区里接收，不能标为已转出。请在本台账“收回”后重新办理"
    return None


def follow(batch, entity: str, values: dict) -> None:
    """After a row is stored: a hop opens its dispatch at the target; a demand that came through other tiers tells each
    of them it arrived, and each event of it goes back to them."""
    if entity == "demand_hop" and not values["deleted"]:
        _open_dispatch(batch, values)
    elif entity == "demand_event":
        _send_progress(batch, values)
    elif entity == "demand":
        _send_receipt(batch, values)


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _open_dispatch(batch, values: dict) -> None:
    conn = batch.conn
    if conn.execute(select(announcement.c.id).where(announcement.c.id == values["id"])).first() is not None:
        return  # opened before (a resend above a restored version)
    me = _me(batch)
    target, _reason = _target(batch, values)
    demand = batch.stored("demand", values["demand_id"])
    hops = list(_hops_of(conn, demand.dispatch_id, me))
    hops.append({"kind": values["kind"], "from": unit(me), "to": unit(target), "demand_id": demand.id, "number": demand.number,
                 "reason": values["reason"], "operator": values["operator"], "at": _iso(values["at"])})
    body: dict[str, object] = {k: _iso(getattr(demand, k)) for k in REQUEST_FIELDS}
    body.update(note=values["reason"][:500], via=values["kind"], hops=hops)
    conn.execute(announcement.insert().values(
        id=values["id"], kind="dispatch", title=f"{me.name}{VERBS[values['kind']]}：{demand.content[:60]}"[:200],
        body=json.dumps(body, ensure_ascii=False), published_at=utcnow(), station_id=target.station_id))


def _send_progress(batch, values: dict) -> None:
    if not values["from_state"] or values["action"].startswith(PROGRESS_PREFIX) or values["deleted"]:
        return  # the demand's arrival (copies of the hops before it) and what itself came back from below are not news
    _progress(batch, values["demand_id"], values["id"], {"action": values["action"], "note": values["note"],
                                                         "operator": values["operator"], "at": _iso(values["at"])}, values["to_state"])


def _send_receipt(batch, values: dict) -> None:
    """A demand handed on has arrived at the ledger it was sent to: the ledgers up the chain learn who has it, when."""
    if values["version"] != 1 or not values["dispatch_id"] or values["deleted"]:
        return
    _progress(batch, values["id"], values["id"], {"action": "接收", "note": f"已收到，编号 {values['number']}", "operator": "",
                                                  "at": _iso(values["updated_at"])}, values["state"])


def _progress(batch, demand_id: str, key: str, event: dict, state: str) -> None:
    hops = _hops_of_demand(batch, demand_id)
    upstream = [(h["from"].get("station_id"), h.get("demand_id")) for h in hops if isinstance(h.get("from"), dict)]
    upstream = [(s, d) for s, d in upstream if s and d and s != batch.station_id]
    if not upstream:
        return
    me, demand = _me(batch), _cache(batch)["hops"][demand_id][1]
    for station_id, upstream_demand in upstream:
        item_id = str(uuid.uuid5(PROGRESS_NAMESPACE, f"{key}>{upstream_demand}"))
        if batch.conn.execute(select(announcement.c.id).where(announcement.c.id == item_id)).first() is not None:
            continue
        body = {"demand_id": upstream_demand, "by": unit(me), "number": demand.number, "state": state, "event": event}
        batch.conn.execute(announcement.insert().values(
            id=item_id, kind="dispatch_progress", title=f"{me.name}{event['action']}：{demand.content[:40]}"[:200],
            body=json.dumps(body, ensure_ascii=False), published_at=utcnow(), station_id=station_id))


# -- reading, for the staff pages and withdrawals ----------------------------------------------------------

def next_hop(conn: Connection, demand_row):
    """The dispatch a handed-on demand went on to (its latest hop's announcement), or None."""
    hop = TABLES["demand_hop"]
    found = conn.execute(select(hop.c.id).where(hop.c.demand_id == demand_row.id).order_by(hop.c.at.desc())).scalars().all()
    for hop_id in found:
        sent = conn.execute(select(announcement).where(announcement.c.id == hop_id)).first()
        if sent is not None:
            return sent
    return None


def chain(conn: Connection, dispatch_id: str, limit: int = 10) -> list[tuple[Row, Row | None]]:
    """From a dispatch to where the need is now: [(dispatch announcement, the demand answering it or None)], following
    each demand that was handed on to its next hop."""
    demand = TABLES["demand"]
    out: list[tuple[Row, Row | None]] = []
    sent = conn.execute(select(announcement).where(announcement.c.id == dispatch_id)).first()
    while sent is not None and len(out) < limit:
        there = conn.execute(select(demand).where(demand.c.dispatch_id == sent.id, demand.c.deleted == False)).first()
        out.append((sent, there))
        sent = next_hop(conn, there) if there is not None and there.state in (S.passed.value, S.reported.value) else None
    return out


def hop_origin(body: dict) -> str:
    """Who handed a dispatch on, for the staff pages: 区中心, or "杨家庄村（实践站）上报"."""
    hops = body.get("hops") if isinstance(body.get("hops"), list) else []
    last = hops[-1] if hops and isinstance(hops[-1], dict) else None
    if last is None or last.get("kind") not in ("pass", "report"):
        return "区中心派单"
    who: dict = last["from"] if isinstance(last.get("from"), dict) else {}
    return f"{who.get('name', '')}（{tier_label(str(who.get('level', '')))}）{VERBS[last['kind']]}"
