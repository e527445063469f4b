"""A district registers its stations from one sheet and hands out the codes on printed slips."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from app.services.errors import ValidationError
from sync.client import SyncClient
from sync.server.admin import add_station
from sync.server.db import account
from sync.server.stations import add_stations, code_slips_pdf, read_stations

HEADERS = ["街道", "站名", "村/社区", "常住人口"]


def sheet(path, rows, headers=HEADERS):
    book = Workbook()
    ws = book.active
    ws.append(["钢城区新时代文明实践站名单"])  # a title row above the header, as such sheets have
    ws.append(headers)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def accounts(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(account)).scalar_one()


def test_a_sheet_of_stations_becomes_accounts_and_a_page_of_code_slips(district_sqlite, demo_store, tmp_path):
    rows = [["艾山街道", "杨家庄村", "村", 1260], ["艾山街道", "东村社区", "社区", "3,400"], ["里辛街道", "红山村", "村", None],
            ["颜庄街道", "澜头村", "村", "980人"], ["颜庄街道", "铁岭村", "村", 720]]
    path = sheet(tmp_path / "名单.xlsx", rows)
    out = tmp_path / "codes.pdf"
    done = subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", str(district_sqlite.engine.url), "add-stations", str(path),
                           "--out", str(out), "--server", "https://wmsj.example.cn"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "已添加 5 个实践站" in done.stdout
    reader = PdfReader(out)
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1 and all(name in text for name in ("杨家庄村", "东村社区", "红山村", "澜头村", "铁岭村"))
    assert "https://wmsj.example.cn" in text
    from test_reports import assert_fonts_embedded

    assert assert_fonts_embedded(out) == {"WenQuanYiMicroHei-0"}
    codes = re.findall(r"\b([A-Z2-9]{4}) ([A-Z2-9]{4})\b", text)
    assert len(codes) == 5
    with district_sqlite.engine.connect() as conn:
        kinds = dict(conn.execute(select(account.c.name, account.c.kind)).all())
        people = dict(conn.execute(select(account.c.name, account.c.population)).all())
    assert kinds["东村社区"] == "community" and people["东村社区"] == 3400 and people["红山村"] is None and people["澜头村"] == 980
    # The slip's code is the real thing: the first station enrolls with it.
    assert SyncClient(demo_store).enroll(district_sqlite.base, " ".join(codes[0]).lower()) == "杨家庄村"  # typed as printed
    png = tmp_path / "slips"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(png)], check=True, timeout=60)
    assert (tmp_path / "slips-1.png").stat().st_size > 5000


def test_one_bad_row_adds_no_station_and_names_every_row(district_sqlite, tmp_path):
    rows = [["艾山街道", "杨家庄村", "村", 1260], ["艾山街道", "", "村", 10], ["艾山街道", "杨家庄村", "村", 5],
            ["里辛街道", "红山村", "镇", 100], ["里辛街道", "青石村", "村", "很多"], ["里辛街道", "大王村", "村", 0]]
    with pytest.raises(ValidationError) as caught:
        add_stations(district_sqlite.engine, read_stations(sheet(tmp_path / "坏.xlsx", rows)))
    text = caught.value.errors["rows"]
    for expected in ("第4行：站名为空", "第5行：站名“杨家庄村”与第3行重复", "第6行：村/社区应填“村”或“社区”，现在是“镇”",
                     "第7行：常住人口“很多”不是数字", "第8行：常住人口应在 1 到 2,000,000 之间"):
        assert expected in text
    assert accounts(district_sqlite.engine) == 0
    with pytest.raises(ValidationError, match="缺少列：村/社区"):
        read_stations(sheet(tmp_path / "少列.xlsx", [["艾山街道", "杨家庄村"]], headers=["街道", "站名"]))
    add_stations(district_sqlite.engine, read_stations(sheet(tmp_path / "一.xlsx", [["艾山街道", "杨家庄村", "村", 1260]])))
    with pytest.raises(ValidationError, match="第3行：“杨家庄村”已有账号"):
        add_stations(district_sqlite.engine, read_stations(sheet(tmp_path / "二.xlsx", [["艾山街道", "杨家庄村", "村", 1260],
                                                                                    ["艾山街道", "新村", "村", 10]])))
    assert accounts(district_sqlite.engine) == 1


def test_staff_add_stations_in_the_browser_and_get_the_slips(district_sqlite, tmp_path):
    from sync.server import admin
    from sync_helpers import staff_login

    admin.add_staff(district_sqlite.engine, "wmb", "district1", "文明办小李")
    web = staff_login(district_sqlite.base)
    form = web.get(district_sqlite.base + "/district/stations/add", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    bad = sheet(tmp_path / "坏.xlsx", [["艾山街道", "杨家庄村", "乡", 10]])
    answer = web.post(district_sqlite.base + "/district/stations/add", data={"csrf": csrf},
                      files={"sheet": ("坏.xlsx", bad.read_bytes())}, timeout=30)
    assert answer.status_code == 422 and "第3行：村/社区应填" in answer.text and accounts(district_sqlite.engine) == 0
    tiers = "站名,街道,村/社区,级别\n艾山街道新时代文明实践所,艾山街道,村,实践所\n杨家庄村,艾山街道,村,实践组\n".encode()
    answer = web.post(district_sqlite.base + "/district/stations/add", data={"csrf": csrf}, files={"sheet": ("级别.csv", tiers)}, timeout=30)
    assert answer.status_code == 422 and "第3行：级别应填“实践站”“实践所”或“实践中心”，现在是“实践组”" in answer.text
    assert accounts(district_sqlite.engine) == 0
    good = sheet(tmp_path / "好.xlsx", [["艾山街道", "杨家庄村", "村", 1260], ["艾山街道", "东村社区", "社区", 3400]])
    answer = web.post(district_sqlite.base + "/district/stations/add", data={"csrf": csrf, "server_url": "https://wmsj.example.cn"},
                      files={"sheet": ("好.xlsx", good.read_bytes())}, timeout=60)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    (tmp_path / "codes.pdf").write_bytes(answer.content)
    assert "东村社区" in PdfReader(tmp_path / "codes.pdf").pages[0].extract_text()
    assert accounts(district_sqlite.engine) == 2


def test_slips_run_onto_more_pages(tmp_path):
    from sync.server.stations import NewStation

    issued = [(NewStation(n, "艾山街道", f"第{n}村", "village", 100), "ABCD2345") for n in range(1, 18)]
    out = code_slips_pdf(tmp_path / "many.pdf", issued)
    assert len(PdfReader(out).pages) == 3  # eight to a page


def test_a_sheet_may_name_each_row_s_tier(district_sqlite, tmp_path):
    """An optional 级别 column (实践站/实践所/实践中心; empty or absent: 实践站), in a CSV as in a workbook: a 所 and the
    中心 are added at their tier, so the district's list of whom each may 转派 to is right from the start; a bad value
    adds nothing and names its row."""
    csv = tmp_path / "名单.csv"
    csv.write_text("街道,站名,村/社区,常住人口,级别\n"
                   "艾山街道,艾山街道新时代文明实践所,村,,实践所\n"
                   "艾山街道,杨家庄村,村,1260,实践站\n"
                   "艾山街道,红山村,村,900,\n"
                   ",钢城区新时代文明实践中心,,,实践中心\n", encoding="utf-8")
    out = tmp_path / "codes.pdf"
    done = subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", str(district_sqlite.engine.url), "add-stations", str(csv),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "已添加 4 个：实践站 2 个，实践所 1 个，实践中心 1 个" in done.stdout
    with district_sqlite.engine.connect() as conn:
        levels = dict(conn.execute(select(account.c.name, account.c.level)).all())
        streets = dict(conn.execute(select(account.c.name, account.c.street)).all())
    assert levels == {"艾山街道新时代文明实践所": "institute", "杨家庄村": "station", "红山村": "station", "钢城区新时代文明实践中心": "center"}
    assert streets["艾山街道新时代文明实践所"] == "艾山街道" and streets["钢城区新时代文明实践中心"] == ""
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "实践所台账" in text and "实践中心台账" in text and "实践站台账" in text

    bad = tmp_path / "坏.csv"
    bad.write_text("站名,街道,村/社区,级别\n新村,艾山街道,村,实践所\n旧村,里辛街道,村,村委会\n无街所,,村,实践所\n"
                   "里辛街道新时代文明实践所,里辛街道,村,所\n里辛二所,里辛街道,村,institute\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_stations(bad)
    text = caught.value.errors["rows"]
    assert "第3行：级别应填“实践站”“实践所”或“实践中心”，现在是“村委会”" in text
    assert "第4行：实践所须填写所属街道（功能区）" in text
    assert "第6行：里辛街道已有第5行的实践所（每个街道一个实践所）" in text
    assert "第2行" not in text
    done = subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", str(district_sqlite.engine.url), "add-stations", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "第3行：级别应填" in done.stderr and "没有添加任何" in done.stderr
    assert accounts(district_sqlite.engine) == 4
    # A second 所 for a street that has one already, by a later sheet or alone: refused, naming the one it has.
    later = tmp_path / "又一批.csv"
    later.write_text("站名,街道,村/社区,级别\n北村,艾山街道,村,实践站\n艾山二所,艾山街道,村,实践所\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", str(district_sqlite.engine.url), "add-stations",
                           str(later)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "第3行：艾山街道已有实践所“艾山街道新时代文明实践所”" in done.stderr, done.stderr
    assert accounts(district_sqlite.engine) == 4  # the whole sheet refused: 北村 not added either
    with pytest.raises(ValidationError, match="艾山街道已有实践所"):
        add_station(district_sqlite.engine, "艾山三所", "艾山街道", level="institute")
