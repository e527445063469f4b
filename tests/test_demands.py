"""The 五单 loop (五.2): every transition, allowed and refused, and what each one writes."""

import itertools
from datetime import date, timedelta

import pytest

from app.changes import AppendOnlyRefused
from app.models import DemandEvent
from app.models.enums import DemandState as S
from app.services import activities, demands, points, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Actor, Context
from app.models.enums import Role
from app.services.errors import PermissionDenied, ValidationError
from conftest import make_id

TODAY = date.today()
RECEIVED = TODAY - timedelta(days=60)  # so that each service below can fall on another day
SERVICE_DAYS = itertools.cycle(range(0, 60))  # …and nobody serves over 24 hours a day


@pytest.fixture
def crew(ctx):
    people = [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=name, id_number=make_id(seq=500 + i), phone=f"1391234567{i}")
              for i, name in enumerate(["赵一", "钱二", "孙三"])]
    team = teams.add_team(ctx, name="便民服务队", category="便民服务", leader_id=people[0].id)
    return people, team


def new_demand(ctx, **extra):
    values = dict(requester="刘大娘", contact="13905310001", address="东村3排5号", content="家里水管漏水，老人独居需要帮忙维修",
                  category="便民服务", wanted_on=TODAY + timedelta(days=2), received_on=RECEIVED, due_on=TODAY + timedelta(days=7))
    values.update(extra)
    return demands.record_demand(ctx, **values)


def drive(ctx, crew, demand, upto: S):
    """Take ``demand`` along the happy path up to ``upto``."""
    people, team = crew
    steps = [
        (S.approved, lambda: demands.approve(ctx, demand.id)),
        (S.dispatched, lambda: demands.dispatch(ctx, demand.id, team_id=team.id, volunteer_id=people[0].id)),
        (S.taken, lambda: demands.take(ctx, demand.id)),
        (S.done, lambda: demands.complete(ctx, demand.id, participants=[ParticipantInput(people[0].id, 2.0), ParticipantInput(people[1].id, 1.5)],
                                          start_time="09:00", end_time="11:00", content="更换了水管接头",
                                          date_done=max(demand.received_on, TODAY - timedelta(days=next(SERVICE_DAYS))))),
        (S.rated, lambda: demands.rate(ctx, demand.id, rating=5, feedback="很及时，谢谢", method="回访")),
        (S.rewarded, lambda: demands.reward(ctx, demand.id, extra_points=3, note="好评")),
    ]
    order = [S.ordered] + [state for state, _ in steps]
    for state, step in steps:
        if order.index(state) <= order.index(S(demands.get_demand(ctx, demand.id).state)):
            continue
        step()
        if state == upto:
            break
    return demands.get_demand(ctx, demand.id)


def test_full_loop_records_every_transition_activity_and_points(ctx, crew):
    points.ensure_default_rules(ctx)
    people, team = crew
    demand = new_demand(ctx)
    assert demand.number == f"{RECEIVED.year}-0001" and demand.state == S.ordered and demand.due_on == TODAY + timedelta(days=7)
    final = drive(ctx, crew, demand, S.rewarded)
    assert final.state == S.rewarded and final.rating == 5 and final.team_id == team.id
    history = demands.events_of(ctx, demand.id)
    assert [e.action for e in history] == ["点单", "审核通过", "派单", "接单", "完成服务", "评单", "奖单"]
    assert all(e.operator == "系统" and e.at is not None for e in history)
    assert "便民服务队、赵一" in history[2].note
    # The service became an activity of the ledger, with hours that count everywhere.
    act = activities.get_activity(ctx, final.activity_id)
    assert act.category == "便民服务" and act.team_id == team.id and act.service_target == "刘大娘"
    assert volunteers.volunteer_hours(ctx, people[0].id) == 2.0
    # 奖单: rating rule (10 for ≥4) + 3 extra, to each of the two who served.
    assert points.balance(ctx, points.Holder(people[0].id)) == 13
    assert points.balance(ctx, points.Holder(people[1].id)) == 13
    assert points.balance(ctx, points.Holder(people[2].id)) == 0
    assert "2 名志愿者共获 26 积分" in history[-1].note


def test_low_rating_earns_no_rating_points(ctx, crew):
    points.ensure_default_rules(ctx)
    people, _team = crew
    demand = new_demand(ctx)
    drive(ctx, crew, demand, S.done)
    demands.rate(ctx, demand.id, rating=3, method="问卷")
    _d, credited = demands.reward(ctx, demand.id)
    assert credited == 0 and points.balance(ctx, points.Holder(people[0].id)) == 0


REFUSED = [  # (state reached, action, expected words)
    (S.ordered, "dispatch", "请先审核"),
    (S.ordered, "take", "不能接单"),
    (S.ordered, "rate", "不能评单"),
    (S.approved, "approve", "请先派单"),
    (S.approved, "take", "请先派单"),
    (S.dispatched, "complete", "请等服务队或志愿者接单"),
    (S.taken, "rate", "请先完成服务"),
    (S.done, "reward", "请先评单"),
    (S.done, "cancel", "不能撤销"),
    (S.rated, "dispatch", "请先奖单"),
    (S.rewarded, "cancel", "已办结"),
    (S.rewarded, "reward", "已办结"),
]


@pytest.mark.parametrize("reached,action,words", REFUSED)
def test_refused_transitions_are_explained_and_change_nothing(ctx, crew, reached, action, words):
    points.ensure_default_rules(ctx)
    people, team = crew
    demand = drive(ctx, crew, new_demand(ctx), reached) if reached != S.ordered else new_demand(ctx)
    before = len(demands.events_of(ctx, demand.id))
    calls = {
        "approve": lambda: demands.approve(ctx, demand.id),
        "dispatch": lambda: demands.dispatch(ctx, demand.id, team_id=team.id),
        "take": lambda: demands.take(ctx, demand.id),
        "complete": lambda: demands.complete(ctx, demand.id, participants=[ParticipantInput(people[0].id, 1.0)]),
        "rate": lambda: demands.rate(ctx, demand.id, rating=4),
        "reward": lambda: demands.reward(ctx, demand.id),
        "cancel": lambda: demands.cancel(ctx, demand.id, "群众已自行解决"),
    }
    with pytest.raises(ValidationError) as info:
        calls[action]()
    assert words in str(info.value) and demand.number in str(info.value)
    after = demands.get_demand(ctx, demand.id)
    assert after.state == reached and len(demands.events_of(ctx, demand.id)) == before


def test_every_allowed_transition_from_every_state(ctx, crew):
    """The table itself: from each state exactly the listed actions are allowed."""
    expected = {
        S.ordered: {"approve", "reject", "cancel"}, S.approved: {"dispatch", "cancel"},
        S.dispatched: {"dispatch", "take", "cancel"}, S.taken: {"dispatch", "complete", "cancel"},
        S.done: {"rate"}, S.rated: {"reward"}, S.rewarded: set(), S.rejected: set(), S.cancelled: set(),
        S.passed: {"recall"}, S.reported: {"recall"},
    }
    # 五.2 between the tiers: 转派 and 上报 from wherever it waits for service (the tier decides which; test_sync_hops).
    for state in (S.approved, S.dispatched, S.taken):
        expected[state] |= {"pass", "report"}
    assert {state: set(demands.allowed_actions(state)) for state in S} == expected


def test_every_action_from_every_state_is_done_or_refused_as_the_table_says(ctx, crew):
    """Every state × the 8 actions of the loop at one tier against the services themselves (the table above is what the
    page offers). 已转派 is a 所's or the 中心's (this is a station's ledger); 上报 goes before any answer of the district."""
    points.ensure_default_rules(ctx)
    people, team = crew

    def reach(state: S):
        demand = new_demand(ctx)
        if state == S.rejected:
            return demands.reject(ctx, demand.id, "不属于服务范围")
        if state == S.cancelled:
            return demands.cancel(ctx, demand.id, "群众已自行解决")
        if state == S.reported:
            demands.approve(ctx, demand.id)
            return demands.report_up(ctx, demand.id, reason="本站办不了")
        return drive(ctx, crew, demand, state) if state != S.ordered else demand

    calls = {
        "approve": lambda d: demands.approve(ctx, d.id),
        "reject": lambda d: demands.reject(ctx, d.id, "不属于服务范围"),
        "dispatch": lambda d: demands.dispatch(ctx, d.id, team_id=team.id),
        "take": lambda d: demands.take(ctx, d.id),
        "complete": lambda d: demands.complete(ctx, d.id, participants=[ParticipantInput(people[2].id, 1.0)],
                                               date_done=TODAY - timedelta(days=next(SERVICE_DAYS))),
        "rate": lambda d: demands.rate(ctx, d.id, rating=4),
        "reward": lambda d: demands.reward(ctx, d.id),
        "cancel": lambda d: demands.cancel(ctx, d.id, "群众已自行解决"),
    }
    for state in [s for s in S if s != S.passed]:
        for action, call in calls.items():
            demand = reach(state)
            before = len(demands.events_of(ctx, demand.id))
            if action in demands.allowed_actions(state):
                call(demand)
                after = demands.get_demand(ctx, demand.id)
                assert after.state == demands.TRANSITIONS[action].target, (state, action)
                assert len(demands.events_of(ctx, demand.id)) == before + 1
            else:
                with pytest.raises(ValidationError, match=f"当前为“{state.label}”"):
                    call(demand)
                assert demands.get_demand(ctx, demand.id).state == state, (state, action)
                assert len(demands.events_of(ctx, demand.id)) == before


def test_reject_cancel_and_redispatch(ctx, crew):
    people, team = crew
    other = teams.add_team(ctx, name="敬老服务队", category="敬老爱老")
    first = new_demand(ctx)
    with pytest.raises(ValidationError, match="请填写不予受理的原因"):
        demands.reject(ctx, first.id, "  ")
    rejected = demands.reject(ctx, first.id, "不属于志愿服务范围，已转村委会")
    assert rejected.state == S.rejected and rejected.reason.startswith("不属于")
    second = drive(ctx, crew, new_demand(ctx), S.taken)
    demands.dispatch(ctx, second.id, team_id=other.id, note="原服务队人手不足")
    again = demands.get_demand(ctx, second.id)
    assert again.state == S.dispatched and again.team_id == other.id and again.volunteer_id is None
    history = demands.events_of(ctx, second.id)
    assert history[-1].action == "改派" and "敬老服务队" in history[-1].note and "人手不足" in history[-1].note
    cancelled = demands.cancel(ctx, second.id, "群众已自行解决")
    assert cancelled.state == S.cancelled and demands.events_of(ctx, second.id)[-1].from_state == S.dispatched
    assert demands.state_counts(ctx)[S.cancelled] == 1


def test_validation_names_fields_and_writes_nothing(ctx, crew):
    with pytest.raises(ValidationError) as info:
        demands.record_demand(ctx, requester="", contact="12345", content="", category="修水管", due_on=TODAY - timedelta(days=1),
                              received_on=TODAY)
    errors = info.value.errors
    assert "点单群众姓名" in errors["requester"] and "手机号" in errors["contact"] and "需求内容" in errors["content"]
    assert "服务类别" in errors["category"] and "办结期限不能早于点单日期" in errors["due_on"]
    assert demands.list_demands(ctx) == []
    demand = drive(ctx, crew, new_demand(ctx), S.done)
    with pytest.raises(ValidationError, match="评分应为 1 到 5"):
        demands.rate(ctx, demand.id, rating=6)
    with pytest.raises(ValidationError, match="评价方式"):
        demands.rate(ctx, demand.id, rating=5, method="托梦")
    with pytest.raises(ValidationError, match="请添加参加服务的志愿者"):
        demands.complete(ctx, new_demand(ctx).id, participants=[])
    taken = drive(ctx, crew, new_demand(ctx), S.taken)
    with pytest.raises(ValidationError, match="服务日期不能早于点单日期"):
        demands.complete(ctx, taken.id, participants=[ParticipantInput(crew[0][2].id, 1.0)], date_done=RECEIVED - timedelta(days=1))
    with pytest.raises(ValidationError, match="服务日期不能晚于今天"):
        demands.complete(ctx, taken.id, participants=[ParticipantInput(crew[0][2].id, 1.0)], date_done=TODAY + timedelta(days=1))
    assert demands.get_demand(ctx, taken.id).state == S.taken


def test_complete_with_bad_hours_rolls_back_the_transition(ctx, crew):
    people, _team = crew
    demand = drive(ctx, crew, new_demand(ctx), S.taken)
    with pytest.raises(ValidationError):
        demands.complete(ctx, demand.id, participants=[ParticipantInput(people[0].id, 30.0)])
    assert demands.get_demand(ctx, demand.id).state == S.taken
    assert [e.action for e in demands.events_of(ctx, demand.id)][-1] == "接单"


def test_overdue_and_listing(ctx, crew):
    old = new_demand(ctx, received_on=TODAY - timedelta(days=10), due_on=TODAY - timedelta(days=1))
    new_demand(ctx, requester="王大爷", content="需要代购药品", received_on=TODAY)
    rows = demands.list_demands(ctx)
    assert [r.demand.requester for r in rows] == ["王大爷", "刘大娘"]
    assert [r.overdue for r in rows] == [False, True]
    assert demands.state_counts(ctx)["overdue"] == 1
    assert [r.demand.id for r in demands.list_demands(ctx, overdue_only=True)] == [old.id]
    assert [r.demand.requester for r in demands.list_demands(ctx, text="药品")] == ["王大爷"]
    assert rows[0].contact == "139****0001"  # masked for every role, the admin (system actor) too
    assert demands.list_demands(ctx, reveal=True)[0].contact == "13905310001"  # an admin who asks
    clerk = Context(ctx.store, Actor("clerk", "录入员小李", Role.clerk))
    assert demands.list_demands(clerk)[0].contact == "139****0001"
    with pytest.raises(PermissionDenied):
        demands.list_demands(clerk, reveal=True)
    # Done: no longer overdue even past the date.
    drive(ctx, crew, old, S.done)
    assert not demands.list_demands(ctx, text="水管")[0].overdue


def test_events_are_append_only(ctx):
    demand = new_demand(ctx)
    with ctx.store.session() as session:
        event = session.get(DemandEvent, demands.events_of(ctx, demand.id)[0].id)
        event.note = "改写历史"
        with pytest.raises(AppendOnlyRefused):
            session.flush()


def test_district_dispatch_is_received_once_and_its_request_is_read_only(ctx, crew):
    item = {"id": "9b3c5f8e-0000-4000-8000-000000000001", "entity": "dispatch",
            "body": '{"requester": "陈奶奶", "contact": "13905310002", "content": "需要上门理发", "category": "敬老爱老", "address": "西村"}'}
    demand = demands.receive_dispatch(ctx, item)
    assert demand is not None and demand.source == "district" and demand.state == S.approved
    assert demands.receive_dispatch(ctx, item) is None
    assert len(demands.list_demands(ctx)) == 1
    assert demands.events_of(ctx, demand.id)[0].operator == "区文明实践中心"
    with pytest.raises(ValidationError, match="区文明实践中心派发"):
        demands.update_demand(ctx, demand.id, content="改了")
    drive(ctx, crew, demand, S.done)
    assert demands.get_demand(ctx, demand.id).state == S.done


def test_numbers_stay_unique_when_two_sessions_record_at_once(ctx, data_dir):
    from test_points import _race

    results = _race(data_dir, 5, lambda c: new_demand(c))
    assert results == ["ok"] * 5
    numbers = [r.demand.number for r in demands.list_demands(ctx)]
    assert sorted(numbers) == [f"{RECEIVED.year}-{n:04d}" for n in range(1, 6)]
