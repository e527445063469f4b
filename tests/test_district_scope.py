"""Staff accounts with a scope (#30): a 街道 account sees and acts only on its own street's 所 and stations, on every
staff page and API of the real district server — another street's station is a 404, never its data and never a
count that gives it away; dispatching to it, withdrawing its dispatch or importing its USB package is refused. The
route table below is checked against the app's own routes: a new staff route without a line here fails the test.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
from urllib.parse import quote
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from openpyxl import Workbook, load_workbook
from PIL import Image
from sqlalchemy import func, select

from app.db import Store
from app.models.base import utcnow
from app.rules import RULES_FILE
from app.services import activities, teams, volunteers
from app.services.context import Context
from app.services.station import init_station
from sync import protocol
from sync.client import SyncClient
from sync.package import export_package
from sync.server import admin, people
from sync.server.db import TABLES, account, announcement, package_import, rejection, street_score, street_weights
from sync.server.packages import import_package
from sync.server.streets import WEIGHTS_FILE
from conftest import make_id
from sync_helpers import staff_login
from test_sync import FAST

OWN, OTHER = "艾山街道", "里辛街道"
# Every name the other street's station goes by: its account, its ledger, its team, its activity, its rejected row.
OTHER_MARKS = ("红山", "下水河", OTHER)


@dataclass
class Streets:
    base: str
    engine: object
    photos: object
    own_account: int
    own_photo: str
    own_dispatch: str
    own_store: Store
    other_account: int
    other_unenrolled: int
    other_photo: str
    other_dispatch: str
    other_import: int
    other_package: Path
    other_station_id: str
    tmp: Path
    shared_person: str = ""  # one person registered in a station of each street (#30), by the district's link key
    other_person: str = ""  # a person registered only in the other street's station
    other_id_number: str = ""


def _ledger(tmp: Path, folder: str, name: str, street: str) -> Store:
    store = Store.open(tmp / folder)
    init_station(store, name=f"{name}新时代文明实践站", kind="village", population=900, street=street)
    ctx = Context(store=store)
    team = teams.add_team(ctx, name=f"{name}宣讲队", category="理论政策宣讲")
    held = activities.add_activity(ctx, title=f"{name}重阳饺子宴", date=date.today(), category="敬老爱老", team_id=team.id)
    picture = tmp / f"{folder}.jpg"
    Image.new("RGB", (64, 48), (sum(map(ord, folder)) % 255, 90, 30)).save(picture, "JPEG")  # a picture of its own
    activities.add_photo(ctx, held.id, picture)
    return store


def _account_id(engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(account.c.id).where(account.c.name == name)).scalar_one()


@pytest.fixture
def streets(district, tmp_path):
    """Two streets: 艾山街道 (杨家庄村, enrolled and synced, and its 所 not yet enrolled) and 里辛街道 (红山村, enrolled,
    synced, dispatched to, with a rejected row and a USB import; 下水河村 not enrolled). Staff: wmb for the whole
    district, aishan for 艾山街道 only."""
    engine = district.engine
    own_code = admin.add_station(engine, "杨家庄村", OWN)
    admin.add_station(engine, "艾山街道新时代文明实践所", OWN, level="institute")
    other_code = admin.add_station(engine, "红山村", OTHER)
    admin.add_station(engine, "下水河村", OTHER)
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    admin.add_staff(engine, "aishan", "street01", "艾山街道办", street=OWN)
    own, other = _ledger(tmp_path, "yang", "杨家庄村", OWN), _ledger(tmp_path, "hong", "红山村", OTHER)
    shared_id, other_id = make_id(born=date(1966, 6, 6), seq=11), make_id(born=date(1967, 7, 7), seq=13)
    for store, name, number in ((own, "周志强", shared_id), (other, "周志强", shared_id), (other, "吴秀兰", other_id)):
        volunteers.add_volunteer(Context(store=store), name=name, id_number=number, phone="13812345678",
                                 registered_on="2020-01-01")
    try:
        SyncClient(own, **FAST).enroll(district.base, own_code)
        SyncClient(other, **FAST).enroll(district.base, other_code)
        own_dispatch = admin.dispatch_demand(engine, "杨家庄村", requester="陈奶奶", content="上门理发", category="敬老爱老")
        other_dispatch = admin.dispatch_demand(engine, "红山村", requester="红山村王大爷", content="红山村修水管", category="便民服务")
        SyncClient(own, **FAST).sync()
        SyncClient(other, **FAST).sync()
        activities.add_activity(Context(store=other), title="红山村广场舞", date=date.today(), category="文化文艺服务")
        first = export_package(other, tmp_path / "hong-1.slpkg").path
        imported = import_package(engine, district.app.state.photos, first, by="区文明办")
        activities.add_activity(Context(store=other), title="红山村义诊", date=date.today(), category="医疗健身")
        later = export_package(other, tmp_path / "hong-2.slpkg").path  # carried by someone of the other street
        with engine.begin() as conn:
            conn.execute(rejection.insert().values(account_id=_account_id(engine, "红山村"), batch_id="b-hong-0001", entity="activity",
                                                   row_id="r-1", reason="红山村的活动日期不对", at=utcnow()))
        photo = TABLES["photo"]
        with engine.connect() as conn:
            sha = {sid: s for sid, s in conn.execute(select(photo.c.station_id, photo.c.sha256))}
        yield Streets(base=district.base, engine=engine, photos=district.app.state.photos,
                      own_account=_account_id(engine, "杨家庄村"), own_photo=sha[own.station_id], own_dispatch=own_dispatch, own_store=own,
                      other_account=_account_id(engine, "红山村"), other_unenrolled=_account_id(engine, "下水河村"),
                      other_photo=sha[other.station_id], other_dispatch=other_dispatch, other_import=imported.import_id,
                      other_package=later, other_station_id=other.station_id, tmp=tmp_path,
                      shared_person=people.person_key(district.person_key, "居民身份证", shared_id),
                      other_person=people.person_key(district.person_key, "居民身份证", other_id), other_id_number=other_id)
    finally:
        own.close()
        other.close()


def text_of(answer: requests.Response) -> str:
    """What a person would read in the answer: a page's text, a workbook's cells, nothing of a picture."""
    kind = answer.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(answer.content))
        return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    if kind.startswith("image/") or "octet-stream" in kind or "pdf" in kind:
        return answer.content.decode("latin-1")
    return answer.text


def csrf_of(web: requests.Session, base: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', web.get(base + "/district/demands", timeout=30).text).group(1)


def stations_sheet(tmp: Path) -> bytes:
    book = Workbook()
    book.active.append(["街道", "站名", "村/社区", "常住人口"])
    book.active.append([OTHER, "里辛新村", "村", 500])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {"announcements": conn.execute(select(func.count()).select_from(announcement)).scalar_one(),
                "scores": conn.execute(select(func.count()).select_from(street_score)).scalar_one(),
                "weights": conn.execute(select(func.count()).select_from(street_weights)).scalar_one(),
                "imports": conn.execute(select(func.count()).select_from(package_import)).scalar_one(),
                "accounts": conn.execute(select(func.count()).select_from(account)).scalar_one(),
                "activities": conn.execute(select(func.count()).select_from(TABLES["activity"])).scalar_one()}


# Each staff route, as the 艾山街道 account, aimed at 里辛街道: (how to call it, the statuses that mean "refused or
# shown without the other street"). A callable gets (session, streets, csrf) and returns the answer.
def _get(path: str):
    return lambda web, s, csrf: web.get(s.base + path.format(s=s), timeout=60, allow_redirects=False)


def _post(path: str, data: dict, files: dict | None = None):
    def call(web, s, csrf):
        sent = {k: (v.format(s=s) if isinstance(v, str) else v) for k, v in data.items()}
        return web.post(s.base + path, data={**sent, "csrf": csrf}, files=files(s) if callable(files) else files, timeout=60,
                        allow_redirects=False)
    return call


SHOWN, NOT_FOUND, REFUSED = (200,), (404,), (403, 404, 422)
STAFF_ROUTES: dict[tuple[str, str], list[tuple]] = {
    ("GET", "/district"): [(_get("/district"), SHOWN), (_get(f"/district?street={OTHER}"), NOT_FOUND),
                           (_get("/district?sort=stale&p=1"), SHOWN)],
    ("GET", "/district/overview.xlsx"): [(_get("/district/overview.xlsx"), SHOWN), (_get(f"/district/overview.xlsx?street={OTHER}"), NOT_FOUND)],
    ("GET", "/district/evaluation"): [(_get("/district/evaluation"), SHOWN), (_get(f"/district/evaluation?street={OTHER}"), NOT_FOUND)],
    ("GET", "/district/evaluation.xlsx"): [(_get("/district/evaluation.xlsx"), SHOWN)],
    ("GET", "/district/station/{account_id}"): [(_get("/district/station/{s.other_account}"), NOT_FOUND),
                                                (_get("/district/station/{s.other_unenrolled}"), NOT_FOUND)],
    ("GET", "/district/photo/{sha}"): [(_get("/district/photo/{s.other_photo}"), NOT_FOUND),
                                       (_get("/district/photo/{s.other_photo}?thumb=1"), NOT_FOUND)],
    ("GET", "/district/demands"): [(_get("/district/demands"), SHOWN)],
    ("GET", "/district/demands.xlsx"): [(_get("/district/demands.xlsx"), SHOWN)],
    ("POST", "/district/demands/dispatch"): [(_post("/district/demands/dispatch", {
        "station": "红山村", "requester": "张三", "content": "打扫卫生", "category": "便民服务"}), REFUSED),
        (_post("/district/demands/dispatch", {"station": "{s.other_station_id}", "requester": "张三", "content": "打扫卫生",
                                              "category": "便民服务"}), REFUSED)],
    ("POST", "/district/demands/withdraw"): [(_post("/district/demands/withdraw", {"dispatch_id": "{s.other_dispatch}", "reason": "重复"}),
                                              REFUSED)],
    ("GET", "/district/packages"): [(_get("/district/packages"), SHOWN), (_get("/district/packages?done={s.other_import}"), SHOWN)],
    ("POST", "/district/packages"): [(_post("/district/packages", {}, lambda s: {
        "package": ("hong.slpkg", s.other_package.read_bytes(), "application/octet-stream")}), REFUSED)],
    ("GET", "/district/packages/{import_id}/reply"): [(_get("/district/packages/{s.other_import}/reply"), NOT_FOUND)],
    ("GET", "/district/stations/add"): [(_get("/district/stations/add"), (403,))],
    ("POST", "/district/stations/add"): [(_post("/district/stations/add", {}, lambda s: {
        "sheet": ("stations.xlsx", stations_sheet(s.tmp), "application/octet-stream")}), (403,))],
    ("GET", "/openapi.json"): [(_get("/openapi.json"), SHOWN)],  # the API's description: no station's data
    ("GET", "/district/today"): [(_get("/district/today"), SHOWN)],  # Monday morning's list: its street's lines only
    # One person across ledgers (#30): a person of both streets shows only this street's record; one of the other
    # street only is as unknown, whether asked for by key or searched for by ID number.
    ("GET", "/district/people"): [(_get("/district/people"), SHOWN), (_get("/district/people?p=2"), SHOWN)],
    ("GET", "/district/people.xlsx"): [(_get("/district/people.xlsx"), SHOWN)],
    ("GET", "/district/person/{key}"): [(_get("/district/person/{s.shared_person}"), SHOWN),
                                        (_get("/district/person/{s.other_person}"), NOT_FOUND)],
    ("POST", "/district/people/search"): [(_post("/district/people/search", {"id_number": "{s.other_id_number}"}),
                                           NOT_FOUND)],
    ("GET", "/district/publish"): [(_get("/district/publish"), (403,))],  # announcements and rules: the district's
    ("POST", "/district/publish/announcement"): [(_post("/district/publish/announcement", {"title": "艾山街道的通知"}), (403,))],
    ("POST", "/district/publish/rules"): [(_post("/district/publish/rules", {}, lambda s: {
        "rules": ("wuyou.toml", RULES_FILE.read_bytes().replace(b"version = 1", b"version = 2"), "text/plain")}), (403,))],
    # 街道 evaluation (六.4–六.5): its own street's line only; another street's page is not found; scoring, the
    # 以奖代补 export and the weights are the district's.
    ("GET", "/district/streets"): [(_get("/district/streets"), SHOWN), (_get("/district/streets?period=year"), SHOWN),
                                   (_get("/district/streets?period=half&half=1"), SHOWN)],
    ("GET", "/district/streets.xlsx"): [(_get("/district/streets.xlsx"), SHOWN)],
    ("GET", "/district/streets.pdf"): [(_get("/district/streets.pdf"), SHOWN)],
    ("GET", "/district/streets/award.xlsx"): [(_get("/district/streets/award.xlsx?fund=1000"), (403,))],
    ("GET", "/district/street"): [(_get(f"/district/street?street={OTHER}"), NOT_FOUND),
                                  (_get(f"/district/street?street={OTHER}&period=year"), NOT_FOUND)],
    ("POST", "/district/street/scores"): [
        (_post("/district/street/scores", {"street": OTHER, "year": "2026", "month": "1", "score_visit_venue": "6"}),
         (403,)),
        (_post("/district/street/scores", {"street": OWN, "year": "2026", "month": "1", "score_media": "6"}), (403,))],
    ("POST", "/district/publish/weights"): [(_post("/district/publish/weights", {}, lambda s: {
        "weights": ("street.toml", WEIGHTS_FILE.read_bytes().replace(b"version = 1", b"version = 2"), "text/plain")}),
        (403,))],
    ("GET", "/district/publish/weights.toml"): [(_get("/district/publish/weights.toml"), (403,))],  # the district's
    # The street's 所、站 page and its 月度评估 (a 所's Monday): its own street whatever it asks, another street not found.
    ("GET", "/district/street/status"): [(_get("/district/street/status"), SHOWN),
                                         (_get(f"/district/street/status?street={OTHER}"), NOT_FOUND)],
    ("GET", "/district/street/status.pdf"): [(_get("/district/street/status.pdf"), SHOWN),
                                             (_get(f"/district/street/status.pdf?street={OTHER}"), NOT_FOUND)],
    ("GET", "/district/street/status.xlsx"): [(_get("/district/street/status.xlsx"), SHOWN),
                                              (_get(f"/district/street/status.xlsx?street={OTHER}"), NOT_FOUND)],
}
# Not staff pages: the login itself, the stations' own API (a station's token, never a staff cookie), and the
# public certificate check (anyone holding a paper; masked, tests/test_certificate_verify.py).
PUBLIC_ROUTES = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/verify/{number}"),
                 ("GET", "/healthz")}  # monitoring: the program's version and whether its database answers


def app_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        for method in methods:
            if method == "HEAD" and "GET" in methods:
                continue  # Starlette's automatic HEAD of a GET route
            found.add((method, route.path))
    return found


def test_every_staff_route_refuses_another_streets_station(district, streets):
    station_api = {r for r in app_routes(district.app) if r[1].startswith(protocol.API)}
    staff_routes = app_routes(district.app) - station_api - PUBLIC_ROUTES
    assert staff_routes == set(STAFF_ROUTES), "every staff route needs its lines in STAFF_ROUTES (a street account against another street)"

    web = staff_login(streets.base, "aishan", "street01")
    csrf = csrf_of(web, streets.base)
    before = counts(streets.engine)
    for (method, path), calls in STAFF_ROUTES.items():
        for call, expected in calls:
            answer = call(web, streets, csrf)
            where = f"{method} {path} → {answer.request.url}"
            assert answer.status_code in expected, f"{where}: {answer.status_code}"
            body = text_of(answer)
            for mark in OTHER_MARKS:
                assert mark not in body, f"{where}: “{mark}” shown to a {OWN} account"
    assert counts(streets.engine) == before  # nothing dispatched, withdrawn, imported or added for the other street

    # The stations' API answers a staff cookie with nothing: it wants a station's token (or, to enroll, a code).
    headers = {protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)}
    for method, path in station_api - {("GET", protocol.PING)}:
        url = streets.base + path.replace("{sha}", streets.other_photo)
        answer = web.request(method, url, headers=headers, params={"entity": "activity"}, timeout=30)
        assert answer.status_code == (400 if path == protocol.ENROLL else 401), (method, path)
        assert not any(mark in answer.text for mark in OTHER_MARKS)


def test_every_staff_route_sends_a_visitor_without_a_session_to_the_login(district, streets):
    """The same routes, called with no login at all (or a session that ended): each answers with the login page,
    coming back to the page asked for — nothing shown, nothing done (a photo: 401, it is not a page)."""
    from sync.server.web import COOKIE

    anonymous = requests.Session()
    anonymous.cookies.set(COOKIE, "an-ended-session")
    before = counts(streets.engine)
    for (method, path), calls in STAFF_ROUTES.items():
        for call, _expected in calls[:1]:
            answer = call(anonymous, streets, "")
            where = f"{method} {path} → {answer.request.url}"
            if path == "/district/photo/{sha}":
                assert answer.status_code == 401, where
            elif path == "/openapi.json":
                assert answer.status_code == 401 and answer.json()["code"] == "login_required", where
            else:
                assert answer.status_code == 303, f"{where}: {answer.status_code}"
                assert answer.headers["location"].startswith("/login"), where
                if method == "GET":
                    asked = answer.request.url.removeprefix(streets.base)
                    assert answer.headers["location"] == "/login?next=" + quote(asked, safe=""), where
    assert counts(streets.engine) == before


def test_a_street_account_sees_and_acts_on_its_own_street(streets):
    base = streets.base
    web = staff_login(base, "aishan", "street01")
    overview = web.get(base + "/district", timeout=30).text
    assert "杨家庄村" in overview and "艾山街道新时代文明实践所" in overview
    assert "共 2 个站" in overview  # 艾山街道's count, not the district's 4
    assert "批量添加实践站" not in overview and '<option value="">全部街道</option>' not in overview
    assert web.get(base + f"/district?street={OWN}", timeout=30).status_code == 200
    station = web.get(base + f"/district/station/{streets.own_account}", timeout=30)
    assert station.status_code == 200 and "杨家庄村重阳饺子宴" in station.text
    assert f"/district/person/{streets.shared_person}" in station.text  # also registered in another ledger (#30)
    person = web.get(base + f"/district/person/{streets.shared_person}", timeout=30).text
    assert "杨家庄村" in person and "另有 1 个其他街道的台账" in person
    assert web.get(base + f"/district/photo/{streets.own_photo}?thumb=1", timeout=30).status_code == 200
    ranking = web.get(base + "/district/evaluation", timeout=30).text
    assert "杨家庄村" in ranking
    sheet = text_of(web.get(base + "/district/overview.xlsx", timeout=30))
    assert "杨家庄村" in sheet and "艾山街道新时代文明实践所" in sheet
    demands_page = web.get(base + "/district/demands", timeout=30).text
    assert "上门理发" in demands_page and '<option>杨家庄村</option>' in demands_page

    csrf = csrf_of(web, base)
    sent = web.post(base + "/district/demands/dispatch", timeout=30, data={
        "csrf": csrf, "station": "杨家庄村", "requester": "李大娘", "content": "代买药品", "category": "便民服务"})
    assert sent.status_code == 200 and "已派单给“杨家庄村”" in sent.text
    withdrawn = web.post(base + "/district/demands/withdraw", timeout=30, data={"csrf": csrf, "dispatch_id": streets.own_dispatch,
                                                                              "reason": "群众已自行解决"})
    assert withdrawn.status_code == 200 and "已撤回派单" in withdrawn.text

    activities.add_activity(Context(store=streets.own_store), title="杨家庄村读书会", date=date.today(), category="文化文艺服务")
    package = export_package(streets.own_store, streets.tmp / "yang.slpkg").path
    imported = web.post(base + "/district/packages", timeout=60, data={"csrf": csrf},
                        files={"package": ("yang.slpkg", package.read_bytes(), "application/octet-stream")})
    assert imported.status_code == 200 and "杨家庄村" in imported.text
    reply = re.search(r'href="(/district/packages/\d+/reply)"', imported.text).group(1)
    assert web.get(base + reply, timeout=30).status_code == 200


def test_the_district_account_still_sees_every_street(streets):
    web = staff_login(streets.base, "wmb", "district1")
    overview = web.get(streets.base + "/district", timeout=30).text
    assert "杨家庄村" in overview and "红山村" in overview and "共 4 个站" in overview
    assert web.get(streets.base + f"/district/station/{streets.other_account}", timeout=30).status_code == 200
    assert web.get(streets.base + f"/district/photo/{streets.other_photo}", timeout=30).status_code == 200
    assert "红山村修水管" in web.get(streets.base + "/district/demands", timeout=30).text
    assert web.get(streets.base + "/district/stations/add", timeout=30).status_code == 200
    person = web.get(streets.base + f"/district/person/{streets.shared_person}", timeout=30).text
    assert "杨家庄村" in person and "红山村" in person and "另有" not in person  # every ledger of the person


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(streets):
    base = streets.base
    web = staff_login(base, "aishan", "street01")
    assert web.get(base + "/district", timeout=30).status_code == 200
    assert admin.set_staff_disabled(streets.engine, "aishan")
    assert web.get(base + "/district", timeout=30).url.split("?")[0].endswith("/login")  # the open session ended
    again = requests.Session()
    form = again.get(base + "/login", timeout=30).text
    answer = again.post(base + "/login", timeout=30, data={"username": "aishan", "password": "street01",
                                                           "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)})
    assert answer.url.split("?")[0].endswith("/login") and "已停用" in answer.text
    wrong = requests.Session()
    form = wrong.get(base + "/login", timeout=30).text
    guessed = wrong.post(base + "/login", timeout=30, data={"username": "aishan", "password": "guess1",
                                                           "csrf": re.search(r'name="csrf" value="([^"]+)"', form).group(1)})
    assert "已停用" not in guessed.text and "用户名或密码不正确" in guessed.text  # a guesser learns nothing
    admin.set_staff_disabled(streets.engine, "aishan", False)
    web = staff_login(base, "aishan", "street01")
    assert admin.reset_staff_password(streets.engine, "aishan", "street02")
    assert web.get(base + "/district", timeout=30).url.split("?")[0].endswith("/login")  # a new password ends the old sessions
    staff_login(base, "aishan", "street02")
