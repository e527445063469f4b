"""One person across stations (#30): a volunteer who serves in two villages, or in a village and at the 所, is one
person at the district — linked by a keyed hash of the ID number, never the number in clear — with their hours in every
ledger and one total; each ledger hears, after a sync (network or USB stick), that a volunteer of its own is registered
elsewhere (how many ledgers and the district's total, nothing else); a volunteer who moves keeps their history.

Done when: the same person registered in two villages shows one total at the district. On the real district server
(SQLite and PostgreSQL), real ledgers, and the real volunteer page."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text

from app.db import Store
from app.models import Volunteer
from app.reports.certificate import certificate_period
from app.services import activities, elsewhere, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Context
from app.services.station import init_station, set_deleted
from conftest import make_id
from sync.client import SyncClient
from sync.package import export_package, import_reply
from sync.server import admin, people
from sync.server.db import person_link, person_link_state
from sync.server.packages import import_package
from sync_helpers import district_key_file, staff_login
from test_sync import FAST

AISHAN, LIXIN = "艾山街道", "里辛街道"


def id_ending_in_x() -> str:
    """A valid resident ID whose check character is X (typed lowercase by some clerks)."""
    return next(n for n in (make_id(born=date(1975, 3, 8), seq=s) for s in range(1, 1000)) if n.endswith("X"))


class Ledger:
    """One ledger on its own PC: a store, its sync client, and a context to act in."""

    def __init__(self, tmp: Path, name: str, *, street: str = AISHAN, level: str = "station"):
        self.name, self.street, self.level = name, street, level
        self.store = Store.open(tmp / name)
        full = f"{name}新时代文明实践站" if level == "station" else name
        init_station(self.store, name=full, level=level, kind="village", street=street, population=900)
        self.ctx = Context(store=self.store)
        self.client = SyncClient(self.store, **FAST)

    def enroll(self, district) -> None:
        self.client.enroll(district.base, admin.add_station(district.engine, self.name, self.street, level=self.level))

    def register(self, name: str, id_number: str, registered_on: date = date(2020, 1, 1)) -> Volunteer:
        return volunteers.add_volunteer(self.ctx, name=name, id_number=id_number, phone="13812345678",
                                        registered_on=registered_on)

    def serve(self, title: str, days_ago: int, hours: dict[str, float]) -> None:
        activities.add_activity(self.ctx, title=title, date=date.today() - timedelta(days=days_ago), category="敬老爱老",
                                participants=[ParticipantInput(vid, h) for vid, h in hours.items()])

    def sync(self):
        return self.client.sync()

    def heard(self, volunteer_id: str):
        return elsewhere.of(self.ctx, [volunteer_id]).get(volunteer_id)


@pytest.fixture
def ledgers(tmp_path):
    made: list[Ledger] = []

    def make(name: str, **kwargs) -> Ledger:
        made.append(Ledger(tmp_path, name, **kwargs))
        return made[-1]

    yield make
    for ledger in made:
        ledger.store.close()


def hours_in_rows(engine, volunteer_ids: list[str]) -> float:
    """Straight from the district's rows, no code of the app's: live service in live, done activities."""
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT COALESCE(SUM(p.hours), 0) FROM participation p JOIN activity a ON a.id = p.activity_id "
            "WHERE p.volunteer_id IN :ids AND p.deleted = :no AND a.deleted = :no AND a.status = 'done'"
        ).bindparams(bindparam("ids", expanding=True)), {"ids": volunteer_ids, "no": False}).scalar()
    return round(float(found), 2)


def links(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.volunteer_id: r.person_key for r in conn.execute(select(person_link))}


def test_the_same_person_in_two_villages_is_one_person_with_one_total(district, ledgers):
    yang, hong, suo = ledgers("杨家庄村"), ledgers("红山村"), ledgers("艾山街道新时代文明实践所", level="institute")
    for ledger in (yang, hong, suo):
        ledger.enroll(district)
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    same = id_ending_in_x()
    wang_yang = yang.register("王秀英", same)
    other_yang = yang.register("李建国", make_id(seq=201))
    yang.serve("重阳饺子宴", 20, {wang_yang.id: 3, other_yang.id: 2})
    yang.serve("义务理发", 10, {wang_yang.id: 2})
    yang.sync()
    assert yang.heard(wang_yang.id) is None  # the only one so far

    # 红山村 registers her too (the clerk typed a lowercase x), and a different person the district must never merge.
    wang_hong = hong.register("王秀英", same.lower())
    zhang_hong = hong.register("张桂兰", make_id(seq=202))
    hong.serve("环境整治", 5, {wang_hong.id: 4, zhang_hong.id: 6})
    # The 所 registers 李建国 (a village volunteer who also serves at the 所), typed as a 15-digit number of the old kind.
    li_suo = suo.register("李建国", make_id(seq=201)[:6] + make_id(seq=201)[8:17])
    suo.serve("理论宣讲", 3, {li_suo.id: 1.5})
    hong_sync, suo_sync = hong.sync(), suo.sync()
    assert hong_sync.elsewhere == 1 and suo_sync.elsewhere == 1

    # The district: one person in two ledgers, one total equal to the sum of the rows.
    key = links(district.engine)[wang_yang.id]
    assert links(district.engine)[wang_hong.id] == key
    assert len({links(district.engine)[v] for v in (wang_yang.id, other_yang.id, zhang_hong.id)}) == 3  # never merged
    with district.engine.connect() as conn:
        wang = people.person(conn, key)
        shared = people.shared(conn)
    assert sorted(r.ledger for r in wang.records) == ["杨家庄村", "红山村"] and wang.hidden_ledgers == 0
    assert {r.ledger: r.hours for r in wang.records} == {"杨家庄村": 5, "红山村": 4}
    assert wang.total_hours == hours_in_rows(district.engine, [wang_yang.id, wang_hong.id]) == 9
    assert wang.masked_name == "王*英" and wang.masked_id == same[:6] + "********" + same[-4:]
    assert sorted(p.masked_name for p in shared) == ["李*国", "王*英"]  # 张桂兰 is in one ledger only
    li = next(p for p in shared if p.masked_name == "李*国")
    assert li.total_hours == hours_in_rows(district.engine, [other_yang.id, li_suo.id]) == 3.5

    # Each ledger hears it after its sync: how many other ledgers, their hours there, the district's total.
    hong_heard = hong.heard(wang_hong.id)
    assert (hong_heard.ledgers, hong_heard.hours, hong_heard.total(4)) == (1, 5, 9)
    assert hong_heard.note(4).startswith("已在其他1个站点登记，区里累计时长 9 小时")
    assert hong.heard(zhang_hong.id) is None
    assert yang.heard(wang_yang.id) is None  # 杨家庄村 has not synced since
    assert yang.sync().elsewhere == 2
    assert (yang.heard(wang_yang.id).ledgers, yang.heard(wang_yang.id).hours) == (1, 4)
    assert (yang.heard(other_yang.id).ledgers, yang.heard(other_yang.id).hours) == (1, 1.5)

    # The district's pages: the person once, both ledgers, one total; masked, and reachable from a station page.
    web = staff_login(district.base)
    page = web.get(f"{district.base}/district/person/{key}", timeout=30)
    assert page.status_code == 200
    assert "杨家庄村" in page.text and "红山村" in page.text and "王*英" in page.text and "<strong>9</strong>" in page.text
    assert same not in page.text and same[6:14] not in page.text and "王秀英" not in page.text
    listed = web.get(f"{district.base}/district/people", timeout=30).text
    assert "共 2 人" in listed and "张*兰" not in listed and f"/district/person/{key}" in listed
    station = web.get(f"{district.base}/district", timeout=30).text
    yang_page = re.search(r'href="(/district/station/\d+)[^"]*">杨家庄村<', station).group(1)
    assert f"/district/person/{key}" in web.get(district.base + yang_page, timeout=30).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', listed).group(1)
    search = f"{district.base}/district/people/search"
    found = web.post(search, data={"csrf": csrf, "id_type": "居民身份证", "id_number": same.lower()}, timeout=30,
                     allow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/district/person/{key}"
    missing = web.post(search, data={"csrf": csrf, "id_number": make_id(seq=999)}, timeout=30)
    assert missing.status_code == 404 and "没有登记这个证件号码" in missing.text
    sheet = web.get(f"{district.base}/district/people.xlsx", timeout=30)
    assert sheet.status_code == 200 and "spreadsheetml" in sheet.headers["content-type"]

    # 红山村 moves her into its 回收站: the district counts live records only, and 杨家庄村 hears she is here only.
    set_deleted(hong.ctx, Volunteer, wang_hong.id, deleted=True, what="志愿者")
    hong.sync()
    yang.sync()
    assert yang.heard(wang_yang.id) is None and yang.heard(other_yang.id) is not None
    with district.engine.connect() as conn:
        assert people.person(conn, key).total_hours == 5


def test_the_hash_is_keyed_and_the_number_is_kept_nowhere_in_clear(district_sqlite, ledgers, caplog):
    district = district_sqlite
    number = id_ending_in_x()
    # The key is the district's: another secret gives other keys; neither is the plain hash of the number.
    one, two = b"1" * 32, b"2" * 32
    plain = hashlib.sha256(f"居民身份证|{number}".encode()).hexdigest()
    assert people.person_key(one, "居民身份证", number) != people.person_key(two, "居民身份证", number)
    assert plain not in (people.person_key(one, "居民身份证", number), people.person_key(two, "居民身份证", number))
    # What the key is made of is the number as the app normalises it: case, full-width digits, spaces, 15 digits.
    assert people.person_key(one, "居民身份证", number.lower()) == people.person_key(one, "居民身份证", number)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert people.person_key(one, "居民身份证", f" {wide[:6]} {wide[6:]} ") == people.person_key(one, "居民身份证", number)
    old = make_id(born=date(1965, 4, 3), seq=57)
    assert people.person_key(one, "居民身份证", old[:6] + old[8:17]) == people.person_key(one, "居民身份证", old)
    assert people.person_key(one, "护照", number) != people.person_key(one, "居民身份证", number)  # another document

    caplog.set_level(logging.DEBUG, logger="sync")
    caplog.set_level(logging.DEBUG, logger="app")
    yang, hong = ledgers("杨家庄村"), ledgers("红山村")
    for ledger in (yang, hong):
        ledger.enroll(district)
    a, b = yang.register("王秀英", number), hong.register("王秀英", number)
    yang.sync()
    hong.sync()
    expected = hmac.new(district.person_key, f"居民身份证|{number}".encode(), hashlib.sha256).hexdigest()
    assert links(district.engine) == {a.id: expected, b.id: expected}
    with district.engine.connect() as conn:
        stored = [str(v) for table in (person_link, person_link_state)
                  for row in conn.execute(select(table)) for v in row]
    assert stored and not any(number in v or number[6:14] in v for v in stored)
    assert number not in caplog.text and number[6:14] not in caplog.text  # never logged, not even in part

    # Another key is refused — a second machine without the file would split every person in two — until the district
    # relinks on purpose (the file lost): every link is made again under the new key, and she is still one person.
    new_key = b"3" * 32
    with pytest.raises(people.PersonKeyError, match="relink-people"):
        people.use_key(district.engine, new_key)
    assert people.use_key(district.engine, new_key, relink=True) == 2
    again = people.person_key(new_key, "居民身份证", number)
    assert links(district.engine) == {a.id: again, b.id: again} and again != expected
    with district.engine.connect() as conn:
        assert conn.execute(select(person_link_state.c.key_check)).scalar() == people.key_check(new_key)
        assert len(people.person(conn, again).records) == 2 and people.person(conn, expected) is None
    assert people.use_key(district.engine, new_key) == 0  # the same key again: nothing to do


def test_the_key_file_is_made_once_and_a_missing_one_is_not_replaced_silently(district_sqlite, tmp_path):
    """The first linking command makes the key file (its owner's only); once the district is linked, a command that
    finds no file, or another key, stops with the reason instead of making a new key: `relink-people` is the way."""
    path = district_key_file()
    key = people.load_key(path)
    assert key == district_sqlite.person_key and path.stat().st_mode & 0o077 == 0
    lost = tmp_path / "elsewhere" / people.KEY_FILE
    with pytest.raises(people.PersonKeyError, match="找不到密钥文件"):
        people.attach(district_sqlite.engine, lost)
    assert not lost.exists()
    args = ["-m", "app.cli", "district", "--db", str(district_sqlite.engine.url)]
    env = {**os.environ, people.ENV_KEY_FILE: str(lost)}
    refused = subprocess.run([sys.executable, *args, "migrate"], capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 1 and "relink-people" in refused.stderr and not lost.exists()
    done = subprocess.run([sys.executable, *args, "relink-people"], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0 and "生成新的人员关联密钥" in done.stdout, done.stderr
    relinked = people.key_check(people.load_key(lost, create=False))
    assert people.stored_check(district_sqlite.engine) == relinked != people.key_check(key)
    lost.write_text("not a key\n")
    with pytest.raises(people.PersonKeyError, match="已损坏"):
        people.load_key(lost)


def test_a_station_without_network_hears_it_from_its_reply(district, ledgers, tmp_path):
    """The note comes back on the USB stick as on the network: a volunteer registered offline is known to be registered
    elsewhere once the reply is taken in."""
    yang, hong = ledgers("杨家庄村"), ledgers("红山村")
    yang.enroll(district)
    code = admin.add_station(district.engine, "红山村", AISHAN)
    number = make_id(born=date(1990, 1, 2), seq=88)
    a = yang.register("赵敏", number)
    yang.serve("关爱留守儿童", 8, {a.id: 2.5})
    yang.sync()
    b = hong.register("赵敏", number)
    hong.serve("垃圾分类宣传", 4, {b.id: 1})
    package = export_package(hong.store, tmp_path / "hong.slpkg", code=code).path
    done = import_package(district.engine, district.app.state.photos, package)
    reply = tmp_path / "hong.slreply"
    reply.write_bytes(done.reply)
    assert hong.heard(b.id) is None  # offline first: nothing is known before the reply comes back
    taken = import_reply(hong.store, reply)
    assert taken.elsewhere == 1
    heard = hong.heard(b.id)
    assert (heard.ledgers, heard.hours, heard.total(1)) == (1, 2.5, 3.5)
    assert import_reply(hong.store, reply).elsewhere == 0  # the same reply again: nothing new
    yang.sync()
    assert (yang.heard(a.id).ledgers, yang.heard(a.id).hours) == (1, 1)


def test_a_volunteer_who_moves_keeps_their_history(district_sqlite, ledgers):
    """迁移: the old station keeps her and what it recorded (谁记录谁证明); the new one registers her and sees the total.
    Each certifies only its own hours."""
    district = district_sqlite
    old, new = ledgers("杨家庄村"), ledgers("北王庄村")
    for ledger in (old, new):
        ledger.enroll(district)
    number = make_id(born=date(1958, 9, 9), seq=64)
    before = old.register("孙桂芳", number)
    old.serve("敬老院慰问", 200, {before.id: 3})
    old.serve("广场舞培训", 100, {before.id: 2})
    old.sync()
    after = new.register("孙桂芳", number, date.today() - timedelta(days=30))  # all the new station's clerk does
    new.serve("读书会", 10, {after.id: 1.5})
    new.sync()
    assert new.heard(after.id).note(1.5).startswith("已在其他1个站点登记，区里累计时长 6.5 小时")
    *_span, records = certificate_period(new.ctx, after.id)
    assert sum(p.hours for _a, p in records) == 1.5  # the new station certifies what it recorded
    *_span, records = certificate_period(old.ctx, before.id)
    assert sum(p.hours for _a, p in records) == 5  # and the old one what it did
    with district.engine.connect() as conn:
        moved = people.person(conn, links(district.engine)[after.id])
    assert [r.ledger for r in moved.records] == ["杨家庄村", "北王庄村"] and moved.total_hours == 6.5


def test_a_street_account_sees_only_its_streets_records(district, ledgers):
    yang, hong = ledgers("杨家庄村"), ledgers("下水河村", street=LIXIN)
    for ledger in (yang, hong):
        ledger.enroll(district)
    admin.add_staff(district.engine, "aishan", "street01", "艾山街道办", street=AISHAN)
    both, theirs = make_id(born=date(1970, 6, 1), seq=31), make_id(born=date(1971, 6, 1), seq=33)
    a = yang.register("周志强", both)
    yang.serve("植树", 30, {a.id: 2})
    b, c = hong.register("周志强", both), hong.register("吴秀兰", theirs)
    hong.serve("下水河村修路", 20, {b.id: 5, c.id: 1})
    yang.sync()
    hong.sync()
    key, other_key = links(district.engine)[a.id], links(district.engine)[c.id]
    web = staff_login(district.base, "aishan", "street01")
    page = web.get(f"{district.base}/district/person/{key}", timeout=30)
    assert page.status_code == 200 and "杨家庄村" in page.text
    assert "下水河" not in page.text and LIXIN not in page.text  # another street's ledger is not named
    assert "另有 1 个其他街道的台账" in page.text and "<strong>7</strong>" in page.text
    assert web.get(f"{district.base}/district/person/{other_key}", timeout=30).status_code == 404
    listed = web.get(f"{district.base}/district/people", timeout=30).text
    assert "周*强" in listed and "吴*兰" not in listed and "下水河" not in listed
    csrf = re.search(r'name="csrf" value="([^"]+)"', listed).group(1)
    search = web.post(f"{district.base}/district/people/search", data={"csrf": csrf, "id_number": theirs}, timeout=30)
    assert search.status_code == 404 and "下水河" not in search.text
    with district.engine.connect() as conn:
        assert [r.ledger for r in people.person(conn, key, AISHAN).records] == ["杨家庄村"]
        assert len(people.person(conn, key).records) == 2


def test_the_volunteer_page_shows_the_note(qtbot, district_sqlite, ledgers, monkeypatch):
    """In the real window: the 志愿者 list says, after a sync, that a volunteer is registered elsewhere and the district's
    total; the form says it in full, and that this ledger's certificate covers its own hours only."""
    from app.settings import Settings
    from ui.dialogs.volunteer import VolunteerDialog
    from ui.main_window import MainWindow

    district = district_sqlite
    yang, hong = ledgers("杨家庄村"), ledgers("红山村")
    for ledger in (yang, hong):
        ledger.enroll(district)
    number = make_id(born=date(1982, 2, 2), seq=46)
    a = yang.register("郑丽", number)
    yang.serve("义诊", 12, {a.id: 6})
    yang.sync()
    b = hong.register("郑丽", number)
    hong.register("钱多多", make_id(seq=404))
    hong.serve("文艺演出", 6, {b.id: 2})

    window = MainWindow(hong.ctx, Settings(hong.store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("volunteers")
    page = window.pages["volunteers"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and not page.model.loading)
    column = next(i for i, c in enumerate(page.model.columns) if c.title == "其他站点")
    assert [page.model.index(r, column).data() for r in range(2)] == ["", ""]  # offline first: not known before a sync
    hong.sync()  # the window hears the store's commit and refreshes the page in front
    qtbot.waitUntil(lambda: page.model.index(0, column).data() == "另在1处登记 · 区里累计8小时", timeout=10_000)
    assert page.model.index(1, column).data() == ""
    dialog = VolunteerDialog(hong.ctx, volunteers.get_volunteer(hong.ctx, b.id), window)
    note = dialog.elsewhere_note.text()
    assert note.startswith("已在其他1个站点登记，区里累计时长 8 小时（本站 2 小时，其他站点 6 小时") and "只证明本站" in note
    assert number not in note
    dialog.deleteLater()
    # 服务证明 stays this ledger's: asked for one, the clerk reads the district's total and that it is not certified here.
    from PySide6.QtWidgets import QInputDialog

    asked = {}

    def ask(_parent, _title, label, items, *_rest):
        asked["label"] = label
        return items[0], False  # 取消: nothing printed

    monkeypatch.setattr(QInputDialog, "getItem", ask)
    page.table.selectRow(0)
    page.print_current()
    assert "郑丽另在1处登记，区里累计8小时；本站的证明只证明本站记录的时长" in asked["label"]
    window.idle.stop()


def test_a_note_replaces_the_last_whole_and_a_malformed_one_changes_nothing(ctx):
    import json

    def item(body) -> dict:
        return {"entity": elsewhere.ITEM, "id": "n", "title": "", "published_at": "2027-01-04T01:00:00+00:00",
                "body": body if isinstance(body, str) else json.dumps(body)}

    a, b = (volunteers.add_volunteer(ctx, name=name, id_number=make_id(seq=seq), phone="13812345678",
                                     registered_on="2020-01-01") for name, seq in (("甲", 11), ("乙", 13)))
    assert elsewhere.receive(ctx, item({"volunteers": {a.id: {"ledgers": 2, "hours": 7.5}}})) == 1
    for bad in ("not json", [], {"volunteers": []}, {"nothing": 1}):
        assert elsewhere.receive(ctx, item(bad)) == 0
    assert elsewhere.of(ctx, [a.id, b.id]) == {a.id: elsewhere.Elsewhere(2, 7.5, elsewhere.of(ctx, [a.id])[a.id].as_of)}
    odd = {a.id: {"ledgers": "2", "hours": 1}, "y" * 36: {"ledgers": 1, "hours": float("nan")},
           "x" * 40: {"ledgers": 1, "hours": 1}}
    only_b = {**odd, b.id: {"ledgers": 1, "hours": 3}}
    assert elsewhere.receive(ctx, item({"volunteers": only_b})) == 1  # only 乙's stands
    assert list(elsewhere.of(ctx, [a.id, b.id])) == [b.id] and elsewhere.count(ctx) == 1
    assert elsewhere.receive(ctx, item({"volunteers": {}})) == 0  # registered here only, now
    assert elsewhere.count(ctx) == 0


def test_the_volunteer_export_says_who_is_registered_elsewhere_as_the_page_does(ctx, tmp_path):
    """The 志愿者 Excel carries the 其他站点 column the page shows: how many other ledgers and the district's total,
    nothing else; a volunteer registered here only has it empty."""
    import json

    from openpyxl import load_workbook

    from app.exchange import excel

    a, b = (volunteers.add_volunteer(ctx, name=name, id_number=make_id(seq=seq), phone="13812345678",
                                     registered_on="2020-01-01") for name, seq in (("甲", 21), ("乙", 23)))
    elsewhere.receive(ctx, {"entity": elsewhere.ITEM, "id": "n", "title": "", "published_at": "2027-01-04T01:00:00+00:00",
                            "body": json.dumps({"volunteers": {a.id: {"ledgers": 2, "hours": 7.5}}})})
    excel.export_volunteers(ctx, tmp_path / "名单.xlsx")
    sheet = load_workbook(tmp_path / "名单.xlsx").active
    header = [c.value for c in sheet[2]]
    shown = {r[header.index("姓名")]: r[header.index("其他站点")] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert shown == {"甲": "另在2处登记 · 区里累计7.5小时", "乙": None}
