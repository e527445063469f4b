"""Staff login and enrollment that resist guessing, and pages that resist framing and forgery."""

from __future__ import annotations

import re

import pytest
import requests

from sync import protocol
from sync.server import admin, web
from sync_helpers import DistrictServer, staff_login


def login_form(session: requests.Session, base: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', session.get(base + "/login", timeout=10).text).group(1)


def try_login(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    return session.post(base + "/login", data={"username": username, "password": password, "csrf": login_form(session, base)},
                        timeout=10)


@pytest.fixture
def staffed(district):
    admin.add_staff(district.engine, "wmb", "district1", "区文明办")
    admin.add_staff(district.engine, "zx", "district2", "志愿服务科")
    return district


def test_wrong_passwords_lock_the_user_for_a_while(staffed):
    base = staffed.base
    guesser = requests.Session()
    for n in range(5):
        answer = try_login(guesser, base, "wmb", f"guess{n}")
        assert "用户名或密码不正确" in answer.text
    locked = try_login(guesser, base, "wmb", "district1")  # even the right password, while locked
    assert "尝试次数过多" in locked.text and "分钟后再试" in locked.text and web.COOKIE not in guesser.cookies
    assert "待办事项（全区" in try_login(requests.Session(), base, "zx", "district2").text  # another user is not locked


def test_many_names_from_one_address_lock_the_address(staffed):
    base = staffed.base
    guesser = requests.Session()
    for n in range(20):
        assert "用户名或密码不正确" in try_login(guesser, base, f"user{n}", "x").text
    assert "尝试次数过多" in try_login(requests.Session(), base, "zx", "district2").text


def test_an_unknown_name_costs_the_same_hashing(staffed, monkeypatch):
    seen: list[str] = []
    real = web.verify_password

    def counting(password: str, stored: str) -> bool:
        seen.append(stored)
        return real(password, stored)

    monkeypatch.setattr(web, "verify_password", counting)
    try_login(requests.Session(), staffed.base, "nobody", "x")
    try_login(requests.Session(), staffed.base, "wmb", "x")
    assert len(seen) == 2 and seen[0] == web.DUMMY_HASH and seen[1].startswith("scrypt$")


def test_login_needs_the_forms_token_and_logout_is_a_post_with_the_pages_token(staffed):
    base = staffed.base
    forged = requests.Session()
    answer = forged.post(base + "/login", data={"username": "wmb", "password": "district1"}, timeout=10)
    assert "登录页面已过期" in answer.text and web.COOKIE not in forged.cookies
    staff = staff_login(base)
    assert staff.get(base + "/logout", timeout=10).status_code == 405  # a link or an image cannot log anyone out
    page = staff.get(base + "/district", timeout=10).text
    assert 'action="/logout"' in page
    assert staff.post(base + "/logout", data={"csrf": "forged"}, timeout=10).url.endswith("/district")
    assert "各实践站情况" in staff.get(base + "/district", timeout=10).text  # still logged in
    token = re.search(r'action="/logout"><span>[^<]*</span><input type="hidden" name="csrf" value="([^"]+)"', page).group(1)
    assert staff.post(base + "/logout", data={"csrf": token}, timeout=10).url.split("?")[0].endswith("/login")
    assert staff.get(base + "/district", timeout=10).url.split("?")[0].endswith("/login")


def test_a_staff_session_ends_after_its_lifetime(staffed):
    """12 hours after logging in, the session is over at the server, even for someone who kept the cookie (a
    browser left open, a copied cookie): pages send them to the login, the API description answers 401. The
    clock is moved (time_machine), not waited for; the server runs in this process, so it moves too."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    base = staffed.base
    staff = staff_login(base)
    logged_in = datetime.now(UTC)
    assert web.SESSION_HOURS == 12  # the configured lifetime; a longer one fails here, not only by a changed constant
    cookie = next(c for c in staff.cookies if c.name == web.COOKIE)
    assert cookie.expires is not None and 12 * 3600 - 60 <= cookie.expires - logged_in.timestamp() <= 12 * 3600
    # The cookie by hand, not through the session's jar: the browser's expiry is not what is tested here.
    kept = {"Cookie": f"{web.COOKIE}={cookie.value}"}

    def visit(path: str) -> requests.Response:
        return requests.get(base + path, headers=kept, allow_redirects=False, timeout=10)

    # Someone at work all day: a page every 25 minutes keeps the session until its 12 hours are up.
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(logged_in + timedelta(minutes=minutes), tick=True):
            assert visit("/district").status_code == 200, minutes
    with time_machine.travel(logged_in + timedelta(hours=12) - timedelta(minutes=1), tick=True):
        assert visit("/district").status_code == 200
        assert visit("/openapi.json").status_code == 200
    with time_machine.travel(logged_in + timedelta(hours=12, minutes=1), tick=True):
        page = visit("/district")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fdistrict"  # and back after
        assert visit("/openapi.json").status_code == 401
        assert "请先登录" in visit("/openapi.json").json()["message"]
    # Back to the present: the session is still good (the server kept no other state), and logging in works.
    assert visit("/district").status_code == 200
    assert "各实践站情况" in staff_login(base).get(base + "/district", timeout=10).text


def test_a_staff_session_left_idle_ends(staffed):
    """A browser left open in an office, a phone put down: 30 minutes without a page and the session is over,
    whoever holds the cookie; a page within them keeps it going. The clock is moved, not waited for."""
    from datetime import UTC, datetime, timedelta

    import time_machine

    base = staffed.base
    staff = staff_login(base)
    logged_in = datetime.now(UTC)
    assert web.IDLE_MINUTES == 30
    cookie = next(c for c in staff.cookies if c.name == web.COOKIE)
    kept = {"Cookie": f"{web.COOKIE}={cookie.value}"}

    def visit(path: str) -> requests.Response:
        return requests.get(base + path, headers=kept, allow_redirects=False, timeout=10)

    with time_machine.travel(logged_in + timedelta(minutes=29), tick=True):
        assert visit("/district").status_code == 200  # 29 minutes idle: still there, and now seen again
    with time_machine.travel(logged_in + timedelta(minutes=29 + 29), tick=True):
        assert visit("/openapi.json").status_code == 200
    with time_machine.travel(logged_in + timedelta(minutes=29 + 29 + 31), tick=True):
        page = visit("/district")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fdistrict"  # and back after
        assert visit("/openapi.json").status_code == 401
    # Another login is a new session, idle-free from its start.
    assert "各实践站情况" in staff_login(base).get(base + "/district", timeout=10).text


def test_headers_docs_and_secure_cookies(staffed, tmp_path):
    base = staffed.base
    for answer in (requests.get(base + "/login", timeout=10), requests.get(base + protocol.PING, timeout=10)):
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "http" not in csp  # no external source anywhere
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert '<meta name="viewport"' in requests.get(base + "/login", timeout=10).text  # phones see it at their width
    assert requests.get(base + "/docs", timeout=10).status_code == 404
    assert requests.get(base + "/openapi.json", timeout=10).status_code == 401
    assert "paths" in staff_login(base).get(base + "/openapi.json", timeout=10).json()
    plain = requests.Session()
    try_login(plain, base, "wmb", "district1")
    assert not any(c.secure for c in plain.cookies)  # plain HTTP on a test bench: the cookie must still travel
    proxied = requests.Session()
    proxied.headers["X-Forwarded-Proto"] = "https"  # what the reverse proxy on this host adds
    answer = proxied.get(base + "/login", timeout=10)
    assert "Secure" in answer.headers["set-cookie"]
    server = DistrictServer(f"sqlite:///{tmp_path / 'https.db'}", tmp_path / "files", behind_https=True)
    server.start()
    try:
        assert "Secure" in requests.get(server.base + "/login", timeout=10).headers["set-cookie"]
    finally:
        server.close()


def test_enrollment_codes_cannot_be_guessed(district):
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    headers = {protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)}
    for n in range(10):
        answer = requests.post(district.base + protocol.ENROLL, json={"code": f"WRONG{n}", "station_id": "s-1"}, headers=headers, timeout=10)
        assert answer.status_code == 403
    blocked = requests.post(district.base + protocol.ENROLL, json={"code": code, "station_id": "s-1"}, headers=headers, timeout=10)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0 and "分钟后再试" in blocked.json()["message"]


def _post_routes(app) -> list[str]:
    """Every form a person posts (the stations' API takes JSON and a station's token, not a form)."""
    return sorted({route.path for route in app.routes if "POST" in (getattr(route, "methods", None) or set())
                   and not route.path.startswith(protocol.API)})


@pytest.mark.parametrize("csrf", ["令牌", "𠮷" * 40, "%ED%A0%80"])  # non-ASCII, astral, a lone surrogate's UTF-8 bytes
def test_a_forged_token_of_any_characters_is_refused_never_a_500(staffed, csrf):
    """compare_digest on str raised TypeError for any non-ASCII csrf: three staff forms answered 500 (#27)."""
    base = staffed.base
    staff = staff_login(base)
    routes = _post_routes(staffed.app)
    assert {"/login", "/logout", "/district/demands/dispatch", "/district/packages"} <= set(routes)
    for path in routes:
        if csrf.startswith("%"):  # raw form bytes: requests cannot encode a lone surrogate itself
            answer = staff.post(base + path, data=f"csrf={csrf}&username=wmb&password=district1".encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
        else:
            answer = staff.post(base + path, data={"csrf": csrf, "username": "wmb", "password": "district1"}, timeout=10)
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        assert "Internal Server Error" not in answer.text
    assert "各实践站情况" in staff.get(base + "/district", timeout=10).text  # none of it logged anyone out or in


def test_a_lone_surrogate_in_the_stations_json_is_a_400_not_a_500(district):
    """"\\ud800" alone is valid JSON but no character: hashed as an enrolment code it raised inside (#27)."""
    headers = {protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION), "Content-Type": "application/json"}
    for body in (b'{"code": "\\ud800ABCD", "station_id": "s-1"}', b'{"code": "ABCD2345", "station_id": "\\udfff"}',
                 b'{"code": "ABCD2345", "station_id": "s-1", "street": "\\ud83d\\u8349"}'):
        answer = requests.post(district.base + protocol.ENROLL, data=body, headers=headers, timeout=10)
        assert answer.status_code == 400 and "代理码位" in answer.json()["message"], (body, answer.text)
    paired = b'{"code": "ABCD2345", "station_id": "s-1", "street": "\\ud842\\udfb7"}'  # 𠮷 as a pair: a real character
    answer = requests.post(district.base + protocol.ENROLL, data=paired, headers=headers, timeout=10)
    assert answer.status_code == 403 and answer.json()["code"] == "bad_code"  # judged on its code, as any other


def test_sixteen_bulky_batches_at_once_are_unpacked_a_few_at_a_time(district_sqlite, demo_store, monkeypatch):
    """9 KB of gzip unpack into megabytes of JSON: sixteen such requests at once took one worker to 1 GB (#27).
    Each process unpacks, parses and applies at most DECODING batches at a time; the rest wait their turn."""
    import gzip
    import json
    import threading
    import time

    from sync.client import SyncClient, load_state
    from sync.server import app as server_app

    code = admin.add_station(district_sqlite.engine, "杨家庄村")
    SyncClient(demo_store).enroll(district_sqlite.base, code)
    token = load_state(demo_store).token
    body = gzip.compress(json.dumps({"batch_id": "b" * 20, "station_id": demo_store.station_id, "protocol": 0,
                                     "rows": [], "pad": " " * 5_000_000}).encode())
    assert len(body) < 10_000
    lock, active, peak = threading.Lock(), [0], [0]
    real = server_app.parse_json

    def parsing(raw):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            time.sleep(0.2)  # as a big body takes a while: requests that could overlap here do
            return real(raw)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(server_app, "parse_json", parsing)
    headers = {protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION), "Authorization": f"Bearer {token}",
               "Content-Type": "application/json", "Content-Encoding": "gzip"}
    answers: list[int] = []

    def send() -> None:
        answers.append(requests.post(district_sqlite.base + protocol.BATCHES, data=body, headers=headers, timeout=120).status_code)

    senders = [threading.Thread(target=send) for _ in range(16)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)
    assert len(answers) == 16 and all(400 <= status < 500 for status in answers), answers  # each refused, none a 500
    assert 2 <= peak[0] <= server_app.DECODING, peak[0]


def test_a_staff_sessions_limits_to_the_minute():
    """The check itself, at its edges (the two tests above go through the server, a minute either side): logged in
    at 08:00, the session is good until 20:00 and not at 20:00; a page at 09:00 keeps it until 09:30, not at 09:30."""
    from datetime import UTC, datetime, timedelta

    login = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    expires = datetime(2027, 3, 1, 20, 0, tzinfo=UTC)  # 08:00 + 12 hours, worked by hand
    seen = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert web.session_live(expires, None, login)  # never seen since login: only the 12 hours count
    assert web.session_live(expires, None, expires - timedelta(seconds=1))
    assert not web.session_live(expires, None, expires)
    assert not web.session_live(expires, None, expires + timedelta(hours=1))
    assert web.session_live(expires, seen, datetime(2027, 3, 1, 9, 29, 59, tzinfo=UTC))
    assert not web.session_live(expires, seen, datetime(2027, 3, 1, 9, 30, tzinfo=UTC))
    assert not web.session_live(expires, seen, datetime(2027, 3, 1, 11, 0, tzinfo=UTC))
    # A page at 19:50 does not stretch the session past its 12 hours.
    assert not web.session_live(expires, datetime(2027, 3, 1, 19, 50, tzinfo=UTC), datetime(2027, 3, 1, 20, 5, tzinfo=UTC))


def test_a_photo_path_is_made_only_from_a_sha256(tmp_path):
    """Every route checks the hash before the photo store sees it; the store checks again where it becomes a path."""
    from sync.server.photos import PhotoStore

    photos = PhotoStore(None, tmp_path)
    sha = "ab" + "0" * 62
    assert photos._path(sha) == tmp_path / "ab" / sha
    for bad in ("../" + "0" * 61, "AB" + "0" * 62, "0" * 63, "0" * 64 + "/x", ""):
        with pytest.raises(ValueError):
            photos._path(bad)
