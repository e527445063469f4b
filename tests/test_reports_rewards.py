"""积分台账, 积分公示, 五单登记簿 and 项目清单, read back from the PDF and rendered."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from app import reports
from app.models.enums import DemandState, Role
from app.services import demands, points, work
from app.services.context import Actor, Context
from test_reports import assert_fonts_embedded, assert_page_numbers, text_of

FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
TODAY = date.today()


@pytest.fixture
def clerk(demo_store):
    return Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))


def test_person_ledger_lists_every_entry_with_running_balance(clerk, tmp_path):
    account = points.accounts(clerk)[0]
    lines = points.ledger(clerk, account.holder)
    out = reports.person_ledger_pdf(clerk, tmp_path / "个人积分台账.pdf", account.holder)
    pages = text_of(out)
    text = "".join(pages).replace("\n", "")
    assert f"{account.name} 积分台账" in text and f"{account.balance} 分" in text
    for line in lines[:30]:
        assert line.entry.reason[:8] in text
    assert_page_numbers(pages)
    assert any(name.startswith("WenQuanYiMicroHei") for name in assert_fonts_embedded(out))


def test_points_list_for_the_notice_board_masks_phones(demo_store, tmp_path):
    admin = Context(store=demo_store)  # even an admin's printout is masked: it is posted in public
    lines = points.monthly_list(admin, TODAY.year, TODAY.month)
    assert lines, "the demo station earned points this month"
    out = reports.points_list_pdf(admin, tmp_path / "积分公示.pdf", TODAY.year, TODAY.month)
    text = "".join(text_of(out)).replace("\n", "")
    assert "文明实践积分公示" in text and lines[0].name in text and "公示期 7 天" in text
    assert not FULL_PHONE.search(text) and "****" in text
    month = reports.month_ledger_pdf(admin, tmp_path / "月积分台账.pdf", TODAY.year, TODAY.month)
    month_text = "".join(text_of(month)).replace("\n", "")
    assert f"{TODAY.year}年{TODAY.month}月 积分台账" in month_text and "兑换" in month_text


def test_demand_register_shows_each_demand_and_its_steps(clerk, tmp_path):
    rows = demands.list_demands(clerk)
    start = min(r.demand.received_on for r in rows)
    out = reports.demand_register_pdf(clerk, tmp_path / "五单登记簿.pdf", start, TODAY)
    pages = text_of(out)
    text = "".join(pages).replace("\n", "")
    assert "“五单”服务登记簿" in text and f"共 {len(rows)} 件" in text
    for row in rows:
        assert row.demand.number in text and row.demand.requester in text
    for words in ("审核通过", "派单", "接单", "完成服务", "评单", "奖单", "不予受理", "超期"):
        assert words in text, words
    assert not FULL_PHONE.search(text)  # a clerk's printout
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "r")], check=True)
    image = Image.open(next(tmp_path.glob("r*.png"))).convert("L")
    assert image.size[0] < image.size[1] and sum(image.histogram()[:128]) > 2000


def test_project_list(clerk, tmp_path):
    out = reports.project_list_pdf(clerk, tmp_path / "项目清单.pdf")
    text = "".join(text_of(out)).replace("\n", "")
    for project in work.list_projects(clerk):
        assert project.name in text
    assert "品牌项目 1 个" in text


def test_cli_points_demands_and_prints(demo_store, tmp_path):
    from test_cli import station

    data = demo_store.paths.root
    demo_store.close()
    out = station(data, "points", "settle").stdout
    assert "人次计入" in out
    assert "没有需要结算的活动" in station(data, "points", "settle").stdout
    listing = station(data, "points", "list", "--search", "杨德明").stdout
    assert "杨德明户" in listing and "50" in listing
    assert "现有积分 50 分" in station(data, "points", "show", "杨德明户").stdout
    overdue = station(data, "demands", "--overdue").stdout
    assert "孙凤芝" in overdue and "（超期）" in overdue and "共 1 件" in overdue
    year, month = TODAY.year, TODAY.month
    for args, words in ((("points", "--year", str(year), "--month", str(month)), "已生成积分台账"),
                        (("points", "--year", str(year), "--month", str(month), "--who", "杨德明"), "已生成积分台账"),
                        (("points-list", "--year", str(year), "--month", str(month)), "联系电话已打码"),
                        (("demands", "--year", str(year)), "“五单”服务登记簿"),
                        (("projects",), "已生成项目清单")):
        target = tmp_path / f"{args[0]}-{len(args)}.pdf"
        assert words in station(data, "print", *args, "--out", str(target)).stdout and target.exists()
    for kind in ("demands", "points"):
        assert "已导出" in station(data, "export", kind, str(tmp_path / f"{kind}.xlsx")).stdout
    bad = station(data, "points", "show", "查无此人", check=False)
    assert bad.returncode == 1 and "找不到名为“查无此人”" in bad.stderr


def test_demand_register_keeps_numbers_phones_and_results_on_one_line(clerk, tmp_path):
    """The 编号, the phone and the 结果 wrapped (“2026-000/1” over two lines): their columns fit them."""
    rows = demands.list_demands(clerk)
    start = min(r.demand.received_on for r in rows)
    out = reports.demand_register_pdf(clerk, tmp_path / "五单登记簿.pdf", start, TODAY)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    words = text.split()
    register = demands.register(clerk, start, TODAY)
    assert register and all(row.contact for row, _e in register)
    for row, _events in register:
        assert row.demand.number in words, row.demand.number  # whole, not broken over two lines
        assert row.contact in words, row.contact
        assert DemandState(row.demand.state).label in words
    assert "点单群众" in words and "（超期）" in words
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")], check=True)
    screenshot_of = Image.open(next(tmp_path.glob("page*.png")))
    artifacts = Path(__file__).resolve().parent / "artifacts"  # not in git: made by whichever test saves first
    artifacts.mkdir(exist_ok=True)
    screenshot_of.save(artifacts / "demand-register.png")
