"""A 所 and the 中心 enroll with the district like a station (#30): the account knows its tier and its 街道, a code
made for one tier does not enroll another's ledger, an older program still enrolls, and the overview shows the tier."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
import requests
from sqlalchemy import select

from app import __version__
from app.db import Store
from app.rules import Period, evaluate, selfcheck
from app.services import work
from app.services.context import Context
from app.services.errors import ValidationError
from app.services.station import init_station
from sync import protocol
from sync.client import SyncClient, SyncError
from sync.package import PackageError, export_package
from sync.server import admin
from sync.server.db import TABLES, account
from sync.server.packages import import_package
from sync_helpers import staff_login


@pytest.fixture
def institute(tmp_path):
    with Store.open(tmp_path / "所") as store:
        init_station(store, name="艾山街道新时代文明实践所", level="institute", kind="village", street="艾山街道", population=30000)
        yield store


@pytest.fixture
def center(tmp_path):
    with Store.open(tmp_path / "中心") as store:
        init_station(store, name="钢城区新时代文明实践中心", level="center")
        yield store


def account_of(engine, name: str):
    with engine.connect() as conn:
        return conn.execute(select(account).where(account.c.name == name)).one()


def test_add_station_knows_the_tier_and_its_street(district_engine):
    from sync.server.db import migrate

    migrate(district_engine)
    admin.add_station(district_engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
    admin.add_station(district_engine, "钢城区新时代文明实践中心", "艾山街道", level="center")
    admin.add_station(district_engine, "杨家庄村", "艾山街道")
    assert (account_of(district_engine, "艾山街道新时代文明实践所").level, account_of(district_engine, "艾山街道新时代文明实践所").street) == (
        "institute", "艾山街道")
    assert (account_of(district_engine, "钢城区新时代文明实践中心").level, account_of(district_engine, "钢城区新时代文明实践中心").street) == (
        "center", "")  # the center belongs to no 街道
    assert account_of(district_engine, "杨家庄村").level == "station"
    with pytest.raises(ValidationError) as caught:
        admin.add_station(district_engine, "无街道的所", "", level="institute")
    assert "所属街道" in caught.value.errors["street"]
    with pytest.raises(ValidationError):
        admin.add_station(district_engine, "县", "", level="county")


def test_an_institute_enrolls_syncs_and_is_judged_as_an_institute(district_sqlite, institute):
    code = admin.add_station(district_sqlite.engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
    client = SyncClient(institute)
    assert client.enroll(district_sqlite.base, code) == "艾山街道新时代文明实践所"
    ctx = Context(store=institute)
    work.save_project(ctx, name="邻里守望", category="特惠性服务", brand=True)
    client.sync()
    today = date.today()
    period = Period.of(year=today.year)
    here = {v.rule_id: v.as_json() for v in selfcheck(ctx, period)}
    with district_sqlite.engine.connect() as conn:
        there = {v.rule_id: v.as_json() for v in evaluate(conn, TABLES, institute.station_id, period)}
    assert here == there
    assert (there["brand_projects"]["figure"], there["brand_projects"]["target"]) == (1, 3)  # 五.4: a 所's 3
    assert there["teams"]["target"] == 5 and there["managers"]["target"] == 2


def test_a_code_made_for_an_institute_does_not_enroll_a_station_ledger(district_sqlite, store, institute):
    init_station(store, name="杨家庄村新时代文明实践站", kind="village", street="艾山街道")
    code = admin.add_station(district_sqlite.engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
    with pytest.raises(SyncError) as refused:
        SyncClient(store).enroll(district_sqlite.base, code)
    assert "街道（功能区）新时代文明实践所" in str(refused.value) and "村（社区）新时代文明实践站" in str(refused.value)
    assert account_of(district_sqlite.engine, "艾山街道新时代文明实践所").station_id is None  # the code is still good
    assert SyncClient(institute).enroll(district_sqlite.base, code) == "艾山街道新时代文明实践所"


def test_an_older_program_that_sends_no_tier_still_enrolls(district_sqlite, ctx):
    code = admin.add_station(district_sqlite.engine, "测试村", "艾山街道")
    answer = requests.post(district_sqlite.base + protocol.ENROLL, timeout=10,
                           json={"code": code, "station_id": ctx.station_id, "app_version": "0.9"},
                           headers={protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)})
    assert answer.status_code == 200, answer.text
    assert account_of(district_sqlite.engine, "测试村").station_id == ctx.station_id
    bad = requests.post(district_sqlite.base + protocol.ENROLL, timeout=10,
                        json={"code": "ABCDEFGH", "station_id": ctx.station_id, "level": "county", "app_version": __version__},
                        headers={protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)})
    assert bad.status_code == 422


def test_an_account_made_without_a_street_learns_it_from_the_ledger(district_sqlite, ctx):
    code = admin.add_station(district_sqlite.engine, "测试村")
    SyncClient(ctx.store).enroll(district_sqlite.base, code)
    assert account_of(district_sqlite.engine, "测试村").street == "艾山街道"


def test_by_usb_stick_the_tier_is_checked_too(district_sqlite, institute, center, tmp_path):
    code = admin.add_station(district_sqlite.engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
    wrong = export_package(center, tmp_path / "中心.slpkg", code=code).path
    with pytest.raises(PackageError, match="区新时代文明实践中心"):
        import_package(district_sqlite.engine, district_sqlite.app.state.photos, wrong)
    right = export_package(institute, tmp_path / "所.slpkg", code=code).path
    done = import_package(district_sqlite.engine, district_sqlite.app.state.photos, right)
    assert done.enrolled and account_of(district_sqlite.engine, "艾山街道新时代文明实践所").station_id == institute.station_id


def test_the_overview_and_the_station_page_show_the_tier(district_sqlite, institute, center):
    engine = district_sqlite.engine
    admin.add_staff(engine, "wmb", "district1")
    SyncClient(institute).enroll(district_sqlite.base, admin.add_station(engine, "艾山街道新时代文明实践所", "艾山街道", level="institute"))
    client = SyncClient(center)
    client.enroll(district_sqlite.base, admin.add_station(engine, "钢城区新时代文明实践中心", level="center"))
    assert client.sync().rejected == 0  # the center's own row (no 类型, no 街道) is accepted, and it is judged in the ranking
    admin.add_station(engine, "杨家庄村", "艾山街道")
    web = staff_login(district_sqlite.base)
    page = web.get(district_sqlite.base + "/district", timeout=10).text
    row = lambda name: page[page.index(f">{name}</a>"):].split("</tr>")[0]
    assert "<td>实践所</td>" in row("艾山街道新时代文明实践所") and "<td>实践中心</td>" in row("钢城区新时代文明实践中心")
    assert "<td>实践站</td>" in row("杨家庄村")
    detail = web.get(district_sqlite.base + f"/district/station/{account_of(engine, '艾山街道新时代文明实践所').id}", timeout=10).text
    assert "级别：实践所" in detail
    ranking = web.get(district_sqlite.base + "/district/evaluation", timeout=10).text
    assert "<td>实践中心</td>" in ranking


def test_cli_add_station_with_a_level(district_sqlite):
    def district(*args):
        return subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", str(district_sqlite.engine.url), *args],
                              capture_output=True, text=True, timeout=120)

    done = district("add-station", "--name", "艾山街道新时代文明实践所", "--street", "艾山街道", "--level", "institute")
    assert done.returncode == 0, done.stderr
    assert "已添加实践所“艾山街道新时代文明实践所”（街道（功能区）新时代文明实践所）" in done.stdout
    no_street = district("add-station", "--name", "里辛街道新时代文明实践所", "--level", "institute")
    assert no_street.returncode == 1 and "实践所须填写所属街道" in no_street.stderr
    listing = district("stations").stdout
    assert "实践所" in listing and "级别" in listing
