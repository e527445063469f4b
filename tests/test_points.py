"""The 积分银行 and 信用超市: rules as data, an append-only ledger, redemptions that never overdraw or oversell."""

import threading
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func
from sqlmodel import select

from app.changes import AppendOnlyRefused
from app.db import Store
from app.models import PointEntry, StockMove, Volunteer
from app.models.enums import Role
from app.services import activities, points, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Actor, Context
from app.services.errors import ValidationError
from app.services.points import Holder
from conftest import make_id

TODAY = date.today()


@pytest.fixture
def vol(ctx):
    return volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="周六", id_number=make_id(seq=610), phone="13705310006")


def test_default_rules_once_and_rule_validation(ctx):
    points.ensure_default_rules(ctx)
    points.ensure_default_rules(ctx)
    rules = points.list_rules(ctx)
    assert len(rules) == len(points.DEFAULT_RULES)
    with pytest.raises(ValidationError) as info:
        points.save_rule(ctx, name="", basis="weekly", points="十")
    assert set(info.value.errors) == {"name", "basis", "points"}
    with pytest.raises(ValidationError, match="只能加分"):
        points.save_rule(ctx, name="迟到扣分", basis="activity", points=-3)
    rule = points.save_rule(ctx, name="理论宣讲加倍（每小时）", basis="hour", points=20, category="理论政策宣讲")
    assert rule.category == "理论政策宣讲"
    clerk = Context(ctx.store, Actor("clerk", "小李", Role.clerk))
    with pytest.raises(Exception, match="只有管理员"):
        points.save_rule(clerk, name="x", basis="manual", points=1)


def test_manual_entries_reverse_and_no_negative_balance(ctx, vol):
    points.ensure_default_rules(ctx)
    holder = Holder(volunteer_id=vol.id)
    family = next(r for r in points.list_rules(ctx) if r.name == "评为文明家庭")
    first = points.add_entry(ctx, holder, rule_id=family.id)
    assert first.points == 50 and first.reason == "评为文明家庭"
    points.add_entry(ctx, holder, points=-20, reason="违反村规民约")
    assert points.balance(ctx, holder) == 30
    with pytest.raises(ValidationError, match="最多可扣 30 分"):
        points.add_entry(ctx, holder, points=-31, reason="扣分")
    with pytest.raises(ValidationError) as info:
        points.add_entry(ctx, holder, points="abc", reason="", occurred_on=TODAY + timedelta(days=1))
    assert set(info.value.errors) == {"points", "reason", "occurred_on"}
    with pytest.raises(ValidationError, match="只有 30 分"):
        points.reverse_entry(ctx, first.id, "录错了人")  # 50 back would go negative
    points.add_entry(ctx, holder, points=40, reason="补录")
    reversal = points.reverse_entry(ctx, first.id, "录错了人")
    assert reversal.points == -50 and reversal.reverses_id == first.id and points.balance(ctx, holder) == 20
    with pytest.raises(ValidationError, match="已经冲正过"):
        points.reverse_entry(ctx, first.id, "再来一次")
    with pytest.raises(ValidationError, match="不能再冲正"):
        points.reverse_entry(ctx, reversal.id, "反冲")
    lines = points.ledger(ctx, holder)
    assert [line.balance for line in lines] == [50, 30, 70, 20]


def test_entries_cannot_be_edited(ctx, vol):
    entry = points.add_entry(ctx, Holder(volunteer_id=vol.id), points=5, reason="好人好事")
    with ctx.store.session() as session:
        row = session.get(PointEntry, entry.id)
        row.points = 500
        with pytest.raises(AppendOnlyRefused):
            session.flush()


def test_settle_activities_is_idempotent_and_follows_rules(ctx, vol):
    points.ensure_default_rules(ctx)  # 10 per hour + 5 per activity
    other = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="吴七", id_number=make_id(seq=612), phone="13705310007")
    yesterday = TODAY - timedelta(days=1)
    activities.add_activity(ctx, title="清理河道", category="卫生环保", date=yesterday, start_time="08:00", end_time="10:30",
                            participants=[ParticipantInput(vol.id), ParticipantInput(other.id, 1.25)])
    activities.add_activity(ctx, title="下月计划", category="卫生环保", date=yesterday, status="planned",
                            participants=[ParticipantInput(vol.id, 1.0)])
    assert points.unsettled_count(ctx) == 2
    assert points.settle_activities(ctx, date_to=yesterday - timedelta(days=1)) == (0, 0)  # nothing held before then
    written, credited = points.settle_activities(ctx, date_from=yesterday, date_to=yesterday)
    assert (written, credited) == (2, 30 + 18)  # 2.5 h → 25+5; 1.25 h → 12.5 rounds half up to 13, +5
    assert points.settle_activities(ctx) == (0, 0)
    assert points.settle_activities(ctx, date_from=yesterday) == (0, 0)  # a range finds what it already credited
    assert points.unsettled_count(ctx) == 0
    assert points.balance(ctx, Holder(vol.id)) == 30 and points.balance(ctx, Holder(other.id)) == 18
    # Changed after the settlement: an activity marked done, a participant added to a settled one.
    planned = next(s.activity for s in activities.list_activities(ctx) if s.activity.title == "下月计划")
    activities.update_activity(ctx, planned.id, status="done")
    assert points.unsettled_count(ctx) == 1
    river = next(s.activity for s in activities.list_activities(ctx) if s.activity.title == "清理河道")
    third = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="郑八", id_number=make_id(seq=614))
    activities.update_activity(ctx, river.id, participants=[ParticipantInput(vol.id), ParticipantInput(other.id, 1.25), ParticipantInput(third.id, 2.0)])
    assert points.unsettled_count(ctx) == 2
    assert points.settle_activities(ctx) == (2, 15 + 25)
    assert points.unsettled_count(ctx) == 0
    # The last settlement is told by the activity entries only: a later redemption or manual entry does not
    # hide a participant added between the two.
    fourth = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="钱九", id_number=make_id(seq=615))
    activities.update_activity(ctx, river.id, participants=[ParticipantInput(vol.id), ParticipantInput(other.id, 1.25),
                                                            ParticipantInput(third.id, 2.0), ParticipantInput(fourth.id, 1.0)])
    points.add_entry(ctx, Holder(vol.id), points=5, reason="表扬")
    assert points.unsettled_count(ctx) == 1


def test_redeem_checks_balance_and_stock(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    soap = points.save_goods(ctx, name="洗衣粉", unit="袋", price=30)
    with pytest.raises(ValidationError, match="库存不足"):
        points.redeem(ctx, holder, soap.id)
    points.restock(ctx, soap.id, 5, "乡村振兴办捐赠")
    with pytest.raises(ValidationError, match="积分不足.*需要 30 分，现有 0 分"):
        points.redeem(ctx, holder, soap.id)
    points.add_entry(ctx, holder, points=100, reason="补录")
    entry = points.redeem(ctx, holder, soap.id, 3)
    assert entry.points == -90 and points.balance(ctx, holder) == 10
    stock = {g.goods.name: (g.stock, g.redeemed) for g in points.list_goods(ctx)}
    assert stock == {"洗衣粉": (2, 3)}
    # Reversing a redemption returns the points and the goods.
    account = points.accounts(ctx)[0]
    assert (account.earned, account.spent) == (100, 90)
    points.reverse_entry(ctx, entry.id, "群众退回")
    assert points.balance(ctx, holder) == 100
    account = points.accounts(ctx)[0]
    assert (account.earned, account.spent) == (100, 0)  # a returned redemption is not "earned"
    assert points.earned_and_spent(line.entry for line in points.ledger(ctx, holder)) == (100, 0)
    assert points.list_goods(ctx)[0].stock == 5
    with pytest.raises(ValidationError, match="不能减少 6袋"):
        points.restock(ctx, soap.id, -6, "盘点")
    with pytest.raises(ValidationError, match="兑换数量"):
        points.redeem(ctx, holder, soap.id, 0)


def test_redeeming_exactly_the_balance_is_allowed_one_point_more_is_not(ctx, vol):
    """Hand-worked: 100 points buy 4 bags at 25 exactly and leave 0; 59 points do not buy 3 bars at 20 (60)."""
    holder = Holder(volunteer_id=vol.id)
    rice = points.save_goods(ctx, name="大米", unit="袋", price=25)
    points.restock(ctx, rice.id, 10, "入库")
    points.add_entry(ctx, holder, points=100, reason="补录")
    entry = points.redeem(ctx, holder, rice.id, 4)  # 4 × 25 = 100 = the balance
    assert entry.points == -100 and points.balance(ctx, holder) == 0
    assert points.list_goods(ctx)[0].stock == 6

    soap = points.save_goods(ctx, name="肥皂", unit="块", price=20)
    points.restock(ctx, soap.id, 10, "入库")
    points.add_entry(ctx, holder, points=59, reason="补录")
    with pytest.raises(ValidationError) as refused:
        points.redeem(ctx, holder, soap.id, 3)  # 3 × 20 = 60 = the balance + 1
    assert refused.value.errors == {"points": "积分不足：兑换 3块“肥皂”需要 60 分，现有 59 分"}
    assert points.balance(ctx, holder) == 59
    assert {g.goods.name: g.stock for g in points.list_goods(ctx)} == {"大米": 6, "肥皂": 10}


def test_the_last_items_in_stock_can_be_redeemed_one_more_cannot(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    towel = points.save_goods(ctx, name="毛巾", unit="条", price=10)
    points.restock(ctx, towel.id, 3, "入库")
    points.add_entry(ctx, holder, points=100, reason="补录")
    with pytest.raises(ValidationError, match="“毛巾”库存不足：现有 3条，要兑换 4条"):
        points.redeem(ctx, holder, towel.id, 4)
    points.redeem(ctx, holder, towel.id, 3)  # all 3 left
    assert points.list_goods(ctx)[0].stock == 0 and points.balance(ctx, holder) == 70


def test_deducting_or_reversing_down_to_exactly_zero_is_allowed(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    points.add_entry(ctx, holder, points=30, reason="好人好事")
    with pytest.raises(ValidationError, match="扣 31 分后积分为负（现有 30 分），最多可扣 30 分"):
        points.add_entry(ctx, holder, points=-31, reason="违反村规民约")
    points.add_entry(ctx, holder, points=-30, reason="违反村规民约")  # 30 - 30 = 0
    assert points.balance(ctx, holder) == 0
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="冯十", id_number=make_id(seq=616))
    other = Holder(volunteer_id=person.id)
    earned = points.add_entry(ctx, other, points=40, reason="补录")
    points.add_entry(ctx, other, points=-1, reason="扣分")
    with pytest.raises(ValidationError, match="冲正需扣回 40 分，但现有积分只有 39 分"):
        points.reverse_entry(ctx, earned.id, "录错了人")
    points.add_entry(ctx, other, points=1, reason="补回")
    points.reverse_entry(ctx, earned.id, "录错了人")  # 40 back out of exactly 40
    assert points.balance(ctx, other) == 0


def _race(data_dir, n: int, work) -> list[str]:
    """Run ``work(ctx)`` in ``n`` threads, each on its own Store (own connections), released together."""
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run():
        with Store.open(data_dir) as store:
            ctx = Context(store, Actor("op", "操作员", Role.clerk))
            barrier.wait()
            try:
                work(ctx)
                outcome = "ok"
            except ValidationError as exc:
                outcome = str(exc)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_concurrent_redemptions_never_overdraw(ctx, vol, data_dir):
    holder = Holder(volunteer_id=vol.id)
    rice = points.save_goods(ctx, name="大米", unit="袋", price=60)
    points.restock(ctx, rice.id, 50)
    points.add_entry(ctx, holder, points=100, reason="期初积分")
    results = _race(data_dir, 6, lambda c: points.redeem(c, holder, rice.id))
    assert results.count("ok") == 1 and all("积分不足" in r for r in results if r != "ok")
    assert points.balance(ctx, holder) == 40
    assert points.list_goods(ctx)[0].stock == 49


def test_concurrent_redemptions_never_oversell(ctx, data_dir):
    people = [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"志愿者{i}", id_number=make_id(seq=700 + i)) for i in range(6)]
    for person in people:
        points.add_entry(ctx, Holder(person.id), points=100, reason="期初积分")
    oil = points.save_goods(ctx, name="花生油", unit="桶", price=80)
    points.restock(ctx, oil.id, 2)
    queue = list(people)
    take = threading.Lock()

    def one(c):
        with take:
            person = queue.pop()
        points.redeem(c, Holder(person.id), oil.id)

    results = _race(data_dir, 6, one)
    assert results.count("ok") == 2 and all("库存不足" in r for r in results if r != "ok")
    assert points.list_goods(ctx)[0].stock == 0
    with ctx.read() as session:
        assert session.exec(select(func.sum(StockMove.quantity))).one() == 0


OPS = st.lists(st.tuples(st.sampled_from(["earn", "deduct", "redeem", "reverse", "restock"]), st.integers(1, 120), st.integers(0, 2)),
               min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_balance_is_always_the_sum_of_entries(ctx, ops):
    """Whatever happens, each balance equals the sum of its entries, is never negative, and stock never goes below zero."""
    with ctx.read() as session:
        people = list(session.exec(select(Volunteer).where(Volunteer.name.startswith("甲")).order_by(Volunteer.name)))
    if len(people) < 3:
        people = [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"甲{i}", id_number=make_id(seq=800 + i)) for i in range(3)]
    holders = [Holder(p.id) for p in people[:3]]
    goods = points.list_goods(ctx)
    item = goods[0].goods if goods else points.save_goods(ctx, name="毛巾", unit="条", price=25)
    for op, amount, who in ops:
        holder = holders[who]
        try:
            if op == "earn":
                points.add_entry(ctx, holder, points=amount, reason="加分")
            elif op == "deduct":
                points.add_entry(ctx, holder, points=-amount, reason="扣分")
            elif op == "redeem":
                points.redeem(ctx, holder, item.id, 1 + amount % 3)
            elif op == "restock":
                points.restock(ctx, item.id, amount % 7 + 1)
            else:
                lines = points.ledger(ctx, holder)
                if lines:
                    points.reverse_entry(ctx, lines[amount % len(lines)].entry.id, "冲正")
        except ValidationError:
            pass
    with ctx.read() as session:
        for holder in holders:
            total = session.exec(select(func.coalesce(func.sum(PointEntry.points), 0)).where(PointEntry.volunteer_id == holder.volunteer_id)).one()
            assert points.balance(ctx, holder) == total >= 0
            lines = points.ledger(ctx, holder)
            assert (lines[-1].balance if lines else 0) == total
            assert all(line.balance >= 0 for line in lines)
    assert all(g.stock >= 0 for g in points.list_goods(ctx))
    accounts = {a.holder.key: a for a in points.accounts(ctx)}
    for holder in holders:
        assert (accounts[holder.key].balance if holder.key in accounts else 0) == points.balance(ctx, holder)


def test_monthly_list_and_households(ctx, vol):
    home = points.save_household(ctx, head="孙大力", address="东村1排2号", phone="13605310009")
    with pytest.raises(ValidationError, match="户主姓名"):
        points.save_household(ctx, head="")
    points.add_entry(ctx, Holder(household_id=home.id), points=30, reason="庭院整洁")
    points.add_entry(ctx, Holder(volunteer_id=vol.id), points=12, reason="好人好事")
    lines = points.monthly_list(ctx, TODAY.year, TODAY.month)
    assert [(l.name, l.kind, l.earned, l.balance) for l in lines] == [("孙大力户", "家庭户", 30, 30), ("周六", "志愿者", 12, 12)]
    assert lines[0].phone == "136****0009" and lines[1].phone == "137****0006"
    from app.models import Household
    from app.services.station import set_deleted

    set_deleted(ctx, Household, home.id, deleted=True, what="家庭户")  # moved away: off the notice board
    assert [l.name for l in points.monthly_list(ctx, TODAY.year, TODAY.month)] == ["周六"]
    set_deleted(ctx, Household, home.id, deleted=False, what="家庭户")
    last_month = (TODAY.replace(day=1) - timedelta(days=1))
    assert points.monthly_list(ctx, last_month.year, last_month.month) == []
    assert points.find_holder(ctx, "孙大力户") == Holder(household_id=home.id)
    clerk = Context(ctx.store, Actor("clerk", "小李", Role.clerk))
    assert {a.phone for a in points.accounts(clerk)} == {"136****0009", "137****0006"}


def test_the_notice_board_tells_a_deduction_from_a_redemption(ctx, vol, tmp_path):
    """积分公示 (#26): 扣分 is shown as 扣分, never as 本月使用 like a purchase; a 冲正 counts against what it undoes."""
    from app import reports

    goods = points.save_goods(ctx, name="洗衣液", price=4)
    points.restock(ctx, goods.id, 10)
    points.add_entry(ctx, Holder(vol.id), points=30, reason="好人好事")
    points.redeem(ctx, Holder(vol.id), goods.id, 2)  # 8
    returned = points.redeem(ctx, Holder(vol.id), goods.id, 1)  # 4, then brought back
    points.reverse_entry(ctx, returned.id, "退回")
    deduction = points.add_entry(ctx, Holder(vol.id), points=-5, reason="乱扔垃圾")
    points.add_entry(ctx, Holder(vol.id), points=-2, reason="迟到")
    points.reverse_entry(ctx, deduction.id, "核实有误")
    [line] = points.monthly_list(ctx, TODAY.year, TODAY.month)
    assert (line.earned, line.redeemed, line.deducted, line.balance) == (30, 8, 2, 20)
    out = reports.points_list_pdf(ctx, tmp_path / "积分公示.pdf", TODAY.year, TODAY.month)
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(out).pages).replace("\n", "")
    assert "本月兑换" in text and "本月扣分" in text and "本月使用" not in text


def test_the_accounts_list_keeps_the_highest_balances_when_it_is_cut(ctx):
    people = [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"甲{i}", id_number=make_id(seq=620 + i)) for i in range(4)]
    for n, person in enumerate(people):
        points.add_entry(ctx, Holder(person.id), points=10 * (n + 1), reason="好人好事")
    assert [a.balance for a in points.accounts(ctx, limit=2)] == [40, 30]  # the top two, not any two sorted


# -- the arithmetic behind every settlement, worked by hand (survivors of make mutate, #28) -----------------

def test_points_round_half_away_from_zero():
    """12.5 → 13 and 2.5 → 3 (not Python's 2); -2.5 → -3, -2.4 → -2; 0 stays 0."""
    assert [points._round(v) for v in (0.0, 0.4, 0.5, 2.5, 12.5, 12.49)] == [0, 0, 1, 3, 13, 12]
    assert [points._round(v) for v in (-0.4, -0.5, -2.4, -2.5, -2.6)] == [0, -1, -2, -3, -3]


def _rule(name, basis, pts, category="", active=True, deleted=False):
    from app.models import PointRule

    return PointRule(name=name, basis=basis, points=pts, category=category, active=active, deleted=deleted)


def test_which_rules_an_activity_earns_by():
    """10 an hour and 5 an activity for everything, 20 an hour more for 理论政策宣讲; a paused rule, a binned one and a
    hand-entry rule never count. 2.5 h of 宣讲: 2.5 × (10 + 20) + 5 = 80; 2.5 h of 卫生环保: 2.5 × 10 + 5 = 30."""
    rules = [_rule("每小时", "hour", 10), _rule("每次", "activity", 5), _rule("宣讲加倍", "hour", 20, category="理论政策宣讲"),
             _rule("暂停的", "hour", 100, active=False), _rule("已删除", "activity", 100, deleted=True),
             _rule("评为文明家庭", "manual", 50), _rule("好评", "rating", 7)]
    assert points.activity_points(rules, "理论政策宣讲", 2.5) == (80, ["每小时", "每次", "宣讲加倍"])
    assert points.activity_points(rules, "卫生环保", 2.5) == (30, ["每小时", "每次"])
    assert points._rate(rules, "理论政策宣讲") == (30, 5)
    assert points._rate(rules, None) == (10, 5)
    assert points._rates(rules) == {None: (10, 5), "理论政策宣讲": (30, 5)}
    # A category rule for 宣讲 only, per activity: not for others.
    assert points._rate([_rule("宣讲每次", "activity", 8, category="理论政策宣讲")], "卫生环保") == (0, 0)
    assert points._rate([_rule("宣讲每次", "activity", 8, category="理论政策宣讲")], "理论政策宣讲") == (0, 8)


def test_earned_and_spent_of_entries_in_hand():
    """Earned 50 and 30, spent 20 (a deduction) and 25 (a redemption); the 25 returned by a reversal (+25) lowers spent,
    a 30 taken back by a reversal (-30) lowers earned: earned 50, spent 20."""
    e = (lambda pts, reverses=None: PointEntry(points=pts, reverses_id=reverses, reason="x", operator="x"))
    entries = [e(50), e(30), e(-20), e(-25), e(25, "r1"), e(-30, "r2")]
    assert points.earned_and_spent(entries) == (50, 20)
    assert points.earned_and_spent([e(50), e(30)]) == (80, 0)
    assert points.earned_and_spent([e(-20), e(-5)]) == (0, 25)
    assert points.earned_and_spent([]) == (0, 0)
    assert points.earned_and_spent([e(1), e(-1), e(1, "r3"), e(-1, "r4")]) == (0, 0)  # one point each way, each reversed


def test_reversal_refusals_name_their_field(ctx, vol):
    from app.services.errors import NotFound

    holder = Holder(volunteer_id=vol.id)
    first = points.add_entry(ctx, holder, points=10, reason="好人好事")
    with pytest.raises(ValidationError) as info:
        points.reverse_entry(ctx, first.id, "  ")
    assert info.value.errors == {"reason": "请填写冲正原因"}
    reversal = points.reverse_entry(ctx, first.id, "录错了")
    with pytest.raises(ValidationError) as info:
        points.reverse_entry(ctx, reversal.id, "反冲")
    assert set(info.value.errors) == {"entry"}
    with pytest.raises(NotFound) as missing:
        points.reverse_entry(ctx, "no-such-entry", "录错了")
    assert str(missing.value) == "找不到该积分记录（可能已被删除）"


def test_restock_takes_up_to_10000_at_once_and_never_leaves_stock_below_zero(ctx):
    from app.services.errors import NotFound

    soap = points.save_goods(ctx, name="肥皂", unit="块", price=10)
    move = points.restock(ctx, soap.id, 10_000)  # the most at once; goods in need no reason
    assert (move.quantity, move.reason, move.operator) == (10_000, "入库", ctx.actor.label)
    assert points.restock(ctx, soap.id, 1).reason == "入库"
    assert points.restock(ctx, soap.id, -5, "盘点少了").quantity == -5  # 10,001 - 5 = 9,996 left
    for bad in (10_001, -10_001, "十"):
        with pytest.raises(ValidationError) as info:
            points.restock(ctx, soap.id, bad, "盘点")
        assert info.value.errors == {"quantity": "数量应为 -10000 到 10000 之间的整数，且不为 0"}
    with pytest.raises(ValidationError) as info:
        points.restock(ctx, soap.id, 0, "盘点")
    assert info.value.errors == {"quantity": "数量不能为 0"}
    for bad in (0, "十", -1):  # no quantity going in: the reason must be given
        with pytest.raises(ValidationError) as info:
            points.restock(ctx, soap.id, bad)
        assert "reason" in info.value.errors
    assert set(info.value.errors) == {"reason"}  # -1 is a good quantity
    with pytest.raises(ValidationError) as info:
        points.restock(ctx, soap.id, 5, "入" * 201)
    assert set(info.value.errors) == {"reason"}
    assert points.restock(ctx, soap.id, 5, "入" * 200).reason == "入" * 200  # 10,001 in total now
    points.restock(ctx, soap.id, -10_000, "盘点")  # leaves 1
    with pytest.raises(ValidationError) as info:
        points.restock(ctx, soap.id, -2, "盘点")
    assert info.value.errors == {"quantity": "“肥皂”库存只有 1块，不能减少 2块"}
    points.restock(ctx, soap.id, -1, "盘点")  # down to exactly 0
    assert points.list_goods(ctx)[0].stock == 0
    with pytest.raises(NotFound) as missing:
        points.restock(ctx, "no-such-goods", 1)
    assert str(missing.value) == "找不到该商品（可能已被删除）"


def test_redeem_refuses_by_field_and_records_who_took_what(ctx, vol):
    from app.services.errors import NotFound

    holder = Holder(volunteer_id=vol.id)
    points.add_entry(ctx, holder, points=1000, reason="期初积分")
    towel = points.save_goods(ctx, name="毛巾", unit="条", price=1)
    points.restock(ctx, towel.id, 2000)
    for bad in (0, 1001, "两"):
        with pytest.raises(ValidationError) as info:
            points.redeem(ctx, holder, towel.id, bad)
        assert info.value.errors == {"quantity": "兑换数量应为 1 到 1000 之间的整数"}
    entry = points.redeem(ctx, holder, towel.id, 1000)  # the most at once: 1000 × 1 = 1000 = the balance
    assert entry.points == -1000 and entry.reason == "兑换“毛巾”1000条"
    with ctx.read() as session:
        move = session.exec(select(StockMove).where(StockMove.point_entry_id == entry.id)).one()
    assert (move.quantity, move.reason, move.operator) == (-1000, "积分兑换：周六", ctx.actor.label)
    points.save_goods(ctx, towel.id, name="毛巾", unit="条", price=1, active=False)
    with pytest.raises(ValidationError) as info:
        points.redeem(ctx, holder, towel.id)
    assert info.value.errors == {"goods": "“毛巾”已下架，不能兑换"}
    oil = points.save_goods(ctx, name="花生油", unit="桶", price=1)
    with pytest.raises(ValidationError) as info:
        points.redeem(ctx, holder, oil.id)
    assert info.value.errors == {"quantity": "“花生油”库存不足：现有 0桶，要兑换 1桶"}
    with pytest.raises(NotFound) as missing:
        points.redeem(ctx, holder, "no-such-goods")
    assert str(missing.value) == "找不到该商品（可能已被删除）"


def test_a_long_operator_name_is_cut_to_the_ledgers_50_characters(ctx, vol):
    long = Context(ctx.store, Actor("op", "名" * 60, Role.clerk))
    holder = Holder(volunteer_id=vol.id)
    points.add_entry(long, holder, points=10, reason="补录")
    rice = points.save_goods(ctx, name="大米", unit="袋", price=5)
    assert points.restock(long, rice.id, 3).operator == "名" * 50
    entry = points.redeem(long, holder, rice.id)
    with ctx.read() as session:
        assert session.exec(select(StockMove.operator).where(StockMove.point_entry_id == entry.id)).one() == "名" * 50


def test_a_hand_entry_is_recorded_as_given_and_refused_by_field(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    points.ensure_default_rules(ctx)
    family = next(r for r in points.list_rules(ctx) if r.name == "评为文明家庭")
    by_rule = points.add_entry(ctx, holder, rule_id=family.id, occurred_on=TODAY - timedelta(days=3))
    assert (by_rule.points, by_rule.rule_id, by_rule.source, by_rule.occurred_on) == (50, family.id, "manual", TODAY - timedelta(days=3))
    other = points.add_entry(ctx, holder, rule_id=family.id, points=7)  # points given: they win over the rule's
    assert (other.points, other.reason, other.occurred_on) == (7, "评为文明家庭", TODAY)
    assert points.add_entry(ctx, holder, points=5, reason="因" * 200).reason == "因" * 200
    with pytest.raises(ValidationError) as info:  # 50 + 7 + 5 = 62
        points.add_entry(ctx, holder, points=-63, reason="扣分")
    assert info.value.errors == {"points": "扣 63 分后积分为负（现有 62 分），最多可扣 62 分"}
    assert points.add_entry(ctx, holder, points=100_000, reason="上限").points == 100_000
    cases = [({"points": 0, "reason": "x"}, {"points": "分值不能为 0"}),
             ({"points": 100_001, "reason": "x"}, {"points": "分值应为 -100000 到 100000 之间的整数"}),
             ({"points": 1, "reason": "x", "occurred_on": TODAY + timedelta(days=1)}, {"occurred_on": "日期不能晚于今天"}),
             ({"points": 1, "reason": "因" * 201}, None)]
    for values, errors in cases:
        with pytest.raises(ValidationError) as info:
            points.add_entry(ctx, holder, **values)
        assert info.value.errors == errors if errors else set(info.value.errors) == {"reason"}
    with pytest.raises(ValidationError) as info:
        points.add_entry(ctx, holder, points=1, reason="x", occurred_on="2027-13-01")
    assert set(info.value.errors) == {"occurred_on"}


def test_a_households_entry_reverses_to_the_household(ctx):
    home = points.save_household(ctx, head="孙大力", address="东村1排2号", phone="13605310009")
    holder = Holder(household_id=home.id)
    earned = points.add_entry(ctx, holder, points=30, reason="庭院整洁")
    points.add_entry(ctx, holder, points=-30, reason="扣分")  # a deduction of the whole balance: 30 - 30 = 0
    with pytest.raises(ValidationError, match="冲正需扣回 30 分，但现有积分只有 0 分"):
        points.reverse_entry(ctx, earned.id, "录错了")
    deducted = points.ledger(ctx, holder)[-1].entry
    back = points.reverse_entry(ctx, deducted.id, "扣错了")  # a deduction reversed needs no balance
    assert (back.points, back.household_id, back.volunteer_id) == (30, home.id, None)
    assert points.balance(ctx, holder) == 30
    with pytest.raises(ValidationError) as info:
        points.reverse_entry(ctx, deducted.id, "再来")
    assert info.value.errors == {"entry": "这条记录已经冲正过了"}


def test_a_reversed_redemption_puts_the_goods_back_in_stock(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    points.add_entry(ctx, holder, points=100, reason="期初积分")
    rice = points.save_goods(ctx, name="大米", unit="袋", price=25)
    points.restock(ctx, rice.id, 5)
    taken = points.redeem(ctx, holder, rice.id, 2)  # 2 × 25 = 50
    back = points.reverse_entry(ctx, taken.id, "换错了")
    assert (back.points, back.source, back.reverses_id, back.reason) == (50, "reverse", taken.id, "冲正：换错了（原记录：兑换“大米”2袋）")
    with ctx.read() as session:
        move = session.exec(select(StockMove).where(StockMove.point_entry_id == back.id)).one()
    assert (move.quantity, move.goods_id, move.reason, move.operator) == (2, rice.id, "兑换冲正：换错了", ctx.actor.label)
    assert points.list_goods(ctx)[0].stock == 5 and points.balance(ctx, holder) == 100
    with pytest.raises(ValidationError) as info:
        points.reverse_entry(ctx, back.id, "再冲")
    assert info.value.errors == {"entry": "这是一条冲正记录，不能再冲正；如有错误请重新记一笔"}


def test_a_single_point_already_spent_cannot_be_reversed(ctx, vol):
    holder = Holder(volunteer_id=vol.id)
    one = points.add_entry(ctx, holder, points=1, reason="好人好事")
    points.add_entry(ctx, holder, points=-1, reason="扣分")  # 1 - 1 = 0
    with pytest.raises(ValidationError) as info:
        points.reverse_entry(ctx, one.id, "录错了")
    assert info.value.errors == {"entry": "冲正需扣回 1 分，但现有积分只有 0 分（已被兑换），不能冲正"}
    assert points.balance(ctx, holder) == 0
