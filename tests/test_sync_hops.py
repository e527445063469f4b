"""层层派单 and 上报 across the three tiers (#30, seed 五.2: 群众点单—中心（所、站）派单—志愿组织接单—群众评单—政府奖单; 所
（站）及时搜集上报群众需求), on the real district server and by USB stick.

The issue's path: a need placed at a village is 上报ed to its 所, which 转派s it to another village of its street; served,
rated and rewarded there; the whole path — every hop with who, when, from which tier to which — shows in the 办理经过
of all three ledgers and on the district's pages. And what the district refuses: a 转派 outside the 所's street, a 上报
with no 所 enrolled for the street, a 上报 without a reason; re-sent batches open nothing twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.db import Store
from app.models import DemandHop
from app.models.enums import DemandState as S
from app.outbox import rejected_rows
from app.services import demands, points, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.errors import ValidationError
from app.services.station import init_station
from conftest import make_id
from sync.client import SyncClient, history, load_state
from sync.package import export_package, import_reply
from sync.server import admin
from sync.server.db import announcement
from sync.server.packages import import_package
from sync_helpers import FaultProxy, staff_login
from test_sync import FAST, assert_same

INSTITUTE = "艾山街道新时代文明实践所"
NEED = "家里的老式电视没有信号，想请人上门调试"
WHY = "本村志愿者没有懂家电维修的"


class Ledger:
    """One tier's ledger on its own PC: a store, its sync client, and a context to act in."""

    def __init__(self, tmp_path: Path, name: str, *, level: str = "station", street: str = "艾山街道"):
        self.name = name
        self.store = Store.open(tmp_path / name)
        full = name if level != "station" else f"{name}新时代文明实践站"
        init_station(self.store, name=full, level=level, kind="village", street=street, population=900)
        self.ctx = Context(store=self.store)
        self.client = SyncClient(self.store, **FAST)

    def enroll(self, district, base: str | None = None, *, level: str = "station", street: str = "艾山街道") -> None:
        code = admin.add_station(district.engine, self.name, street, level=level)
        self.client.enroll(base or district.base, code)

    def only(self, state=None):
        [row] = demands.list_demands(self.ctx, state=state)
        return row

    def history(self, demand_id: str) -> list[tuple[str, str, str]]:
        return [(e.action, e.operator, e.note) for e in demands.events_of(self.ctx, demand_id)]

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def ledgers(tmp_path):
    made = {}

    def make(name: str, **kwargs) -> Ledger:
        made[name] = Ledger(tmp_path, name, **kwargs)
        return made[name]

    yield make
    for ledger in made.values():
        ledger.close()


def dispatches_to(engine, station_id: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(announcement).where(announcement.c.kind == "dispatch", announcement.c.station_id == station_id)).all()


def serve(ledger: Ledger, demand_id: str) -> None:
    """The service, offline at the village: 派单, 接单, 完成服务, 评单, 奖单."""
    ctx = ledger.ctx
    fixer = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="维修工老李", id_number=make_id(seq=911), phone="13805310011")
    team = teams.add_team(ctx, name="家电维修志愿服务队", category="便民服务", leader_id=fixer.id)
    points.ensure_default_rules(ctx)
    demands.dispatch(ctx, demand_id, team_id=team.id, volunteer_id=fixer.id)
    demands.take(ctx, demand_id)
    demands.complete(ctx, demand_id, participants=[ParticipantInput(fixer.id, 1.5)], start_time="09:00", end_time="10:30",
                     content="上门调试电视机顶盒")
    demands.rate(ctx, demand_id, rating=5, feedback="师傅很耐心，电视能看了", method="回访")
    demands.reward(ctx, demand_id, extra_points=5)


def place_and_report(village: Ledger) -> str:
    """At the village: 点单, 审核, 上报 with a reason (refused without one, naming the field). Returns the demand's id."""
    need = demands.record_demand(village.ctx, requester="张大娘", contact="13905310001", content=NEED, category="便民服务",
                                 address="杨家庄村东街3号")
    demands.approve(village.ctx, need.id)
    with pytest.raises(ValidationError) as empty:
        demands.report_up(village.ctx, need.id, reason="  ")
    assert empty.value.errors == {"reason": "请填写上报原因"}  # the field, named in Chinese
    demands.report_up(village.ctx, need.id, reason=WHY)
    assert village.only().state_label == "已上报" and village.only().demand.state == S.reported
    return need.id


def test_a_need_reported_up_passed_down_served_and_seen_at_every_tier(district, ledgers):
    """The issue's Done-when path over the network, on SQLite and PostgreSQL."""
    village, other, institute = ledgers("杨家庄村"), ledgers("红山村"), ledgers(INSTITUTE, level="institute")
    elsewhere = ledgers("官庄村", street="里辛街道")
    for ledger in (village, other):
        ledger.enroll(district)
    institute.enroll(district, level="institute")
    elsewhere.enroll(district, street="里辛街道")
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    for ledger in (village, other, institute, elsewhere):
        ledger.client.sync()  # each learns whom it may hand to
    found = demands.directory(institute.ctx)
    assert found.upper is None and {u.name for u in found.lower} == {"杨家庄村", "红山村"}  # its street's stations only
    assert demands.directory(village.ctx).upper.name == INSTITUTE

    need_id = place_and_report(village)
    village.client.sync()
    [sent] = dispatches_to(district.engine, institute.store.station_id)

    # The 所 receives it on its next sync as a new demand carrying its origin.
    result = institute.client.sync()
    assert result.handed_in == 1 and result.dispatched == 0 and "转派或上报来的需求 1 件" in history(institute.store)[0].message
    row = institute.only()
    upper = row.demand
    assert (row.came, upper.state, upper.dispatch_id, upper.content, upper.requester) == ("上报", S.approved, sent.id, NEED, "张大娘")
    [(action, operator, note)] = institute.history(upper.id)
    assert action == "上报" and operator.startswith("杨家庄村·")
    assert note == f"杨家庄村（实践站）上报至{INSTITUTE}（实践所）（原编号 {demands.get_demand(village.ctx, need_id).number}）：{WHY}"
    assert demands.handing_actions(institute.ctx, upper) == {"pass", "report"}
    assert demands.reported_from(institute.ctx, upper) == {village.store.station_id}  # marked in the 转派 choice
    from ui.dialogs.demand import PassDialog

    choice = PassDialog(institute.ctx, upper)
    labels = {choice.target.itemData(i): choice.target.itemText(i) for i in range(choice.target.count())}
    choice.deleteLater()
    assert labels[village.store.station_id] == "杨家庄村（实践站）（本需求由其上报，称办不了）"
    assert labels[other.store.station_id] == "红山村（实践站）"

    # 转派 within its street only: another street's station is not in the list the district sent.
    with pytest.raises(ValidationError, match="只能转派给区里名单中的下级"):
        demands.pass_down(institute.ctx, upper.id, to_station_id=elsewhere.store.station_id)
    demands.pass_down(institute.ctx, upper.id, to_station_id=other.store.station_id, note="红山村有家电维修服务队")
    assert institute.only().demand.state == S.passed and institute.only().state_label == "已转派"
    institute.client.sync()

    result = other.client.sync()
    assert result.handed_in == 1
    there = other.only().demand
    assert other.only().came == "转派"
    hops = other.history(there.id)
    assert [h[0] for h in hops] == ["上报", "转派"]  # every hop, in order, as this ledger's own 办理经过
    assert hops[1][2] == f"{INSTITUTE}（实践所）转派至红山村（实践站）（原编号 {upper.number}）：红山村有家电维修服务队"
    assert "杨家庄村（实践站）上报" in demands.origin_of(other.ctx, there)

    serve(other, there.id)
    assert other.client.sync().rejected == 0

    # Back where it was placed, and at the 所: what became of it, as events of their own demand.
    result = village.client.sync()
    assert result.progress == 8 and "转出需求的办理进展 8 条" in history(village.store)[0].message
    placed = village.history(need_id)
    assert [a for a, _o, _n in placed] == ["点单", "审核通过", "上报", "下级接收", "下级转派", "下级接收", "下级派单", "下级接单",
                                           "下级完成服务", "下级评单", "下级奖单"]
    assert placed[2][2] == f"上报至{INSTITUTE}（实践所）：{WHY}"
    assert placed[3][1:] == (INSTITUTE, f"{INSTITUTE}（实践所）编号 {upper.number}：已收到，编号 {upper.number}")
    assert placed[4][2].startswith(f"{INSTITUTE}（实践所）编号 {upper.number}：转派至红山村（实践站）")
    assert placed[5][1] == "红山村" and placed[5][2].startswith("红山村（实践站）编号")
    assert "5 分（回访）师傅很耐心" in placed[9][2] and placed[9][1].startswith("红山村·")
    assert not any(note.endswith("：") for _a, _o, note in placed), placed  # 下级接单 said nothing: no dangling colon
    assert "志愿者 1 名" in placed[8][2]  # 下级完成服务 says what was done
    # As the clerk reads it: the need went up, so what came back is the 上级's (the events keep their stored marker).
    assert [action for _e, action in demands.shown_events(village.ctx, need_id)][3:6] == ["上级接收", "上级转派", "上级接收"]
    assert village.only().state_label == "已上报（上级已办结）"
    assert village.only().demand.state == S.reported and not village.only().overdue  # closed for this tier, not served here

    result = institute.client.sync()
    assert result.progress == 6
    assert [a for a, _o, _n in institute.history(upper.id)] == ["上报", "转派", "下级接收", "下级派单", "下级接单", "下级完成服务", "下级评单",
                                                               "下级奖单"]
    # The 所 转派ed it down: what came back is the 下级's.
    assert [action for _e, action in demands.shown_events(institute.ctx, upper.id)][-1] == "下级奖单"

    # Nothing twice: every ledger syncs again and nothing new arrives; each equals the district.
    for ledger in (village, other, institute):
        again = ledger.client.sync()
        assert (again.handed_in, again.progress, again.rejected) == (0, 0, 0)
        assert_same(ledger.store, district)
    assert len(dispatches_to(district.engine, other.store.station_id)) == 1

    # The district's 五单 page and Monday list show the chain.
    web = staff_login(district.base)
    page = web.get(district.base + "/district/demands", timeout=10).text
    reported = page[page.index("<code>" + sent.id[:8]):].split("</tr>")[0]  # the village's 上报, as the 所 received it
    assert f"<td>杨家庄村（实践站）上报</td><td>{INSTITUTE}</td>" in reported
    assert "已转派 → 红山村：已办结，评分 5" in reported and "家电维修志愿服务队、维修工老李" in reported
    assert "师傅很耐心" in reported and 'action="/district/demands/withdraw"' not in reported  # served: not withdrawn any more
    passed = page[page.index("<code>" + dispatches_to(district.engine, other.store.station_id)[0].id[:8]):].split("</tr>")[0]
    assert f"<td>{INSTITUTE}（实践所）转派</td><td>红山村</td>" in passed and "已办结，评分 5" in passed
    counts = page[page.index("<td>杨家庄村</td>"):].split("</tr>")[0]
    assert counts.count('<td class="num">1</td>') == 2  # 点单 1, of which 转派/上报 1 (neither open, served nor refused here)


def test_the_monday_list_names_a_late_need_handed_on(district_sqlite, ledgers):
    """A need past its deadline that a village 上报ed is late where it now waits, named with the hop; not at the village."""
    from datetime import date, timedelta

    district = district_sqlite
    village, institute = ledgers("杨家庄村"), ledgers(INSTITUTE, level="institute")
    village.enroll(district)
    institute.enroll(district, level="institute")
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    village.client.sync()
    today = date.today()
    need = demands.record_demand(village.ctx, requester="张大娘", content=NEED, category="便民服务",
                                 received_on=today - timedelta(days=10), due_on=today - timedelta(days=3))
    demands.approve(village.ctx, need.id)
    assert village.only().overdue
    demands.report_up(village.ctx, need.id, reason=WHY)
    assert not village.only().overdue and demands.state_counts(village.ctx)["overdue"] == 0
    village.client.sync()
    web = staff_login(district.base)
    monday = web.get(district.base + "/district/today", timeout=10).text
    [line] = [li for li in monday.split("<li") if "【派单超期】" in li]
    assert f"杨家庄村（实践站）上报至{INSTITUTE}（实践所）" in line and "未送达（等待该站同步）" in line
    assert "【点单超期】" not in monday  # at the village it is handed on: neither waiting nor late there


def test_what_the_district_refuses_and_taking_a_demand_back(district_sqlite, ledgers):
    """A 转派 outside the street, a 上报 with no 所 enrolled: refused with the reason, shown at the ledger, which takes
    the demand back (收回) and can hand it on again once there is somewhere to go."""
    from app.services.rowcheck import check_row

    # What the district checks of the row itself, with the app's own words (a 上报 names why; a 转派 names whom).
    assert check_row("demand_hop", {"kind": "report", "operator": "张三", "reason": " "}) == ["缺少上报原因"]
    assert check_row("demand_hop", {"kind": "pass", "operator": "张三", "to_station_id": ""}) == ["缺少转派给哪个实践所（站）"]
    assert check_row("demand_hop", {"kind": "jump", "operator": "张三"}) == ["转出方式“jump”无效"]
    district = district_sqlite
    village, institute = ledgers("杨家庄村"), ledgers(INSTITUTE, level="institute")
    elsewhere = ledgers("官庄村", street="里辛街道")
    village.enroll(district)
    elsewhere.enroll(district, street="里辛街道")

    # No 所 has enrolled for 艾山街道 yet, and the village has not pulled since: it 上报s offline; the district refuses.
    need = demands.record_demand(village.ctx, requester="王大爷", content="想学用智能手机挂号", category="便民服务")
    demands.approve(village.ctx, need.id)
    demands.report_up(village.ctx, need.id, reason="村里没有会教的人")
    result = village.client.sync()
    assert result.rejected == 2
    reasons = {r.entity: r.reason for r in rejected_rows(village.store)}
    assert "艾山街道还没有在区里登记台账的实践所，不能上报" in reasons["转派/上报"]
    assert "没有被区里接收" in reasons["群众点单"]
    assert dispatches_to(district.engine, elsewhere.store.station_id) == []
    with district.engine.connect() as conn:  # the district keeps the demand as it was before: 待派单
        from sync.server.db import TABLES

        assert conn.execute(select(TABLES["demand"].c.state).where(TABLES["demand"].c.id == need.id)).scalar() == S.approved
    assert demands.handing_actions(village.ctx, demands.get_demand(village.ctx, need.id)) == {"recall"}
    back = demands.recall(village.ctx, need.id)
    assert back.state == S.approved
    assert village.history(need.id)[-1][0] == "收回" and "区里未接收" in village.history(need.id)[-1][2]
    assert village.client.sync().rejected == 0  # the demand as it is now goes up; the refused rows stay refused
    # Now the village knows there is no 所: it is told at once, before anything is written.
    with pytest.raises(ValidationError, match="艾山街道还没有在区里登记台账的实践所，暂不能上报"):
        demands.report_up(village.ctx, need.id, reason="村里没有会教的人")

    # The 所 enrolls; the village hears of it on its next sync and 上报s; a station cannot 转派.
    institute.enroll(district, level="institute")
    village.client.sync()
    assert demands.directory(village.ctx).upper.name == INSTITUTE
    with pytest.raises(ValidationError, match="实践站不能转派"):
        demands.pass_down(village.ctx, need.id, to_station_id=institute.store.station_id)
    demands.report_up(village.ctx, need.id, reason="村里没有会教的人")
    assert village.client.sync().rejected == 0
    institute.client.sync()
    upper = institute.only().demand

    # A 所 whose directory is out of date (or a row made by hand) naming another street's station: refused there.
    with institute.store.session(operator="测试") as session:
        session.add(DemandHop(station_id=institute.store.station_id, demand_id=upper.id, kind="pass",
                              to_station_id=elsewhere.store.station_id, to_name="官庄村", at=demands.utcnow(), operator="测试"))
        row = session.get(demands.Demand, upper.id)
        row.state = S.passed.value
        session.commit()
    institute.client.sync()
    reasons = {r.entity: r.reason for r in rejected_rows(institute.store)}
    assert reasons["转派/上报"] == "实践所只能转派给本街道（艾山街道）的实践站，“官庄村”不是"
    assert dispatches_to(district.engine, elsewhere.store.station_id) == []
    assert demands.recall(institute.ctx, upper.id).state == S.approved
    with pytest.raises(ValidationError, match="区文明实践中心还没有在区里登记台账，暂不能上报"):  # no 中心 ledger enrolled
        demands.report_up(institute.ctx, upper.id, reason="街道也没有")
    demands.pass_down(institute.ctx, upper.id, to_station_id=village.store.station_id, note="请杨家庄村再想办法")
    assert institute.client.sync().rejected == 0  # a second hop of the same demand, after the first was refused: taken
    assert len(dispatches_to(district.engine, village.store.station_id)) == 1


def test_a_batch_sent_again_opens_the_dispatch_once(district_sqlite, ledgers):
    """The district commits the batch carrying a 上报 and the answer is lost: the client sends the same batch again and is
    answered as before; the 所 receives one demand. A hop row sent again in a new batch is answered 'already had it'."""
    district = district_sqlite
    proxy = FaultProxy(district.port)
    try:
        village, institute = ledgers("杨家庄村"), ledgers(INSTITUTE, level="institute")
        village.enroll(district, proxy.base)
        institute.enroll(district, level="institute")
        village.client.sync()
        need = demands.record_demand(village.ctx, requester="张大娘", content=NEED, category="便民服务")
        demands.approve(village.ctx, need.id)
        demands.report_up(village.ctx, need.id, reason=WHY)
        proxy.plan = ["drop_after"]  # the first request of the sync is the batch: committed, reply lost
        village.client.sync()
        assert any(seen.endswith("drop_after") and "/batches" in seen for seen in proxy.seen)
        assert len(dispatches_to(district.engine, institute.store.station_id)) == 1

        # The hop row once more, in a batch of its own (as after a lost acknowledgement on the station's side).
        with village.store.session() as session:
            from app.models import OutboxEntry

            payload = json.loads(session.exec(select(OutboxEntry.payload).where(OutboxEntry.entity == "demand_hop")).scalar_one())
        envelope = {"batch_id": "resend-hop-0001", "station_id": village.store.station_id, "protocol": 1, "schema": "0010", "app_version": "x",
                    "rows": [{"seq": 1, "entity": "demand_hop", "id": payload["id"], "op": "insert", "version": 1, "payload": payload}]}
        from sync.client import load_state

        answer = requests.post(district.base + "/api/v1/batches", json=envelope, timeout=10,
                               headers={"Authorization": f"Bearer {load_state(village.store).token}", "X-Station-Protocol": "1"}).json()
        assert answer["results"][0]["status"] == "duplicate"
        assert len(dispatches_to(district.engine, institute.store.station_id)) == 1
        assert institute.client.sync().handed_in == 1
        assert institute.client.sync().handed_in == 0
        assert len(demands.list_demands(institute.ctx)) == 1
    finally:
        proxy.close()


def test_the_same_path_by_usb_stick(district_sqlite, ledgers, tmp_path):
    """No network at any of the three: each exports a package, the district imports it and writes the reply, the
    ledger imports the reply. The same path, the same 办理经过 at every tier."""
    district = district_sqlite
    stick = tmp_path / "stick"
    stick.mkdir()
    village, other, institute = ledgers("杨家庄村"), ledgers("红山村"), ledgers(INSTITUTE, level="institute")
    codes = {village: admin.add_station(district.engine, "杨家庄村", "艾山街道"), other: admin.add_station(district.engine, "红山村", "艾山街道"),
             institute: admin.add_station(district.engine, INSTITUTE, "艾山街道", level="institute")}
    count = {"n": 0}

    def by_stick(ledger: Ledger):
        count["n"] += 1
        package = stick / f"{count['n']:02d}.slpkg"
        export_package(ledger.store, package, code=codes.pop(ledger, ""))
        done = import_package(district.engine, district.app.state.photos, package)
        reply = package.with_suffix(".slreply")
        reply.write_bytes(done.reply)
        return import_reply(ledger.store, reply)

    for ledger in (village, other, institute):
        by_stick(ledger)  # enrolled by their first package
    by_stick(village)  # the reply to its first package was written before the 所 enrolled: the next one names it
    assert demands.directory(village.ctx).upper.name == INSTITUTE
    need = demands.record_demand(village.ctx, requester="张大娘", content=NEED, category="便民服务")
    demands.approve(village.ctx, need.id)
    demands.report_up(village.ctx, need.id, reason=WHY)
    assert by_stick(village).rejected == 0
    before = load_state(institute.store).last_success_at
    got = by_stick(institute)
    assert got.handed_in == 1 and "转派或上报来的需求 1 件" in history(institute.store)[0].message
    # A need handed in is not a notice: 收到通知 counts what the 区里的通知 tab shows, and there is none.
    assert got.notices == 0 and "收到通知 0 条" in history(institute.store)[0].message
    # Taking a reply in is an exchange with the district, though this package uploaded nothing new.
    assert load_state(institute.store).last_success_at > before
    upper = institute.only().demand
    assert {u.name for u in demands.directory(institute.ctx).lower} == {"杨家庄村", "红山村"}
    demands.pass_down(institute.ctx, upper.id, to_station_id=other.store.station_id)
    by_stick(institute)
    assert by_stick(other).handed_in == 1
    there = other.only().demand
    serve(other, there.id)
    by_stick(other)
    assert by_stick(village).progress == 8
    assert by_stick(institute).progress == 6
    assert [a for a, _o, _n in village.history(need.id)][-1] == "下级奖单"
    assert "群众" not in village.only().state_label and village.only().state_label == "已上报（上级已办结）"
    assert [a for a, _o, _n in other.history(there.id)][:2] == ["上报", "转派"]
    for ledger in (village, other, institute):  # the events each took in went up with its next package
        again = by_stick(ledger)
        assert (again.handed_in, again.progress, again.rejected) == (0, 0, 0)
        assert_same(ledger.store, district)
    with district.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(announcement).where(announcement.c.kind == "dispatch")).scalar() == 2


def test_the_center_passes_across_streets_and_a_withdrawal_follows_the_chain(district_sqlite, ledgers):
    """A 所 上报s to the 中心, which 转派s to a station of another street (the 中心 may). The district's own dispatch to a
    所 that 转派ed it on is withdrawn with its hop: both ledgers cancel, and the 所 hears it from below too. Once the
    station holding it has served it, the withdrawal is refused and names who has it."""
    district = district_sqlite
    institute, center = ledgers(INSTITUTE, level="institute"), ledgers("钢城区新时代文明实践中心", level="center", street="")
    village, far = ledgers("杨家庄村"), ledgers("官庄村", street="里辛街道")
    institute.enroll(district, level="institute")
    center.enroll(district, level="center", street="")
    village.enroll(district)
    far.enroll(district, street="里辛街道")
    for ledger in (institute, center, village, far):
        ledger.client.sync()
    assert {u.name for u in demands.directory(center.ctx).lower} == {INSTITUTE, "杨家庄村", "官庄村"}
    assert demands.directory(center.ctx).upper is None and demands.directory(institute.ctx).upper.name == "钢城区新时代文明实践中心"
    with pytest.raises(ValidationError, match="实践中心是最高一级"):
        demands.report_up(center.ctx, "x", reason="无")

    need = demands.record_demand(institute.ctx, requester="赵师傅", content="小区需要一场防诈骗法律讲座", category="法律服务")
    demands.approve(institute.ctx, need.id)
    demands.report_up(institute.ctx, need.id, reason="本街道没有律师志愿者")
    institute.client.sync()
    assert center.client.sync().handed_in == 1
    at_center = center.only().demand
    assert center.history(at_center.id)[0][2].startswith(f"{INSTITUTE}（实践所）上报至钢城区新时代文明实践中心（实践中心）")
    demands.pass_down(center.ctx, at_center.id, to_station_id=far.store.station_id, note="官庄村有法律服务队")
    center.client.sync()
    assert far.client.sync().handed_in == 1
    assert [a for a, _o, _n in far.history(far.only().demand.id)] == ["上报", "转派"]
    institute.client.sync()
    assert [a for a, _o, _n in institute.history(need.id)][-3:] == ["下级接收", "下级转派", "下级接收"]

    # The district dispatches to the 所, which 转派s to the village; the district then withdraws its dispatch.
    first = admin.dispatch_demand(district.engine, INSTITUTE, requester="陈奶奶", content="独居老人想请人陪同体检", category="敬老爱老")
    institute.client.sync()
    mine = next(r.demand for r in demands.list_demands(institute.ctx) if r.demand.dispatch_id == first)
    demands.pass_down(institute.ctx, mine.id, to_station_id=village.store.station_id)
    institute.client.sync()
    village.client.sync()
    admin.withdraw_dispatch(district.engine, first[:8], "已由区医院志愿队安排")
    assert village.client.sync().withdrawn == 1
    assert village.only().demand.state == S.cancelled
    result = institute.client.sync()
    assert result.withdrawn == 1 and result.progress == 2  # the village had received it, and cancelled it
    assert demands.get_demand(institute.ctx, mine.id).state == S.cancelled
    assert {a for a, _o, _n in institute.history(mine.id)[-2:]} == {"下级撤销", "撤销"}  # its own, and the village's

    # Served at the end of the chain: no longer withdrawn, and the refusal says where it is.
    second = admin.dispatch_demand(district.engine, INSTITUTE, requester="李大爷", content="想请人帮忙修自行车", category="便民服务")
    institute.client.sync()
    mine = next(r.demand for r in demands.list_demands(institute.ctx) if r.demand.dispatch_id == second)
    demands.pass_down(institute.ctx, mine.id, to_station_id=village.store.station_id)
    institute.client.sync()
    village.client.sync()
    there = next(r.demand for r in demands.list_demands(village.ctx) if r.demand.state == S.approved)
    helper = volunteers.add_volunteer(village.ctx, registered_on="2020-01-01", name="小孙", id_number=make_id(seq=912))
    demands.dispatch(village.ctx, there.id, volunteer_id=helper.id)
    demands.take(village.ctx, there.id)
    demands.complete(village.ctx, there.id, participants=[ParticipantInput(helper.id, 1.0)])
    village.client.sync()
    with pytest.raises(ValidationError, match="已转至杨家庄村（实践站），对方已待评单，不能撤回"):
        admin.withdraw_dispatch(district.engine, second, "不用了")


def test_a_second_hop_refused_leaves_the_demand_where_it_was(district_sqlite, ledgers):
    """A demand handed on before, taken back, and handed on again to a target the district refuses: the earlier hop
    (accepted, its demand cancelled below) must not carry the new state. The district keeps the demand 待派单, the 所
    sees the refusal and takes it back again (收回)."""
    from sync.server.db import TABLES

    district = district_sqlite
    institute, village, other = ledgers(INSTITUTE, level="institute"), ledgers("杨家庄村"), ledgers("红山村")
    institute.enroll(district, level="institute")
    village.enroll(district)
    other.enroll(district)
    for ledger in (institute, village, other):
        ledger.client.sync()

    def at_district(demand_id: str) -> str:
        with district.engine.connect() as conn:
            return conn.execute(select(TABLES["demand"].c.state).where(TABLES["demand"].c.id == demand_id)).scalar()

    need = demands.record_demand(institute.ctx, requester="王大爷", content="想学用智能手机挂号", category="便民服务")
    demands.approve(institute.ctx, need.id)
    demands.pass_down(institute.ctx, need.id, to_station_id=village.store.station_id, note="杨家庄村有会教的志愿者")
    assert institute.client.sync().rejected == 0 and at_district(need.id) == S.passed

    # The village cannot serve it after all and cancels it; the 所 hears of it and takes the demand back.
    assert village.client.sync().handed_in == 1
    demands.cancel(village.ctx, village.only().demand.id, reason="会教的志愿者外出打工了")
    village.client.sync()
    institute.client.sync()
    assert demands.handing_actions(institute.ctx, demands.get_demand(institute.ctx, need.id)) == {"recall"}
    demands.recall(institute.ctx, need.id)

    # 红山村's account is revoked at the district after the 所 last pulled its list: the 所 hands it there, offline.
    admin.revoke(district.engine, "红山村")
    demands.pass_down(institute.ctx, need.id, to_station_id=other.store.station_id, note="红山村也有会教的")
    result = institute.client.sync()
    reasons = {r.entity: r.reason for r in rejected_rows(institute.store)}
    assert reasons["转派/上报"] == "转派的对象不是区里登记在用的实践所或实践站，请同步后从名单中重新选择"
    assert "没有被区里接收" in reasons["群众点单"]  # the demand's new state goes with its hop
    assert result.rejected == 2
    assert at_district(need.id) == S.approved  # as it was before the refused 转派, not 已转派
    assert dispatches_to(district.engine, other.store.station_id) == []

    # The 所 sees why and takes it back once more; the demand as it is now goes up.
    mine = demands.get_demand(institute.ctx, need.id)
    assert mine.state == S.passed and demands.handing_actions(institute.ctx, mine) == {"recall"}
    assert demands.recall(institute.ctx, need.id).state == S.approved
    assert institute.history(need.id)[-1][0] == "收回" and "区里未接收：转派的对象不是区里登记在用的" in institute.history(need.id)[-1][2]
    assert institute.client.sync().rejected == 0
    assert at_district(need.id) == S.approved

    # Once more with the 收回 already at the district (an earlier sync, not the same batch): a hop made by hand to the
    # revoked station, and the demand 已转派 with it, are refused again.
    with institute.store.session(operator="测试") as session:
        session.add(DemandHop(station_id=institute.store.station_id, demand_id=need.id, kind="pass",
                              to_station_id=other.store.station_id, to_name="红山村", at=demands.utcnow(), operator="测试"))
        session.flush()
        session.get(demands.Demand, need.id).state = S.passed.value
        session.commit()
    assert institute.client.sync().rejected == 2
    assert at_district(need.id) == S.approved
