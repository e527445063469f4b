"""Monday morning for district and street staff (#30): the first page after a login lists what needs attention in
the account's scope, each line a link — demands and dispatches past their deadline, stations not synced for 7 days,
low 评单 ratings with the resident's words, newly rejected records — and the last seven days against the seven
before. Dispatches show their deadline, who took them, a withdrawal's reason and the short id the CLI takes; the
五有 ranking names the failed items first; announcements and rules are published from the web too, and a rules
file older than the one in force, the same version twice or a broken file is refused with the reason. Staff pages
are never kept by the browser. The real server on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from app.db import Store
from app.models.base import utcnow
from app.rules import RULES_FILE, RulesError
from app.services import activities, demands, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.station import init_station
from conftest import make_id
from sync.client import SyncClient
from sync.server import admin
from sync.server.db import account, announcement, rejection
from sync_helpers import staff_login
from test_sync import FAST

OWN, OTHER = "艾山街道", "里辛街道"
OTHER_MARKS = ("红山", "汶源", OTHER)


@dataclass
class Monday:
    base: str
    engine: object
    late_dispatch: str
    withdrawn_dispatch: str
    yang: Store
    hong: Store


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _ledger(tmp: Path, folder: str, name: str, street: str) -> Store:
    store = Store.open(tmp / folder)
    init_station(store, name=f"{name}新时代文明实践站", kind="village", population=900, street=street)
    return store


def _serve_and_rate(ctx: Context, team_id: str, person_id: str, *, content: str, rating: int, feedback: str, received: date) -> None:
    """A resident's demand through the whole loop to 评单."""
    demand = demands.record_demand(ctx, requester="张大娘", content=content, category="敬老爱老", received_on=received.isoformat(),
                                   due_on=(received + timedelta(days=7)).isoformat())
    demands.approve(ctx, demand.id)
    demands.dispatch(ctx, demand.id, team_id=team_id)
    demands.take(ctx, demand.id)
    demands.complete(ctx, demand.id, participants=[ParticipantInput(person_id, 1.0)], date_done=received.isoformat())
    demands.rate(ctx, demand.id, rating=rating, feedback=feedback, method="电话")


@pytest.fixture
def monday(district, tmp_path):
    """艾山街道: 杨家庄村 (synced: an overdue demand, a late dispatch its team took, a withdrawn dispatch, a 1-point
    rating, this and last week's activities, a rejected row now and one three weeks ago) and its 所 (enrolled, last
    synced 9 days ago). 里辛街道: 红山村 (an overdue demand, a 2-point rating, a rejected row) and 汶源村 (10 days
    without a sync). Staff: wmb for the district, aishan for 艾山街道."""
    engine, today = district.engine, date.today()
    yang_code = admin.add_station(engine, "杨家庄村", OWN)
    admin.add_station(engine, "艾山街道新时代文明实践所", OWN, level="institute")
    hong_code = admin.add_station(engine, "红山村", OTHER)
    admin.add_station(engine, "汶源村", OTHER)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    admin.add_staff(engine, "aishan", "street01", "艾山街道办", street=OWN)
    yang, hong = _ledger(tmp_path, "yang", "杨家庄村", OWN), _ledger(tmp_path, "hong", "红山村", OTHER)
    try:
        SyncClient(yang, **FAST).enroll(district.base, yang_code)
        SyncClient(hong, **FAST).enroll(district.base, hong_code)
        # A dispatch made nine days ago, due two days ago (written as the district would have then).
        late = admin.dispatch_demand(engine, "杨家庄村", requester="陈奶奶", content="上门理发", category="敬老爱老")
        body = json.loads(_body(engine, late))
        body.update(received_on=(today - timedelta(days=9)).isoformat(), due_on=(today - timedelta(days=2)).isoformat())
        with engine.begin() as conn:
            conn.execute(update(announcement).where(announcement.c.id == late).values(
                body=json.dumps(body, ensure_ascii=False), published_at=utcnow() - timedelta(days=9)))
        withdrawn = admin.dispatch_demand(engine, "杨家庄村", requester="李大爷", content="代买药品", category="便民服务",
                                          due_on=(today + timedelta(days=3)).isoformat())
        admin.withdraw_dispatch(engine, withdrawn[:8], "群众已自行解决")  # by its short id, as the page shows it
        SyncClient(yang, **FAST).sync()

        ctx = Context(store=yang)
        laowang = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="老王", id_number=make_id(seq=801))
        xiaoli = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="小李", id_number=make_id(seq=802))
        team = teams.add_team(ctx, name="敬老服务队", category="敬老爱老", leader_id=laowang.id)
        [dispatched] = [r.demand for r in demands.list_demands(ctx) if r.demand.dispatch_id == late]
        demands.dispatch(ctx, dispatched.id, team_id=team.id, volunteer_id=laowang.id)
        demands.take(ctx, dispatched.id)
        demands.record_demand(ctx, requester="赵大爷", content="修理路灯", category="便民服务",
                              received_on=(today - timedelta(days=10)).isoformat(), due_on=(today - timedelta(days=3)).isoformat())
        _serve_and_rate(ctx, team.id, xiaoli.id, content="打扫院子", rating=1, feedback="服务人员迟到一个小时", received=today - timedelta(days=1))
        for title, days_ago, people in (("重阳饺子宴", 0, [(laowang, 1.5), (xiaoli, 1.5)]), ("读书会", 3, [(laowang, 2.0)]),
                                        ("广场舞", 10, [(xiaoli, 1.0)])):
            activities.add_activity(ctx, title=title, date=(today - timedelta(days=days_ago)).isoformat(), category="文化文艺服务",
                                    team_id=team.id, participants=[ParticipantInput(p.id, h) for p, h in people])
        SyncClient(yang, **FAST).sync()

        hctx = Context(store=hong)
        hp = volunteers.add_volunteer(hctx, registered_on="2020-01-01", name="红山村志愿者", id_number=make_id(seq=803))
        hteam = teams.add_team(hctx, name="红山村服务队", category="敬老爱老", leader_id=hp.id)
        demands.record_demand(hctx, requester="红山村王大爷", content="红山村修水管", category="便民服务",
                              received_on=(today - timedelta(days=8)).isoformat(), due_on=(today - timedelta(days=1)).isoformat())
        _serve_and_rate(hctx, hteam.id, hp.id, content="红山村送餐", rating=2, feedback="红山村饭菜凉了", received=today - timedelta(days=2))
        SyncClient(hong, **FAST).sync()

        with engine.begin() as conn:
            ids = dict(conn.execute(select(account.c.name, account.c.id)).all())
            conn.execute(update(account).where(account.c.name == "艾山街道新时代文明实践所").values(
                station_id="aishan-institute", last_sync_at=utcnow() - timedelta(days=9, hours=1)))
            conn.execute(update(account).where(account.c.name == "汶源村").values(
                station_id="wenyuan-station", last_sync_at=utcnow() - timedelta(days=10, hours=1)))
            for name, reason, days_ago in (("杨家庄村", "活动日期晚于今天", 0), ("杨家庄村", "很久以前的拒绝", 21), ("红山村", "红山村的记录不对", 1)):
                conn.execute(rejection.insert().values(account_id=ids[name], batch_id=f"b-{days_ago}-0001", entity="activity",
                                                       row_id=f"r-{days_ago}", reason=reason, at=utcnow() - timedelta(days=days_ago)))
        yield Monday(base=district.base, engine=engine, late_dispatch=late, withdrawn_dispatch=withdrawn, yang=yang, hong=hong)
    finally:
        yang.close()
        hong.close()


def _body(engine, dispatch_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(announcement.c.body).where(announcement.c.id == dispatch_id)).scalar_one()


def lines_of(page: str) -> list[tuple[str, str]]:
    """(link, text) of each line of the attention list."""
    block = page.split('<ul class="attention">', 1)[1].split("</ul>", 1)[0]
    return [(unescape(href), unescape(re.sub(r"<[^>]+>", "", text)).strip())
            for href, text in re.findall(r'<li[^>]*><a href="([^"]+)">(.*?)</a></li>', block, flags=re.S)]


def change_rows(page: str) -> dict[str, list[str]]:
    table = page.split('<table class="change">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_a_street_account_lands_on_its_streets_monday_list(monday):
    today = date.today()
    web = staff_login(monday.base, "aishan", "street01")  # asserts the login lands on /district/today
    answer = web.get(monday.base + "/district/today", timeout=30)
    page = answer.text
    assert answer.status_code == 200 and "待办事项（艾山街道" in page
    lines = lines_of(page)
    texts = [t for _href, t in lines]
    short = monday.late_dispatch[:8]
    expected = [
        f"【点单超期】杨家庄村（实践站）{(today - timedelta(days=10)).year}-",
        f"“修理路灯”：{_day(today - timedelta(days=10))}点单，期限{_day(today - timedelta(days=3))}，已超期 3 天，待审核",
        f"【派单超期】{short} 杨家庄村（实践站）陈奶奶（敬老爱老）：上门理发：期限{_day(today - timedelta(days=2))}，已接单（已超期），接单：敬老服务队、老王",
        "【评单低分】杨家庄村（实践站）", "“打扫院子”：1 分，群众评价：服务人员迟到一个小时",
        "【记录被拒】杨家庄村（实践站）：近7天 1 条记录被区里拒收，最近一条：活动日期晚于今天",
        "【未同步】艾山街道新时代文明实践所（实践所，艾山街道）：9 天未同步",
    ]
    for piece in expected:
        assert any(piece in t for t in texts), (piece, texts)
    assert len(lines) == 5  # one line each: nothing of the other street, the withdrawn dispatch, the old rejection
    assert "很久以前的拒绝" not in page and "代买药品" not in page
    for mark in OTHER_MARKS:
        assert mark not in page
    # Each line opens the page that shows it.
    for href, text in lines:
        opened = web.get(monday.base + href, timeout=30)
        assert opened.status_code == 200, (href, text)
        shown = opened.text
        if "点单超期" in text:
            assert "修理路灯" in shown and 'id="demands"' in shown
        elif "评单低分" in text:
            assert "服务人员迟到一个小时" in shown
        elif "派单超期" in text:
            assert f'id="dispatch-{short}"' in shown
        elif "记录被拒" in text:
            assert "活动日期晚于今天" in shown and 'id="rejects"' in shown
        else:
            assert "艾山街道新时代文明实践所" in shown
    # The last seven days against the seven before: 重阳饺子宴 (3 h), 读书会 (2 h) and the service of 打扫院子 (1 h)
    # against 广场舞 (1 h); demands: 打扫院子 and the withdrawn dispatch against 修理路灯 and the late dispatch.
    figures = change_rows(page)
    assert figures["活动（次）"] == ["3", "1", "+2"]
    assert figures["服务时长（小时）"] == ["6", "1", "+5"]
    assert figures["群众点单（件）"] == ["2", "2", "0"]


def test_the_district_account_sees_every_street_on_its_list(monday):
    web = staff_login(monday.base, "wmb", "district1")
    page = web.get(monday.base + "/district/today", timeout=30).text
    texts = [t for _h, t in lines_of(page)]
    assert any("红山村修水管" in t for t in texts) and any("红山村饭菜凉了" in t and "2 分" in t for t in texts)
    assert any("汶源村（实践站，里辛街道）：10 天未同步" in t for t in texts)
    assert any("红山村（实践站）：近7天 1 条记录" in t for t in texts)
    assert len(texts) == 9
    assert 'href="/district/publish"' in page  # the district may publish; a street account is not offered it


def test_staff_pages_are_never_kept_by_the_browser(monday):
    web = staff_login(monday.base, "aishan", "street01")
    with monday.engine.connect() as conn:
        own = conn.execute(select(account.c.id).where(account.c.name == "杨家庄村")).scalar_one()
    for path in ("/district/today", "/district", f"/district/station/{own}", "/district/evaluation", "/district/demands",
                 "/district/packages", "/district/overview.xlsx", "/district/demands.xlsx", "/login", "/openapi.json"):
        answer = web.get(monday.base + path, timeout=30)
        assert answer.status_code == 200 and answer.headers.get("Cache-Control") == "no-store", path
    page = web.get(monday.base + "/district/today", timeout=30).text
    token = re.search(r'action="/logout"><span>[^<]*</span><input type="hidden" name="csrf" value="([^"]+)"', page).group(1)
    web.post(monday.base + "/logout", data={"csrf": token}, timeout=30)
    assert web.get(monday.base + "/district/today", timeout=30).url.split("?")[0].endswith("/login")


def test_each_dispatch_shows_its_deadline_taker_withdrawal_and_short_id(monday, tmp_path):
    from test_cli import station

    today = date.today()
    web = staff_login(monday.base, "aishan", "street01")
    page = web.get(monday.base + "/district/demands", timeout=30).text
    late, gone = monday.late_dispatch[:8], monday.withdrawn_dispatch[:8]
    row = page.split(f'id="dispatch-{late}"', 1)[1].split("</tr>", 1)[0]
    assert f"<code>{late}</code>" in row and _day(today - timedelta(days=2)) in row and "敬老服务队、老王" in row and "已超期" in row
    row = page.split(f'id="dispatch-{gone}"', 1)[1].split("</tr>", 1)[0]
    assert "已撤销" in row and "撤回原因：群众已自行解决" in row and _day(today + timedelta(days=3)) in row

    url = monday.engine.url.render_as_string(hide_password=False)
    fresh = admin.dispatch_demand(monday.engine, "杨家庄村", requester="孙奶奶", content="陪同就医", category="医疗健身")
    done = station(tmp_path / "unused", "district", "--db", url, "withdraw", fresh[:8], "--reason", "已由社区卫生室安排", check=False)
    assert done.returncode == 0, done.stderr
    page = web.get(monday.base + "/district/demands", timeout=30).text
    assert "撤回原因：已由社区卫生室安排" in page.split(f'id="dispatch-{fresh[:8]}"', 1)[1].split("</tr>", 1)[0]
    again = station(tmp_path / "unused", "district", "--db", url, "withdraw", fresh[:8], "--reason", "重复", check=False)
    assert again.returncode == 1 and "已经撤回过了" in again.stderr
    sent = station(tmp_path / "unused", "district", "--db", url, "dispatch", "--station", "杨家庄村", "--requester", "周大爷",
                   "--content", "修自行车", "--category", "便民服务")
    assert re.search(r"派单编号 ([0-9a-f]{8})，撤回时用 station district withdraw \1", sent.stdout)


def test_the_ranking_names_the_failed_items_first(district_sqlite, tmp_path):
    """A station with one 未达标 item behind four or more at risk: today's first four hid it."""
    from app.rules import MISSED, AT_RISK, Period, selfcheck

    engine = district_sqlite.engine
    code = admin.add_station(engine, "杨家庄村", OWN)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    store = _ledger(tmp_path, "yang", "杨家庄村", OWN)
    try:
        SyncClient(store, **FAST).enroll(district_sqlite.base, code)
        SyncClient(store, **FAST).sync()
        today = date.today()
        verdicts = selfcheck(Context(store=store), Period.of(year=today.year, month=today.month))
        missed = [v for v in verdicts if v.status == MISSED]
        at_risk = [v for v in verdicts if v.status == AT_RISK]
        assert missed and len(missed) + len(at_risk) > 4
        page = staff_login(district_sqlite.base).get(district_sqlite.base + "/district/evaluation", timeout=30).text
        cell = page.split("杨家庄村", 1)[1].split("</tr>", 1)[0].split('<td class="problems">', 1)[1]
        shown, more = cell.split("<details>", 1)
        named = [unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in shown.split("<br>")]
        for n, v in enumerate(missed):
            assert named[n].startswith(f"【未达标】{v.title}"), (n, named)
        assert all(not line.startswith("【未达标】") for line in named[len(missed):])
        # the rest one click away on the same page, every one of them (#30: a link led to a page without them)
        rest = len(missed) + len(at_risk) - len(named)
        assert rest > 0 and f"<summary>另有 {rest} 项</summary>" in more
        assert all(f"】{v.title}：" in more for v in (missed + at_risk)[len(named):])
    finally:
        store.close()


NEWER = RULES_FILE.read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)


def test_rules_are_published_from_the_web_and_an_old_or_repeated_or_broken_file_is_refused(monday, tmp_path):
    from test_cli import station

    street = staff_login(monday.base, "aishan", "street01")
    csrf = re.search(r'name="csrf" value="([^"]+)"', street.get(monday.base + "/district/demands", timeout=30).text).group(1)
    assert street.get(monday.base + "/district/publish", timeout=30).status_code == 403
    refused = street.post(monday.base + "/district/publish/rules", data={"csrf": csrf}, timeout=30,
                          files={"rules": ("wuyou.toml", NEWER.encode(), "text/plain")})
    assert refused.status_code == 403
    with monday.engine.connect() as conn:
        assert admin.rules_in_force(conn)[0] == 1

    web = staff_login(monday.base, "wmb", "district1")
    form = web.get(monday.base + "/district/publish", timeout=30).text
    assert "正在使用第 1 版（程序自带）" in form
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)

    def post(text: str, name: str = "wuyou.toml") -> requests.Response:
        return web.post(monday.base + "/district/publish/rules", data={"csrf": csrf}, timeout=30,
                        files={"rules": (name, text.encode(), "text/plain")})

    same = post(RULES_FILE.read_text(encoding="utf-8"))
    assert same.status_code == 422 and "第 1 版规则已在使用（程序自带），同一版本不能再次发布" in same.text
    ok = post(NEWER)
    assert ok.status_code == 200 and "已发布新的“五有”考核规则" in ok.text and "正在使用第 2 版" in ok.text
    twice = post(NEWER)
    assert twice.status_code == 422 and "第 2 版规则已在使用" in twice.text and "改为 3" in twice.text
    older = post(RULES_FILE.read_text(encoding="utf-8"), "old.toml")
    assert older.status_code == 422 and "“old.toml”未发布：这份规则文件是第 1 版，比正在使用的第 2 版" in older.text and "旧，不能发布" in older.text
    broken = NEWER.replace("version = 2", "version = 3", 1).replace('metric = "teams"', "metric = teams", 1)
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if text == "metric = teams")
    answer = post(broken)
    assert answer.status_code == 422 and f"规则文件第 {line} 行第 10 列格式错误" in unescape(answer.text) and "metric = teams" in answer.text
    with monday.engine.connect() as conn:
        assert admin.rules_in_force(conn)[0] == 2
        assert conn.execute(select(announcement.c.title).where(announcement.c.kind == "rules")).scalars().all() == ["“五有”考核规则更新（第 2 版）"]

    # The command line says the same.
    url = monday.engine.url.render_as_string(hide_password=False)
    old_file = tmp_path / "old.toml"
    old_file.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    cli = station(tmp_path / "unused", "district", "--db", url, "publish-rules", str(old_file), check=False)
    assert cli.returncode == 1 and "比正在使用的第 2 版" in cli.stderr
    with pytest.raises(RulesError, match="第 2 版规则已在使用"):
        admin.publish_rules(monday.engine, NEWER)

    # A station pulls version 2, and keeps it even if an older file reached the district before it refused them.
    SyncClient(monday.yang, **FAST).sync()
    from app.rules import version_in_force

    assert version_in_force(monday.yang.paths.root) == 2
    with monday.engine.begin() as conn:  # what a district before this release let through
        conn.execute(announcement.insert().values(id="00000000-0000-4000-8000-0000000000aa", kind="rules", title="旧规则",
                                                  body=RULES_FILE.read_text(encoding="utf-8"), published_at=utcnow()))
    SyncClient(monday.yang, **FAST).sync()
    assert version_in_force(monday.yang.paths.root) == 2
    with monday.engine.connect() as conn:
        assert admin.rules_in_force(conn)[0] == 2  # and the district judges by version 2 too


def test_announcements_are_published_from_the_web_for_district_accounts_only(monday):
    street = staff_login(monday.base, "aishan", "street01")
    csrf = re.search(r'name="csrf" value="([^"]+)"', street.get(monday.base + "/district/demands", timeout=30).text).group(1)
    refused = street.post(monday.base + "/district/publish/announcement", data={"csrf": csrf, "title": "艾山街道自己的通知"}, timeout=30)
    assert refused.status_code == 403
    web = staff_login(monday.base, "wmb", "district1")
    csrf = re.search(r'name="csrf" value="([^"]+)"', web.get(monday.base + "/district/publish", timeout=30).text).group(1)
    empty = web.post(monday.base + "/district/publish/announcement", data={"csrf": csrf, "title": " ", "body": "正文"}, timeout=30)
    assert empty.status_code == 422 and "请填写通知标题" in empty.text and "正文" in empty.text  # what was typed stays
    forged = web.post(monday.base + "/district/publish/announcement", data={"csrf": "forged", "title": "伪造"}, timeout=30)
    assert forged.status_code == 403
    sent = web.post(monday.base + "/district/publish/announcement", timeout=30,
                    data={"csrf": csrf, "title": "关于开展“学雷锋”志愿服务月活动的通知", "body": "请各站于3月5日前报送活动计划。"})
    assert sent.status_code == 200 and "已发布通知" in sent.text and "关于开展“学雷锋”志愿服务月活动的通知" in sent.text
    with monday.engine.connect() as conn:
        titles = conn.execute(select(announcement.c.title).where(announcement.c.kind == "announcement")).scalars().all()
    assert titles == ["关于开展“学雷锋”志愿服务月活动的通知"]
    assert SyncClient(monday.hong, **FAST).sync().pulled == 1


def test_the_monday_list_on_a_phone_and_back_after_logout(monday, tmp_path):
    """390 px wide: the list and the week's figures fit the screen, each line a tap; after 退出, the browser's Back
    shows the login, not the figures from its cache."""
    from playwright.sync_api import sync_playwright

    from test_district_web import CHROMIUM, FLAGS, chromium_env
    from ui_helpers import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env=chromium_env(tmp_path))
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
        page.goto(monday.base + "/login")
        page.fill("input[name=username]", "aishan")
        page.fill("input[name=password]", "street01")
        page.click("button[type=submit]")
        page.wait_for_url("**/district/today")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        items = page.locator("ul.attention li a")
        assert items.count() == 5
        for n in range(items.count()):
            box = items.nth(n).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 32  # whole, and big enough to tap
        assert "近7天" in page.inner_text("table.change")
        page.screenshot(path=str(ARTIFACTS / "district-phone-today.png"), full_page=True)
        page.locator("ul.attention li a", has_text="派单超期").click()
        page.wait_for_url("**/district/demands#dispatch-*")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(monday.base + "/district/today")
        page.click("form.logout button")
        page.wait_for_url("**/login")
        page.go_back()
        page.wait_for_load_state()
        assert page.url.split("?")[0].endswith("/login") and "待办事项" not in page.content() and "修理路灯" not in page.content()
        browser.close()
