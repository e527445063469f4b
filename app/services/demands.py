"""The 五单 loop (seed 五.2): 群众点单 → 中心（所、站）派单 → 志愿组织（者）接单 → 群众评单 → 政府奖单.

A demand moves only along ``TRANSITIONS``; every move writes a ``DemandEvent`` (who, when,
from, to, note) in the same transaction, and a move not allowed from the current state is
refused with a Chinese message saying what can be done instead. Completing a demand
records the service as an activity (so hours count everywhere); rewarding it credits the
volunteers who served by the station's rating rules. Demands the district dispatched
arrive through sync's pull (``receive_dispatch``); their request fields stay as the
district wrote them.

Between the tiers (五.2: 中心（所、站）派单; 所（站）及时搜集上报群众需求): a 所 or the 中心 may 转派 a
demand to a ledger below it, a station or a 所 may 上报 one it cannot serve to the ledger above,
with a reason. Either writes a ``DemandHop`` that the district turns into a dispatch at the target
(sync/server/tiers.py), and leaves the demand 已转派 / 已上报 here: closed for this tier, neither
waiting nor served. What the other tiers then do comes back on pull as events of this demand
(``receive_progress``), so its 办理经过 shows the whole path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..models import Demand, DemandEvent, DemandHop, DistrictDispatch, OutboxEntry, PointEntry, PointRule, SyncState, Team, Volunteer, utcnow
from ..models import Participation
from ..models.enums import FEEDBACK_METHODS, TEAM_CATEGORIES, DemandState, StationLevel, station_level
from ..privacy import mask_phone, revealed
from .activities import ParticipantInput, add_activity_in
from .common import check_choice, check_length, clean, get_row, parse_date, parse_int, parse_phone
from .context import Context, live
from .errors import FieldErrors, NotFound, ValidationError

S = DemandState
DEFAULT_DAYS = 7  # 办结期限 when none is given: a week from 点单
DISTRICT_OPERATOR = "区文明实践中心"


@dataclass(frozen=True)
class Transition:
    label: str
    sources: tuple[DemandState, ...]
    target: DemandState


TRANSITIONS: dict[str, Transition] = {
    "approve": Transition("审核通过", (S.ordered,), S.approved),
    "reject": Transition("不予受理", (S.ordered,), S.rejected),
    "dispatch": Transition("派单", (S.approved, S.dispatched, S.taken), S.dispatched),
    "take": Transition("接单", (S.dispatched,), S.taken),
    "complete": Transition("完成服务", (S.taken,), S.done),
    "rate": Transition("评单", (S.done,), S.rated),
    "reward": Transition("奖单", (S.rated,), S.rewarded),
    "cancel": Transition("撤销", (S.ordered, S.approved, S.dispatched, S.taken), S.cancelled),
    # 五.2, between the tiers: handed to another ledger, and taken back when it could not go or came back undone.
    "pass": Transition("转派", (S.approved, S.dispatched, S.taken), S.passed),
    "report": Transition("上报", (S.approved, S.dispatched, S.taken), S.reported),
    "recall": Transition("收回", (S.passed, S.reported), S.approved),
}
# What the person is told to do next, per state.
NEXT_STEP = {
    S.ordered: "请先审核（通过或不予受理）", S.approved: "请先派单", S.dispatched: "请等服务队或志愿者接单",
    S.taken: "请先完成服务并登记服务记录", S.done: "请先评单（录入群众评价）", S.rated: "请先奖单",
    S.rewarded: "该需求已办结", S.rejected: "该需求已不予受理", S.cancelled: "该需求已撤销",
    S.passed: "该需求已转派给下级办理，办理情况会随同步传回", S.reported: "该需求已上报上级办理，办理情况会随同步传回",
}


def allowed_actions(state: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if S(state) in t.sources]


def is_overdue(demand: Demand, today: date | None = None) -> bool:
    """Still waiting for service past its 办结期限."""
    today = today or date.today()
    return S(demand.state) in (S.ordered, S.approved, S.dispatched, S.taken) and demand.due_on < today


@dataclass(frozen=True)
class DemandRow:
    demand: Demand
    team_name: str
    volunteer_name: str
    contact: str  # masked unless the operator may see it
    overdue: bool
    came: str = ""  # 区派 / 转派 / 上报: how a demand from another tier arrived (五.2)
    below: str = ""  # for one handed on: what the other tier last did with it (下级已办结 …)

    @property
    def state_label(self) -> str:
        return S(self.demand.state).label + (f"（{self.below}）" if self.below else "")

    @property
    def assignee(self) -> str:
        return "、".join(x for x in (self.team_name, self.volunteer_name) if x)


def _check(demand: Demand, action: str) -> None:
    transition = TRANSITIONS[action]
    current = S(demand.state)
    if current not in transition.sources:
        raise ValidationError({"state": f"需求 {demand.number} 当前为“{current.label}”，不能{transition.label}：{NEXT_STEP[current]}"})


def _move(session: Session, ctx: Context, demand: Demand, action: str, note: str = "") -> None:
    _check(demand, action)
    transition = TRANSITIONS[action]
    current = S(demand.state)
    label = "改派" if action == "dispatch" and current in (S.dispatched, S.taken) else transition.label
    _record(session, demand, ctx.actor.label, label, transition.target, note)


def _record(session: Session, demand: Demand, operator: str, label: str, target: DemandState, note: str = "") -> None:
    session.add(DemandEvent(station_id=demand.station_id, demand_id=demand.id, at=utcnow(), operator=operator[:50],
                            action=label, from_state=demand.state, to_state=target.value, note=note[:500]))
    demand.state = target.value


def _next_number(session: Session, station_id: str, year: int) -> str:
    prefix = f"{year}-"
    last = session.exec(select(func.max(Demand.number)).where(Demand.station_id == station_id, Demand.number.startswith(prefix))).one()
    seq = int(last.split("-")[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def request_values(values: dict, errors: FieldErrors, *, received_on: date) -> dict:
    out = {"requester": clean(values.get("requester")), "address": clean(values.get("address")),
           "content": (values.get("content") or "").strip(), "category": clean(values.get("category"))}
    check_length(errors, "requester", "点单群众姓名", out["requester"], 50, required=True)
    check_length(errors, "address", "服务地点", out["address"], 200)
    check_length(errors, "content", "需求内容", out["content"], 1000, required=True)
    check_choice(errors, "category", "服务类别", out["category"], TEAM_CATEGORIES)
    out["contact"] = parse_phone(values.get("contact"), errors, "contact")
    out["wanted_on"] = parse_date(values.get("wanted_on"), errors, "wanted_on", "期望服务日期")
    due = parse_date(values.get("due_on"), errors, "due_on", "办结期限")
    if due is None and "due_on" not in errors:
        due = received_on + timedelta(days=DEFAULT_DAYS)
    if due is not None and due < received_on:
        errors.add("due_on", "办结期限不能早于点单日期")
    out["due_on"] = due
    return out


def record_demand(ctx: Context, **values) -> Demand:
    """群众点单: a resident's demand, recorded and waiting for review."""
    errors = FieldErrors()
    received = parse_date(values.get("received_on"), errors, "received_on", "点单日期") or date.today()
    if received > date.today():
        errors.add("received_on", "点单日期不能晚于今天")
    out = request_values(values, errors, received_on=received)
    errors.raise_if_any()
    with ctx.write(immediate=True) as session:  # the number is read and taken under the write lock
        demand = Demand(station_id=ctx.station_id, number=_next_number(session, ctx.station_id, received.year), received_on=received,
                        source="resident", state=S.ordered.value, **out)
        session.add(demand)
        session.add(DemandEvent(station_id=ctx.station_id, demand_id=demand.id, at=utcnow(), operator=ctx.actor.label[:50],
                                action="点单", from_state="", to_state=S.ordered.value, note=clean(values.get("note"))[:500]))
    return demand


def update_demand(ctx: Context, demand_id: str, **values) -> Demand:
    """Correct what was asked while it is still open; a district dispatch stays as the district wrote it."""
    errors = FieldErrors()
    with ctx.write() as session:
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        if demand.source == "district":
            raise ValidationError({"source": "这是区文明实践中心派发的需求，需求内容由区里维护，本站不能修改"})
        if S(demand.state).closed:
            raise ValidationError({"state": f"需求 {demand.number} 已{S(demand.state).label}，不能再修改"})
        out = request_values({**_as_values(demand), **values}, errors, received_on=demand.received_on)
        errors.raise_if_any()
        for key, value in out.items():
            if getattr(demand, key) != value:
                setattr(demand, key, value)
    return demand


def _as_values(demand: Demand) -> dict:
    return {k: getattr(demand, k) for k in ("requester", "contact", "address", "content", "category", "wanted_on", "due_on")}


def _act(ctx: Context, demand_id: str, action: str, note: str = "", change=None) -> Demand:
    with ctx.write() as session:
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        _move(session, ctx, demand, action, note)
        if change is not None:
            change(session, demand)
    return demand


def approve(ctx: Context, demand_id: str, note: str = "") -> Demand:
    return _act(ctx, demand_id, "approve", clean(note))


def _reason(reason: str, what: str) -> str:
    reason = clean(reason)
    if not reason:
        raise ValidationError({"reason": f"请填写{what}原因"})
    if len(reason) > 500:
        raise ValidationError({"reason": f"{what}原因不能超过500个字"})
    return reason


def reject(ctx: Context, demand_id: str, reason: str) -> Demand:
    reason = _reason(reason, "不予受理的")
    return _act(ctx, demand_id, "reject", reason, lambda _s, d: setattr(d, "reason", reason))


def cancel(ctx: Context, demand_id: str, reason: str) -> Demand:
    reason = _reason(reason, "撤销")
    return _act(ctx, demand_id, "cancel", reason, lambda _s, d: setattr(d, "reason", reason))


def dispatch(ctx: Context, demand_id: str, *, team_id: str | None = None, volunteer_id: str | None = None, note: str = "") -> Demand:
    """派单 (or 改派) to a team, a volunteer, or a volunteer of a team; the event names who got it."""
    if not team_id and not volunteer_id:
        raise ValidationError({"team_id": "请选择接单的服务队或志愿者"})
    with ctx.write() as session:
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        team = get_row(session, Team, team_id, what="服务队", station_id=ctx.station_id) if team_id else None
        person = get_row(session, Volunteer, volunteer_id, what="志愿者", station_id=ctx.station_id) if volunteer_id else None
        who = "、".join(x for x in ((team.name if team else ""), (person.name if person else "")) if x)
        _move(session, ctx, demand, "dispatch", f"派至：{who}" + (f"；{clean(note)}" if clean(note) else ""))
        demand.team_id = team.id if team else None
        demand.volunteer_id = person.id if person else None
    return demand


def take(ctx: Context, demand_id: str, note: str = "") -> Demand:
    return _act(ctx, demand_id, "take", clean(note))


def complete(ctx: Context, demand_id: str, *, participants: list[ParticipantInput], date_done: date | str | None = None,
             start_time=None, end_time=None, content: str = "", served_count=1, title: str = "", note: str = "") -> Demand:
    """服务完成: the service becomes an activity of the ledger with the volunteers who served and their hours."""
    if not participants:
        raise ValidationError({"participants": "请添加参加服务的志愿者及服务时长"})
    errors = FieldErrors()
    when = parse_date(date_done, errors, "date", "服务日期") or date.today()
    if when > date.today():
        errors.add("date", "服务日期不能晚于今天")
    served = parse_int(served_count if served_count not in (None, "") else 1, errors, "served_count", "服务对象人数应为 0 到 100000 之间的整数",
                       maximum=100_000)
    errors.raise_if_any()

    def record(session: Session, demand: Demand) -> None:
        if when < demand.received_on:
            raise ValidationError({"date": f"服务日期不能早于点单日期（{demand.received_on:%Y-%m-%d}）"})
        activity = add_activity_in(
            session, ctx, participants=participants, title=clean(title) or f"{demand.content[:40]}（点单服务 {demand.number}）",
            category=demand.category, team_id=demand.team_id, date=when, start_time=start_time, end_time=end_time,
            place=demand.address, served_count=served, service_target=demand.requester,
            content=(content or "").strip() or f"群众点单：{demand.content}", status="done")
        demand.activity_id = activity.id

    # 办理经过 says what was done when nobody wrote a note (its 说明 column was empty: new-user trial, #30)
    hours = "" if any(p.hours is None for p in participants) else f"共 {sum(float(p.hours) for p in participants):g} 小时"
    summary = f"{when.month}月{when.day}日服务，志愿者 {len(participants)} 名{hours}，服务对象 {served} 人"
    if clean(content):  # what was done, as the clerk wrote it in 服务情况 (it lived only in the activity: trial, #30)
        summary += f"：{clean(content)[:200]}"
    return _act(ctx, demand_id, "complete", clean(note) or summary, record)


def rate(ctx: Context, demand_id: str, *, rating, feedback: str = "", method: str = "回访") -> Demand:
    """评单: the resident's rating 1–5, by follow-up visit, survey or phone."""
    errors = FieldErrors()
    if rating is None or rating == "":
        errors.add("rating", "请选择群众评分（1 到 5 分）")
        score = None
    else:
        score = parse_int(rating, errors, "rating", "评分应为 1 到 5 之间的整数", minimum=1, maximum=5)
    feedback = (feedback or "").strip()
    check_length(errors, "feedback", "群众评价", feedback, 500)
    check_choice(errors, "method", "评价方式", clean(method), FEEDBACK_METHODS)
    errors.raise_if_any()

    def store(_session: Session, demand: Demand) -> None:
        demand.rating, demand.feedback, demand.feedback_method = score, feedback, clean(method)

    return _act(ctx, demand_id, "rate", f"{score} 分（{clean(method)}）{feedback[:400]}", store)


def reward(ctx: Context, demand_id: str, *, extra_points=0, note: str = "") -> tuple[Demand, int]:
    """奖单: credit each volunteer who served by the rating rules (plus any extra points given by hand).

    Returns the demand and the points credited in all.
    """
    errors = FieldErrors()
    extra = parse_int(extra_points or 0, errors, "extra_points", "另加积分应为 0 到 1000 之间的整数", maximum=1000)
    note = clean(note)
    check_length(errors, "note", "表彰说明", note, 500)
    errors.raise_if_any()
    credited = 0
    with ctx.write() as session:
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        _check(demand, "reward")
        rules = session.exec(live(PointRule).where(PointRule.station_id == ctx.station_id, PointRule.active == True,
                                                   PointRule.basis == "rating")).all()
        earned = [r for r in rules if demand.rating is not None and demand.rating >= r.min_rating]
        people = session.exec(select(Participation.volunteer_id).where(Participation.activity_id == demand.activity_id,
                                                                      Participation.deleted == False)).all()
        for volunteer_id in dict.fromkeys(people):
            for rule in earned:
                session.add(PointEntry(station_id=ctx.station_id, volunteer_id=volunteer_id, points=rule.points, occurred_on=date.today(),
                                       reason=f"{rule.name}：需求 {demand.number}", rule_id=rule.id, source=f"demand:{demand.id}",
                                       operator=ctx.actor.label[:50]))
                credited += rule.points
            if extra:
                session.add(PointEntry(station_id=ctx.station_id, volunteer_id=volunteer_id, points=extra, occurred_on=date.today(),
                                       reason=f"奖单加分：需求 {demand.number}" + (f"（{note}）" if note else ""),
                                       source=f"demand:{demand.id}", operator=ctx.actor.label[:50]))
                credited += extra
        demand.reward_note = note
        _move(session, ctx, demand, "reward", f"{len(set(people))} 名志愿者共获 {credited} 积分" + (f"；{note}" if note else ""))
    return demand, credited


# -- reading ---------------------------------------------------------------------------

def list_demands(ctx: Context, *, state: str | None = None, text: str = "", overdue_only: bool = False,
                 date_from: date | None = None, date_to: date | None = None, today: date | None = None,
                 reveal: bool | None = None) -> list[DemandRow]:
    """Demands newest first; ``state`` is a DemandState value, "open", "handed" (转派 or 上报) or "closed".

    ``reveal``: None shows contacts as the role allows (the screen); False masks them for everyone (exports and
    prints by default); True asks for them in full, which only a role that may see them gets."""
    today = today or date.today()
    full = revealed(ctx, reveal)
    query = (select(Demand, Team.name, Volunteer.name).outerjoin(Team, Team.id == Demand.team_id)
             .outerjoin(Volunteer, Volunteer.id == Demand.volunteer_id)
             .where(Demand.station_id == ctx.station_id, Demand.deleted == False))
    open_states = [s.value for s in S if not s.closed]
    if state == "open":
        query = query.where(Demand.state.in_(open_states))
    elif state == "handed":
        query = query.where(Demand.state.in_([S.passed.value, S.reported.value]))
    elif state == "closed":
        query = query.where(Demand.state.not_in(open_states))
    elif state:
        query = query.where(Demand.state == state)
    if overdue_only:
        query = query.where(Demand.state.in_([S.ordered, S.approved, S.dispatched, S.taken]), Demand.due_on < today)
    if date_from:
        query = query.where(Demand.received_on >= date_from)
    if date_to:
        query = query.where(Demand.received_on <= date_to)
    text = clean(text)
    if text:
        query = query.where(or_(Demand.requester.contains(text), Demand.content.contains(text), Demand.number.contains(text),
                                Demand.address.contains(text)))
    with ctx.read() as session:
        rows = session.exec(query.order_by(Demand.received_on.desc(), Demand.number.desc())).all()
    came = came_via(ctx, [d for d, _t, _v in rows if d.dispatch_id])
    below = downstream(ctx, [d.id for d, _t, _v in rows if S(d.state).handed_on])
    return [DemandRow(d, tname or "", vname or "", d.contact if full else mask_phone(d.contact), is_overdue(d, today),
                      came.get(d.id, ""), below.get(d.id, "")) for d, tname, vname in rows]


def state_counts(ctx: Context, today: date | None = None) -> dict[str, int]:
    """How many demands stand in each state, plus "overdue"."""
    today = today or date.today()
    with ctx.read() as session:
        counts = dict(session.exec(select(Demand.state, func.count()).where(Demand.station_id == ctx.station_id, Demand.deleted == False)
                                   .group_by(Demand.state)).all())
        counts["overdue"] = session.exec(select(func.count()).where(
            Demand.station_id == ctx.station_id, Demand.deleted == False, Demand.due_on < today,
            Demand.state.in_([S.ordered, S.approved, S.dispatched, S.taken]))).one()
    return counts


def get_demand(ctx: Context, demand_id: str) -> Demand:
    with ctx.read() as session:
        return get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)


def events_of(ctx: Context, demand_id: str) -> list[DemandEvent]:
    with ctx.read() as session:
        return list(session.exec(select(DemandEvent).where(DemandEvent.demand_id == demand_id, DemandEvent.deleted == False)
                                 .order_by(DemandEvent.at, DemandEvent.updated_at)))


# -- from the district -------------------------------------------------------------------

def item_body(item: dict) -> dict | None:
    """The JSON object a pulled district item carries, or None when it is not one."""
    body = item.get("body") or "{}"
    try:
        data = json.loads(body) if isinstance(body, str) else dict(body)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def receive_dispatch(ctx: Context, item: dict) -> Demand | None:
    """A demand the district dispatched to this station, as pulled: kept as sent, and opened as a
    demand waiting for the station's 派单. Receiving the same dispatch again changes nothing."""
    dispatch_id = str(item.get("id") or "")
    data = item_body(item)
    if data is None:
        return None
    with ctx.write(immediate=True) as session:
        if session.get(DistrictDispatch, dispatch_id) is not None:
            return None
        session.add(DistrictDispatch(id=dispatch_id, payload=json.dumps(data, ensure_ascii=False), received_at=utcnow()))
        errors = FieldErrors()
        received = parse_date(data.get("received_on"), errors, "received_on", "点单日期") or date.today()
        out = request_values(data, errors, received_on=received)
        if errors.errors:
            # Keep what the district sent, even if our rules would have asked for more: it is theirs.
            out = {"requester": clean(data.get("requester"))[:50] or "（未填）", "contact": clean(data.get("contact"))[:20],
                   "address": clean(data.get("address"))[:200], "content": str(data.get("content") or "（未填）")[:1000],
                   "category": data.get("category") if data.get("category") in TEAM_CATEGORIES else TEAM_CATEGORIES[12],
                   "wanted_on": None, "due_on": received + timedelta(days=DEFAULT_DAYS)}
        demand = Demand(station_id=ctx.station_id, number=_next_number(session, ctx.station_id, received.year), received_on=received,
                        source="district", dispatch_id=dispatch_id, state=S.approved.value, **out)
        session.add(demand)
        hops = hops_of(data)
        if not any(h["kind"] in ("pass", "report") for h in hops):
            session.add(DemandEvent(station_id=ctx.station_id, demand_id=demand.id, at=utcnow(), operator=DISTRICT_OPERATOR,
                                    action="区中心派单", from_state="", to_state=S.approved.value, note=clean(data.get("note"))[:500]))
        for hop in hops:  # every tier it came through, who and when, as this ledger's own 办理经过 (五.2)
            session.add(DemandEvent(station_id=ctx.station_id, demand_id=demand.id, at=hop["at"] or utcnow(), operator=hop["operator"],
                                    action=HOP_VERBS[hop["kind"]], from_state="", to_state=S.approved.value, note=hop["text"]))
    return demand


def receive_withdrawal(ctx: Context, item: dict) -> Demand | None:
    """The district withdrew a dispatch: the station cancels its demand, with the district's reason, if it is still
    open; a demand already served is left as it is (the district then sees the service done). Idempotent."""
    data = item_body(item)
    if data is None:
        return None
    reason = clean(data.get("reason")) or "（未说明原因）"
    with ctx.write(immediate=True) as session:
        demand = session.exec(select(Demand).where(Demand.station_id == ctx.station_id, Demand.dispatch_id == str(data.get("dispatch_id")),
                                                   Demand.deleted == False)).first()
        if demand is None or (S(demand.state) not in TRANSITIONS["cancel"].sources and not S(demand.state).handed_on):
            return None
        # A demand this ledger handed on is cancelled here too: the district withdraws the hops after it as well.
        text = f"区文明实践中心撤回派单：{reason}"[:500]
        _record(session, demand, ctx.actor.label, TRANSITIONS["cancel"].label, S.cancelled, text)
        demand.reason = text
    return demand


# -- between the tiers (五.2) -------------------------------------------------------------------

HOP_VERBS = {"dispatch": "区中心派单", "pass": "转派", "report": "上报"}
HOP_CAME = {"dispatch": "区派", "pass": "转派", "report": "上报"}  # the list's mark on a demand that arrived so
REFUSED_PREFIX = "区里未接收："  # recall_reason of a hop the district refused
PROGRESS_PREFIX = "下级"  # an event another tier recorded for a demand this ledger handed on (sync/server/tiers.py)
# What the last event from below says of the need, after 已转派 / 已上报 in the list.
PROGRESS_SHORT = {"接收": "已接收", "区中心派单": "已接收", "转派": "已再转派", "上报": "已再上报", "审核通过": "已受理", "派单": "已派单", "改派": "已派单",
                  "接单": "已接单", "完成服务": "已完成服务", "评单": "已评单", "奖单": "已办结", "撤销": "已撤销", "收回": "已收回",
                  "不予受理": "不予受理"}


def tier_name(level: str | None) -> str:
    return "区级平台" if level == "district" else station_level(level).unit


@dataclass(frozen=True)
class Unit:
    """A ledger this one may hand a demand to, as the district's directory names it."""

    station_id: str
    name: str
    level: str
    street: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}（{tier_name(self.level)}）"

    @classmethod
    def of(cls, data) -> "Unit | None":
        if not isinstance(data, dict) or not isinstance(data.get("station_id"), str) or not data.get("station_id"):
            return None
        return cls(data["station_id"], str(data.get("name") or "")[:100], str(data.get("level") or "station"), str(data.get("street") or ""))


@dataclass(frozen=True)
class Directory:
    upper: Unit | None  # where this ledger 上报s: a station's 所, a 所's 中心
    lower: list[Unit]  # whom it may 转派 to


def receive_directory(ctx: Context, item: dict) -> None:
    """The district's list of the ledgers this one may hand demands to, as pulled; the newest replaces the last."""
    data = item_body(item)
    if data is None:
        return
    with ctx.write() as session:
        state = session.get(SyncState, 1) or SyncState(id=1)
        state.directory = json.dumps(data, ensure_ascii=False)
        session.add(state)


def directory(ctx: Context) -> Directory | None:
    """None until the district has sent one (a ledger that has not synced since #30's 转派 and 上报)."""
    with ctx.read() as session:
        state = session.get(SyncState, 1)
    data = item_body({"body": state.directory}) if state is not None and state.directory else None
    if data is None:
        return None
    lower = [u for u in (Unit.of(x) for x in (data.get("lower") or []) if isinstance(data.get("lower"), list)) if u is not None]
    return Directory(Unit.of(data.get("upper")), lower)


def find_by_number(ctx: Context, number: str) -> Demand:
    """A demand of this ledger by the number people quote (the command line names demands so)."""
    number = clean(number)
    with ctx.read() as session:
        found = session.exec(select(Demand).where(Demand.station_id == ctx.station_id, Demand.number == number,
                                                  Demand.deleted == False)).first()
    if found is None:
        raise NotFound(f"找不到编号为“{number}”的需求（station demands 可列出全部需求的编号）")
    return found


def find_lower(ctx: Context, name: str) -> Unit:
    """Whom to 转派 to, named as the district's list names it (the name, or its label with the tier); refused with
    the list's names when it is not one of them."""
    name = clean(name)
    with ctx.read() as session:
        if _own_level(session, ctx) is StationLevel.station:
            raise ValidationError({"to_station_id": "实践站不能转派：本站办不了的需求，请上报给所属街道的实践所"})
    found = directory(ctx)
    if found is None:
        raise ValidationError({"to_station_id": "还没有收到区里的实践所（站）名单：请先同步一次，再转派"})
    if not found.lower:
        raise ValidationError({"to_station_id": "区里发来的名单中没有可以转派的下级实践所（站）"})
    matches = [u for u in found.lower if name and name in (u.name, u.label, u.station_id)]
    if len(matches) == 1:
        return matches[0]
    choices = "、".join(u.label for u in found.lower)
    if not name:
        raise ValidationError({"to_station_id": f"请指定转派给哪个实践所（站）。可选：{choices}"})
    if matches:
        raise ValidationError({"to_station_id": f"名单中有不止一个“{name}”，请写上级别，如“{matches[0].label}”。可选：{choices}"})
    raise ValidationError({"to_station_id": f"“{name}”不在区里发来的名单中。可选：{choices}"})


def _own_level(session: Session, ctx: Context) -> StationLevel:
    return station_level(ctx.station(session).level)


def handing_offered(ctx: Context) -> set[str]:
    """Which of 转派, 上报 and 收回 this ledger's tier has at all: a station never 转派s, the 中心 never 上报s."""
    with ctx.read() as session:
        level = _own_level(session, ctx)
    return {"recall"} | ({"report"} if level is not StationLevel.center else set()) | ({"pass"} if level is not StationLevel.station else set())


def _hop_first(session: Session, ctx: Context, demand: Demand, kind: str, target: Unit | None, reason: str, fallback: str) -> str:
    """The hop row, flushed before the demand's new state so that it goes up first: the district opens the dispatch
    from it and takes a demand 已转出 only once its hop is in. Returns how the 办理经过 names the target."""
    name = target.label if target is not None else fallback
    session.add(DemandHop(station_id=demand.station_id, demand_id=demand.id, kind=kind, to_station_id=target.station_id if target else "",
                          to_name=(target.name if target else "")[:100], reason=reason, at=utcnow(), operator=ctx.actor.label[:50]))
    session.flush()
    return name


def pass_down(ctx: Context, demand_id: str, *, to_station_id: str, note: str = "") -> Demand:
    """转派 (五.2 中心（所、站）派单): a 所 hands a demand to one of its street's stations, the 中心 to a 所 or a station,
    chosen from the list the district sent. It arrives there on the target's next sync."""
    note = clean(note)
    if len(note) > 500:
        raise ValidationError({"note": "转派说明不能超过500个字"})
    found = directory(ctx)
    with ctx.write() as session:
        if _own_level(session, ctx) is StationLevel.station:
            raise ValidationError({"to_station_id": "实践站不能转派：本站办不了的需求，请上报给所属街道的实践所"})
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        _check(demand, "pass")
        if found is None:
            raise ValidationError({"to_station_id": "还没有收到区里的实践所（站）名单：请先同步一次，再转派"})
        target = next((u for u in found.lower if u.station_id == to_station_id), None)
        if target is None:
            raise ValidationError({"to_station_id": "请从名单中选择转派给哪个实践所（站）" if not to_station_id else
                                   "只能转派给区里名单中的下级实践所（站）：请同步后重新选择"})
        name = _hop_first(session, ctx, demand, "pass", target, note, "")
        _move(session, ctx, demand, "pass", f"转派至{name}" + (f"：{note}" if note else ""))
    return demand


def report_up(ctx: Context, demand_id: str, *, reason: str) -> Demand:
    """上报 (五.2 所（站）及时搜集上报群众需求): a station hands a need it cannot serve to its street's 所, a 所 to the
    中心, with the reason; it arrives there as a new demand carrying where it came from."""
    reason = _reason(reason, "上报")
    found = directory(ctx)
    with ctx.write() as session:
        level = _own_level(session, ctx)
        if level is StationLevel.center:
            raise ValidationError({"state": "实践中心是最高一级，不能上报；办不了的需求可以转派给实践所或实践站"})
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        _check(demand, "report")
        above = "区文明实践中心" if level is StationLevel.institute else "所属街道的实践所"
        if found is not None and found.upper is None:
            street = ctx.station(session).street or "本站所属街道"
            raise ValidationError({"state": f"{street}还没有在区里登记台账的实践所，暂不能上报" if level is StationLevel.station
                                   else "区文明实践中心还没有在区里登记台账，暂不能上报"})
        name = _hop_first(session, ctx, demand, "report", found.upper if found else None, reason, above)
        _move(session, ctx, demand, "report", f"上报至{name}：{reason}")
    return demand


def _latest_hop(session: Session, demand: Demand) -> DemandHop | None:
    return session.exec(select(DemandHop).where(DemandHop.demand_id == demand.id).order_by(DemandHop.at.desc())).first()


def recall_reason(session: Session, demand: Demand) -> str | None:
    """Why a demand handed on may come back to this tier: the district refused the hop, or the other tier cancelled it."""
    if not S(demand.state).handed_on:
        return None
    hop = _latest_hop(session, demand)
    if hop is None:
        return "本台账没有转出记录"
    refused = session.exec(select(OutboxEntry.rejected_reason).where(
        OutboxEntry.entity == DemandHop.__tablename__, OutboxEntry.row_id == hop.id, OutboxEntry.acked_at == None,
        OutboxEntry.rejected_reason != None, OutboxEntry.waits_for == None)).first()
    if refused:
        return f"{REFUSED_PREFIX}{refused}"
    undone = session.exec(select(DemandEvent.note).where(DemandEvent.demand_id == demand.id, DemandEvent.action == PROGRESS_PREFIX + "撤销",
                                                         DemandEvent.updated_at >= hop.updated_at)).first()
    if undone is not None:
        word = "上级" if hop.kind == "report" else "下级"
        return f"{word}已撤销：{undone}"
    return None


def recall(ctx: Context, demand_id: str, note: str = "") -> Demand:
    """收回: a demand handed on comes back to this tier (待派单) when the district refused the hop or the other tier
    cancelled it; then it can be served here, handed on again, or cancelled."""
    note = clean(note)
    with ctx.write() as session:
        demand = get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)
        _check(demand, "recall")
        why = recall_reason(session, demand)
        if why is None:
            raise ValidationError({"state": f"需求 {demand.number} 已转给其他台账办理，对方还在办理，不能收回"})
        _move(session, ctx, demand, "recall", why + (f"；{note}" if note else ""))
    return demand


def handing_actions(ctx: Context, demand: Demand) -> set[str]:
    """Which of 转派, 上报 and 收回 this ledger may do with ``demand`` now (its tier, its state, the district's answer)."""
    out = set()
    with ctx.read() as session:
        level = _own_level(session, ctx)
        state = S(demand.state)
        if level is not StationLevel.station and state in TRANSITIONS["pass"].sources:
            out.add("pass")
        if level is not StationLevel.center and state in TRANSITIONS["report"].sources:
            out.add("report")
        if state.handed_on and recall_reason(session, demand) is not None:
            out.add("recall")
    return out


def hops_of(data: dict) -> list[dict]:
    """The hops a pulled dispatch came through (sync/server/tiers.py), each with the 办理经过's wording of it."""
    out = []
    for hop in data.get("hops") if isinstance(data.get("hops"), list) else []:
        if not isinstance(hop, dict) or hop.get("kind") not in HOP_VERBS:
            continue
        source = hop.get("from") if isinstance(hop.get("from"), dict) else {}
        target = hop.get("to") if isinstance(hop.get("to"), dict) else {}
        frm = f"{clean(source.get('name'))}（{tier_name(source.get('level'))}）"
        to = f"{clean(target.get('name'))}（{tier_name(target.get('level'))}）" if target.get("name") else "本台账"
        number, reason = clean(hop.get("number")), clean(hop.get("reason"))
        text = f"{frm}{HOP_VERBS[hop['kind']][-2:]}至{to}" + (f"（原编号 {number}）" if number else "") + (f"：{reason}" if reason else "")
        try:
            at = datetime.fromisoformat(str(hop.get("at")))
            at = at if at.tzinfo else at.replace(tzinfo=utcnow().tzinfo)
        except ValueError:
            at = None
        who = clean(source.get("name")) + (f"·{clean(hop.get('operator'))}" if clean(hop.get("operator")) and hop["kind"] != "dispatch" else "")
        out.append({"kind": hop["kind"], "at": at, "operator": who[:50] or DISTRICT_OPERATOR, "text": text[:500]})
    return out


def receive_progress(ctx: Context, item: dict) -> DemandEvent | None:
    """What another tier did with a demand this ledger handed on, as pulled: one event of that demand, named for who did
    it (下级完成服务、下级评单 …), so the 办理经过 here shows the need served, rated and rewarded. Idempotent by the item's id."""
    data = item_body(item)
    if data is None or not isinstance(data.get("event"), dict):
        return None
    event, by = data["event"], data.get("by") if isinstance(data.get("by"), dict) else {}
    item_id = str(item.get("id") or "")
    with ctx.write(immediate=True) as session:
        if not item_id or session.get(DemandEvent, item_id) is not None:
            return None
        demand = session.get(Demand, str(data.get("demand_id") or ""))
        if demand is None or demand.station_id != ctx.station_id:
            return None
        try:
            at = datetime.fromisoformat(str(event.get("at")))
            at = at if at.tzinfo else at.replace(tzinfo=utcnow().tzinfo)
        except ValueError:
            at = utcnow()
        who = f"{clean(by.get('name'))}（{tier_name(by.get('level'))}）"
        number = clean(data.get("number"))
        row = DemandEvent(id=item_id, station_id=ctx.station_id, demand_id=demand.id, at=at,
                          operator=(clean(by.get("name")) + (f"·{clean(event.get('operator'))}" if clean(event.get("operator")) else ""))[:50],
                          action=(PROGRESS_PREFIX + clean(event.get("action")))[:16], from_state=demand.state, to_state=demand.state,
                          note=(f"{who}{('编号 ' + number) if number else ''}"
                                + (f"：{clean(event.get('note'))}" if clean(event.get("note")) else ""))[:500])  # no dangling colon
        session.add(row)
    return row


def came_via(ctx: Context, demands: list[Demand]) -> dict[str, str]:
    """demand id → how it arrived (区派 / 转派 / 上报) for those that came from the district."""
    ids = {d.dispatch_id: d.id for d in demands if d.dispatch_id}
    out = {}
    with ctx.read() as session:
        for chunk in range(0, len(ids), 500):
            keys = list(ids)[chunk:chunk + 500]
            for dispatch_id, payload in session.exec(select(DistrictDispatch.id, DistrictDispatch.payload).where(DistrictDispatch.id.in_(keys))):
                via = (item_body({"body": payload}) or {}).get("via")
                out[ids[dispatch_id]] = HOP_CAME.get(via if via in HOP_CAME else "dispatch")
    return out


def downstream(ctx: Context, demand_ids: list[str]) -> dict[str, str]:
    """demand id → what the last event from the other tier says (下级已派单、上级已办结 …), for demands handed on."""
    out: dict[str, str] = {}
    with ctx.read() as session:
        words = other_tier_words(session, demand_ids)
        for chunk in range(0, len(demand_ids), 500):
            for demand_id, action in session.exec(select(DemandEvent.demand_id, DemandEvent.action).where(
                    DemandEvent.demand_id.in_(demand_ids[chunk:chunk + 500]), DemandEvent.action.startswith(PROGRESS_PREFIX))
                    .order_by(DemandEvent.at, DemandEvent.updated_at)):
                short = PROGRESS_SHORT.get(action[len(PROGRESS_PREFIX):])
                if short:
                    out[demand_id] = words.get(demand_id, PROGRESS_PREFIX) + short if not short.startswith("已再") else short
        # A hop the district refused: said in the list, where the clerk looks, not only on the 同步 page. The same
        # test as recall_reason's first one (the latest hop's outbox row refused), in two reads a chunk, not per demand.
        for chunk in range(0, len(demand_ids), 500):
            latest: dict[str, str] = {}  # demand id -> its latest hop's id
            for demand_id, hop_id in session.exec(select(DemandHop.demand_id, DemandHop.id).where(
                    DemandHop.demand_id.in_(demand_ids[chunk:chunk + 500])).order_by(DemandHop.at)):
                latest[demand_id] = hop_id
            refused = set(session.exec(select(OutboxEntry.row_id).where(
                OutboxEntry.entity == DemandHop.__tablename__, OutboxEntry.row_id.in_(list(latest.values())),
                OutboxEntry.acked_at == None, OutboxEntry.rejected_reason != None, OutboxEntry.waits_for == None)))
            for demand_id, hop_id in latest.items():
                if hop_id in refused:
                    out[demand_id] = "区里未接收，请收回"
    return out


def other_tier_words(session: Session, demand_ids: list[str]) -> dict[str, str]:
    """demand id → how this ledger names the other tier whose events came back for a demand it handed on: 上级 when
    it was 上报ed (it went up), 下级 when 转派ed (down), 对方 when it went both ways. The events are stored as
    ``PROGRESS_PREFIX`` + action whichever way (the district and the sync rely on that marker); only the words shown
    differ. A clerk who 上报ed a need read 下级撤销 for the 中心's cancel and could not tell who had cancelled it."""
    kinds: dict[str, set[str]] = {}
    for chunk in range(0, len(demand_ids), 500):
        for demand_id, kind in session.exec(select(DemandHop.demand_id, DemandHop.kind).where(
                DemandHop.demand_id.in_(demand_ids[chunk:chunk + 500]))):
            kinds.setdefault(demand_id, set()).add(kind)
    return {demand_id: "对方" if {"report", "pass"} <= found else "上级" if "report" in found else PROGRESS_PREFIX
            for demand_id, found in kinds.items()}


def shown_action(action: str, word: str | None) -> str:
    """An event's action as a person reads it: an event from the other tier named by ``word`` (上级/下级/对方)."""
    return (word or PROGRESS_PREFIX) + action[len(PROGRESS_PREFIX):] if action.startswith(PROGRESS_PREFIX) else action


def shown_events(ctx: Context, demand_id: str) -> list[tuple[DemandEvent, str]]:
    """A demand's 办理经过 as a person reads it: each event with its action, the other tier's events named 上级,
    下级 or 对方 by which way the need was handed on (see ``other_tier_words``)."""
    events = events_of(ctx, demand_id)
    with ctx.read() as session:
        word = other_tier_words(session, [demand_id]).get(demand_id)
    return [(e, shown_action(e.action, word)) for e in events]


def origin_of(ctx: Context, demand: Demand) -> str:
    """Where a demand that came from another tier was placed and which tiers it passed, for the detail line."""
    if not demand.dispatch_id:
        return ""
    with ctx.read() as session:
        sent = session.get(DistrictDispatch, demand.dispatch_id)
    data = item_body({"body": sent.payload}) if sent is not None else None
    return "；".join(h["text"] for h in hops_of(data or {}))


def reported_from(ctx: Context, demand: Demand) -> set[str]:
    """The ledgers (station ids) that 上报ed this need on its way here: they said they could not serve it, so a
    转派 back to one of them is marked in the choice (it stays possible: things change)."""
    if not demand.dispatch_id:
        return set()
    with ctx.read() as session:
        sent = session.get(DistrictDispatch, demand.dispatch_id)
    data = item_body({"body": sent.payload}) if sent is not None else None
    hops = (data or {}).get("hops")
    return {str(h["from"].get("station_id")) for h in hops if isinstance(h, dict) and h.get("kind") == "report"
            and isinstance(h.get("from"), dict) and h["from"].get("station_id")} if isinstance(hops, list) else set()


def register(ctx: Context, date_from: date, date_to: date, *, reveal: bool = False) -> list[tuple[DemandRow, list[DemandEvent]]]:
    """The 五单 register for a period: each demand received in it with its transitions (contacts masked
    unless ``reveal``, see ``list_demands``)."""
    rows = list_demands(ctx, date_from=date_from, date_to=date_to, reveal=reveal)
    rows.reverse()
    with ctx.read() as session:
        ids = [r.demand.id for r in rows]
        events: dict[str, list[DemandEvent]] = {i: [] for i in ids}
        for chunk in range(0, len(ids), 500):
            for event in session.exec(select(DemandEvent).where(DemandEvent.demand_id.in_(ids[chunk:chunk + 500]))
                                      .order_by(DemandEvent.at, DemandEvent.updated_at)):
                events[event.demand_id].append(event)
    return [(r, events[r.demand.id]) for r in rows]


def served_by(ctx: Context, demand: Demand) -> list[tuple[str, float]]:
    """Who served a completed demand and for how long."""
    if not demand.activity_id:
        return []
    with ctx.read() as session:
        return [(name, hours) for name, hours in session.exec(
            select(Volunteer.name, Participation.hours).join(Volunteer, Volunteer.id == Participation.volunteer_id)
            .where(Participation.activity_id == demand.activity_id, Participation.deleted == False))]


def as_of(value: datetime) -> str:
    local = value.astimezone()
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
