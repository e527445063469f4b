"""The 五单 loop (seed 五.2): 群众点单 → 中心（所、站）派单 → 志愿组织（者）接单 → 群众评单 → 政府奖单.

A demand moves only along ``TRANSITIONS``; every move writes a ``DemandEvent`` (who, when,
from, to, note) in the same transaction, and a move not allowed from the current state is
refused with a Chinese message saying what can be done instead. Completing a demand
records the service as an activity (so hours count everywhere); rewarding it credits the
volunteers who served by the station's rating rules. Demands the district dispatched
arrive through sync's pull (``receive_dispatch``); their request fields stay as the
district wrote them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..models import Demand, DemandEvent, DistrictDispatch, PointEntry, PointRule, Team, Volunteer, utcnow
from ..models import Participation
from ..models.enums import FEEDBACK_METHODS, TEAM_CATEGORIES, DemandState
from ..privacy import mask_phone, revealed
from .activities import ParticipantInput, add_activity_in
from .common import check_choice, check_length, clean, get_row, parse_date, parse_int, parse_phone
from .context import Context, live
from .errors import FieldErrors, ValidationError

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
}
# What the person is told to do next, per state.
NEXT_STEP = {
    S.ordered: "请先审核（通过或不予受理）", S.approved: "请先派单", S.dispatched: "请等服务队或志愿者接单",
    S.taken: "请先完成服务并登记服务记录", S.done: "请先评单（录入群众评价）", S.rated: "请先奖单",
    S.rewarded: "该需求已办结", S.rejected: "该需求已不予受理", S.cancelled: "该需求已撤销",
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

    @property
    def state_label(self) -> str:
        return S(self.demand.state).label

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
    session.add(DemandEvent(station_id=demand.station_id, demand_id=demand.id, at=utcnow(), operator=ctx.actor.label[:50],
                            action=label, from_state=current.value, to_state=transition.target.value, note=note[:500]))
    demand.state = transition.target.value


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

    return _act(ctx, demand_id, "complete", clean(note), record)


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
        rules = session.exec(live(PointRule).where(PointRule.station_id == ctx.station_id, PointRule.active == True,  # noqa: E712
                                                   PointRule.basis == "rating")).all()
        earned = [r for r in rules if demand.rating is not None and demand.rating >= r.min_rating]
        people = session.exec(select(Participation.volunteer_id).where(Participation.activity_id == demand.activity_id,
                                                                      Participation.deleted == False)).all()  # noqa: E712
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
    """Demands newest first; ``state`` is a DemandState value, "open" or "closed".

    ``reveal``: None shows contacts as the role allows (the screen); False masks them for everyone (exports and
    prints by default); True asks for them in full, which only a role that may see them gets."""
    today = today or date.today()
    full = revealed(ctx, reveal)
    query = (select(Demand, Team.name, Volunteer.name).outerjoin(Team, Team.id == Demand.team_id)
             .outerjoin(Volunteer, Volunteer.id == Demand.volunteer_id)
             .where(Demand.station_id == ctx.station_id, Demand.deleted == False))  # noqa: E712
    open_states = [s.value for s in S if not s.closed]
    if state == "open":
        query = query.where(Demand.state.in_(open_states))
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
    return [DemandRow(d, tname or "", vname or "", d.contact if full else mask_phone(d.contact), is_overdue(d, today))
            for d, tname, vname in rows]


def state_counts(ctx: Context, today: date | None = None) -> dict[str, int]:
    """How many demands stand in each state, plus "overdue"."""
    today = today or date.today()
    with ctx.read() as session:
        counts = dict(session.exec(select(Demand.state, func.count()).where(Demand.station_id == ctx.station_id, Demand.deleted == False)  # noqa: E712
                                   .group_by(Demand.state)).all())
        counts["overdue"] = session.exec(select(func.count()).where(
            Demand.station_id == ctx.station_id, Demand.deleted == False, Demand.due_on < today,  # noqa: E712
            Demand.state.in_([S.ordered, S.approved, S.dispatched, S.taken]))).one()
    return counts


def get_demand(ctx: Context, demand_id: str) -> Demand:
    with ctx.read() as session:
        return get_row(session, Demand, demand_id, what="需求", station_id=ctx.station_id)


def events_of(ctx: Context, demand_id: str) -> list[DemandEvent]:
    with ctx.read() as session:
        return list(session.exec(select(DemandEvent).where(DemandEvent.demand_id == demand_id, DemandEvent.deleted == False)  # noqa: E712
                                 .order_by(DemandEvent.at, DemandEvent.updated_at)))


# -- from the district -------------------------------------------------------------------

def _item_body(item: dict) -> dict | None:
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
    data = _item_body(item)
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
        session.add(DemandEvent(station_id=ctx.station_id, demand_id=demand.id, at=utcnow(), operator=DISTRICT_OPERATOR,
                                action="区中心派单", from_state="", to_state=S.approved.value, note=clean(data.get("note"))[:500]))
    return demand


def receive_withdrawal(ctx: Context, item: dict) -> Demand | None:
    """The district withdrew a dispatch: the station cancels its demand, with the district's reason, if it is still
    open; a demand already served is left as it is (the district then sees the service done). Idempotent."""
    data = _item_body(item)
    if data is None:
        return None
    reason = clean(data.get("reason")) or "（未说明原因）"
    with ctx.write(immediate=True) as session:
        demand = session.exec(select(Demand).where(Demand.station_id == ctx.station_id, Demand.dispatch_id == str(data.get("dispatch_id")),
                                                   Demand.deleted == False)).first()  # noqa: E712
        if demand is None or S(demand.state) not in TRANSITIONS["cancel"].sources:
            return None
        text = f"区文明实践中心撤回派单：{reason}"[:500]
        _move(session, ctx, demand, "cancel", text)
        demand.reason = text
    return demand


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
            .where(Participation.activity_id == demand.activity_id, Participation.deleted == False))]  # noqa: E712


def as_of(value: datetime) -> str:
    local = value.astimezone()
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
