"""The district overview page in headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import shutil

from app.services import activities, teams
from app.services.context import Context
from sync.client import SyncClient
from sync.server import admin
from ui_helpers import ARTIFACTS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium reaches for Google's hosts, which this machine's closed network refuses.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def test_district_staff_see_every_station(demo_store, district):
    from playwright.sync_api import sync_playwright

    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    admin.add_station(district.engine, "红山村", "里辛街道")  # not enrolled yet
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    client = SyncClient(demo_store)
    client.enroll(district.base, code)
    client.sync()
    ctx = Context(store=demo_store)
    month_titles = [s.activity.title for s in activities.list_activities(ctx, limit=5)]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 800})
        page.goto(district.base + "/district")
        assert page.url.endswith("/login")  # staff only
        page.fill("input[name=username]", "wmb")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        assert "用户名或密码不正确" in page.content()
        page.fill("input[name=username]", "wmb")
        page.fill("input[name=password]", "district1")
        page.click("button[type=submit]")
        page.wait_for_url("**/district")
        text = page.inner_text("main")
        assert "各实践站情况" in text and "杨家庄村" in text and "艾山街道" in text and "红山村" in text and "未登记" in text
        for summary in teams.list_teams(ctx):
            assert summary.team.name in text
        page.screenshot(path=str(ARTIFACTS / "district-overview.png"), full_page=True)
        page.click("text=杨家庄村")
        page.wait_for_url("**/district/station/*")
        detail = page.inner_text("main")
        assert "本月各服务队活动" in detail and all(t in detail for t in month_titles)
        page.screenshot(path=str(ARTIFACTS / "district-station.png"), full_page=True)
        page.goto(district.base + "/district")
        page.click("text=“五有”月度评估与排名")
        page.wait_for_url("**/district/evaluation")
        ranking = page.inner_text("main")
        assert "月度评估" in ranking and "杨家庄村" in ranking and "注册志愿者占常住人口15%以上" in ranking
        page.screenshot(path=str(ARTIFACTS / "district-evaluation.png"), full_page=True)
        with page.expect_download() as download:
            page.click("text=导出Excel")
        saved = ARTIFACTS / "evaluation.xlsx"
        download.value.save_as(str(saved))
        from openpyxl import load_workbook

        ws = load_workbook(saved).active
        assert ws["B3"].value == "杨家庄村" and "（三.2）" in "".join(str(c.value) for c in ws[2])
        page.goto(district.base + "/district")
        page.click("text=“五单”办理情况")
        page.wait_for_url("**/district/demands")
        # 区中心派单 from the form: a bad phone and no content are named beside their fields, nothing is sent.
        page.fill("form.dispatch input[name=requester]", "陈奶奶")
        page.fill("form.dispatch input[name=contact]", "12345")
        page.select_option("form.dispatch select[name=category]", "敬老爱老")
        page.click("form.dispatch button[type=submit]")
        refused = page.inner_text("form.dispatch")
        assert "请填写需求内容" in refused and "手机号" in refused
        assert page.input_value("form.dispatch input[name=requester]") == "陈奶奶"  # what was typed is kept
        page.fill("form.dispatch input[name=contact]", "13905310002")
        page.fill("form.dispatch textarea[name=content]", "独居老人需要上门理发")
        page.click("form.dispatch button[type=submit]")
        page.wait_for_url("**/district/demands?sent=*")
        loop = page.inner_text("main")
        assert "已派单给“杨家庄村”" in loop
        # The demo station's six demands by state (one overdue), and a dispatch not yet fetched by the station.
        assert "杨家庄村" in loop and "未送达（等待该站同步）" in loop and "独居老人需要上门理发" in loop
        row = next(line for line in loop.splitlines() if line.startswith("杨家庄村"))
        assert row.split("\t")[1:3] == ["6", "3"] and row.split("\t")[6] == "1"
        page.screenshot(path=str(ARTIFACTS / "district-demands.png"), full_page=True)
        page.fill("form.withdraw input[name=reason]", "已由街道所安排")
        page.click("form.withdraw button[type=submit]")
        page.wait_for_url("**/district/demands?withdrawn=*")
        after = page.inner_text("main")
        assert "已撤回派单" in after and "已撤回（等待该站同步）" in after and page.locator("form.withdraw").count() == 0
        page.click("text=退出")
        page.goto(district.base + "/district")
        assert page.url.endswith("/login")
        browser.close()
