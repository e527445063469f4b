"""The 五有 evaluator at the edges of every quota, and the same verdicts at the station and the district."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.rules import (
    AT_RISK, MET, MISSED, NOT_APPLICABLE, ON_TRACK, RULES_FILE, Period, RulesError, load_rules, parse_rules, selfcheck,
)
from app.services.context import Context
from app.services import activities, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.station import save_room, save_service_point, update_station
from conftest import make_id

LAST_YEAR = date.today().year - 1
OVER = Period.of(year=LAST_YEAR, today=date(LAST_YEAR + 1, 1, 10))  # a finished year


def verdicts(ctx, period=OVER) -> dict:
    return {v.rule_id: v for v in selfcheck(ctx, period)}


def add_activities(ctx, n, *, team_id=None, category="敬老爱老", own_name=True, start=date(LAST_YEAR, 1, 5), step=7, participants=()):
    for i in range(n):
        activities.add_activity(ctx, title=f"活动{i}", date=start + timedelta(days=i * step), category=category, team_id=team_id,
                                own_name=own_name, participants=[ParticipantInput(v, 2.0) for v in participants])


def test_rules_file_cites_the_seed_for_every_quota():
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules) >= 13
    assert all(r.section in ("二.7", "三.1", "三.2", "四.8", "四.5", "五.4", "三.3") for r in rules)
    assert {r.you for r in rules} <= {"有场所", "有队伍", "有活动", "有项目", "有机制"}


@pytest.mark.parametrize("count, status", [(12, MET), (11, MISSED)])
def test_twelve_own_name_activities_a_year(ctx, count, status):
    add_activities(ctx, count)
    add_activities(ctx, 3, own_name=False, start=date(LAST_YEAR, 6, 2))  # not in the station's name: not counted
    v = verdicts(ctx)["own_name"]
    assert (v.status, v.figure, v.target) == (status, count, 12)
    if status == MISSED:
        assert "差 1 次" in v.gap


def test_pace_within_the_year(ctx):
    add_activities(ctx, 6, start=date(LAST_YEAR, 1, 3), step=20)
    mid_year = Period.of(year=LAST_YEAR, today=date(LAST_YEAR, 7, 2))
    assert verdicts(ctx, mid_year)["own_name"].status == ON_TRACK
    early = Period.of(year=LAST_YEAR, today=date(LAST_YEAR, 3, 1))
    assert verdicts(ctx, early)["own_name"].status == ON_TRACK  # 2 expected by March, 3 done (Jan 3, 23, Feb 12)
    late = Period.of(year=LAST_YEAR, today=date(LAST_YEAR, 11, 20))
    v = verdicts(ctx, late)["own_name"]
    assert v.status == AT_RISK and "还差 6 次" in v.gap


def test_a_team_that_skipped_one_month(ctx):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    for month in range(1, 13):
        if month != 5:
            activities.add_activity(ctx, title=f"{month}月走访", date=date(LAST_YEAR, month, 10), category="敬老爱老", team_id=team.id)
    v = verdicts(ctx)["team_monthly"]
    assert v.status == MISSED and v.figure == 11 and v.target == 12
    assert v.details == [f"敬老爱老服务队 {LAST_YEAR}年5月没有活动"]
    yearly = verdicts(ctx)["team_yearly"]
    assert yearly.status == MISSED and yearly.figure == 11


def test_a_team_is_judged_each_month_from_the_month_it_was_founded(ctx):
    """A new user's trial: a ledger started in December showed every team red for January to November — months
    before the teams existed. A month before a team's 成立日期 is not one it could have missed."""
    team = teams.add_team(ctx, name="理论宣讲队", category="理论政策宣讲", founded_on=date(LAST_YEAR, 6, 20))
    for month in range(6, 13):
        if month != 9:
            activities.add_activity(ctx, title=f"{month}月宣讲", date=date(LAST_YEAR, month, 25), category="理论政策宣讲", team_id=team.id)
    v = verdicts(ctx)["team_monthly"]
    assert (v.status, v.figure, v.target) == (MISSED, 6, 7)  # June (its month of founding) to December
    assert v.details == [f"理论宣讲队 {LAST_YEAR}年9月没有活动"]
    unfounded = teams.add_team(ctx, name="后来的服务队", category="敬老爱老", founded_on=date(LAST_YEAR + 1, 1, 2))
    assert verdicts(ctx)["team_monthly"].target == 7  # founded after the year: none of its months judged
    may = verdicts(ctx, Period.of(year=LAST_YEAR, month=5, today=date(LAST_YEAR + 1, 1, 10)))["team_monthly"]
    assert (may.status, may.gap) == (NOT_APPLICABLE, "服务队在此期间之后才成立")  # no team existed in May
    yearly = verdicts(ctx)["team_yearly"]  # founded in June: 7 months of 12, so 7 of the 12 a year (rounded up)
    assert (yearly.status, yearly.figure, yearly.target) == (MISSED, 6, 7)
    # a team founded in the year says why it is asked for fewer than 12 (a trial read “本年 0 次，还差 1 次” against
    # a rule of 12 a year and could not tell why)
    assert yearly.details == ["理论宣讲队（6月成立，本年应开展 7 次） 本年 6 次，还差 1 次"]
    teams.update_team(ctx, unfounded.id, founded_on=None)  # a team with no 成立日期 is judged in every month, as before
    assert verdicts(ctx)["team_monthly"].target == 19
    yearly = verdicts(ctx)["team_yearly"]
    assert (yearly.figure, yearly.target) == (0, 12) and "后来的服务队 本年 0 次，还差 12 次" in yearly.details
    # two teams short: the row's gap says how many, not only the weakest (a trial read one team where four were short)
    assert yearly.gap.startswith("2 支队伍未达到，其中后来的服务队") and len(yearly.details) == 2, yearly.gap


def test_current_month_without_activity_says_how_many_days_are_left(ctx):
    teams.add_team(ctx, name="护苗志愿服务队", category="关爱未成年人")
    today = date.today()
    period = Period.of(year=today.year, month=today.month)
    v = verdicts(ctx, period)["team_monthly"]
    assert v.status == AT_RISK and "护苗志愿服务队 本月尚无活动，距月底还有" in v.gap


def test_a_month_judges_an_annual_count_as_of_its_own_end_not_as_a_failed_year(ctx):
    """#30 trial: November's 月度评估 said "全年只有 2 次，差 1 次" (未达标) for 每年不少于3次 while the year view, with
    December to come, said 进度正常. A month (or half) paces an annual count to its end; only a year's end fails it."""
    add_activities(ctx, 6, start=date(LAST_YEAR, 1, 3), step=30)  # in the unit's own name: 12 a year asked
    november = verdicts(ctx, Period.of(year=LAST_YEAR, month=11, today=date(LAST_YEAR, 12, 7)))["own_name"]
    assert november.status == AT_RISK and "全年" not in november.gap and "距年底还有 31 天" in november.gap
    seen_later = verdicts(ctx, Period.of(year=LAST_YEAR, month=11, today=date(LAST_YEAR + 1, 3, 1)))["own_name"]
    assert seen_later.status == AT_RISK  # the same month, looked at after the year ended: judged as of its end
    first_half = verdicts(ctx, Period.of(year=LAST_YEAR, half=1, today=date(LAST_YEAR + 1, 3, 1)))["own_name"]
    assert first_half.status == ON_TRACK  # 6 by the end of June: on pace for 12
    december = verdicts(ctx, Period.of(year=LAST_YEAR, month=12, today=date(LAST_YEAR + 1, 3, 1)))["own_name"]
    year = verdicts(ctx, Period.of(year=LAST_YEAR, today=date(LAST_YEAR + 1, 3, 1)))["own_name"]
    assert december.status == year.status == MISSED and "全年只有 6 次，差 6 次" in year.gap


def test_the_gap_names_every_team_short_of_a_monthly_activity(ctx):
    """#30: the street page read "党员理论宣讲队 本月尚无活动" when all five teams had none."""
    names = ["敬老爱老服务队", "护苗志愿服务队", "村民文艺队", "理论宣讲队", "环境整治队"]
    made = {name: teams.add_team(ctx, name=name, category="敬老爱老") for name in names}
    today = date.today()
    v = verdicts(ctx, Period.of(year=today.year, month=today.month))["team_monthly"]
    shown, rest = v.gap.split("等 5 支队伍 本月尚无活动，距月底还有 ")
    assert v.status == AT_RISK and len(set(shown.split("、")) & set(names)) == 3 and rest.endswith(" 天")
    assert len(v.details) == 5
    activities.add_activity(ctx, title="走访", date=today, category="敬老爱老", team_id=made["村民文艺队"].id)
    activities.add_activity(ctx, title="走访", date=today, category="敬老爱老", team_id=made["理论宣讲队"].id)
    v = verdicts(ctx, Period.of(year=today.year, month=today.month))["team_monthly"]
    shown = v.gap.split(" 本月尚无活动")[0].split("、")  # three: each named
    assert sorted(shown) == sorted(["敬老爱老服务队", "护苗志愿服务队", "环境整治队"])
    # A past month names all who missed it; a past year says how many months each missed.
    for month in range(1, 13):
        for name in names[1:] if month in (3, 4) else names:
            activities.add_activity(ctx, title=f"{month}月活动", date=date(LAST_YEAR, month, 10), category="敬老爱老",
                                    team_id=made[name].id)
    march = verdicts(ctx, Period.of(year=LAST_YEAR, month=3))["team_monthly"]
    assert march.status == MISSED and march.gap == f"敬老爱老服务队 {LAST_YEAR}年3月没有活动"
    year = verdicts(ctx)["team_monthly"]
    assert year.status == MISSED and year.gap == "没有活动：敬老爱老服务队（2个月）"
    assert year.details == [f"敬老爱老服务队 {LAST_YEAR}年3月没有活动", f"敬老爱老服务队 {LAST_YEAR}年4月没有活动"]


@pytest.mark.parametrize("kind, lectures, status", [("village", 2, MET), ("community", 2, MISSED), ("community", 4, MET), ("village", 1, MISSED)])
def test_lectures_village_two_community_four(ctx, kind, lectures, status):
    update_station(ctx, kind=kind)
    add_activities(ctx, lectures, category="理论政策宣讲")
    add_activities(ctx, 2, category="理论政策宣讲", own_name=False, start=date(LAST_YEAR, 9, 1))
    v = verdicts(ctx)["lectures"]
    assert (v.status, v.target) == (status, 2 if kind == "village" else 4)


@pytest.mark.parametrize("population, registered, status", [(1000, 150, MET), (1000, 149, MISSED), (1001, 150, MISSED), (None, 5, NOT_APPLICABLE)])
def test_fifteen_percent_at_the_edge_of_rounding(ctx, population, registered, status):
    update_station(ctx, population=population)
    with ctx.write() as session:  # many volunteers quickly: the evaluator only counts rows
        from app.models import Volunteer

        for i in range(registered):
            session.add(Volunteer(station_id=ctx.station_id, number=f"ZY{i:06d}", name=f"人{i}", id_number=make_id(seq=i % 1000, born=date(1970, 1, 1) + timedelta(days=i)),
                                  registered_on=date(LAST_YEAR, 1, 1)))
    v = verdicts(ctx)["registered_share"]
    assert v.status == status
    if status == NOT_APPLICABLE:
        assert v.figure is None and "常住人口" in v.gap


def test_active_share_is_strictly_above_sixty_percent_and_party_rules(ctx):
    people = [volunteers.add_volunteer(ctx, name=f"志愿者{i}", id_number=make_id(seq=100 + i), phone="13812345678",
                                       political_status="中共党员" if i < 4 else "群众", registered_on=date(LAST_YEAR, 1, 1))
              for i in range(5)]
    add_activities(ctx, 1, participants=[p.id for p in people[:3]])  # 3 of 5 = 60 %: not above 60 %
    v = verdicts(ctx)
    assert v["active_share"].status == MISSED and v["active_share"].figure == 60.0
    assert v["active_share"].progress == "60%/超过60%"  # said so: “60%/60%” marked missed read as a contradiction
    assert v["party_participation"].progress == "75%/80%"
    assert v["party_participation"].figure == 75.0 and v["party_participation"].status == MISSED  # 3 of 4 party members
    add_activities(ctx, 10, start=date(LAST_YEAR, 3, 1), participants=[people[3].id, people[4].id])
    v = verdicts(ctx)
    assert v["active_share"].status == MET and v["party_participation"].status == MET
    assert v["party_hours"].figure == 25.0  # only people[3] reached 20 hours (10 × 2 h)


def test_no_party_members_and_no_teams_are_not_applicable(ctx):
    v = verdicts(ctx)
    assert v["party_participation"].status == NOT_APPLICABLE and v["team_monthly"].status == NOT_APPLICABLE
    assert v["teams"].status == MISSED and "3 支" in v["teams"].gap


def test_venue_rules(ctx):
    v = verdicts(ctx)
    assert v["rooms"].status == MISSED and v["contact"].status == MISSED and v["opening"].status == MISSED
    for name, function in (("宣讲室", "理论宣讲"), ("课堂", "教育服务"), ("活动室", "文化活动")):
        save_room(ctx, name=name, function=function)
    save_service_point(ctx, name="志愿服务站")
    update_station(ctx, phone="13812345678", contact="扫码联系", opening_hours="周一至周五", activity_day="每月10日")
    v = verdicts(ctx)
    assert all(v[k].status == MET for k in ("rooms", "service_point", "contact", "opening"))


def test_a_venue_gap_names_only_the_fields_still_empty(ctx):
    """A new station whose wizard took the phone was still asked for 志愿服务电话 (a new user's trial)."""
    update_station(ctx, phone="", contact="", opening_hours="", activity_day="")
    v = verdicts(ctx)
    assert v["contact"].gap.endswith("中填写志愿服务电话和二维码内容") and v["opening"].gap.endswith("中填写开放时间和固定活动日")
    update_station(ctx, phone="13812345678", activity_day="每月10日")
    v = verdicts(ctx)
    assert v["contact"].status == MISSED and v["contact"].gap.endswith("中填写二维码内容")
    assert v["opening"].status == MISSED and v["opening"].gap.endswith("中填写开放时间")
    update_station(ctx, phone="", contact="扫码联系")
    assert verdicts(ctx)["contact"].gap.endswith("中填写志愿服务电话")


def test_same_verdicts_at_the_station_and_the_district(demo_store, district):
    from app.rules import evaluate
    from app.services.context import Context
    from sync.client import SyncClient
    from sync.server import admin
    from sync.server.db import TABLES

    client = SyncClient(demo_store)
    client.enroll(district.base, admin.add_station(district.engine, "杨家庄村"))
    client.sync()
    ctx = Context(store=demo_store)
    today = date.today()
    for period in (Period.of(year=today.year), Period.of(year=today.year, month=today.month), Period.of(year=today.year, quarter=1)):
        here = [v.as_json() for v in selfcheck(ctx, period)]
        with district.engine.connect() as conn:
            there = [v.as_json() for v in evaluate(conn, TABLES, demo_store.station_id, period)]
        assert here == there
    assert any(v["status"] in (MISSED, AT_RISK) for v in here)  # the demo misses some quotas on purpose


def test_cli_selfcheck_json(demo_store):
    import json

    from test_cli import station

    data = demo_store.paths.root
    demo_store.close()
    out = json.loads(station(data, "selfcheck", "--json").stdout)
    assert {"id", "section", "status", "figure", "target"} <= set(out["rules"][0])
    assert {r["id"] for r in out["rules"]} >= {"own_name", "lectures", "team_monthly", "registered_share"}
    text = station(data, "selfcheck", "--month", str(date.today().month)).stdout
    assert "“五有”自查" in text and "有风险" in text


def test_records_rules(ctx):
    from app.services import work

    v = verdicts(ctx)
    assert v["brand_projects"].status == MISSED and v["documents"].figure == 0 and v["annual_plan"].status == MISSED
    assert v["trainings"].status == NOT_APPLICABLE  # the center's quota, not a village station's
    work.save_project(ctx, name="筹备中的品牌", category="普惠性服务", brand=True, status="planned")
    assert verdicts(ctx)["brand_projects"].status == MISSED  # a planned project is not yet a brand
    work.save_project(ctx, name="邻里守望", category="特惠性服务", brand=True)
    assert verdicts(ctx)["brand_projects"].status == MET
    for kind in ("组织架构", "管理制度"):
        work.save_document(ctx, kind=kind, title=kind)
    v = verdicts(ctx)["documents"]
    assert v.status == MISSED and v.gap.startswith("缺少：项目计划")
    work.save_plan(ctx, year=LAST_YEAR, title="年度计划")
    for month in range(1, 13):
        if month != 3:
            work.save_plan(ctx, year=LAST_YEAR, month=month, title=f"{month}月计划")
    v = verdicts(ctx)
    assert v["annual_plan"].status == MET
    assert v["monthly_plans"].status == MISSED and v["monthly_plans"].details == [f"{LAST_YEAR}年3月没有月度活动计划"]


@pytest.mark.parametrize("family, status", [(3, MET), (2, MISSED)])
def test_three_family_activities_a_year(ctx, family, status):
    for i in range(family):
        activities.add_activity(ctx, title=f"家庭{i}", date=date(LAST_YEAR, 4, 1 + i), category="文明倡导", family=True)
    activities.add_activity(ctx, title="普通", date=date(LAST_YEAR, 5, 1), category="文明倡导")
    assert verdicts(ctx)["family_activities"].status == status


def test_center_trainings(ctx):
    from app.services import work

    with ctx.write() as session:
        ctx.station(session).level = "center"
    work.save_training(ctx, title="志愿服务骨干培训", date=date(LAST_YEAR, 3, 1), centralized=True, trainees=60)
    work.save_training(ctx, title="站内学习", date=date(LAST_YEAR, 4, 1))
    v = verdicts(ctx)
    assert v["trainings"].status == MISSED and v["trainings"].figure == 1
    assert v["teams"].target == 17  # the center's 17 categories


def test_district_changes_a_number_without_a_release(demo_store, district_sqlite):
    """The district publishes new quotas; the station's next sync brings them; both sides judge by them."""
    from app.rules import RULES_FILE, RulesError
    from app.services.context import Context
    from sync.client import SyncClient
    from sync.server import admin

    client = SyncClient(demo_store)
    client.enroll(district_sqlite.base, admin.add_station(district_sqlite.engine, "杨家庄村"))
    with pytest.raises(RulesError):
        admin.publish_rules(district_sqlite.engine, "这不是规则文件")
    stricter = (RULES_FILE.read_text(encoding="utf-8").replace("target = { station = 12, institute = 12 }", "target = { station = 99, institute = 99 }")
                .replace("version = 1", "version = 2", 1))  # a new version: the same one twice is refused (#30)
    admin.publish_rules(district_sqlite.engine, stricter)
    ctx = Context(store=demo_store)
    today = date.today()
    assert verdicts(ctx, Period.of(year=today.year))["own_name"].target == 12
    client.sync()
    assert verdicts(ctx, Period.of(year=today.year))["own_name"].target == 99
    assert admin.current_rules(district_sqlite.engine)[[r.id for r in load_rules()].index("own_name")].targets["station"] == 99


@pytest.mark.parametrize(("args", "kind", "start", "end", "label"), [
    (dict(month=2), "month", date(2028, 2, 1), date(2028, 2, 29), "2028年2月"),  # a leap February
    (dict(month=12), "month", date(2028, 12, 1), date(2028, 12, 31), "2028年12月"),
    (dict(half=1), "half", date(2028, 1, 1), date(2028, 6, 30), "2028年上半年"),  # 六.4 半年观摩
    (dict(half=2), "half", date(2028, 7, 1), date(2028, 12, 31), "2028年下半年"),
    (dict(quarter=1), "quarter", date(2028, 1, 1), date(2028, 3, 31), "2028年第1季度"),
    (dict(quarter=4), "quarter", date(2028, 10, 1), date(2028, 12, 31), "2028年第4季度"),
    (dict(), "year", date(2028, 1, 1), date(2028, 12, 31), "2028年"),
])
def test_each_kind_of_period_covers_its_own_days(args, kind, start, end, label):
    """make mutate (rules) found a half-year starting in July for half=1, or a period of no kind, passing every test:
    each kind's first and last day, its label and its months, independently of the code."""
    period = Period.of(year=2028, today=date(2029, 3, 1), **args)
    assert (period.kind, period.start, period.end, period.label) == (kind, start, end, label)
    assert period.months() == [(2028, m) for m in range(start.month, end.month + 1)]
    running = Period.of(year=2028, today=start + timedelta(days=1), **args)  # its first days: only its first month so far
    assert running.months() == [(2028, start.month)] and not running.over and period.over


def test_a_verdict_names_its_rule(demo_store):
    """Each verdict carries its rule's 有, title (as the demo's village station reads it) and section (the 工作台's
    cards and to-do read them), met or not."""
    rules = {r.id: r for r in load_rules()}
    found = selfcheck(Context(store=demo_store), Period.of(year=date.today().year))
    assert {v.status for v in found} >= {MET, MISSED}
    for verdict in found:
        rule = rules[verdict.rule_id]
        assert (verdict.you, verdict.title, verdict.section) == (rule.you, rule.title_for("station", "village"), rule.section)


@pytest.mark.parametrize(("level", "kind", "teams", "managers", "brand", "lectures"), [
    ("station", "village", "志愿服务队3支以上", "专管员1名", "品牌项目不少于1个", "理论政策宣讲活动不少于2次（农村）"),
    ("station", "community", "志愿服务队3支以上", "专管员1名", "品牌项目不少于1个", "理论政策宣讲活动不少于4次（社区）"),
    ("institute", "village", "文明实践志愿服务队5支以上", "专管员不少于2名", "品牌项目不少于3个", "理论政策宣讲活动不少于2次（农村）"),
    ("center", None, "17类志愿服务队各1支", "专职工作人员不少于5名", "品牌项目不少于5个", "理论政策宣讲活动（社区不少于4次、农村不少于2次）"),
])
def test_each_tier_reads_its_own_quota_in_a_rules_title(store, level, kind, teams, managers, brand, lectures):
    """A trial: a 所's 五有 card said “志愿服务队数量（站3支以上、所5支以上、中心17类）”. Each unit reads its own (三.1, 三.2,
    四.8, 五.4); the rule's title, naming every tier, stays for the district's tables. The center is not judged on
    lectures by kind (its general title kept with 本级别不考核此项)."""
    from app.services.station import init_station

    init_station(store, name="测试单位", level=level, **({"kind": kind} if kind else {}), street="艾山街道" if level != "center" else "")
    got = verdicts(Context(store=store))
    assert (got["teams"].title, got["managers"].title, got["brand_projects"].title, got["lectures"].title) == (
        teams, managers, brand, lectures)
    own = got["own_name"].title
    assert own == {"station": "每年以站名义开展活动不少于12次", "institute": "每年以所名义开展活动不少于12次"}.get(level, own)
    assert next(r for r in load_rules() if r.id == "teams").title == "志愿服务队数量（站3支以上、所5支以上、中心17类）"


def test_a_rules_title_for_no_tier_is_refused_naming_it():
    text = RULES_FILE.read_text(encoding="utf-8").replace('titles = { station = "专管员1名"', 'titles = { village_ = "专管员1名"')
    with pytest.raises(RulesError, match="“managers”的标题“village_”"):
        parse_rules(text)


@pytest.mark.parametrize("metric, gap", [
    ("registered_percent", None), ("active_percent", "还没有注册志愿者"),
    ("party_participation_percent", "未登记党员志愿者"), ("party_members_with_20_hours_percent", "未登记党员志愿者"),
])
def test_a_percent_rule_with_nobody_to_count_is_not_applicable_and_keeps_its_own_fields(ctx, metric, gap):
    """The whole verdict, field by field, from the rule's own definition: a verdict that lost its id, section, five-有
    or unit would be shown under the wrong card, or not at all (mutation testing found these never compared)."""
    from app.rules import load_rules

    rule = next(r for r in load_rules() if r.metric == metric)
    v = verdicts(ctx)[rule.id]
    if gap is None:  # 15 % of the population: no volunteer yet is 0 %, judged (the population is known)
        assert (v.rule_id, v.section, v.you, v.title, v.unit) == (rule.id, rule.section, rule.you, rule.title, rule.unit)
        assert v.figure == 0 and v.status == MISSED
        return
    target = rule.target_for("station", "village")
    assert (v.rule_id, v.section, v.you, v.title, v.status, v.figure, v.target, v.unit, v.gap) == (
        rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, rule.unit, gap)


def test_any_hours_at_all_make_a_volunteer_active(ctx):
    """Half an hour is service: 有服务记录 is more than nothing, not more than an hour."""
    from app.rules import load_rules

    rule = next(r for r in load_rules() if r.metric == "active_percent")
    person = volunteers.add_volunteer(ctx, registered_on=date(LAST_YEAR, 1, 1), name="半小时", id_number=make_id(seq=951),
                                      phone="13812340951")
    activities.add_activity(ctx, title="短活动", date=date(LAST_YEAR, 3, 1), category="敬老爱老",
                            participants=[ParticipantInput(person.id, 0.5)])
    assert verdicts(ctx)[rule.id].figure == 100.0


def _assert_each_verdict_is_its_rules(seen) -> dict:
    rules = {r.id: r for r in load_rules()}
    assert {v.rule_id for v in seen} == set(rules)
    for v in seen:
        rule = rules[v.rule_id]
        assert (v.section, v.you, v.title) == (rule.section, rule.you, rule.title_for("station", "village")), v.rule_id
        assert v.status in (MET, ON_TRACK, AT_RISK, MISSED, NOT_APPLICABLE), v
        if v.status not in (MET, ON_TRACK):
            assert isinstance(v.gap, str) and v.gap, v
        if v.status == NOT_APPLICABLE:  # a target when the rule has one for this tier (else 本级别不考核此项)
            assert v.figure is None and (v.target is not None) == (rule.target_for("station", "village") is not None), v
    return {rules[v.rule_id].metric: v for v in seen}


@pytest.mark.parametrize("case", ["empty", "teams_later"])
def test_every_verdict_carries_its_rules_own_fields_and_says_why_when_not_met(ctx, case):
    """Whatever the state — no teams, teams founded after the period — each verdict is its rule's: id, section, 五有
    and title from the rule, a known status, a target, and a reason whenever it is not met (mutation testing: the
    fields of the 不适用 verdicts were never compared)."""
    if case == "teams_later":
        teams.add_team(ctx, name="后来的队", category="敬老爱老", founded_on=date(LAST_YEAR + 1, 1, 2))
    by_metric = _assert_each_verdict_is_its_rules(selfcheck(ctx, OVER))
    want = "还没有服务队" if case == "empty" else "服务队在此期间之后才成立"
    assert by_metric["team_months"].gap == by_metric["team_year_minimum"].gap == want


def test_every_verdict_of_a_working_station_carries_its_rules_own_fields(demo_store):
    _assert_each_verdict_is_its_rules(selfcheck(Context(store=demo_store), OVER))


def test_this_months_missing_plan_is_at_risk_and_only_a_live_monthly_plan_counts(ctx):
    """The month in hand is not yet missed (有风险, 本月尚未制定); an annual plan, or a monthly one in the 回收站, is not
    this month's plan (rules-group survivors: the current month, the month filter and the bin were never judged)."""
    from app.models import ActivityPlan
    from app.services import work
    from app.services.station import set_deleted

    today = date.today()
    now = Period.of(year=today.year, month=today.month)
    v = verdicts(ctx, now)["monthly_plans"]
    assert (v.status, v.figure, v.target, v.details) == (AT_RISK, 0, 1, ["本月尚未制定月度活动计划"])
    work.save_plan(ctx, year=today.year, title="年度计划")  # no month: not a monthly plan
    assert verdicts(ctx, now)["monthly_plans"].status == AT_RISK
    binned = work.save_plan(ctx, year=today.year, month=today.month, title="作废的计划")
    set_deleted(ctx, ActivityPlan, binned.id, deleted=True, what="计划")
    assert verdicts(ctx, now)["monthly_plans"].status == AT_RISK
    work.save_plan(ctx, year=today.year, month=today.month, title="本月计划")
    v = verdicts(ctx, now)["monthly_plans"]
    assert (v.status, v.figure, v.target, v.gap, v.details) == (MET, 1, 1, "", [])
