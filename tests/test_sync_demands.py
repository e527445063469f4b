"""The closed 五单 loop across the wire: a demand dispatched by the district reaches only its station through
pull, is dispatched, served, rated and rewarded there offline, points are exchanged, and after the next sync the
district sees it closed — on the real server, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sync_helpers import staff_login
from sqlalchemy import select

from app.db import Store
from app.models.enums import DemandState as S
from app.services import demands, points, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.errors import NotFound, ValidationError
from app.services.station import init_station
from conftest import make_id
from sync.client import SyncClient, history
from sync.server import admin
from sync.server.db import TABLES

from test_sync import FAST, assert_same


def _station(tmp_path, name: str) -> tuple[Store, SyncClient]:
    store = Store.open(tmp_path / name)
    init_station(store, name=f"{name}新时代文明实践站", kind="village", population=800, street="艾山街道")
    return store, SyncClient(store, **FAST)


def test_district_dispatch_round_trip(district, tmp_path):
    code_a = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    code_b = admin.add_station(district.engine, "红山村", "里辛街道")
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    store_a, client_a = _station(tmp_path, "杨家庄村")
    store_b, client_b = _station(tmp_path, "红山村")
    try:
        client_a.enroll(district.base, code_a)
        client_b.enroll(district.base, code_b)
        with pytest.raises(ValidationError) as info:
            admin.dispatch_demand(district.engine, "杨家庄村", requester="", content="x", category="不存在的类别")
        assert "点单群众姓名" in info.value.errors["requester"] and "服务类别" in info.value.errors["category"]
        with pytest.raises(NotFound):
            admin.dispatch_demand(district.engine, "没有这个村", requester="张三", content="x", category="便民服务")
        admin.announce(district.engine, "全区通知")
        dispatch_id = admin.dispatch_demand(district.engine, "杨家庄村", requester="陈奶奶", contact="13905310002",
                                            content="独居老人需要上门理发", category="敬老爱老", address="杨家庄村西街8号",
                                            due_on=(date.today() + timedelta(days=5)).isoformat(), note="请本周内安排")

        # B receives the announcement only; A receives both and opens a demand, pushed back in the same sync.
        assert client_b.sync().pulled == 1
        assert demands.list_demands(Context(store_b)) == []
        result = client_a.sync()
        assert result.pulled == 2 and result.pushed >= 2 and result.dispatched == 1
        assert "其中区中心派单 1 件" in history(store_a)[0].message
        ctx = Context(store_a)
        [row] = demands.list_demands(ctx)
        demand = row.demand
        assert (demand.source, demand.dispatch_id, demand.state, demand.requester) == ("district", dispatch_id, S.approved, "陈奶奶")
        assert client_a.sync().pulled == 0  # the cursor moved past it: not received twice
        assert len(demands.list_demands(ctx)) == 1

        # Offline at the station: dispatch, take, serve, rate, reward, and a volunteer spends the points.
        barber = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="理发师老王", id_number=make_id(seq=901), phone="13805310003")
        helper = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="小孙", id_number=make_id(seq=902))
        team = teams.add_team(ctx, name="敬老志愿服务队", category="敬老爱老", leader_id=barber.id)
        points.ensure_default_rules(ctx)
        demands.dispatch(ctx, demand.id, team_id=team.id, volunteer_id=barber.id)
        demands.take(ctx, demand.id)
        demands.complete(ctx, demand.id, participants=[ParticipantInput(barber.id, 1.5), ParticipantInput(helper.id, 1.0)],
                         start_time="14:00", end_time="15:30", content="上门为陈奶奶理发并打扫房间")
        demands.rate(ctx, demand.id, rating=5, feedback="手艺好，很贴心", method="回访")
        _d, credited = demands.reward(ctx, demand.id, extra_points=5)
        assert credited == 30  # (10 for a ≥4 rating + 5 extra) × 2 people
        points.settle_activities(ctx)  # 1.5 h → 15 + 5; 1.0 h → 10 + 5
        towel = points.save_goods(ctx, name="毛巾", unit="条", price=20)
        points.restock(ctx, towel.id, 10)
        with pytest.raises(ValidationError, match="积分不足"):
            points.redeem(ctx, points.Holder(barber.id), towel.id, 2)
        points.redeem(ctx, points.Holder(barber.id), towel.id, 1)
        assert points.balance(ctx, points.Holder(barber.id)) == 15 + 20 - 20

        client_a.sync()
        assert_same(store_a, district)
        demand_table, entry_table = TABLES["demand"], TABLES["point_entry"]
        with district.engine.connect() as conn:
            at_district = conn.execute(select(demand_table).where(demand_table.c.dispatch_id == dispatch_id)).one()
            assert at_district.state == S.rewarded and at_district.rating == 5
            assert conn.execute(select(entry_table.c.points).where(entry_table.c.volunteer_id == barber.id)).scalars().all()
        # What district staff see on the 五单 page.
        web = staff_login(district.base)
        page = web.get(district.base + "/district/demands", timeout=10).text
        assert "杨家庄村" in page and "独居老人需要上门理发" in page and "已办结，评分 5" in page and "手艺好" in page
        assert "红山村" not in page.split("区中心派单的办理结果")[1]
        sheet = web.get(district.base + "/district/demands.xlsx", timeout=10)  # the same, as a workbook
        from io import BytesIO

        from openpyxl import load_workbook

        cells = [c for row in load_workbook(BytesIO(sheet.content)).active.iter_rows(values_only=True) for c in row if c is not None]
        assert "杨家庄村" in cells and "已办结，评分 5" in cells and "手艺好，很贴心" in cells
        assert any(isinstance(c, str) and "独居老人需要上门理发" in c for c in cells)
        # A form posted from elsewhere (no token from the page) is refused and sends nothing.
        forged = web.post(district.base + "/district/demands/dispatch", data={"station": "红山村", "requester": "某人", "content": "x",
                                                                              "category": "便民服务"}, timeout=10, allow_redirects=False)
        assert forged.status_code == 403 and "页面已过期" in forged.text
        assert client_b.sync().dispatched == 0
    finally:
        store_a.close()
        store_b.close()


def test_station_cannot_push_rows_breaking_the_rules(district_sqlite, tmp_path):
    """The district checks points and demands with the app's rules too."""
    from app.services.rowcheck import check_row

    assert check_row("point_entry", {"points": 0, "reason": "", "occurred_on": "2026-01-01"}) == [
        "积分记录应属于一名志愿者或一个家庭户", "积分分值应为不为0的整数", "缺少加减分原因"]
    assert "评分应为1到5的整数" in check_row("demand", {"requester": "张", "content": "x", "category": "便民服务", "state": "rated",
                                                      "source": "resident", "rating": 9})
    assert check_row("demand_event", {"to_state": "flying", "operator": "x"}) == ["办理状态“flying”无效"]


def test_a_station_cannot_claim_another_stations_dispatch(district_sqlite, tmp_path):
    from app.models import Demand
    from app.outbox import rejected_rows

    district = district_sqlite
    code_a = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    code_b = admin.add_station(district.engine, "红山村", "里辛街道")
    store_a, client_a = _station(tmp_path, "杨家庄村")
    store_b, client_b = _station(tmp_path, "红山村")
    try:
        client_a.enroll(district.base, code_a)
        client_b.enroll(district.base, code_b)
        for_b = admin.dispatch_demand(district.engine, "红山村", requester="张大爷", content="修理院门", category="便民服务")
        with store_a.session(operator="测试") as session:
            for dispatch_id, source in ((for_b, "district"), (None, "district")):
                session.add(Demand(station_id=store_a.station_id, number=f"2026-09{len(source)}{bool(dispatch_id):d}", source=source,
                                   dispatch_id=dispatch_id, requester="张大爷", content="修理院门", category="便民服务",
                                   received_on=date.today(), due_on=date.today(), state="approved"))
            session.commit()
        result = client_a.sync()
        assert result.rejected == 2
        reasons = {r.reason for r in rejected_rows(store_a)}
        assert reasons == {"该需求的派单编号不是区文明实践中心派给本站的", "需求来源与区中心派单编号不符"}
        assert client_b.sync().dispatched == 1  # B still gets, and answers, its own
    finally:
        store_a.close()
        store_b.close()


def test_district_withdraws_a_dispatch(district, tmp_path):
    """Withdrawn before it is served: cancelled at the station with the district's reason, and the district sees it.
    Served offline before the withdrawal arrives: the service stands."""
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    store, client = _station(tmp_path, "杨家庄村")
    try:
        client.enroll(district.base, code)
        first = admin.dispatch_demand(district.engine, "杨家庄村", requester="陈奶奶", content="上门理发", category="敬老爱老")
        second = admin.dispatch_demand(district.engine, "杨家庄村", requester="王大爷", content="修理水管", category="便民服务")
        client.sync()
        ctx = Context(store)
        by_dispatch = {r.demand.dispatch_id: r.demand for r in demands.list_demands(ctx)}
        helper = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="小孙", id_number=make_id(seq=903))
        demands.dispatch(ctx, by_dispatch[second].id, volunteer_id=helper.id)
        demands.take(ctx, by_dispatch[second].id)
        demands.complete(ctx, by_dispatch[second].id, participants=[ParticipantInput(helper.id, 1.0)])  # offline, not yet synced
        with pytest.raises(ValidationError, match="请填写撤回原因"):
            admin.withdraw_dispatch(district.engine, first, " ")
        admin.withdraw_dispatch(district.engine, first, "已由街道所安排")
        admin.withdraw_dispatch(district.engine, second, "重复派单")  # the district does not know it was served
        with pytest.raises(ValidationError, match="已经撤回过了"):
            admin.withdraw_dispatch(district.engine, first, "再撤一次")
        result = client.sync()
        assert result.withdrawn == 1 and "区中心撤回派单 1 件" in history(store)[0].message
        cancelled = demands.get_demand(ctx, by_dispatch[first].id)
        assert cancelled.state == S.cancelled and cancelled.reason == "区文明实践中心撤回派单：已由街道所安排"
        assert demands.events_of(ctx, cancelled.id)[-1].operator == "区文明实践中心"
        assert demands.get_demand(ctx, by_dispatch[second].id).state == S.done  # the service stands
        assert client.sync().withdrawn == 0  # not applied twice
        assert_same(store, district)
        third = admin.dispatch_demand(district.engine, "杨家庄村", requester="赵婶", content="陪同就医", category="敬老爱老")
        client.sync()
        served = next(r.demand for r in demands.list_demands(ctx) if r.demand.dispatch_id == third)
        demands.dispatch(ctx, served.id, volunteer_id=helper.id)
        demands.take(ctx, served.id)
        demands.complete(ctx, served.id, participants=[ParticipantInput(helper.id, 2.0)], date_done=date.today() - timedelta(days=0))
        client.sync()
        with pytest.raises(ValidationError, match="该站已待评单，不能撤回"):  # the district knows it was served
            admin.withdraw_dispatch(district.engine, third, "还是撤回")
        web = staff_login(district.base)
        page = web.get(district.base + "/district/demands", timeout=10).text
        assert "已撤销" in page and "待评单" in page and page.count('action="/district/demands/withdraw"') == 0
    finally:
        store.close()


def test_district_dispatch_commands(tmp_path):
    from test_cli import station

    data, folder = tmp_path / "unused", str(tmp_path / "district")
    out = station(data, "district", "--dir", folder, "add-station", "--name", "红山村", "--street", "里辛街道").stdout
    assert "登记码" in out
    refused = station(data, "district", "--dir", folder, "dispatch", "--station", "红山村", "--requester", "张大爷",
                      "--content", "修理院门", "--category", "便民服务", check=False)
    assert refused.returncode == 1 and "尚未登记或已停用，不能派单" in refused.stderr
    missing = station(data, "district", "--dir", folder, "withdraw", "0000", "--reason", "重复", check=False)
    assert missing.returncode == 1 and "找不到该派单" in missing.stderr
