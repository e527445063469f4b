"""The page a 实践所's 专管员 opens every Monday (#30): one street's 所 and stations — each one's 五有 for the month and for
the year as the stations' own evaluator judges them, the teams with no activity this month with the days left, the
ledgers not synced for a week (or never), the demands still open and past their deadline by tier, and the 所's own
ledger beside its stations; its 月度评估 PDF (六.4) and Excel read back; a street account sees its own street only;
the page fits a 390 px phone. The real server on 127.0.0.1 (SQLite; the scope of every route on both databases is
tests/test_district_scope.py)."""

from __future__ import annotations

import calendar
import io
import re
import subprocess
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import Date, bindparam, select, text, update

from app.models.base import utcnow
from app.rules import Period, evaluate
from app.services import activities, teams
from app.services.context import Context
from sync.client import SyncClient
from sync.server import admin
from sync.server.db import TABLES, account
from sync.server.evaluations import summary_of
from sync.server.street_status import street_status
from sync_helpers import staff_login
from test_district_streets import OTHER, OWN, ranked_sqlite  # noqa: F401 - the fixture, taken as a parameter below
from test_sync import FAST

IDLE_TEAM = "南山村老年服务队"
NEVER = "北山村"  # enrolled in 艾山街道, never synced
STALE_DAYS_AGO = 9


@pytest.fixture
def street(ranked_sqlite):  # the imported fixture
    """艾山街道 as test_district_streets makes it, and: 南山村 has a team whose only activity was last month; the 所 last
    synced nine days ago; 北山村 is enrolled and has never synced."""
    today = date.today()
    ctx = Context(store=ranked_sqlite.ledgers["nan"])
    team = teams.add_team(ctx, name=IDLE_TEAM, category="敬老爱老")
    last_month = today.replace(day=1) - timedelta(days=1)
    activities.add_activity(ctx, title="南山村上月敬老活动", date=last_month.isoformat(), category="敬老爱老", team_id=team.id)
    SyncClient(ranked_sqlite.ledgers["nan"], **FAST).sync()
    admin.add_station(ranked_sqlite.engine, NEVER, OWN)
    with ranked_sqlite.engine.begin() as conn:
        conn.execute(update(account).where(account.c.name == "艾山街道新时代文明实践所")
                     .values(last_sync_at=utcnow() - timedelta(days=STALE_DAYS_AGO, hours=1)))
    return ranked_sqlite


def open_demands_by_tier(engine, street_name: str, today: date) -> dict[str, tuple[int, int, int]]:
    """Per level, from the rows: demands still waiting for service, those past their deadline, those the 中心 dispatched."""
    out = {"institute": (0, 0, 0), "station": (0, 0, 0)}
    with engine.connect() as conn:
        for level, n, late, sent in conn.execute(text(
                "SELECT a.level, count(*), sum(CASE WHEN d.due_on < :t THEN 1 ELSE 0 END), count(d.dispatch_id) "
                "FROM demand d JOIN station_account a ON a.station_id = d.station_id "
                "WHERE a.street = :s AND NOT d.deleted AND d.state IN ('ordered', 'approved', 'dispatched', 'taken') "
                "GROUP BY a.level").bindparams(bindparam("t", type_=Date)), {"t": today, "s": street_name}):
            out[level] = (n, int(late or 0), sent)
    return out


def judged_by_the_evaluator(engine, street_name: str, today: date, year: int, month: int) -> dict[str, tuple[dict, dict]]:
    """Each synced unit's 五有 summary for the month and for the year, by the stations' own evaluator."""
    out = {}
    with engine.connect() as conn:
        rules = admin.current_rules(conn)
        station = TABLES["station"]
        for name, sid in conn.execute(select(account.c.name, account.c.station_id)
                                      .join(station, station.c.id == account.c.station_id)
                                      .where(account.c.street == street_name)):
            out[name] = tuple(summary_of(evaluate(conn, TABLES, sid, period, rules)) for period in (
                Period.of(year=year, month=month, today=today), Period.of(year=year, today=today)))
    return out


def ledgers_begun_by(engine, street_name: str, day: date) -> set[str]:
    """The units with an activity dated ``day`` or before, or added at the district by then."""
    with engine.connect() as conn:
        return {name for (name,) in conn.execute(text(
            "SELECT a.name FROM station_account a WHERE a.street = :s AND (date(a.created_at) <= :d OR EXISTS "
            "(SELECT 1 FROM activity x WHERE x.station_id = a.station_id AND NOT x.deleted AND x.date <= :d))"),
            {"s": street_name, "d": day.isoformat()})}


def kept_summaries(status) -> dict[str, tuple[dict, dict]]:
    return {u.name: tuple({"met": j.met, "counted": j.counted, "at_risk": j.at_risk, "missed": j.missed,
                           "problems": j.problems} for j in (u.month, u.year)) for u in status.units if u.month}


def test_the_street_page_says_what_each_unit_needs_as_the_rows_do(street):
    today = date.today()
    days_left = calendar.monthrange(today.year, today.month)[1] - today.day
    web = staff_login(street.base, "aishan", "street01")
    today_page = web.get(street.base + "/district/today", timeout=60).text
    assert 'href="/district/street/status">本街道所、站情况 →' in today_page
    page = web.get(street.base + "/district/street/status", timeout=120)  # a street account: its own street
    assert page.status_code == 200, page.text
    body = page.text
    assert f"{OWN}所、站情况（{today.year}年{today.month}月）" in body
    assert "红山" not in body and OTHER not in body
    # The 所 first, then its stations by name, the one never synced among them.
    names = re.findall(r'<tr><td><a href="/district/station/\d+\?year=\d+&(?:amp;)?month=\d+">([^<]+)</a>', body.split('id="teams"')[0])
    assert names == ["艾山街道新时代文明实践所", "北山村", "南山村", "杨家庄村"]

    with street.engine.connect() as conn:
        status = street_status(conn, OWN, today.year, today.month, today=today)
    assert kept_summaries(status) == judged_by_the_evaluator(street.engine, OWN, today, today.year, today.month)
    # Last month against last year, judged afresh and then read back from the kept verdicts: the year is judged as a
    # year, not as the month again (they differ for at least one unit), and neither is taken for the other.
    last = today.replace(day=1) - timedelta(days=1)
    expected = judged_by_the_evaluator(street.engine, OWN, today, last.year, last.month)
    assert any(month != year for month, year in expected.values())
    # ... for the units whose ledger had begun by then (a record dated in it or before); the others "尚无台账记录"
    begun = ledgers_begun_by(street.engine, OWN, last)
    assert "南山村" in begun and len(begun) < len(expected)
    expected = {name: v for name, v in expected.items() if name in begun}
    for _ in range(2):
        with street.engine.connect() as conn:
            assert kept_summaries(street_status(conn, OWN, last.year, last.month, today=today)) == expected
    never = next(u for u in status.units if u.name == NEVER)
    assert never.month is None and never.never_synced

    # Teams with no activity this month, with the days left; the ones active today are not named.
    assert f"南山村：{IDLE_TEAM}（距月底还有 {days_left} 天）" in body
    assert "杨家庄村理论政策宣讲队" not in body.split('id="teams"')[1].split('id="stale"')[0]
    # Not synced for a week, and never.
    stale = body.split('id="stale"')[1].split('id="demands"')[0]
    assert f"艾山街道新时代文明实践所（实践所）：{STALE_DAYS_AGO} 天未同步" in stale
    assert f"{NEVER}（实践站）：从未同步" in stale and "杨家庄村" not in stale and "南山村" not in stale
    # Demands by tier, as the rows count them.
    counts = open_demands_by_tier(street.engine, OWN, today)
    assert counts["station"] == (2, 1, 0)  # the fixture's: 南山村's two, one past its deadline
    rows = re.findall(r'<tr><td>(实践所|实践站)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>'
                      r'<td class="num(?: bad)?">(\d+)</td><td class="num">(\d+)</td></tr>', body)
    assert {tier: tuple(map(int, rest[1:])) for tier, *rest in rows} == {
        "实践所": counts["institute"], "实践站": counts["station"]}
    assert "南山村（实践站）：1 件点单已过办结期限" in body


def test_a_past_month_has_no_days_left_and_a_month_to_come_judges_nothing(street):
    today = date.today()
    web = staff_login(street.base, "aishan", "street01")
    last = today.replace(day=1) - timedelta(days=1)
    # 杨家庄村's ledger begins last month with one activity of its 宣讲 team; its other two teams had none.
    yang = Context(store=street.ledgers["yang"])
    lecture = next(t for t in teams.list_teams(yang) if t.team.name == "杨家庄村理论政策宣讲队").team
    activities.add_activity(yang, title="杨家庄村上月宣讲", date=last.isoformat(), category="理论政策宣讲", team_id=lecture.id)
    SyncClient(street.ledgers["yang"], **FAST).sync()
    body = web.get(street.base + f"/district/street/status?year={last.year}&month={last.month}", timeout=120).text
    # Last month 南山村's new team was active, its other teams (none) and two of 杨家庄村's three were not.
    idle = body.split('id="teams"')[1].split('id="stale"')[0]
    assert IDLE_TEAM not in idle and "（该月没有活动）" in idle and "距月底" not in idle
    assert "杨家庄村：杨家庄村敬老爱老队、杨家庄村文化文艺服务队（该月没有活动）" in idle and "理论政策宣讲队" not in idle
    # The 所, whose first record is this month, had no ledger then: nothing judged, nothing asked of its teams.
    suo_row = body.split('id="wuyou"')[1].split("</tr>")[1]
    assert "艾山街道新时代文明实践所" in suo_row and "尚无台账记录" in suo_row
    ahead = today.replace(day=28) + timedelta(days=10)
    with street.engine.connect() as conn:
        status = street_status(conn, OWN, ahead.year, ahead.month, today=today)
    assert all(u.month is None for u in status.units) and status.days_left == 0


def test_every_problem_is_on_the_page_the_year_s_failures_too_and_nothing_before_the_ledger(street):
    """A new user's trial (#30): a station with 7 problems showed 6, its "另有 2 项 →" led to a page with no 五有, the
    year's 未达标 items were nowhere, a month to come was reported as fact and a month years before any record as 未达标."""
    today = date.today()
    web = staff_login(street.base, "aishan", "street01")
    body = web.get(street.base + "/district/street/status", timeout=120).text
    with street.engine.connect() as conn:
        status = street_status(conn, OWN, today.year, today.month, today=today)
    judged = [u for u in status.units if u.month]
    assert judged and all(len(j.problems) == j.missed + j.at_risk for u in judged for j in (u.month, u.year))
    table = body.split('id="wuyou"')[1].split('id="teams"')[0]
    for u in judged:
        for problem in u.month.problems:  # every one on the page, the first four open and the rest one click away
            assert problem in table, problem
        if len(u.month.problems) > 4:
            assert f"<summary>另有 {len(u.month.problems) - 4} 项</summary>" in table
        assert f"达标 {u.month.met}/{u.month.counted} 项" in table
        for problem in u.year_missed:  # the year's failures too, once (those the month names already, by its words)
            assert problem in table, problem
        for problem in u.year.missed_problems:
            assert problem.split("：")[0] in table, problem
        if u.year_missed:  # the year's count is the year's, saying how many the month's list already names
            same = u.year.missed - len(u.year_missed)
            assert f"<summary>{today.year}年未达标 {u.year.missed} 项" + (f"（其中 {same} 项同本月，见上）" if same else "") in table
        for problem in u.year_at_risk:  # and the year's 有风险 items (README: 未达标、有风险的项目逐条列出)
            assert problem in table, problem
    assert any(u.year.missed for u in judged)  # the checks above read some
    meeting, count = status.meeting
    assert f"“五有”无未达标项的 {meeting}/{count} 个" in body  # 有风险 is not called 达标
    assert "<th>其中超期</th>" in body.split('id="ledgers"')[1]

    ahead = web.get(street.base + f"/district/street/status?year={today.year + 1}&month=1", timeout=60)
    assert ahead.status_code == 422 and f"{today.year + 1}年1月尚未开始" in ahead.text and "达标" not in ahead.text
    assert web.get(street.base + f"/district/street/status.pdf?year={today.year + 1}&month=1", timeout=60).status_code == 422

    long_ago = web.get(street.base + f"/district/street/status?year={today.year - 4}&month=1", timeout=120).text
    table = long_ago.split('id="wuyou"')[1].split('id="teams"')[0]
    assert "尚无台账记录" in table and "未达标" not in table
    assert "1月时各所、站尚无台账记录" in long_ago and "都开展了活动" not in long_ago  # nothing asked of them yet
    assert "尚无可评估的台账记录" in long_ago and "0/0" not in long_ago


def test_the_years_own_items_are_those_the_months_list_does_not_name():
    """What the year adds under each unit: its 未达标 and 有风险 items whose rule the month's list does not already name."""
    from sync.server.street_status import Judged, UnitStatus

    month = Judged(10, 14, 1, 3, ["【未达标】甲：差1次", "【有风险】乙：差2次", "【有风险】丙：差3次", "【有风险】丁：差4次"])
    year = Judged(8, 14, 3, 2, ["【未达标】甲：全年差5次", "【未达标】戊：差6次", "【未达标】乙：差7次",
                                "【有风险】丙：差8次", "【有风险】己：差9次"])
    unit = UnitStatus(1, "杨家庄村", "station", True, None, month=month, year=year)
    assert unit.year_missed == ["【未达标】戊：差6次", "【未达标】乙：差7次"]  # 甲 is the month's (乙 there is only 有风险)
    assert unit.year_at_risk == ["【有风险】己：差9次"]
    assert UnitStatus(2, "南山村", "station", True, None, month=None, year=year).year_at_risk == ["【有风险】丙：差8次", "【有风险】己：差9次"]


def test_a_login_returns_to_the_page_and_month_asked_for(street):
    import requests

    wanted = f"/district/street/status?year={date.today().year}&month=1"
    web = requests.Session()
    first = web.get(street.base + wanted, timeout=60, allow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("/login?next=%2Fdistrict%2Fstreet%2Fstatus%3F")
    form = web.get(street.base + first.headers["location"], timeout=60).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    kept = re.search(r'name="wanted" value="([^"]+)"', form).group(1)
    assert kept.replace("&amp;", "&") == wanted
    wrong = web.post(street.base + "/login", data={"username": "aishan", "password": "wrong", "csrf": csrf, "wanted": wanted},
                     timeout=60, allow_redirects=False)
    assert wrong.headers["location"].startswith("/login?error=1&next=")  # a mistyped password keeps the page asked for
    answer = web.post(street.base + "/login", data={"username": "aishan", "password": "street01", "csrf": csrf,
                                                    "wanted": wanted}, timeout=60)
    assert answer.url == street.base + wanted and "1月）" in answer.text
    # Only this server's own pages: anything else lands on 待办事项.
    for hostile in ("//evil.example/district", "https://evil.example/", "/\\evil.example", "/api/v1/sync", "/district\r\nX: y"):
        other = requests.Session()
        form = other.get(street.base + "/login", timeout=60).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        answer = other.post(street.base + "/login", data={"username": "aishan", "password": "street01", "csrf": csrf,
                                                          "wanted": hostile}, timeout=60, allow_redirects=False)
        assert answer.headers["location"] == "/district/today", hostile


def test_another_streets_page_is_not_found_and_the_district_picks_any(street):
    web = staff_login(street.base, "aishan", "street01")
    for path in ("/district/street/status", "/district/street/status.pdf", "/district/street/status.xlsx"):
        answer = web.get(street.base + f"{path}?street={OTHER}", timeout=60)
        assert answer.status_code == 404 and "红山" not in answer.text, path
    district = staff_login(street.base)
    chooser = district.get(street.base + "/district/street/status", timeout=60).text
    assert "请选择街道" in chooser and f'<option value="{OTHER}"' in chooser
    other = district.get(street.base + f"/district/street/status?street={OTHER}", timeout=120).text
    assert "红山村" in other and "杨家庄村" not in other
    assert district.get(street.base + "/district/street/status?street=不存在的街道", timeout=60).status_code == 404
    assert district.get(street.base + "/district/street/status.pdf", timeout=60).status_code == 404  # no street picked


def test_the_monthly_evaluation_pdf_and_excel_read_back(street):
    from ui_helpers import ARTIFACTS

    today = date.today()
    web = staff_login(street.base, "aishan", "street01")
    answer = web.get(street.base + "/district/street/status.pdf", timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "street-status.pdf"
    pdf.write_bytes(answer.content)
    flat = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    for expected in (f"{OWN}新时代文明实践所、站月度评估表", f"评估月份{today.year}年{today.month}月", "钢城文明委〔2022〕2号六.4",
                     "艾山街道新时代文明实践所", "杨家庄村", "南山村", NEVER, IDLE_TEAM, "从未同步", "审核人：",
                     f"{STALE_DAYS_AGO}天未同步", "合计", "本街道的所、站还没有向区中心上报过点单"):
        assert expected in flat, expected
    assert "红山" not in flat
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "street-status-pdf")],
                   check=True)
    assert any(ARTIFACTS.glob("street-status-pdf*.png"))

    sheet = load_workbook(io.BytesIO(web.get(street.base + "/district/street/status.xlsx", timeout=60).content)).active
    header = [c.value for c in sheet[2]]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == ["艾山街道新时代文明实践所", NEVER, "南山村", "杨家庄村", "合计"]
    for column in ("活动（次）", "志愿者（名）", "未办结点单", "其中超期"):  # the page's 合计 row, in the Excel too
        at = header.index(column)
        assert rows[-1][at] == sum(r[at] for r in rows[:-1]), column
    nan = rows[2]
    assert nan[header.index("本月没有活动的服务队")] == IDLE_TEAM
    assert (nan[header.index("未办结点单")], nan[header.index("其中超期")]) == (2, 1)
    assert rows[1][header.index("本月“五有”")] == "从未同步" and "从未同步" in rows[1][header.index("最近同步（北京时间）")]


def test_the_street_page_fits_a_phone(street, tmp_path):
    from playwright.sync_api import sync_playwright

    from test_district_web import CHROMIUM, FLAGS, chromium_env
    from ui_helpers import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env=chromium_env(tmp_path))
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(street.base + "/login")
        page.fill("input[name=username]", "aishan")
        page.fill("input[name=password]", "street01")
        page.click("button[type=submit]")
        page.wait_for_url("**/district/today")
        page.click("text=本街道所、站情况 →")
        page.wait_for_url("**/district/street/status")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The 五有 table itself fits: no sideways scrolling to read a unit's status or its problems.
        box = page.locator("table.status").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.screenshot(path=str(ARTIFACTS / "street-status-phone.png"), full_page=True)
        browser.close()


def test_the_years_evaluation_judges_the_year_not_its_last_month(street):
    """全年评估 (六.4) counts each unit's 五有 over the whole year: 南山村's team active in December only meets December's
    每月至少1次 but misses the year's."""
    from sync.server import streets

    today = date.today()
    last_year = today.year - 1
    with street.engine.connect() as conn:
        ranking = streets.rank_streets(conn, streets.Span("year", last_year), today=today)
    assert ranking.judged_label == f"{last_year}年全年"
    units = {u.name: u for u in ranking.of(OWN).units}
    year = judged_by_the_evaluator(street.engine, OWN, today, last_year, 12)
    assert {name: units[name].missed for name in year} == {name: y["missed"] for name, (_m, y) in year.items()}
    december, whole = year["南山村"]
    assert whole["missed"] == december["missed"] + 1
    web = staff_login(street.base)
    page = web.get(street.base + f"/district/streets?period=year&year={last_year}", timeout=120).text
    assert f"“五有”按{last_year}年全年评估" in page


def test_the_half_years_evaluation_judges_the_half_not_its_last_month(street):
    """半年观摩 (六.4) counts each unit's 五有 over its six months, as 全年评估 the year: 南山村's team active in December
    only meets December's 每月至少1次 but misses the 下半年's."""
    from sync.server import streets

    today = date.today()
    last_year = today.year - 1
    with street.engine.connect() as conn:
        ranking = streets.rank_streets(conn, streets.Span.of("half", last_year, 0, 2, today=today), today=today)
        rules = admin.current_rules(conn)
        sids = dict(conn.execute(select(account.c.name, account.c.station_id).where(account.c.street == OWN)).all())
        expected = {name: summary_of(evaluate(conn, TABLES, sids[name], Period.of(year=last_year, half=2, today=today),
                                              rules))["missed"] for name in ("南山村", "杨家庄村", "艾山街道新时代文明实践所")}
    assert ranking.judged_label == f"{last_year}年下半年"
    units = {u.name: u for u in ranking.of(OWN).units}
    assert {name: units[name].missed for name in expected} == expected
    december, _year = judged_by_the_evaluator(street.engine, OWN, today, last_year, 12)["南山村"]
    assert expected["南山村"] == december["missed"] + 1
    web = staff_login(street.base)
    page = web.get(street.base + f"/district/streets?period=half&year={last_year}&half=2", timeout=120).text
    assert f"“五有”按{last_year}年下半年评估" in page


def test_a_need_the_institute_reported_to_the_center_shows_on_its_streets_page(district_sqlite, tmp_path):
    """五.2 上报: what the 中心 did with a need the 所 reported up is seen on the street's page — not yet arrived, then
    passed on and served — without naming a station of another street."""
    from app.services import demands
    from test_sync_hops import INSTITUTE, NEED, Ledger, place_and_report, serve

    district = district_sqlite
    institute = Ledger(tmp_path, INSTITUTE, level="institute")
    center = Ledger(tmp_path, "钢城区新时代文明实践中心", level="center", street="")
    far = Ledger(tmp_path, "官庄村", street=OTHER)
    village = Ledger(tmp_path, "杨家庄村")
    try:
        institute.enroll(district, level="institute")
        center.enroll(district, level="center", street="")
        far.enroll(district, street=OTHER)
        village.enroll(district)
        admin.add_staff(district.engine, "aishan", "street01", "艾山街道办", street=OWN)
        for ledger in (institute, center, far, village):
            ledger.client.sync()
        place_and_report(village)  # to its own 所: inside the street, seen there, not listed as leaving it
        village.client.sync()
        need = demands.record_demand(institute.ctx, requester="赵师傅", content="小区需要一场防诈骗法律讲座", category="法律服务")
        demands.approve(institute.ctx, need.id)
        demands.report_up(institute.ctx, need.id, reason="本街道没有律师志愿者")
        institute.client.sync()
        web = staff_login(district.base, "aishan", "street01")

        def reported() -> str:
            page = web.get(district.base + "/district/street/status", timeout=60).text
            return page.split('id="reported"')[1].split('id="ledgers"')[0]

        header = web.get(district.base + "/district/today", timeout=60).text.split("</header>")[0]
        assert "<strong>钢城区新时代文明实践中心 · 实践站台账</strong>" in header  # the 中心's own name (a trial: "区…")
        first = reported()
        assert "艾山街道新时代文明实践所（实践所）上报钢城区新时代文明实践中心" in first
        assert "小区需要一场防诈骗法律讲座" in first and "未送达（等待区中心同步）" in first and "本街道没有律师志愿者" in first
        assert NEED not in first
        center.client.sync()
        at_center = center.only().demand
        demands.pass_down(center.ctx, at_center.id, to_station_id=far.store.station_id, note="官庄村有法律服务队")
        center.client.sync()
        far.client.sync()
        serve(far, far.only().demand.id)
        far.client.sync()
        later = reported()
        assert "已由区中心转派：已办结，评分 5" in later and "官庄村" not in later and OTHER not in later
    finally:
        for ledger in (institute, center, far, village):
            ledger.close()
