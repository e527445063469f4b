"""The district evaluates each 街道 (#30, 六.4–六.5): a street's figures rolled up from its 所 and stations equal counts made
from the rows themselves; 观摩打分 entered by a district evaluator (who, when, per item, with a note) moves the ranking
by exactly the published weights, and a newer weights file changes the totals; each score opens down to the street's
stations and the station page behind it; a 街道 account sees its own street only and enters nothing; bad input is
refused in Chinese, naming the field, with nothing written; the PDF reads back; the Excel and the 以奖代补 export;
the pages fit a 390 px phone. The real server on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import Date, bindparam, func, select, text

from app.db import Store
from app.rules import MISSED, Period, evaluate
from app.services import activities, demands, teams, volunteers, work
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.errors import ValidationError
from app.models import Activity
from app.services.station import init_station, save_room, save_service_point, set_deleted, update_station
from conftest import make_id
from sync.client import SyncClient
from sync.server import admin, streets
from sync.server.db import TABLES, street_score
from sync_helpers import staff_login
from test_sync import FAST

OWN, OTHER, EMPTY = "艾山街道", "里辛街道", "颜庄街道"
OTHER_MARKS = ("红山", OTHER, EMPTY)
WEIGHTS = streets.WEIGHTS_FILE.read_text(encoding="utf-8")
VISITS = ("visit_venue", "visit_teams", "visit_activities", "visit_projects", "visit_mechanisms")


@dataclass
class District:
    base: str
    engine: object
    ledgers: dict


def _ledger(tmp: Path, folder: str, name: str, street: str, *, level: str = "station", population: int = 900) -> Store:
    store = Store.open(tmp / folder)
    init_station(store, name=name, kind="village", level=level, population=population, street=street)
    return store


def _people(ctx: Context, prefix: str, count: int, seq: int) -> list:
    return [volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"{prefix}{n}",
                                     id_number=make_id(seq=seq + n)) for n in range(count)]


def _complete(ctx: Context, today: date) -> None:
    """A station that has what 五有 asks of a station's profile (二.7, 三.1, 五.4, 四.8)."""
    update_station(ctx, phone="13812345678", contact="https://example.org/yangjiazhuang",
                   opening_hours="周一至周五 9:00—17:00", activity_day="每月5日", manager="王芳")
    for name, function in (("理论宣讲室", "理论宣讲"), ("文化活动室", "文化活动"), ("健身室", "体育健身")):
        save_room(ctx, name=name, function=function)
    save_service_point(ctx, name="杨家庄村志愿服务站")
    for kind in ("组织架构", "管理制度", "项目计划"):
        work.save_document(ctx, kind=kind, title=f"杨家庄村{kind}")
    work.save_plan(ctx, title="年度活动计划", year=today.year)
    work.save_plan(ctx, title="本月活动计划", year=today.year, month=today.month)


@pytest.fixture
def ranked(district, tmp_path):
    """The streets below, on SQLite and on PostgreSQL."""
    yield from _ranked(district, tmp_path)


@pytest.fixture
def ranked_sqlite(district_sqlite, tmp_path):
    yield from _ranked(district_sqlite, tmp_path)


def _ranked(district, tmp_path):
    """艾山街道: its 所 (one activity), 杨家庄村 (a complete profile, three teams each active today, a brand project, six
    volunteers) and 南山村 (two volunteers, one activity, an overdue demand). 里辛街道: 红山村 (four activities today with
    many hours, a brand project, an overdue demand, one in the bin). 颜庄街道: an account that never enrolled. Staff: wmb
    for the district, aishan for 艾山街道."""
    engine, today = district.engine, date.today()
    codes = {
        "suo": admin.add_station(engine, "艾山街道新时代文明实践所", OWN, level="institute"),
        "yang": admin.add_station(engine, "杨家庄村", OWN),
        "nan": admin.add_station(engine, "南山村", OWN),
        "hong": admin.add_station(engine, "红山村", OTHER),
    }
    admin.add_station(engine, "颜庄村", EMPTY)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    admin.add_staff(engine, "aishan", "street01", "艾山街道办", street=OWN)
    ledgers = {"suo": _ledger(tmp_path, "suo", "艾山街道新时代文明实践所", OWN, level="institute", population=30000),
               "yang": _ledger(tmp_path, "yang", "杨家庄村", OWN, population=900),
               "nan": _ledger(tmp_path, "nan", "南山村", OWN, population=600),
               "hong": _ledger(tmp_path, "hong", "红山村", OTHER, population=500)}
    try:
        for key, store in ledgers.items():
            SyncClient(store, **FAST).enroll(district.base, codes[key])
        ctx = Context(store=ledgers["yang"])
        _complete(ctx, today)
        people = _people(ctx, "杨家庄村志愿者", 6, 300)
        for n, category in enumerate(("理论政策宣讲", "敬老爱老", "文化文艺服务")):
            team = teams.add_team(ctx, name=f"杨家庄村{category}队", category=category)
            activities.add_activity(ctx, title=f"杨家庄村活动{n}", date=today.isoformat(), category=category, team_id=team.id,
                                    participants=[ParticipantInput(people[n].id, 2.0),
                                                  ParticipantInput(people[n + 3].id, 1.5)])
        work.save_project(ctx, name="杨家庄村邻里守望", category="普惠性服务", brand=True)
        work.save_project(ctx, name="杨家庄村计划中的品牌", category="普惠性服务", brand=True, status="planned")  # not yet counted

        ctx = Context(store=ledgers["nan"])
        people = _people(ctx, "南山村志愿者", 2, 320)
        activities.add_activity(ctx, title="南山村读书会", date=today.isoformat(), category="文化文艺服务",
                                participants=[ParticipantInput(people[0].id, 3.0)])
        demands.record_demand(ctx, requester="南山村赵大爷", content="修理路灯", category="便民服务",
                              received_on=(today - timedelta(days=10)).isoformat(),
                              due_on=(today - timedelta(days=3)).isoformat())
        demands.record_demand(ctx, requester="南山村李大娘", content="代买药品", category="便民服务",
                              received_on=today.isoformat(),
                              due_on=(today + timedelta(days=5)).isoformat())  # not yet due

        ctx = Context(store=ledgers["suo"])
        activities.add_activity(ctx, title="艾山街道宣讲会", date=today.isoformat(), category="理论政策宣讲")

        ctx = Context(store=ledgers["hong"])
        people = _people(ctx, "红山村志愿者", 3, 340)
        for n in range(4):
            activities.add_activity(ctx, title=f"红山村活动{n}", date=today.isoformat(), category="医疗健身",
                                    participants=[ParticipantInput(p.id, 4.0) for p in people])
        binned = activities.add_activity(ctx, title="红山村删掉的活动", date=today.isoformat(), category="医疗健身")
        set_deleted(ctx, Activity, binned.id, deleted=True, what="活动")
        work.save_project(ctx, name="红山村义诊", category="普惠性服务", brand=True)
        demands.record_demand(ctx, requester="红山村王大爷", content="红山村修水管", category="便民服务",
                              received_on=(today - timedelta(days=8)).isoformat(),
                              due_on=(today - timedelta(days=1)).isoformat())
        for store in ledgers.values():
            SyncClient(store, **FAST).sync()
        yield District(district.base, engine, ledgers)
    finally:
        for store in ledgers.values():
            store.close()


# -- what the rows say, counted in plain SQL, and scored by the weights as the file says -----------------------------
NOTHING = {"units": 0, "activities": 0, "hours": 0.0, "volunteers": 0, "population": 0, "brand": 0, "overdue": 0}


def counted(engine, first: date, last: date, today: date) -> dict[str, dict]:
    """Per street, from the rows: its 所 and stations, activities held, their hours, volunteers, the stations' population
    (a 所's is the whole street's), brand projects in use, demands still waiting past their deadline."""
    dates = dict(s=first, e=last)
    typed = [bindparam("s", type_=Date), bindparam("e", type_=Date)]
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for street, n in conn.execute(text(
                "SELECT a.street, count(*) FROM station_account a JOIN station s ON s.id = a.station_id "
                "WHERE a.street <> '' AND a.level <> 'center' GROUP BY a.street")):
            out[street] = {**NOTHING, "units": n}
        for street, n in conn.execute(text(
                "SELECT a.street, count(*) FROM activity x JOIN station_account a ON a.station_id = x.station_id "
                "WHERE NOT x.deleted AND x.status = 'done' AND x.date >= :s AND x.date <= :e GROUP BY a.street")
                .bindparams(*typed), dates):
            out[street]["activities"] = n
        for street, hours in conn.execute(text(
                "SELECT a.street, sum(p.hours) FROM participation p JOIN activity x ON x.id = p.activity_id "
                "JOIN station_account a ON a.station_id = x.station_id WHERE NOT p.deleted AND NOT x.deleted "
                "AND x.status = 'done' AND p.station_id = x.station_id AND x.date >= :s AND x.date <= :e "
                "GROUP BY a.street")
                .bindparams(*typed), dates):
            out[street]["hours"] = float(hours)
        for street, n in conn.execute(text(
                "SELECT a.street, count(*) FROM volunteer v JOIN station_account a ON a.station_id = v.station_id "
                "JOIN station s ON s.id = a.station_id "  # a unit without its population is not in the share
                "WHERE NOT v.deleted AND v.registered_on <= :e AND s.population > 0 GROUP BY a.street")
                .bindparams(bindparam("e", type_=Date)), {"e": min(last, today)}):
            out[street]["volunteers"] = n
        for street, people in conn.execute(text(
                "SELECT a.street, sum(s.population) FROM station_account a JOIN station s ON s.id = a.station_id "
                "WHERE s.level = 'station' GROUP BY a.street")):
            out[street]["population"] = int(people)
        for street, n in conn.execute(text(
                "SELECT a.street, count(*) FROM project p JOIN station_account a ON a.station_id = p.station_id "
                "WHERE NOT p.deleted AND p.brand AND p.status <> 'planned' GROUP BY a.street")):
            out[street]["brand"] = n
        for street, n in conn.execute(text(
                "SELECT a.street, count(*) FROM demand d JOIN station_account a ON a.station_id = d.station_id "
                "WHERE NOT d.deleted AND d.state IN ('ordered', 'approved', 'dispatched', 'taken') AND d.due_on < :t "
                "GROUP BY a.street").bindparams(bindparam("t", type_=Date)), {"t": today}):
            out[street]["overdue"] = n
    return out


def meeting_share(engine, street: str, today: date) -> float | None:
    """The share of the street's units with no 未达标 item this month, by the stations' own evaluator."""
    from sync.server.db import account

    with engine.connect() as conn:
        station = TABLES["station"]
        ids = conn.execute(select(account.c.station_id).join(station, station.c.id == account.c.station_id)
                           .where(account.c.street == street)).scalars().all()
        rules = admin.current_rules(conn)
        month = Period.of(year=today.year, month=today.month, today=today)
        verdicts = [evaluate(conn, TABLES, sid, month, rules) for sid in ids]
    return sum(all(v.status != MISSED for v in vs) for vs in verdicts) / len(verdicts) if verdicts else None


def expected_totals(engine, weights_text: str, today: date, entered: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each street's total for this month as the weights file describes it, from the counts above and the entered
    scores."""
    items = tomllib.loads(weights_text)["item"]
    rows = counted(engine, today.replace(day=1), today, today)
    with engine.connect() as conn:
        named = admin.streets(conn)
    for street in named:
        rows.setdefault(street, dict(NOTHING))
    figures = {}
    for street, r in rows.items():
        n = r["units"]
        figures[street] = {"wuyou_share": meeting_share(engine, street, today),
                           "activities_per_unit": r["activities"] / n if n else None,
                           "hours_per_unit": r["hours"] / n if n else None,
                           "brand_per_unit": r["brand"] / n if n else None,
                           "volunteer_percent": r["volunteers"] * 100 / r["population"] if r["population"] else None,
                           "overdue_demands": r["overdue"]}
    totals = {street: 0.0 for street in rows}
    for item in items:
        for street in rows:
            if item["source"] == "entered":
                got = min(item["points"], entered.get(street, {}).get(item["id"], 0))
            else:
                value = figures[street][item["metric"]] or 0
                best = max((f[item["metric"]] or 0) for f in figures.values())
                method = item["method"]
                if method == "share":
                    got = item["points"] * value
                elif method == "target":
                    got = item["points"] * min(1, value / item["target"])
                elif method == "relative":
                    got = item["points"] * value / best if best else 0
                else:
                    assert method == "penalty", method
                    got = -min(item["points"], item["each"] * value)
            totals[street] += round(got, 2)
    return {s: round(t, 2) for s, t in totals.items()}


def page_totals(page: str) -> dict[str, float]:
    """street → total, in the ranking's order, as the page shows it."""
    table = page.split("<h3>排名</h3>", 1)[1].split("</table>", 1)[0]
    row = r'<tr><td class="num">\d+(?:/\d+)?</td><td><a href="[^"]+">([^<]+)</a>.*?<strong>([-\d.]+)</strong>'
    found = re.findall(row, table, flags=re.S)
    return {unescape(name): float(total) for name, total in found}


def csrf_of(web: requests.Session, base: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', web.get(base + "/district/demands", timeout=30).text).group(1)


def score_form(csrf: str, street: str, year: int, month: int, scores: dict, notes: dict | None = None) -> dict:
    data = {"csrf": csrf, "street": street, "year": str(year), "month": str(month), "period": "month",
            "back_year": str(year), "back_month": str(month), "back_half": "0"}
    data.update({f"score_{k}": str(v) for k, v in scores.items()})
    data.update({f"note_{k}": v for k, v in (notes or {}).items()})
    return data


def score_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(street_score)).scalar_one()


# -- the tests ---------------------------------------------------------------------------------------------------------
def test_a_streets_figures_are_its_stations_rows_and_open_down_to_them(ranked):
    today = date.today()
    web = staff_login(ranked.base)
    with ranked.engine.connect() as conn:
        ranking = streets.rank_streets(conn, streets.Span("month", today.year, today.month), today=today)
    rows = counted(ranked.engine, today.replace(day=1), today, today)
    assert rows[OWN]["units"] == 3 and rows[OTHER]["units"] == 1
    assert rows[OWN]["activities"] == 5 and rows[OTHER]["activities"] == 4
    assert rows[OWN]["brand"] == 1 and rows[OWN]["overdue"] == 1 and rows[OTHER]["overdue"] == 1
    for street, r in rows.items():
        s = ranking.of(street)
        assert len(s.units) == r["units"]
        assert s.figures["activities_per_unit"] == pytest.approx(r["activities"] / r["units"])
        assert s.figures["hours_per_unit"] == pytest.approx(r["hours"] / r["units"])
        assert s.figures["brand_per_unit"] == pytest.approx(r["brand"] / r["units"])
        assert s.figures["volunteer_percent"] == pytest.approx(r["volunteers"] * 100 / r["population"])
        assert s.figures["overdue_demands"] == r["overdue"]
        assert s.figures["wuyou_share"] == pytest.approx(meeting_share(ranked.engine, street, today))
    assert ranking.of(EMPTY).units == [] and ranking.of(EMPTY).total == 0  # none of its units synced: ranked at 0

    page = web.get(ranked.base + "/district/streets", timeout=60).text
    assert page_totals(page) == expected_totals(ranked.engine, WEIGHTS, today, {})
    assert list(page_totals(page)) == [s.street for s in ranking.streets]
    assert "计分办法（第 1 版，程序自带）" in page and "超期未办的群众点单（每件扣1分）" in page and "六.4" in page

    # Each figure opens the street's page; its stations link to the station page, which lists the rows behind them.
    units_link = r'<a href="(/district/street\?street=[^"#]+)#stations">' + str(rows[OWN]["units"]) + "</a>"
    link = unescape(re.search(units_link, page).group(1))
    detail = web.get(ranked.base + link, timeout=60)
    assert detail.status_code == 200 and OWN in detail.text
    table = detail.text.split('id="stations"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<tr><td><a href="(/district/station/\d+\?[^"]+)">([^<]+)</a>', table)
    assert [n for _h, n in names] == ["艾山街道新时代文明实践所", "南山村", "杨家庄村"]
    assert "红山村" not in detail.text
    assert re.search(r">合计</th>.*?<th class=\"num\">5</th>", table, flags=re.S)  # its 5 activities, station by station
    station = web.get(ranked.base + unescape(dict((n, h) for h, n in names)["杨家庄村"]), timeout=30).text
    assert all(f"杨家庄村活动{n}" in station for n in range(3))
    projects = station.split('id="projects"', 1)[1].split("</table>", 1)[0]
    assert "杨家庄村邻里守望" in projects and "实施中" in projects  # the brand project behind the street's figure
    nan_page = unescape(dict((n, h) for h, n in names)["南山村"]).split("?")[0]
    nan = web.get(ranked.base + nan_page + "#demands", timeout=30).text
    assert "修理路灯" in nan  # the overdue demand behind the penalty


def test_an_entered_visit_score_moves_the_ranking_by_the_published_weights(ranked, tmp_path):
    today = date.today()
    web = staff_login(ranked.base)
    before = page_totals(web.get(ranked.base + "/district/streets", timeout=60).text)
    assert before == expected_totals(ranked.engine, WEIGHTS, today, {})
    behind = min((s for s in before if s != EMPTY), key=lambda s: (before[s], s))  # the last street with stations
    ahead = max(before, key=lambda s: before[s])
    scores = dict(zip(VISITS, (5, 4.5, 6, 3, 5.5), strict=True))
    answer = web.post(ranked.base + "/district/street/scores", timeout=60, data=score_form(
        csrf_of(web, ranked.base), behind, today.year, today.month, scores, {"visit_venue": "阵地整洁，功能室齐全"}))
    assert answer.status_code == 200 and "已记录 5 项打分" in answer.text
    assert "区文明办（wmb）" in answer.text and "阵地整洁，功能室齐全" in answer.text  # who, and the note, in the history
    after = page_totals(web.get(ranked.base + "/district/streets", timeout=60).text)
    assert after[behind] == pytest.approx(before[behind] + 24)
    assert after == expected_totals(ranked.engine, WEIGHTS, today, {behind: scores})
    assert list(after)[0] == behind or before[ahead] - before[behind] >= 24  # first now, unless 24 or more behind

    # A newer weights file: 五有 counts double, and 阵地建设 is worth at most 4 (the 5 entered counts as 4).
    newer = (WEIGHTS.replace("version = 1", "version = 2", 1)
             .replace('metric = "wuyou_share"\nmethod = "share"\npoints = 20',
                      'metric = "wuyou_share"\nmethod = "share"\npoints = 40')
             .replace('title = "阵地建设"\nsource = "entered"\ncombine = "average"\npoints = 6',
                      'title = "阵地建设"\nsource = "entered"\ncombine = "average"\npoints = 4'))
    assert newer.count("points = 40") == 1 and newer.count("points = 4\n") == 1
    form = web.get(ranked.base + "/district/publish", timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    published = web.post(ranked.base + "/district/publish/weights", data={"csrf": csrf}, timeout=30,
                         files={"weights": ("street.toml", newer.encode(), "text/plain")})
    assert published.status_code == 200 and "已发布新的街道评估计分办法" in published.text and "正在使用第 2 版" in published.text
    log = published.text.split("街道评估计分办法发布记录", 1)[1].split("</table>", 1)[0]
    assert "第 2 版" in log and "区文明办（wmb）" in log  # who published it, and when
    page = web.get(ranked.base + "/district/streets", timeout=60).text
    assert "计分办法（第 2 版，" in page
    assert page_totals(page) == expected_totals(ranked.engine, newer, today, {behind: scores})
    share = meeting_share(ranked.engine, behind, today) or 0
    assert page_totals(page)[behind] == pytest.approx(after[behind] - 1 + 20 * share, abs=0.011)


def test_a_street_account_sees_its_own_street_only_and_enters_nothing(ranked_sqlite):
    ranked = ranked_sqlite
    today = date.today()
    web = staff_login(ranked.base, "aishan", "street01")
    page = web.get(ranked.base + "/district/streets", timeout=60)
    assert page.status_code == 200 and OWN in page.text and not any(mark in page.text for mark in OTHER_MARKS)
    assert "以奖代补" not in page.text and 'action="/district/street/scores"' not in page.text
    own = web.get(ranked.base + f"/district/street?street={OWN}", timeout=60)
    assert own.status_code == 200 and "杨家庄村" in own.text and "录入打分" not in own.text
    assert web.get(ranked.base + f"/district/street?street={OTHER}", timeout=60).status_code == 404
    for name in ("streets.xlsx", "streets.pdf"):
        answer = web.get(ranked.base + f"/district/{name}", timeout=60)
        assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(web.get(ranked.base + "/district/streets.xlsx", timeout=60).content)).active
    assert [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)] == [OWN]
    refused = web.post(ranked.base + "/district/street/scores", timeout=30,
                       data=score_form(csrf_of(web, ranked.base), OWN, today.year, today.month, {"visit_venue": 6}))
    assert refused.status_code == 403 and "由区文明实践中心的全区管理员办理" in refused.text
    assert web.get(ranked.base + "/district/streets/award.xlsx", timeout=30).status_code == 403
    assert score_rows(ranked.engine) == 0


def test_bad_scores_are_refused_naming_the_field_and_nothing_is_written(district_sqlite, tmp_path):
    engine, today = district_sqlite.engine, date.today()
    admin.add_station(engine, "杨家庄村", OWN)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    web = staff_login(district_sqlite.base)
    csrf = csrf_of(web, district_sqlite.base)

    def post(scores: dict, notes: dict | None = None, *, year: int = today.year, month: int = today.month,
             street: str = OWN, token: str = csrf) -> requests.Response:
        return web.post(district_sqlite.base + "/district/street/scores", timeout=30,
                        data=score_form(token, street, year, month, scores, notes))

    cases = [
        ({"visit_venue": "7", "visit_teams": "5"}, None, {}, "观摩打分·阵地建设：分数应为 0 到 6 之间的数"),
        ({"visit_venue": "abc"}, None, {}, "观摩打分·阵地建设：分数应为 0 到 6 之间的数（最多两位小数），现为“abc”"),
        ({"media": "-1"}, None, {}, "媒体报道得分：分数应为 0 到 10 之间的数"),
        ({"feature": "3.333"}, None, {}, "特色项目得分：分数应为 0 到 10"),
        ({}, {"media": "省级报道一篇"}, {}, "媒体报道得分：写了说明但没有填分数"),
        ({"media": "2"}, {"media": "很" * 201}, {}, "媒体报道得分的说明：最多200个字"),
        ({}, None, {}, "没有填写任何分数"),
        ({"media": "2"}, None, {"month": today.month + 1 if today.month < 12 else 1,
                                "year": today.year if today.month < 12 else today.year + 1}, "还没到，不能为以后的月份打分"),
    ]
    for scores, notes, when, message in cases:
        answer = post(scores, notes, **when)
        assert answer.status_code == 422, (scores, answer.status_code)
        assert message in unescape(answer.text), (scores, message)
    refused = post({"visit_venue": "7", "visit_teams": "5"}).text
    assert "5" in refused.split('name="score_visit_teams"', 1)[1].split(">", 1)[0]  # what was typed stays
    # Said at the top, before the page's heading, and the page opens at the form with the first bad field focused.
    top = unescape(refused.split("<h2>", 1)[0])
    assert "没有保存：" in top and "观摩打分·阵地建设：分数应为 0 到 6 之间的数" in top and 'href="#enter"' in top
    assert 'action="/district/street/scores#enter"' in refused  # opens at the form, which says so too
    assert "没有保存：请改正下面标出的 1 处后重新提交" in refused.split('id="enter"', 1)[1].split("<fieldset>", 1)[0]
    assert re.search(r'<input name="score_visit_venue"[^>]* autofocus', refused)
    assert not re.search(r'<input name="score_visit_teams"[^>]* autofocus', refused)
    for part, item in (("媒体报道", "media"), ("特色项目", "feature")):  # a report or project is named, as a correction
        unnamed = post({item: "2"})
        assert unnamed.status_code == 422
        assert f"{part}得分的说明：请写明是哪" in unescape(unnamed.text).split("<h2>", 1)[0]
        assert re.search(rf'<input name="note_{item}"[^>]* autofocus', unnamed.text)
    assert post({"media": "2"}, token="forged").status_code == 403
    assert post({"media": "2"}, street="不存在街道").status_code == 404
    assert score_rows(engine) == 0  # the 5 beside the bad 7 was not written either

    ok = post({"media": "2", "feature": "３"}, {"media": "《大众日报》报道一篇", "feature": "邻里守望"})  # full-width, as on a phone
    assert ok.status_code == 200 and "已记录 2 项打分" in ok.text
    again = post({"media": "4"})
    assert again.status_code == 422 and re.search(r'<input name="note_media"[^>]* autofocus', again.text)
    assert f"您已为{today.year}年{today.month}月打过分，更正分数请在说明中写明原因" in again.text
    fixed = post({"media": "4"}, {"media": "漏算了一篇市级报道"})
    assert fixed.status_code == 200
    history = fixed.text.split('id="scores"', 1)[1].split("</table>", 1)[0]
    assert "<s>2</s> 已更正" in history and "漏算了一篇市级报道" in history and "《大众日报》报道一篇" in history
    with engine.connect() as conn:
        ranking = streets.rank_streets(conn, streets.Span("month", today.year, today.month), today=today)
    assert ranking.of(OWN).points["media"] == 4 and ranking.of(OWN).points["feature"] == 3
    assert score_rows(engine) == 3  # the correction is a new row; the first stays


def test_a_half_year_averages_the_visits_and_adds_up_the_reports(district_sqlite):
    """观摩打分: the visits of the period averaged; 媒体报道: added up, at most the item's points (last year's second half,
    whatever day the suite runs on)."""
    engine = district_sqlite.engine
    today = date.today()
    admin.add_station(engine, "杨家庄村", OWN)
    last = today.year - 1
    streets.enter_scores(engine, street=OWN, year=last, month=7, scores={"visit_venue": "4", "media": "6"},
                         notes={"media": "《钢城新闻》两篇"}, by="甲", today=today)
    streets.enter_scores(engine, street=OWN, year=last, month=11, scores={"visit_venue": "6", "media": "7"},
                         notes={"media": "《大众日报》一篇"}, by="乙", today=today)
    with engine.connect() as conn:
        half = streets.rank_streets(conn, streets.Span("half", last, 2), today=today).of(OWN)
        july = streets.rank_streets(conn, streets.Span("month", last, 7), today=today).of(OWN)
        first = streets.rank_streets(conn, streets.Span("half", last, 1), today=today).of(OWN)
        year = streets.rank_streets(conn, streets.Span("year", last), today=today).of(OWN)
    assert half.points["visit_venue"] == 5 and half.points["media"] == 10  # (4 + 6) / 2; 6 + 7 capped at 10
    assert july.points["visit_venue"] == 4 and july.points["media"] == 6
    assert first.points["visit_venue"] == 0 and year.points["visit_venue"] == 5
    assert [(e.entered_by, e.month) for e in half.kept("media")] == [("甲", 7), ("乙", 11)]

    # A second evaluator at the July visit: the panel's scores are averaged for the month, then the visits.
    streets.enter_scores(engine, street=OWN, year=last, month=7, scores={"visit_venue": "5"}, notes={}, by="丙",
                         today=today)
    with pytest.raises(ValidationError, match="您已为.*打过分，更正分数请在说明中写明原因"):
        streets.enter_scores(engine, street=OWN, year=last, month=7, scores={"visit_venue": "6"}, notes={}, by="甲",
                             today=today)
    with engine.connect() as conn:
        half = streets.rank_streets(conn, streets.Span("half", last, 2), today=today).of(OWN)
    assert half.points["visit_venue"] == pytest.approx(((4 + 5) / 2 + 6) / 2, abs=0.005)


def test_weights_are_published_only_when_newer_and_a_broken_file_names_its_line(district_sqlite, tmp_path):
    from test_cli import station

    engine = district_sqlite.engine
    url = engine.url.render_as_string(hide_password=False)

    def cli(content: str):
        path = tmp_path / "street.toml"
        path.write_text(content, encoding="utf-8")
        return station(tmp_path / "unused", "district", "--db", url, "publish-weights", str(path), check=False)

    same = cli(WEIGHTS)
    assert same.returncode == 1 and "第 1 版计分办法已在使用（程序自带），同一版本不能再次发布" in same.stderr
    newer = WEIGHTS.replace("version = 1", "version = 2", 1)
    done = cli(newer)
    assert done.returncode == 0 and "已发布新的街道评估计分办法" in done.stdout
    older = cli(WEIGHTS)
    assert older.returncode == 1 and "这份计分办法是第 1 版，比正在使用的第 2 版" in older.stderr
    broken = (newer.replace("version = 2", "version = 3", 1)
              .replace('metric = "hours_per_unit"', 'metric = "hour_per_unit"'))
    line = next(n for n, t in enumerate(broken.splitlines(), start=1) if t == "[[item]]" and 'hour_per_unit' in
                "\n".join(broken.splitlines()[n:n + 7]))
    answer = cli(broken)
    assert answer.returncode == 1 and f"第 3 项（第 {line} 行起）的指标 metric “hour_per_unit”不认识" in answer.stderr
    syntax = newer.replace("version = 2", "version = 3", 1).replace('points = 8\n', 'points = 八\n', 1)
    bad_line = syntax.splitlines().index("points = 八") + 1
    assert f"计分办法文件第 {bad_line} 行第 10 列格式错误" in cli(syntax).stderr
    for wrong, said in ((newer.replace('method = "relative"', 'method = "best"', 1), "计分方法 method “best”不认识"),
                        (newer.replace('combine = "sum"', 'combine = "max"', 1), "combine “max”应为 average"),
                        (newer.replace('part = "媒体报道"', 'part = "月度评估"', 1), "不属于“月度评估”"),
                        (newer.replace("points = 20", "points = 0", 1), "points（满分）应为大于0"),
                        (newer.replace('id = "hours"', 'id = "activities"', 1), "与前面的项重复")):
        with pytest.raises(streets.WeightsError, match=said):
            streets.parse_weights(wrong)
    with engine.connect() as conn:
        assert streets.weights_in_force(conn)[0] == 2


def test_the_pdf_excel_and_award_read_back(ranked_sqlite, tmp_path):
    from ui_helpers import ARTIFACTS

    today = date.today()
    web = staff_login(ranked_sqlite.base)
    web.post(ranked_sqlite.base + "/district/street/scores", timeout=60, data=score_form(
        csrf_of(web, ranked_sqlite.base), OTHER, today.year, today.month, {"visit_venue": 5, "feature": 8},
        {"visit_venue": "红山村志愿服务站运行良好", "feature": "红山村义诊项目"}))
    answer = web.get(ranked_sqlite.base + "/district/streets.pdf", timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "district-streets.pdf"
    pdf.write_bytes(answer.content)
    words = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", words)
    assert "街道（功能区）新时代文明实践工作评估表" in flat and f"评估期间{today.year}年{today.month}月" in flat
    for expected in (OWN, OTHER, EMPTY, "杨家庄村", "红山村", "红山村志愿服务站运行良好", "区文明办", "观摩打分·阵地建设",
                     "计分办法（第1版）", "钢城文明委〔2022〕2号六.4、六.5", "审核人："):
        assert expected in flat, expected
    with ranked_sqlite.engine.connect() as conn:
        ranking = streets.rank_streets(conn, streets.Span("month", today.year, today.month), today=today)
    assert f"{ranking.of(OTHER).total:.2f}" in words
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(ARTIFACTS / "district-streets-pdf")], check=True)
    assert any(ARTIFACTS.glob("district-streets-pdf*.png"))

    sheet = load_workbook(io.BytesIO(web.get(ranked_sqlite.base + "/district/streets.xlsx", timeout=60).content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = [c.value for c in sheet[2]]
    assert [r[1] for r in rows] == [s.street for s in ranking.streets]
    assert [r[header.index("总分")] for r in rows] == [s.total for s in ranking.streets]

    award = web.get(ranked_sqlite.base + f"/district/streets/award.xlsx?year={today.year}&fund=100000", timeout=60)
    year = load_workbook(io.BytesIO(award.content)).active
    header = [c.value for c in year[2]]
    paid = [r[header.index("以奖代补资金（元）")] for r in year.iter_rows(min_row=3, values_only=True)]
    with ranked_sqlite.engine.connect() as conn:
        whole_year = streets.rank_streets(conn, streets.Span("year", today.year), today=today)
    totals = [max(0, s.total) for s in whole_year.streets]
    assert sum(paid) == pytest.approx(100000, abs=0.05)
    assert paid == [pytest.approx(100000 * t / sum(totals), abs=0.01) for t in totals]
    assert "以奖代补" in year["A1"].value


def test_the_street_pages_fit_a_phone(ranked_sqlite, tmp_path):
    from playwright.sync_api import sync_playwright

    from test_district_web import CHROMIUM, FLAGS, chromium_env
    from ui_helpers import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env=chromium_env(tmp_path))
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
        page.goto(ranked_sqlite.base + "/login")
        page.fill("input[name=username]", "wmb")
        page.fill("input[name=password]", "district1")
        page.click("button[type=submit]")
        page.wait_for_url("**/district/today")
        page.click("text=街道评估 →")
        page.wait_for_url("**/district/streets")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "district-phone-streets.png"), full_page=True)
        page.locator("td a", has_text=OWN).first.click()
        page.wait_for_url("**/district/street?*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.fill("input[name=score_visit_venue]", "5")
        page.fill("input[name=note_visit_venue]", "阵地整洁")
        box = page.locator("form.score button[type=submit]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 32
        page.click("form.score button[type=submit]")
        page.wait_for_url("**#scores")
        assert "已记录 1 项打分" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "district-phone-street.png"), full_page=True)
        browser.close()


def test_figures_and_scores_round_half_up_as_by_hand(district_sqlite):
    """1/4 = 0.25 shows 0.3, 35.25 shows 35.3, and a panel's 2.01 and 2.02 average 2.015, counted 2.02: whoever
    rechecks a shown figure by hand gets the same score (round() would give 0.2, 35.2 and 2.01)."""
    assert streets.half_up(0.25, 1) == 0.3 and streets.half_up(35.25, 1) == 35.3 and streets.half_up(2.675) == 2.68
    assert streets.figure_text("activities_per_unit", 0.25) == "0.3次"
    assert streets.figure_text("hours_per_unit", 35.25) == "35.3小时"
    assert streets.figure_text("volunteer_percent", 2.45) == "2.5%"
    engine, today = district_sqlite.engine, date.today()
    admin.add_station(engine, "杨家庄村", OWN)
    last = today.year - 1
    for by, score in (("甲", "2.01"), ("乙", "2.02")):
        streets.enter_scores(engine, street=OWN, year=last, month=5, scores={"visit_venue": score}, notes={}, by=by,
                             today=today)
    with engine.connect() as conn:
        result = streets.rank_streets(conn, streets.Span("month", last, 5), today=today).of(OWN)
    assert result.points["visit_venue"] == 2.02 and result.parts["观摩打分"] == 2.02 and result.total == 2.02


def test_the_volunteer_share_counts_only_units_whose_population_is_known(district_sqlite, tmp_path):
    """A 所 without its 常住人口 adds nothing to the share (its 110 volunteers were counted over the stations'
    population: 8.9 % instead of 6.0 %); the street's page names the units left out and why."""
    units = [streets.Unit(1, "艾山街道新时代文明实践所", "institute", "a", 0, volunteers=110),
             streets.Unit(2, "杨家庄村", "station", "b", 1500, volunteers=60),
             streets.Unit(3, "南山村", "station", "c", 500, volunteers=60),
             streets.Unit(4, "北山村", "station", "d", 0, volunteers=7)]
    assert streets._figures(units)["volunteer_percent"] == pytest.approx(6.0)
    assert [u.name for u in streets.StreetResult(OWN, units).left_out] == ["艾山街道新时代文明实践所", "北山村"]

    engine = district_sqlite.engine
    codes = {"yang": admin.add_station(engine, "杨家庄村", OWN), "nan": admin.add_station(engine, "南山村", OWN)}
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    ledgers = {"yang": _ledger(tmp_path, "yang", "杨家庄村", OWN, population=100),
               "nan": _ledger(tmp_path, "nan", "南山村", OWN, population=None)}
    try:
        for key, store in ledgers.items():
            SyncClient(store, **FAST).enroll(district_sqlite.base, codes[key])
        _people(Context(store=ledgers["yang"]), "杨家庄村志愿者", 3, 400)
        _people(Context(store=ledgers["nan"]), "南山村志愿者", 2, 410)
        for store in ledgers.values():
            SyncClient(store, **FAST).sync()
        web = staff_login(district_sqlite.base)
        page = unescape(web.get(district_sqlite.base + f"/district/street?street={OWN}", timeout=60).text)
    finally:
        for store in ledgers.values():
            store.close()
    assert "3%" in page.split("注册志愿者占常住人口比例", 1)[1].split("</tr>", 1)[0]  # 3 of 100, not 5 of 100
    assert "注册志愿者占常住人口比例未计入：南山村（未填常住人口，志愿者 2 名）" in page


def test_a_period_is_scored_by_the_weights_in_force_at_its_end(district_sqlite):
    """Publishing version 2 today scores this month by it; last month, already announced, stays on version 1, and
    the page says which. The weights in force download as a file to edit."""
    engine, today = district_sqlite.engine, date.today()
    admin.add_station(engine, "杨家庄村", OWN)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    admin.add_staff(engine, "aishan", "street01", "艾山街道办", street=OWN)
    streets.publish_weights(engine, WEIGHTS.replace("version = 1", "version = 2", 1), by="测试")
    before = today.replace(day=1) - timedelta(days=1)
    with engine.connect() as conn:
        now = streets.rank_streets(conn, streets.Span("month", today.year, today.month), today=today)
        assert now.weights.version == 2
        assert streets.rank_streets(conn, streets.Span("month", before.year, before.month),
                                    today=today).weights.version == 1
        assert streets.weights_in_force(conn, today)[0] == 2 and streets.weights_in_force(conn, before)[0] == 1
    web = staff_login(district_sqlite.base)
    past = f"period=month&year={before.year}&month={before.month}"
    assert "按计分办法第 1 版" in web.get(district_sqlite.base + f"/district/streets?{past}", timeout=60).text
    assert "按计分办法第 1 版" in web.get(district_sqlite.base + f"/district/street?street={OWN}&{past}", timeout=60).text
    assert "按计分办法第 2 版" in web.get(district_sqlite.base + "/district/streets", timeout=60).text
    assert "/district/publish/weights.toml" in web.get(district_sqlite.base + "/district/publish", timeout=30).text
    got = web.get(district_sqlite.base + "/district/publish/weights.toml", timeout=30)
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert streets.parse_weights(got.content.decode("utf-8")).version == 2
    street_web = staff_login(district_sqlite.base, "aishan", "street01")
    assert street_web.get(district_sqlite.base + "/district/publish/weights.toml", timeout=30).status_code == 403
    # The bundled file explains itself in Chinese to the district admin who edits it.
    comments = [line for line in WEIGHTS.splitlines() if line.startswith("#") and line.strip("# ")]
    assert comments and all(re.search(r"[\u4e00-\u9fff]", line) for line in comments)


def test_the_half_year_picker_offers_the_half_holding_the_month(district_sqlite):
    """In December (a frozen day, whatever day the suite runs on) the picker's 半年 is 下半年, not the list's first."""
    december = date(2026, 12, 7)
    assert streets.picker_defaults(streets.Span("month", 2026, 12), december) == {"month": 12, "half": 2}
    assert streets.picker_defaults(streets.Span("year", 2026), december) == {"month": 12, "half": 2}
    assert streets.picker_defaults(streets.Span("year", 2025), december) == {"month": 12, "half": 2}
    assert streets.picker_defaults(streets.Span("month", 2026, 3), december)["half"] == 1
    assert streets.Span.of("half", 2026, today=december).number == 2
    admin.add_staff(district_sqlite.engine, "wmb", "district1", "区文明办")
    web = staff_login(district_sqlite.base)
    last = date.today().year - 1
    page = web.get(district_sqlite.base + f"/district/streets?period=month&year={last}&month=12", timeout=60).text
    assert '<option value="2" selected>下半年</option>' in page


def test_the_award_fund_is_asked_again_in_chinese_and_the_sheets_are_titled(ranked_sqlite):
    today = date.today()
    web = staff_login(ranked_sqlite.base)
    wrong = web.get(ranked_sqlite.base + f"/district/streets/award.xlsx?year={today.year}&fund=十万", timeout=60)
    assert wrong.status_code == 422 and "text/html" in wrong.headers["content-type"]
    page = unescape(wrong.text)
    assert "以奖代补资金总额：请填写整数金额（元）" in page and "请求参数不正确" not in page
    assert 'action="/district/streets/award.xlsx"' in page and 'value="十万"' in page
    sheet = load_workbook(io.BytesIO(web.get(ranked_sqlite.base + "/district/streets.xlsx", timeout=60).content)).active
    assert sheet.title == f"{today.year}年{today.month}月街道评估" and len(sheet.title) <= 31
    assert sheet["A1"].value.startswith(f"{today.year}年{today.month}月各街道（功能区）新时代文明实践工作评估")
    own = staff_login(ranked_sqlite.base, "aishan", "street01")
    title = load_workbook(io.BytesIO(own.get(ranked_sqlite.base + "/district/streets.xlsx", timeout=60).content)).active
    assert "街道街道" not in title["A1"].value and title["A1"].value.startswith(f"{today.year}年{today.month}月{OWN}新时代")

    # The PDF's narrow columns keep a street's name and a corrected score on one line.
    for score, note in (("3", "阵地整洁"), ("4", "复核后更正")):
        web.post(ranked_sqlite.base + "/district/street/scores", timeout=60, data=score_form(
            csrf_of(web, ranked_sqlite.base), OWN, today.year, today.month, {"visit_venue": score},
            {"visit_venue": note}))
    pdf = web.get(ranked_sqlite.base + "/district/streets.pdf", timeout=120).content
    words = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    lines = [line for line in words.splitlines() if "艾山" in line]
    assert lines and all(OWN in line for line in lines), lines
    assert "【已更正】阵地整洁" in re.sub(r"\s+", "", words) and "（已更正）" not in words
