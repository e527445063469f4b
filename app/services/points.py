"""The 积分银行 and 信用超市 (seed 三.4: "探索推行文明实践积分制管理 … 积分银行、信用超市").

Points are earned by rules kept as data (``point_rule``), or by hand with a reason, and
spent in the 信用超市. The ledger (``point_entry``) and the stock moves are append-only:
a balance or a stock level is always a sum, computed when read, and a mistake is undone
by a reversing entry. A redemption checks balance and stock and writes both entries in
one transaction that holds the write lock from its first read, so two operators (or two
processes) clicking at once can neither overdraw a balance nor oversell an item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal, or_, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from ..changes import insert_many
from ..models import Activity, Goods, Household, PointEntry, PointRule, StockMove, Volunteer
from ..models import Participation
from ..models.enums import POINT_BASES, TEAM_CATEGORIES
from ..privacy import mask_phone, revealed
from .common import check_choice, check_length, clean, get_row, parse_date, parse_int, parse_phone, quoted, save_row
from .context import Context, live
from .errors import FieldErrors, NotFound, ValidationError

MAX_POINTS = 100_000  # per entry or per rule; a typo guard

# The scheme a new station starts with; every number can be changed on the 积分规则 tab.
DEFAULT_RULES: tuple[dict, ...] = (
    {"name": "参加志愿服务（每小时）", "basis": "hour", "points": 10},
    {"name": "参加志愿服务活动（每次）", "basis": "activity", "points": 5},
    {"name": "服务获群众好评（评单4分及以上）", "basis": "rating", "points": 10, "min_rating": 4},
    {"name": "评为文明家庭", "basis": "manual", "points": 50},
    {"name": "好人好事、见义勇为", "basis": "manual", "points": 20},
    {"name": "违反村规民约", "basis": "manual", "points": -20},
    {"name": "报名后无故缺席活动", "basis": "manual", "points": -5},
)


@dataclass(frozen=True)
class Holder:
    """Whose points: a volunteer or a household (exactly one id set)."""

    volunteer_id: str | None = None
    household_id: str | None = None

    def __post_init__(self) -> None:
        if bool(self.volunteer_id) == bool(self.household_id):
            raise ValueError("a holder is a volunteer or a household")

    def where(self):
        if self.volunteer_id:
            return PointEntry.volunteer_id == self.volunteer_id
        return PointEntry.household_id == self.household_id

    @property
    def key(self) -> str:
        return f"v:{self.volunteer_id}" if self.volunteer_id else f"h:{self.household_id}"


@dataclass(frozen=True)
class Account:
    holder: Holder
    name: str
    kind: str  # 志愿者 | 家庭户
    phone: str  # masked unless the operator may see it
    earned: int
    spent: int  # redeemed and deducted, as a positive number

    @property
    def balance(self) -> int:
        return self.earned - self.spent


@dataclass(frozen=True)
class LedgerLine:
    entry: PointEntry
    balance: int  # after this entry
    rule_name: str


@dataclass(frozen=True)
class GoodsStock:
    goods: Goods
    stock: int
    redeemed: int  # units out by redemption, all time


@dataclass(frozen=True)
class MonthLine:
    name: str
    kind: str
    phone: str  # always masked: the list is posted on the notice board
    earned: int
    redeemed: int  # 兑换 in the 信用超市
    deducted: int  # 扣分: a deduction is not a purchase, and the notice board says which it was (#26)
    balance: int  # at the month's end

    @property
    def spent(self) -> int:
        return self.redeemed + self.deducted


# -- rules ---------------------------------------------------------------------------

def ensure_default_rules(ctx: Context) -> None:
    """A station with no rules at all gets DEFAULT_RULES (once; later edits are the station's)."""
    with ctx.read() as session:
        if session.exec(select(PointRule.id).where(PointRule.station_id == ctx.station_id).limit(1)).first():
            return
    if not ctx.actor.role.can_write:
        return
    with ctx.write() as session:
        for values in DEFAULT_RULES:
            session.add(PointRule(station_id=ctx.station_id, **values))


def list_rules(ctx: Context, *, active_only: bool = False, basis: str | None = None) -> list[PointRule]:
    query = live(PointRule).where(PointRule.station_id == ctx.station_id)
    if active_only:
        query = query.where(PointRule.active == True)
    if basis:
        query = query.where(PointRule.basis == basis)
    with ctx.read() as session:
        return list(session.exec(query.order_by(PointRule.basis, PointRule.points.desc(), PointRule.name)))


def save_rule(ctx: Context, rule_id: str | None = None, **values) -> PointRule:
    ctx.require_admin()
    errors = FieldErrors()
    out = {"name": clean(values.get("name")), "basis": clean(values.get("basis")), "category": clean(values.get("category")),
           "active": bool(values.get("active", True))}
    check_length(errors, "name", "规则名称", out["name"], 100, required=True)
    check_choice(errors, "basis", "计分方式", out["basis"], tuple(POINT_BASES))
    check_choice(errors, "category", "活动类别", out["category"], TEAM_CATEGORIES, required=False)
    points = parse_int(values.get("points"), errors, "points", f"分值应为 -{MAX_POINTS} 到 {MAX_POINTS} 之间的整数，且不为 0",
                       minimum=-MAX_POINTS, maximum=MAX_POINTS)
    if points == 0:
        errors.add("points", "分值不能为 0")
    if points is not None and points < 0 and out["basis"] in ("hour", "activity", "rating"):
        errors.add("points", "按时长、活动或好评计分的规则只能加分；扣分请用“手工加减分”规则")
    out["points"] = points
    out["min_rating"] = 0
    if out["basis"] == "rating":
        out["min_rating"] = parse_int(values.get("min_rating") or 4, errors, "min_rating", "最低评分应为 1 到 5 之间的整数", minimum=1, maximum=5)
    errors.raise_if_any()
    return save_row(ctx, PointRule, rule_id, out, what="积分规则")


def delete_rule(ctx: Context, rule_id: str) -> None:
    ctx.require_admin()
    with ctx.write() as session:
        get_row(session, PointRule, rule_id, what="积分规则", station_id=ctx.station_id).deleted = True


# -- households ----------------------------------------------------------------------

def save_household(ctx: Context, household_id: str | None = None, **values) -> Household:
    errors = FieldErrors()
    out = {"head": clean(values.get("head")), "address": clean(values.get("address")), "note": (values.get("note") or "").strip()}
    check_length(errors, "head", "户主姓名", out["head"], 50, required=True)
    check_length(errors, "address", "门牌地址", out["address"], 200)
    check_length(errors, "note", "备注", out["note"], 500)
    if values.get("phone") is not None or household_id is None:  # None: an existing phone is kept as it is
        out["phone"] = parse_phone(values.get("phone"), errors, "phone")
    errors.raise_if_any()
    return save_row(ctx, Household, household_id, out, what="家庭户")


def list_households(ctx: Context, text: str = "") -> list[Household]:
    query = live(Household).where(Household.station_id == ctx.station_id)
    text = clean(text)
    if text:
        query = query.where(or_(Household.head.contains(text), Household.address.contains(text)))
    with ctx.read() as session:
        return list(session.exec(query.order_by(Household.head)))


# -- the ledger ------------------------------------------------------------------------

def balance_in(session: Session, holder: Holder) -> int:
    total = session.exec(select(func.coalesce(func.sum(PointEntry.points), 0)).where(holder.where(), PointEntry.deleted == False)).one()
    return int(total)


def balance(ctx: Context, holder: Holder) -> int:
    with ctx.read() as session:
        return balance_in(session, holder)


def holder_name(session: Session, holder: Holder, station_id: str) -> str:
    if holder.volunteer_id:
        return get_row(session, Volunteer, holder.volunteer_id, what="志愿者", station_id=station_id, allow_deleted=True).name
    return get_row(session, Household, holder.household_id, what="家庭户", station_id=station_id, allow_deleted=True).head + "户"


def _check_holder(session: Session, ctx: Context, holder: Holder) -> None:
    if holder.volunteer_id:
        get_row(session, Volunteer, holder.volunteer_id, what="志愿者", station_id=ctx.station_id)
    else:
        get_row(session, Household, holder.household_id, what="家庭户", station_id=ctx.station_id)


def _entry(ctx: Context, holder: Holder, points: int, reason: str, **extra) -> PointEntry:
    return PointEntry(station_id=ctx.station_id, volunteer_id=holder.volunteer_id, household_id=holder.household_id, points=points,
                      reason=reason[:200], operator=ctx.actor.label[:50], occurred_on=extra.pop("occurred_on", None) or date.today(), **extra)


def add_entry(ctx: Context, holder: Holder, *, points=None, reason: str = "", rule_id: str | None = None,
              occurred_on: date | str | None = None) -> PointEntry:
    """A hand entry: by a manual rule (its points unless others are given) or free points with a reason."""
    errors = FieldErrors()
    reason = clean(reason)
    rule = None
    when = parse_date(occurred_on, errors, "occurred_on", "日期") or date.today()
    if when > date.today():
        errors.add("occurred_on", "日期不能晚于今天")
    with ctx.read() as session:
        if rule_id:
            rule = get_row(session, PointRule, rule_id, what="积分规则", station_id=ctx.station_id)
    if points in (None, "") and rule is not None:
        points = rule.points
    value = parse_int(points, errors, "points", f"分值应为 -{MAX_POINTS} 到 {MAX_POINTS} 之间的整数", minimum=-MAX_POINTS, maximum=MAX_POINTS)
    if value == 0:
        errors.add("points", "分值不能为 0")
    if not reason and rule is not None:
        reason = rule.name
    check_length(errors, "reason", "加减分原因", reason, 200, required=True)
    errors.raise_if_any()
    with ctx.write(immediate=True) as session:
        _check_holder(session, ctx, holder)
        if value < 0:
            current = balance_in(session, holder)
            if current + value < 0:
                raise ValidationError({"points": f"扣 {-value} 分后积分为负（现有 {current} 分），最多可扣 {current} 分"})
        entry = _entry(ctx, holder, value, reason, rule_id=rule.id if rule else None, source="manual", occurred_on=when)
        session.add(entry)
    return entry


def reverse_entry(ctx: Context, entry_id: str, reason: str) -> PointEntry:
    """Undo an entry by a new one of opposite sign; a redemption also returns its goods to stock."""
    reason = clean(reason)
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    with ctx.write(immediate=True) as session:
        original = get_row(session, PointEntry, entry_id, what="积分记录", station_id=ctx.station_id)
        if original.reverses_id:
            raise ValidationError({"entry": "这是一条冲正记录，不能再冲正；如有错误请重新记一笔"})
        if session.exec(select(PointEntry.id).where(PointEntry.reverses_id == original.id, PointEntry.deleted == False)).first():
            raise ValidationError({"entry": "这条记录已经冲正过了"})
        holder = Holder(original.volunteer_id, original.household_id)
        if original.points > 0:
            current = balance_in(session, holder)
            if current < original.points:
                raise ValidationError({"entry": f"冲正需扣回 {original.points} 分，但现有积分只有 {current} 分（已被兑换），不能冲正"})
        entry = _entry(ctx, holder, -original.points, f"冲正：{reason}（原记录：{original.reason}）", source="reverse", reverses_id=original.id)
        session.add(entry)
        for move in session.exec(select(StockMove).where(StockMove.point_entry_id == original.id, StockMove.deleted == False)):
            session.add(StockMove(station_id=ctx.station_id, goods_id=move.goods_id, quantity=-move.quantity, occurred_on=date.today(),
                                  reason=f"兑换冲正：{reason}", point_entry_id=entry.id, operator=ctx.actor.label[:50]))
    return entry


def ledger(ctx: Context, holder: Holder, *, date_from: date | None = None, date_to: date | None = None) -> list[LedgerLine]:
    """A holder's entries in order with the balance after each; the balance carried into ``date_from`` counts."""
    with ctx.read() as session:
        rules = {r.id: r.name for r in session.exec(select(PointRule))}
        query = select(PointEntry).where(holder.where(), PointEntry.deleted == False)
        running = 0
        if date_from:
            running = int(session.exec(select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                holder.where(), PointEntry.deleted == False, PointEntry.occurred_on < date_from)).one())
            query = query.where(PointEntry.occurred_on >= date_from)
        if date_to:
            query = query.where(PointEntry.occurred_on <= date_to)
        lines = []
        for entry in session.exec(query.order_by(PointEntry.occurred_on, PointEntry.updated_at, PointEntry.id)):
            running += entry.points
            lines.append(LedgerLine(entry, running, rules.get(entry.rule_id or "", "")))
    return lines


def month_entries(ctx: Context, year: int, month: int) -> list[tuple[PointEntry, str]]:
    """Every entry of a month with its holder's name (for the monthly 积分台账)."""
    start, end = _month(year, month)
    with ctx.read() as session:
        rows = session.exec(
            select(PointEntry, Volunteer.name, Household.head)
            .outerjoin(Volunteer, Volunteer.id == PointEntry.volunteer_id)
            .outerjoin(Household, Household.id == PointEntry.household_id)
            .where(PointEntry.station_id == ctx.station_id, PointEntry.deleted == False,
                   PointEntry.occurred_on >= start, PointEntry.occurred_on < end)
            .order_by(PointEntry.occurred_on, PointEntry.updated_at)).all()
    return [(entry, vname or f"{hname}户") for entry, vname, hname in rows]


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))


def _earned_spent(where=None):
    """Sums of points earned and spent (redeemed or deducted); a reversal counts against what it undoes,
    so a returned redemption lowers "spent" instead of raising "earned"."""
    cond = (lambda c: c & where) if where is not None else (lambda c: c)
    original, reversal = PointEntry.reverses_id.is_(None), PointEntry.reverses_id.is_not(None)
    earned = func.coalesce(func.sum(case((cond(original & (PointEntry.points > 0)), PointEntry.points),
                                         (cond(reversal & (PointEntry.points < 0)), PointEntry.points), else_=0)), 0)
    spent = func.coalesce(func.sum(case((cond(original & (PointEntry.points < 0)), -PointEntry.points),
                                        (cond(reversal & (PointEntry.points > 0)), -PointEntry.points), else_=0)), 0)
    return earned, spent


def earned_and_spent(entries) -> tuple[int, int]:
    """The same sums as the accounts list, over entries already read: a reversal counts against what it undoes."""
    earned = spent = 0
    for entry in entries:
        if entry.reverses_id:
            if entry.points > 0:
                spent -= entry.points
            else:
                earned += entry.points
        elif entry.points > 0:
            earned += entry.points
        else:
            spent -= entry.points
    return earned, spent


def accounts(ctx: Context, *, text: str = "", limit: int = 500, reveal: bool | None = None) -> list[Account]:
    """Everyone holding points (or matching ``text``), highest balance first; phones as ``reveal`` says
    (see ``demands.list_demands``)."""
    text = clean(text)
    full = revealed(ctx, reveal)
    earned, spent = _earned_spent()
    out: list[Account] = []
    with ctx.read() as session:
        vq = (select(Volunteer.id, Volunteer.name, Volunteer.phone, earned, spent)
              .join(PointEntry, (PointEntry.volunteer_id == Volunteer.id) & (PointEntry.deleted == False), isouter=bool(text))
              .where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == False)
              .group_by(Volunteer.id))
        hq = (select(Household.id, Household.head, Household.phone, earned, spent)
              .join(PointEntry, (PointEntry.household_id == Household.id) & (PointEntry.deleted == False), isouter=True)
              .where(Household.station_id == ctx.station_id, Household.deleted == False)
              .group_by(Household.id))
        if text:
            vq = vq.where(or_(Volunteer.name.contains(text), Volunteer.name_initials.startswith(text.lower()), Volunteer.phone_tail == text))
            hq = hq.where(or_(Household.head.contains(text), Household.address.contains(text)))
        # the highest balances, chosen by SQL before the limit (a limit on any 500 then sorted showed arbitrary ones)
        vq, hq = vq.order_by((earned - spent).desc(), Volunteer.name), hq.order_by((earned - spent).desc(), Household.head)
        for vid, name, phone, e, s in session.exec(vq.limit(limit)):
            out.append(Account(Holder(volunteer_id=vid), name, "志愿者", phone if full else mask_phone(phone), int(e), int(s)))
        for hid, head, phone, e, s in session.exec(hq.limit(limit)):
            out.append(Account(Holder(household_id=hid), f"{head}户", "家庭户", phone if full else mask_phone(phone), int(e), int(s)))
    out.sort(key=lambda a: (-a.balance, a.name))
    return out[:limit]


def monthly_list(ctx: Context, year: int, month: int) -> list[MonthLine]:
    """The 积分公示 for a month: who earned, redeemed and had deducted what, and where each stands; phones masked.

    A reversal (冲正) counts against what it undoes — its original's kind and sign decide the column — so a
    returned redemption lowers 兑换 and a withdrawn deduction lowers 扣分."""
    start, end = _month(year, month)
    original = aliased(PointEntry)
    in_month = (PointEntry.occurred_on >= start) & (PointEntry.occurred_on < end)
    sign_of = func.coalesce(original.points, PointEntry.points)  # the original's sign; a reversal's is the opposite
    redeem = func.coalesce(original.source, PointEntry.source).startswith("redeem:")

    def column(condition):
        return func.coalesce(func.sum(case((in_month & condition, PointEntry.points), else_=0)), 0)

    earned, redeemed, deducted = column(sign_of > 0), -column((sign_of < 0) & redeem), -column((sign_of < 0) & ~redeem)
    total = func.coalesce(func.sum(PointEntry.points), 0)
    base = [PointEntry.station_id == ctx.station_id, PointEntry.deleted == False, PointEntry.occurred_on < end]
    lines: list[MonthLine] = []
    with ctx.read() as session:
        figures = (earned, redeemed, deducted, total)
        for name, phone, e, r, d, t in session.exec(
                select(Volunteer.name, Volunteer.phone, *figures).join(Volunteer, Volunteer.id == PointEntry.volunteer_id)
                .outerjoin(original, original.id == PointEntry.reverses_id)
                .where(*base, Volunteer.deleted == False).group_by(Volunteer.id)):
            lines.append(MonthLine(name, "志愿者", mask_phone(phone), int(e), int(r), int(d), int(t)))
        for head, phone, e, r, d, t in session.exec(
                select(Household.head, Household.phone, *figures).join(Household, Household.id == PointEntry.household_id)
                .outerjoin(original, original.id == PointEntry.reverses_id)
                .where(*base, Household.deleted == False).group_by(Household.id)):
            lines.append(MonthLine(f"{head}户", "家庭户", mask_phone(phone), int(e), int(r), int(d), int(t)))
    lines = [line for line in lines if line.earned or line.spent or line.balance]
    lines.sort(key=lambda line: (-line.earned, -line.balance, line.name))
    return lines


def _round(value: float) -> int:
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def _applies(rule: PointRule, category: str | None) -> bool:
    return rule.active and not rule.deleted and (not rule.category or rule.category == category) and rule.basis in ("hour", "activity")


def _rate(rules: list[PointRule], category: str | None) -> tuple[float, float]:
    """Points per hour and per activity for ``category`` under ``rules``."""
    per_hour = sum(r.points for r in rules if _applies(r, category) and r.basis == "hour")
    per_activity = sum(r.points for r in rules if _applies(r, category) and r.basis == "activity")
    return per_hour, per_activity


def activity_points(rules: list[PointRule], category: str, hours: float) -> tuple[int, list[str]]:
    """What one participant earns for one activity under ``rules``, and the rule names used."""
    per_hour, per_activity = _rate(rules, category)
    return _round(per_hour * hours + per_activity), [r.name for r in rules if _applies(r, category)]


def _rates(rules: list[PointRule]) -> dict[str | None, tuple[float, float]]:
    """Per category (None: a category no rule names): points per hour and per activity under ``rules``,
    read off the rules once, so settling 400,000 participations does not walk every rule for each."""
    return {category: _rate(rules, category) for category in {None, *(r.category for r in rules if r.category)}}


# Entries written at most in one slice (one commit). A slice ends sooner, after the page in hand, once a writer
# queues at the gate (a clerk's save): a save waits for one page of activities, and a settlement nobody waits for
# commits 37 times less often than one page at a time (each commit rewrites the indexes' pages: 2,000 a slice
# cost 2.3× the same rows written at once, #29).
SETTLE_CHUNK = 20_000
SETTLE_PAGE = 400  # activities read at a time (a SQL variable each)


def settle_activities(ctx: Context, *, date_from: date | None = None, date_to: date | None = None,
                      progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Credit every participant of done activities not yet credited (source ``activity:<id>``).

    Idempotent: a participant already credited for an activity is left alone, so running it
    twice adds nothing. Returns (entries written, points credited).

    In slices (#25): the activities are taken ``SETTLE_PAGE`` at a time, and every ``SETTLE_CHUNK`` entries
    or so — or as soon as a writer queues at the gate — the slice commits and the store's gate is offered to
    whoever queued (a clerk's save waits for one page — a fraction of a second — not for five years of points).
    A slice is whole or
    absent: ``progress(done, total)`` may raise (取消), which rolls back the slice in hand; the slices
    before it stay, and running the settlement again credits the rest.
    """
    ensure_default_rules(ctx)
    written = credited = 0
    with ctx.read() as session:
        rules = list(session.exec(live(PointRule).where(PointRule.station_id == ctx.station_id, PointRule.active == True)))
        if not any(r.basis in ("hour", "activity") for r in rules):
            return 0, 0
        activities = select(Activity.id).where(Activity.station_id == ctx.station_id, Activity.deleted == False,
                                               Activity.status == "done", Activity.date <= date.today())
        if date_from:
            activities = activities.where(Activity.date >= date_from)
        if date_to:
            activities = activities.where(Activity.date <= date_to)
        activity_ids = list(session.exec(activities.order_by(Activity.date, Activity.id)))
        total = session.exec(select(func.count()).select_from(Participation).where(
            Participation.activity_id.in_(activities.scalar_subquery()), Participation.deleted == False)).one()
    # Who of a page of activities is not yet credited, found by SQL (the entry index on source): never a
    # Python set of every entry and a list of every participation, whose building and freeing held the
    # interpreter 0.1–0.3 s at a time and stalled the window (bench/ui_bench.py).
    # ``volunteer_id || ''`` keeps SQLite on the source index (four entries an activity), not the volunteer
    # one (every entry a person ever had): a page took 65 ms instead of 15.
    credited_already = select(PointEntry.id).where(
        PointEntry.station_id == ctx.station_id, PointEntry.source == literal("activity:") + Activity.id,
        PointEntry.volunteer_id.concat("") == Participation.volunteer_id)
    participants = (select(Participation.volunteer_id, Participation.hours, Activity.id, Activity.title, Activity.category,
                           Activity.date, credited_already.exists())
                    .join(Activity, Activity.id == Participation.activity_id).where(Participation.deleted == False))
    operator = ctx.actor.label[:50]
    rates = _rates(rules)
    seen = 0
    first = 0
    while first < len(activity_ids):
        chunk: list[dict] = []
        with ctx.write(immediate=True, label="结算活动积分") as session:  # one slice: whole or absent
            while first < len(activity_ids) and len(chunk) < SETTLE_CHUNK:
                page = activity_ids[first:first + SETTLE_PAGE]
                first += SETTLE_PAGE
                # read through the connection: plain rows, without the ORM's result machinery
                for volunteer_id, hours, activity_id, title, category, when, done in session.connection().execute(
                        participants.where(Activity.id.in_(page))).all():
                    seen += 1
                    if done:
                        continue
                    per_hour, per_activity = rates.get(category) or rates[None]
                    points = _round(per_hour * hours + per_activity)  # activity_points(rules, category, hours), rates read once
                    if points > 0:
                        chunk.append({"station_id": ctx.station_id, "volunteer_id": volunteer_id, "points": points, "occurred_on": when,
                                      "reason": f"参加{quoted(title[:60])}服务 {hours:g} 小时", "source": f"activity:{activity_id}", "operator": operator})
                if progress is not None:
                    progress(seen, total)
                if ctx.store.gate.wanted:
                    break  # someone queued to save: this slice ends with this page
            insert_many(session, PointEntry, chunk)  # the change capture's own bulk path: same stamps, checks and outbox rows
        written += len(chunk)
        credited += sum(entry["points"] for entry in chunk)
        ctx.store.gate.give_way()  # a save queued meanwhile goes first
    if progress is not None:
        progress(total, total)
    return written, credited


def unsettled_count(ctx: Context) -> int:
    """Participations of done activities with no points entry yet (shown as a reminder).

    Only rows changed since the last settlement can be unsettled (a settlement looks at every
    participation it is given; the app's and the command line's look at all of them), so the
    per-row check runs on those alone, found through the station's ``updated_at`` indexes: about 1 ms
    on the 5-year bench store once it has been settled (0.77 s when one query joined every row and
    filtered on either table's time). A store never settled checks every row.
    """
    station = ctx.station_id
    with ctx.read() as session:
        last = session.exec(
            # newest first through ix_point_entry_station_updated: the source is tested on each row read (a
            # function of it, so the planner does not pick the (station, source) index and sort 400,000 rows)
            select(PointEntry.updated_at)
            .where(PointEntry.station_id == station, func.substr(PointEntry.source, 1, 9) == "activity:")
            .order_by(PointEntry.updated_at.desc()).limit(1)
        ).first()
        credited = select(PointEntry.id).where(PointEntry.station_id == Activity.station_id,
                                               PointEntry.source == literal("activity:") + Activity.id,
                                               PointEntry.volunteer_id == Participation.volunteer_id)
        unsettled = (Activity.station_id == station, Activity.deleted == False, Activity.status == "done",
                     Participation.deleted == False, Activity.date <= date.today(), ~credited.exists())
        if last is None:
            query = select(func.count()).select_from(Participation).join(Activity, Activity.id == Participation.activity_id)
        else:
            changed = union(
                select(Participation.id).where(Participation.updated_at > last),
                select(Participation.id).join(Activity, Activity.id == Participation.activity_id).where(Activity.updated_at > last),
            ).cte("changed")
            query = (select(func.count()).select_from(changed)
                     .join(Participation, Participation.id == changed.c.id).join(Activity, Activity.id == Participation.activity_id))
        return int(session.exec(query.where(*unsettled)).one())


# -- the 信用超市 ------------------------------------------------------------------------

def save_goods(ctx: Context, goods_id: str | None = None, **values) -> Goods:
    errors = FieldErrors()
    out = {"name": clean(values.get("name")), "unit": clean(values.get("unit")) or "件", "note": (values.get("note") or "").strip(),
           "active": bool(values.get("active", True))}
    check_length(errors, "name", "商品名称", out["name"], 100, required=True)
    check_length(errors, "unit", "单位", out["unit"], 10)
    check_length(errors, "note", "说明", out["note"], 500)
    out["price"] = parse_int(values.get("price"), errors, "price", f"兑换积分应为 1 到 {MAX_POINTS} 之间的整数", minimum=1, maximum=MAX_POINTS)
    errors.raise_if_any()
    return save_row(ctx, Goods, goods_id, out, what="商品")


def _stock_in(session: Session, goods_id: str) -> int:
    return int(session.exec(select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
        StockMove.goods_id == goods_id, StockMove.deleted == False)).one())


def restock(ctx: Context, goods_id: str, quantity, reason: str = "") -> StockMove:
    """Goods in (positive) or a stock-take correction (negative, never below zero)."""
    errors = FieldErrors()
    qty = parse_int(quantity, errors, "quantity", "数量应为 -10000 到 10000 之间的整数，且不为 0", minimum=-10_000, maximum=10_000)
    if qty == 0:
        errors.add("quantity", "数量不能为 0")
    reason = clean(reason) or ("入库" if (qty or 0) > 0 else "")
    check_length(errors, "reason", "原因", reason, 200, required=True)
    errors.raise_if_any()
    with ctx.write(immediate=True) as session:
        goods = get_row(session, Goods, goods_id, what="商品", station_id=ctx.station_id)
        if qty < 0 and _stock_in(session, goods.id) + qty < 0:
            raise ValidationError({"quantity": f"“{goods.name}”库存只有 {_stock_in(session, goods.id)}{goods.unit}，不能减少 {-qty}{goods.unit}"})
        move = StockMove(station_id=ctx.station_id, goods_id=goods.id, quantity=qty, occurred_on=date.today(), reason=reason,
                         operator=ctx.actor.label[:50])
        session.add(move)
    return move


def list_goods(ctx: Context, *, active_only: bool = False) -> list[GoodsStock]:
    stock = func.coalesce(func.sum(StockMove.quantity), 0)
    out_qty = func.coalesce(func.sum(case((StockMove.point_entry_id.is_not(None), -StockMove.quantity), else_=0)), 0)
    query = (select(Goods, stock, out_qty).outerjoin(StockMove, (StockMove.goods_id == Goods.id) & (StockMove.deleted == False))
             .where(Goods.station_id == ctx.station_id, Goods.deleted == False).group_by(Goods.id).order_by(Goods.price, Goods.name))
    if active_only:
        query = query.where(Goods.active == True)
    with ctx.read() as session:
        return [GoodsStock(goods, int(s), int(o)) for goods, s, o in session.exec(query)]


def stock_moves(ctx: Context, goods_id: str) -> list[tuple[StockMove, int]]:
    """An item's moves, newest first, each with the stock after it (出入库明细)."""
    with ctx.read() as session:
        moves = list(session.exec(select(StockMove).where(StockMove.goods_id == goods_id, StockMove.deleted == False)
                                  .order_by(StockMove.occurred_on, StockMove.updated_at, StockMove.id)))
    out, level = [], 0
    for move in moves:
        level += move.quantity
        out.append((move, level))
    out.reverse()
    return out


def redeem(ctx: Context, holder: Holder, goods_id: str, quantity=1) -> PointEntry:
    """Exchange points for goods: balance and stock are checked and both entries written in one
    transaction holding the write lock, so concurrent redemptions are applied one after the other."""
    errors = FieldErrors()
    qty = parse_int(quantity, errors, "quantity", "兑换数量应为 1 到 1000 之间的整数", minimum=1, maximum=1000)
    errors.raise_if_any()
    with ctx.write(immediate=True) as session:
        _check_holder(session, ctx, holder)
        goods = get_row(session, Goods, goods_id, what="商品", station_id=ctx.station_id)
        if not goods.active:
            raise ValidationError({"goods": f"“{goods.name}”已下架，不能兑换"})
        stock = _stock_in(session, goods.id)
        if stock < qty:
            raise ValidationError({"quantity": f"“{goods.name}”库存不足：现有 {stock}{goods.unit}，要兑换 {qty}{goods.unit}"})
        cost = goods.price * qty
        current = balance_in(session, holder)
        if current < cost:
            raise ValidationError({"points": f"积分不足：兑换 {qty}{goods.unit}“{goods.name}”需要 {cost} 分，现有 {current} 分"})
        entry = _entry(ctx, holder, -cost, f"兑换“{goods.name}”{qty}{goods.unit}", source=f"redeem:{goods.id}")
        session.add(entry)
        session.add(StockMove(station_id=ctx.station_id, goods_id=goods.id, quantity=-qty, occurred_on=date.today(),
                              reason=f"积分兑换：{holder_name(session, holder, ctx.station_id)}", point_entry_id=entry.id,
                              operator=ctx.actor.label[:50]))
    return entry


def find_holder(ctx: Context, name: str) -> Holder:
    """A holder by exact volunteer name or 户主 name (for the command line); ambiguous names are refused."""
    name = clean(name).removesuffix("户")
    with ctx.read() as session:
        vols = session.exec(select(Volunteer.id).where(Volunteer.station_id == ctx.station_id, Volunteer.deleted == False,
                                                       Volunteer.name == name)).all()
        homes = session.exec(select(Household.id).where(Household.station_id == ctx.station_id, Household.deleted == False,
                                                        Household.head == name)).all()
    if len(vols) + len(homes) == 0:
        raise NotFound(f"找不到名为“{name}”的志愿者或家庭户")
    if len(vols) + len(homes) > 1:
        raise ValidationError({"name": f"有 {len(vols) + len(homes)} 个“{name}”，请在程序里按手机号区分"})
    return Holder(volunteer_id=vols[0]) if vols else Holder(household_id=homes[0])
