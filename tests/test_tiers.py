"""A 所 and the 中心 keep their own ledger: `station init --level`, their own 五有 quotas (三.1, 三.2, 四.8, 五.4),
and every printed binder naming the right tier."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import reports
from app.models.enums import TEAM_CATEGORIES
from app.rules import MET, MISSED, NOT_APPLICABLE, Period, load_rules, parse_rules, selfcheck
from app.services import activities, teams, volunteers, work
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.errors import ValidationError
from app.services.rowcheck import check_row
from app.services.station import init_station, update_station
from conftest import make_id
from test_cli import station as run
from test_reports import text_of

LAST_YEAR = date.today().year - 1
OVER = Period.of(year=LAST_YEAR, today=date(LAST_YEAR + 1, 1, 10))  # a finished year


def ledger(store, level: str, kind: str = "community", street: str = "艾山街道") -> Context:
    names = {"station": "测试社区新时代文明实践站", "institute": "艾山街道新时代文明实践所", "center": "钢城区新时代文明实践中心"}
    init_station(store, name=names[level], level=level, kind=kind, street=street, population=20000)
    return Context(store=store)


def verdicts(ctx, period=OVER) -> dict:
    return {v.rule_id: v for v in selfcheck(ctx, period)}


def add_teams(ctx, n: int, categories=TEAM_CATEGORIES) -> list:
    return [teams.add_team(ctx, name=f"{categories[i]}志愿服务队", category=categories[i]).id for i in range(n)]


def add_activities(ctx, n, *, team_id=None, category="敬老爱老", own_name=True, start=date(LAST_YEAR, 1, 5), step=7):
    for i in range(n):
        activities.add_activity(ctx, title=f"活动{i}", date=start + timedelta(days=i * step), category=category, team_id=team_id,
                                own_name=own_name)


# -- station init --level ---------------------------------------------------------

def test_cli_init_institute_and_center(tmp_path):
    institute = tmp_path / "所"
    out = run(institute, "init", "--level", "institute", "--name", "艾山街道新时代文明实践所", "--kind", "village",
              "--street", "艾山街道", "--population", "30000")
    assert "已建立实践所台账：艾山街道新时代文明实践所（村）" in out.stdout
    info = run(institute, "info").stdout
    assert "实践所：艾山街道新时代文明实践所" in info and "街道（功能区）新时代文明实践所" in info and "所属街道：艾山街道" in info

    center = tmp_path / "中心"
    out = run(center, "init", "--level", "center", "--name", "钢城区新时代文明实践中心")
    assert "已建立实践中心台账：钢城区新时代文明实践中心" in out.stdout and "（" not in out.stdout.splitlines()[0]
    info = run(center, "info").stdout
    assert "实践中心：钢城区新时代文明实践中心" in info and "类型：—" in info and "所属街道：—" in info


def test_cli_init_refuses_what_a_tier_cannot_be(tmp_path):
    no_kind = run(tmp_path / "a", "init", "--level", "institute", "--name", "艾山街道新时代文明实践所", "--street", "艾山街道", check=False)
    assert no_kind.returncode == 2 and "--kind" in no_kind.stderr and "实践所" in no_kind.stderr
    no_street = run(tmp_path / "b", "init", "--level", "institute", "--name", "艾山街道新时代文明实践所", "--kind", "village", check=False)
    assert no_street.returncode == 1 and "实践所须填写所属街道" in no_street.stderr
    center_kind = run(tmp_path / "c", "init", "--level", "center", "--name", "钢城区新时代文明实践中心", "--kind", "village", check=False)
    assert center_kind.returncode == 2 and "不分村和社区" in center_kind.stderr
    station_default = run(tmp_path / "d", "init", "--name", "红山村新时代文明实践站", "--kind", "village")
    assert "已建立实践站台账：红山村新时代文明实践站（村）" in station_default.stdout


def test_the_center_is_neither_village_nor_community(store):
    ctx = ledger(store, "center", kind="village", street="艾山街道")
    with ctx.read() as session:
        row = ctx.station(session)
        assert (row.level, row.kind, row.street) == ("center", "", "")
    assert verdicts(ctx)["lectures"].status == NOT_APPLICABLE


def test_the_district_accepts_a_center_row_without_kind_but_not_a_station_row():
    assert check_row("station", {"name": "钢城区新时代文明实践中心", "level": "center", "kind": ""}) == []
    assert check_row("station", {"name": "杨家庄村新时代文明实践站", "level": "station", "kind": ""})
    assert check_row("station", {"name": "杨家庄村新时代文明实践站", "kind": "village"}) == []  # an old row without a level
    assert check_row("station", {"name": "x", "level": "county", "kind": "village"})


# -- the 所's quotas --------------------------------------------------------------------

def test_institute_needs_five_teams_each_twelve_a_year_but_not_every_month(store):
    ctx = ledger(store, "institute")
    ids = add_teams(ctx, 4)
    v = verdicts(ctx)
    assert (v["teams"].status, v["teams"].figure, v["teams"].target) == (MISSED, 4, 5)  # 三.2: 5支以上
    assert "还需建立 1 支" in v["teams"].gap
    ids.append(teams.add_team(ctx, name="移风易俗志愿服务队", category="移风易俗").id)
    for team_id in ids:  # 12 a year, all in the first quarter: a 所 has no monthly quota (三.2)
        add_activities(ctx, 12, team_id=team_id, step=6)
    v = verdicts(ctx)
    assert v["teams"].status == MET and v["team_yearly"].status == MET and v["team_yearly"].target == 12
    assert v["team_monthly"].status == NOT_APPLICABLE


@pytest.mark.parametrize("kind, lectures, status", [("community", 3, MISSED), ("community", 4, MET), ("village", 2, MET), ("village", 1, MISSED)])
def test_institute_lectures_by_its_kind(store, kind, lectures, status):
    ctx = ledger(store, "institute", kind=kind)
    add_activities(ctx, lectures, category="理论政策宣讲")
    add_activities(ctx, 3, category="理论政策宣讲", own_name=False, start=date(LAST_YEAR, 9, 1))  # not in the 所's name
    v = verdicts(ctx)["lectures"]
    assert (v.status, v.figure, v.target) == (status, lectures, 4 if kind == "community" else 2)


def test_institute_own_name_activities_speak_of_the_institute(store):
    ctx = ledger(store, "institute")
    add_activities(ctx, 11)
    v = verdicts(ctx)["own_name"]
    assert (v.status, v.figure, v.target) == (MISSED, 11, 12)
    assert "以本所名义" in v.gap and "本站" not in v.gap
    assert "实践所信息" in verdicts(ctx)["rooms"].gap


def test_institute_three_brand_projects_and_two_managers(store):
    ctx = ledger(store, "institute")
    for i in range(2):
        work.save_project(ctx, name=f"品牌{i}", category="普惠性服务", brand=True)
    update_station(ctx, manager="杨红霞")
    v = verdicts(ctx)
    assert (v["brand_projects"].status, v["brand_projects"].target) == (MISSED, 3)  # 五.4
    assert (v["managers"].status, v["managers"].figure, v["managers"].target) == (MISSED, 1, 2)  # 三.1
    assert "实践所信息" in v["managers"].gap
    work.save_project(ctx, name="品牌2", category="普惠性服务", brand=True)
    update_station(ctx, manager="杨红霞、李建国")
    v = verdicts(ctx)
    assert v["brand_projects"].status == MET and (v["managers"].status, v["managers"].figure) == (MET, 2)
    assert v["trainings"].status == NOT_APPLICABLE  # 三.3 asks the center, not a 所


def test_a_station_needs_one_manager(store):
    ctx = ledger(store, "station")
    assert (verdicts(ctx)["managers"].status, verdicts(ctx)["managers"].target) == (MISSED, 1)
    update_station(ctx, manager="王秀英")
    assert verdicts(ctx)["managers"].status == MET


def test_institute_needs_its_street(store):
    with pytest.raises(ValidationError) as caught:
        ledger(store, "institute", street="")
    assert "所属街道" in caught.value.errors["street"]


# -- the center's quotas ---------------------------------------------------------------

def test_center_needs_the_seventeen_categories_and_names_the_missing_ones(store):
    ctx = ledger(store, "center")
    add_teams(ctx, 15)
    teams.add_team(ctx, name="第二支宣讲队", category="理论政策宣讲")  # a second team of a category is not a 16th category
    v = verdicts(ctx)["teams"]
    assert (v.status, v.figure, v.target) == (MISSED, 15, 17)
    assert v.gap == "还没有这些类别的服务队：美德健康生活方式、移风易俗"
    for category in TEAM_CATEGORIES[15:]:
        teams.add_team(ctx, name=f"{category}队", category=category)
    assert verdicts(ctx)["teams"].status == MET


def test_center_quotas(store):
    ctx = ledger(store, "center")
    add_activities(ctx, 1, category="理论政策宣讲")
    for i in range(4):
        work.save_project(ctx, name=f"品牌{i}", category="普惠性服务", brand=True)
    update_station(ctx, manager="甲、乙、丙、丁")
    work.save_training(ctx, title="骨干培训", date=date(LAST_YEAR, 3, 1), centralized=True, trainees=60)
    v = verdicts(ctx)
    # 四.8 asks activities in their own name of 所 and 站 only: the center is judged by its 17 teams instead.
    assert v["own_name"].status == NOT_APPLICABLE and v["lectures"].status == NOT_APPLICABLE
    assert (v["brand_projects"].status, v["brand_projects"].target) == (MISSED, 5)  # 五.4
    assert (v["managers"].status, v["managers"].figure, v["managers"].target) == (MISSED, 4, 5)  # 三.1
    assert "专职工作人员" in v["managers"].gap
    assert (v["trainings"].status, v["trainings"].target) == (MISSED, 2)  # 三.3
    work.save_project(ctx, name="品牌4", category="普惠性服务", brand=True)
    update_station(ctx, manager="甲、乙、丙、丁、戊")
    v = verdicts(ctx)
    assert v["brand_projects"].status == MET and v["managers"].status == MET


def test_every_rule_cites_its_section_and_levels_are_checked():
    rules = {r.id: r for r in load_rules()}
    assert rules["managers"].section == "三.1" and rules["lectures"].levels == ("station", "institute")
    assert rules["lectures"].target_for("center", "community") is None
    assert rules["lectures"].target_for("institute", "community") == 4
    text = '[[rule]]\nid="x"\nyou="有活动"\nsection="四.8"\ntitle="x"\nmetric="teams"\ntarget={station=1}\nlevels=["county"]\n'
    with pytest.raises(Exception, match="无效的级别"):
        parse_rules(text)


# -- printed binders name the tier -----------------------------------------------------

@pytest.mark.parametrize("level, unit, own", [("institute", "实践所", "本所"), ("center", "实践中心", "本中心")])
def test_binders_name_the_tier(store, tmp_path, level, unit, own):
    ctx = ledger(store, level)
    update_station(ctx, phone="0531-76512345", contact="扫码联系")
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    v = volunteers.add_volunteer(ctx, name="王秀英", id_number=make_id(seq=7), phone="13812345678", team_ids=[team.id],
                                 registered_on=date(LAST_YEAR, 1, 1))
    activities.add_activity(ctx, title="重阳节敬老", date=date(LAST_YEAR, 10, 11), category="敬老爱老", team_id=team.id,
                            participants=[ParticipantInput(v.id, 2.0)])
    texts = {
        "ledger": text_of(reports.ledger_pdf(ctx, tmp_path / "台账.pdf", date_from=date(LAST_YEAR, 1, 1), date_to=date(LAST_YEAR, 12, 31))),
        "roster": text_of(reports.roster_pdf(ctx, tmp_path / "名册.pdf")),
        "certificate": text_of(reports.certificate_pdf(ctx, tmp_path / "证明.pdf", volunteer_id=v.id, year=LAST_YEAR)[0]),
        "selfcheck": text_of(reports.selfcheck_pdf(ctx, tmp_path / "自查.pdf", year=LAST_YEAR)),
        "summary": text_of(reports.summary_pdf(ctx, tmp_path / "统计.pdf", year=LAST_YEAR)),
    }
    for name, pages in texts.items():
        text = "".join("".join(pages).split())
        assert "实践站" not in text and "本站" not in text, name
    flat = {name: "".join("".join(pages).split()) for name, pages in texts.items()}
    assert unit in flat["ledger"] and f"以{own}名义" in flat["ledger"] and f"扫码联系{own}志愿服务" in flat["ledger"]
    assert f"所属{unit}" in flat["roster"]
    assert f"依据{own}志愿服务记录出具" in flat["certificate"]
    assert unit in flat["selfcheck"] and ("街道（功能区）新时代文明实践所" if level == "institute" else "区新时代文明实践中心") in flat["selfcheck"]
    assert unit in flat["summary"]
