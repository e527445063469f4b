"""签到 from phones against the real local server on 127.0.0.1, with a frozen clock: nothing reaches the
ledger before the clerk confirms, and then exactly what typing it in would have written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
import requests
from sqlmodel import select

from signin import server as signin
from app.models import Activity, Participation, Photo, Volunteer
from app.services import activities
from app.services.context import Context
from conftest import make_id

DAY = date(2026, 3, 5)


class Clock:
    def __init__(self, moment: datetime):
        self.now = moment
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def set(self, hh: int, mm: int = 0) -> None:
        with self.lock:
            self.now = datetime.combine(DAY, time(hh, mm))


def ledger(store) -> tuple[int, int]:
    with store.session() as session:
        return (len(session.exec(select(Participation)).all()), len(session.exec(select(Volunteer)).all()))


def people(store, n: int) -> list[Volunteer]:
    with store.session() as session:
        found = session.exec(select(Volunteer).where(Volunteer.deleted == False, Volunteer.phone != "")
                             .order_by(Volunteer.number)).all()
    seen, out = set(), []
    for v in found:  # one per (name, tail): the page identifies by those two
        if (v.name, v.phone_tail) not in seen:
            seen.add((v.name, v.phone_tail))
            out.append(v)
    return out[:n]


@pytest.fixture
def event(demo_store):
    ctx = Context(store=demo_store)
    activity = activities.add_activity(ctx, title="清洁家园志愿服务", category="卫生环保", date=DAY, start_time=time(9), end_time=time(11),
                                       place="村委广场")
    return activity


@pytest.fixture
def served(demo_store, event):
    clock = Clock(datetime.combine(DAY, time(8, 40)))
    server = signin.SigninServer(demo_store, event.id, "127.0.0.1", clock=clock)
    url = server.start()
    yield server, url, clock
    server.stop()


def post(url: str, action: str, _phone: int | None = None, **form) -> requests.Response:
    """A form sent from a phone: ``_phone`` n sends from 127.0.0.(n+2), a phone of its own on the station's
    network (the server tells phones apart by their address); None sends from 127.0.0.1."""
    client = requests if _phone is None else phone(_phone)
    return client.post(f"{url}/{action}", data=form, timeout=10)


class _FromAddress(requests.adapters.HTTPAdapter):
    def __init__(self, source: str):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def phone(n: int) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(f"127.0.0.{n + 2}"))
    return session


def jpeg(seed: int = 0, size=(64, 48)) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 60)).save(out, "JPEG")  # colours far apart: distinct after re-encoding
    return out.getvalue()


def test_three_volunteers_sign_in_and_out_and_the_clerk_confirms(demo_store, event, served):
    server, url, clock = served
    before = ledger(demo_store)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "清洁家园志愿服务" in page.text and 'name="viewport"' in page.text
    trio = people(demo_store, 3)
    for n, v in enumerate(trio):
        answer = post(url, "in", n, name=v.name, tail=v.phone_tail)
        assert "签到成功（08:40）" in answer.text
        assert v.name not in answer.text and signin.mask_name(v.name) in answer.text  # masked echo
        assert v.phone not in answer.text
    again = post(url, "in", 0, name=trio[0].name, tail=trio[0].phone_tail)  # the same person twice
    assert "不用重复签到" in again.text
    clock.set(10, 30)
    assert "签退成功（10:30）" in post(url, "out", 0, name=trio[0].name, tail=trio[0].phone_tail).text
    clock.set(11, 20)
    for n, v in enumerate(trio[1:], start=1):
        assert "签退成功" in post(url, "out", n, name=v.name, tail=v.phone_tail).text
    assert "已于 10:30 签退" in post(url, "out", 0, name=trio[0].name, tail=trio[0].phone_tail).text
    assert ledger(demo_store) == before  # nothing in the ledger before confirmation
    entries = server.book.entries(server.session_id)
    assert len(entries) == 3
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.participants == 3 and result.registered == 0
    with demo_store.session() as session:
        hours = {p.volunteer_id: p.hours for p in session.exec(select(Participation).where(Participation.activity_id == event.id))}
    # capped by the activity's 09:00–11:00: early arrival and late departure do not count
    assert hours == {trio[0].id: 1.5, trio[1].id: 2.0, trio[2].id: 2.0}
    with pytest.raises(signin.SigninError, match="已经确认过"):
        signin.confirm(Context(store=demo_store), server.session_id)


def test_fifty_phones_at_once(demo_store, event, served):
    server, url, _clock = served
    fifty = people(demo_store, 50)
    assert len(fifty) == 50

    def sign(numbered):
        n, v = numbered
        return post(url, "in", n, name=v.name, tail=v.phone_tail)

    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(sign, list(enumerate(fifty)) + list(enumerate(fifty[:10]))))  # ten of them press twice
    assert all(a.status_code == 200 for a in answers)
    assert sum("签到成功" in a.text for a in answers) == 50
    entries = server.book.entries(server.session_id)
    assert sorted(e.volunteer_id for e in entries) == sorted(v.id for v in fifty)


def test_an_expired_stopped_or_made_up_link_signs_no_one(demo_store, event, served):
    server, url, clock = served
    v = people(demo_store, 1)[0]
    base = url.rsplit("/", 1)[0]
    made_up = f"{base}/{'x' * len(server.token)}"
    assert requests.get(made_up, timeout=10).status_code == 410
    assert post(made_up, "in", name=v.name, tail=v.phone_tail).status_code == 410
    # The activity is not in the URL; naming another one changes nothing: the token decides.
    other = activities.list_activities(Context(store=demo_store), limit=1)[0].activity
    assert "签到成功" in requests.post(f"{url}/in?activity={other.id}", data={"name": v.name, "tail": v.phone_tail, "activity_id": other.id},
                                     timeout=10).text
    assert [e.volunteer_id for e in server.book.entries(server.session_id)] == [v.id]
    clock.now = clock.now.replace(hour=21)  # 12 hours after 08:40
    clock.set(20, 41)
    assert requests.get(url, timeout=10).status_code == 410
    clock.set(9)
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=3)
    # The same token on a new server for the activity: the old link stays dead.
    again = signin.SigninServer(demo_store, event.id, "127.0.0.1", port=server.port, clock=clock)
    again.start()
    try:
        assert requests.get(url, timeout=10).status_code == 410
        assert requests.get(again.url, timeout=10).status_code == 200
        assert again.session_id == server.session_id  # the same list goes on under the new link
        assert [e.volunteer_id for e in again.book.entries(again.session_id)] == [v.id]
    finally:
        again.stop()


def test_arrivals_wait_for_the_clerk_who_may_reject_one(demo_store, event, served):
    server, url, clock = served
    before = ledger(demo_store)
    assert "身份证号：" in post(url, "arrive", name="赵新来", phone="13700001111", id_number="370117198005171234").text
    assert "手机号：" in post(url, "arrive", name="赵新来", phone="12345", id_number=make_id(seq=301)).text
    assert "已提交" in post(url, "arrive", name="赵新来", phone="13700001111", id_number=make_id(seq=301)).text
    assert "已提交过" in post(url, "arrive", name="赵新来", phone="13700001111", id_number=make_id(seq=301)).text
    assert "已提交" in post(url, "arrive", 1, name="钱路过", phone="13700002222", id_number=make_id(seq=303)).text
    clock.set(11)
    assert "签退成功" in post(url, "out", name="赵新来", tail="1111").text  # an arrival signs out by name and tail too
    assert ledger(demo_store) == before  # never straight into the registry
    entries = server.book.entries(server.session_id)
    stranger = next(e for e in entries if e.name == "钱路过")
    server.book.set_status(stranger.id, "rejected")
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.registered == 1 and result.participants == 1
    with demo_store.session() as session:
        names = {v.name for v in session.exec(select(Volunteer))}
        joined = session.exec(select(Participation).where(Participation.activity_id == event.id)).all()
    assert "赵新来" in names and "钱路过" not in names
    assert [p.hours for p in joined] == [2.0]
    assert all(e.id_number == "" for e in server.book.entries(server.session_id))  # not kept after confirmation


def test_photos_up_to_20_mb_reach_the_activity_only_when_confirmed(demo_store, event, served):
    server, url, clock = served
    big = b"\xff\xd8\xff" + b"0" * (20 * 1024 * 1024 + 10)
    answer = requests.post(f"{url}/photo", data=big, headers={"Content-Type": "image/jpeg"}, timeout=60)
    assert answer.status_code == 413 and "20MB" in answer.text
    assert requests.post(f"{url}/photo", data=b"not a photo", timeout=10).status_code == 415
    # Starts like a picture but is not one: decoded, refused (an HTML file starting with "BM" became a district photo)
    assert requests.post(f"{url}/photo", data=b"BM<html><script>alert(1)</script></html>", timeout=10).status_code == 415
    assert requests.post(f"{url}/photo", data=b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, timeout=10).status_code == 415
    photo = jpeg()
    assert "照片已上传" in requests.post(f"{url}/photo", data=photo, headers={"Content-Type": "image/jpeg"}, timeout=10).text
    with demo_store.session() as session:
        assert session.exec(select(Photo).where(Photo.activity_id == event.id)).all() == []
    v = people(demo_store, 1)[0]
    post(url, "in", name=v.name, tail=v.phone_tail)
    clock.set(11)
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.photos == 1
    with demo_store.session() as session:
        assert len(session.exec(select(Photo).where(Photo.activity_id == event.id)).all()) == 1


def test_guessing_is_limited_and_never_reveals_who_exists(demo_store, event, served):
    _server, url, _clock = served
    v = people(demo_store, 1)[0]
    wrong = post(url, "in", name=v.name, tail="0000" if v.phone_tail != "0000" else "1111")
    assert "没有找到" in wrong.text and signin.mask_name(v.name) not in wrong.text
    for _ in range(9):
        post(url, "in", name="不存在的人", tail="1234")
    locked = post(url, "in", name=v.name, tail=v.phone_tail)
    assert locked.status_code == 429 and "10分钟" in locked.text


def test_it_listens_only_where_the_clerk_chose(demo_store, event):
    for everywhere in ("0.0.0.0", "", "::"):
        with pytest.raises(signin.SigninError, match="不能对所有网络开放"):
            signin.SigninServer(demo_store, event.id, everywhere)
    with pytest.raises(signin.SigninError, match="找不到这次活动"):
        signin.SigninServer(demo_store, "no-such-activity", "127.0.0.1")
    assert signin.lan_addresses()[-1] == "127.0.0.1"


def test_a_confirmation_that_cannot_be_kept_writes_nothing(demo_store, event, served):
    server, url, clock = served
    v = people(demo_store, 1)[0]
    post(url, "in", name=v.name, tail=v.phone_tail)
    post(url, "arrive", 1, name="赵新来", phone="13700001111", id_number=make_id(seq=301))
    clock.set(11)
    with demo_store.session() as session:
        row = session.get(Activity, event.id)
        row.deleted = True
        session.add(row)
        session.commit()
    before = ledger(demo_store)
    with pytest.raises(signin.SigninError, match="已被删除"):
        signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert ledger(demo_store) == before  # the arrival was not registered either
    assert all(e.status == "pending" for e in server.book.entries(server.session_id))


def test_a_phone_signs_three_volunteers_in_and_out(demo_store, event, served, tmp_path):
    """Done when: a phone-sized Chromium page signs three demo volunteers in and out of a running activity
    served from the station's local server; the clerk confirms; three participants with hours."""
    from playwright.sync_api import sync_playwright

    from test_district_web import CHROMIUM, FLAGS, chromium_env
    from ui_helpers import ARTIFACTS

    server, url, clock = served
    trio = people(demo_store, 3)
    server.book.set_per_phone(server.session_id, 3)  # the clerk lets one phone sign in a family of three
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, env=chromium_env(tmp_path))
        phone = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
        for n, v in enumerate(trio):
            phone.goto(url)
            phone.fill("#name", v.name)
            phone.fill("#tail", v.phone_tail)
            phone.click("#signin")
            assert "签到成功" in phone.inner_text("#notice")
            if n == 0:
                assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
                box = phone.locator("#signin").bounding_box()
                assert box["height"] >= 48  # a thumb's target
                phone.screenshot(path=str(ARTIFACTS / "signin-phone.png"), full_page=True)
        clock.set(11, 5)
        for v in trio:
            phone.goto(url)
            phone.fill("#name", v.name)
            phone.fill("#tail", v.phone_tail)
            phone.click("#signout")
            assert "签退成功" in phone.inner_text("#notice")
        browser.close()
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.participants == 3
    with demo_store.session() as session:
        joined = session.exec(select(Participation).where(Participation.activity_id == event.id)).all()
    assert sorted(p.volunteer_id for p in joined) == sorted(v.id for v in trio) and {p.hours for p in joined} == {2.0}
    with demo_store.session() as session:
        assert session.get(Activity, event.id).title == "清洁家园志愿服务"


def test_cli_serves_lists_and_confirms(demo_store, event, tmp_path):
    import subprocess
    import sys

    root = demo_store.paths.root
    short = event.id[:8]
    demo_store.close()
    station = [sys.executable, "-m", "app.cli", "--data-dir", str(root), "signin"]
    proc = subprocess.Popen(station + ["serve", "--activity", short, "--host", "127.0.0.1", "--seconds", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = ""
    for line in proc.stdout:
        if "http://127.0.0.1:" in line:
            url = line.strip()
            break
    assert url.startswith("http://127.0.0.1:") and "/s/" in url
    answer = requests.post(url + "/arrive", data={"name": "孙新来", "phone": "13700003333", "id_number": make_id(seq=305)}, timeout=10)
    assert "已提交" in answer.text
    proc.terminate()
    proc.communicate(timeout=20)  # and its pipes closed
    listed = subprocess.run(station + ["list", "--activity", short], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "孙新来" in listed.stdout and "137****3333" in listed.stdout and "13700003333" not in listed.stdout
    done = subprocess.run(station + ["confirm", "--activity", short], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # signed in today for an activity of 5 March: registered, but no hours to count (capped by the activity's times)
    assert "新登记志愿者 1 人" in done.stdout and "参与志愿者 0 人" in done.stdout and "没有可计的服务时长" in done.stderr
    again = subprocess.run(station + ["confirm", "--activity", short], capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "没有待确认的签到" in again.stderr
    bad = subprocess.run(station + ["serve", "--activity", short, "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "不能对所有网络开放" in bad.stderr


def test_a_planned_activity_people_signed_in_to_is_recorded_as_held(demo_store, served, event):
    server, url, clock = served
    activities.update_activity(Context(store=demo_store), event.id, status="planned")
    v = people(demo_store, 1)[0]
    post(url, "in", name=v.name, tail=v.phone_tail)
    clock.set(11)
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.marked_done and result.participants == 1
    with demo_store.session() as session:
        assert session.get(Activity, event.id).status == "done"


# -- #26: sign-in credits only time served, and one phone cannot sign in everyone ---------------------------

def test_the_volunteer_number_alone_signs_no_one_in(demo_store, event, served):
    _server, url, _clock = served
    v = people(demo_store, 1)[0]
    answer = post(url, "in", number=v.number)
    assert "请填写姓名和手机号后4位" in answer.text and signin.mask_name(v.name) not in answer.text


def test_a_script_signing_in_eighty_volunteers_from_one_phone_gets_one(demo_store, event, served):
    server, url, _clock = served
    crowd = people(demo_store, 80)
    answers = [post(url, "in", 7, name=v.name, tail=v.phone_tail) for v in crowd]
    assert sum("签到成功" in a.text for a in answers) == 1
    assert "一部手机只能为 1 人签到" in answers[1].text
    assert answers[-1].status_code == 429, answers[-1].text[-800:]  # and the phone is locked out after ten refusals
    assert [e.volunteer_id for e in server.book.entries(server.session_id)] == [crowd[0].id]


def test_the_clerk_may_let_a_family_phone_sign_in_its_members(demo_store, event, served):
    server, url, _clock = served
    family = people(demo_store, 3)
    assert "签到成功" in post(url, "in", 3, name=family[0].name, tail=family[0].phone_tail).text
    assert "一部手机只能为 1 人签到" in post(url, "in", 3, name=family[1].name, tail=family[1].phone_tail).text
    server.book.set_per_phone(server.session_id, 2)
    assert "签到成功" in post(url, "in", 3, name=family[1].name, tail=family[1].phone_tail).text
    assert "一部手机只能为 2 人签到" in post(url, "in", 3, name=family[2].name, tail=family[2].phone_tail).text
    assert "请用签到时的手机签退" in post(url, "out", 4, name=family[0].name, tail=family[0].phone_tail).text


def test_arrivals_count_toward_the_phone_and_a_crowd_of_them_waits_for_the_clerk(demo_store, event, served):
    server, url, clock = served
    assert "已提交" in post(url, "arrive", 0, name="新人甲", phone="13700005000", id_number=make_id(seq=500)).text
    assert "一部手机只能为 1 人签到" in post(url, "arrive", 0, name="新人乙", phone="13700005001", id_number=make_id(seq=501)).text
    for n in range(1, signin.ARRIVALS_UNHELD + 3):  # more new faces than a session lists by itself
        assert "已提交" in post(url, "arrive", n, name=f"新人{n}", phone=f"137000051{n:02d}", id_number=make_id(seq=510 + n)).text
    entries = server.book.entries(server.session_id)
    held = [e for e in entries if e.status == "held"]
    assert len(held) == 3 and len(entries) == signin.ARRIVALS_UNHELD + 3
    clock.set(11)
    result = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert result.registered == signin.ARRIVALS_UNHELD and result.held == 3  # held ones are not registered
    assert server.book.latest_session(event.id) is not None  # the list stays open for them
    server.book.set_status(held[0].id, "pending")  # 批准
    server.book.set_status(held[1].id, "rejected")
    server.book.set_status(held[2].id, "pending")
    again = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert again.registered == 2 and again.held == 0 and server.book.latest_session(event.id) is None


def test_time_not_yet_served_is_left_for_later(demo_store, event, served):
    """Confirmed at 10:15 of a 09:00–11:00 activity: who signed out is recorded with their time; who is still
    serving is not given the activity's end, they wait; the next confirmation records them."""
    server, url, clock = served
    trio = people(demo_store, 3)
    for n, v in enumerate(trio):
        post(url, "in", n, name=v.name, tail=v.phone_tail)
    clock.set(10)
    post(url, "out", 0, name=trio[0].name, tail=trio[0].phone_tail)
    clock.set(10, 15)
    first = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert first.participants == 1 and len(first.waiting) == 2 and "尚未签退" in first.waiting[0]
    with demo_store.session() as session:
        hours = {p.volunteer_id: p.hours for p in session.exec(select(Participation).where(Participation.activity_id == event.id))}
    assert hours == {trio[0].id: 1.0}
    clock.set(10, 40)
    post(url, "out", 1, name=trio[1].name, tail=trio[1].phone_tail)  # the link still works for them
    clock.set(11, 30)  # the third never signed out: counted to the activity's end, now that it has passed
    second = signin.confirm(Context(store=demo_store), server.session_id, now=clock())
    assert second.participants == 2 and not second.waiting
    with demo_store.session() as session:
        hours = {p.volunteer_id: p.hours for p in session.exec(select(Participation).where(Participation.activity_id == event.id,
                                                                                             Participation.deleted == False))}
    assert hours == {trio[0].id: 1.0, trio[1].id: 1.5, trio[2].id: 2.0}


def test_photos_are_decoded_saved_anew_and_capped_per_phone(demo_store, event, served):
    from PIL import Image

    server, url, _clock = served
    big = jpeg(size=(4000, 3000))
    assert "照片已上传" in phone(0).post(f"{url}/photo", data=big, timeout=30).text
    for n in range(1, signin.PHOTOS_PER_PHONE):
        assert "照片已上传" in phone(0).post(f"{url}/photo", data=jpeg(n), timeout=10).text
    over = phone(0).post(f"{url}/photo", data=jpeg(99), timeout=10)
    assert over.status_code == 429 and f"最多上传 {signin.PHOTOS_PER_PHONE} 张" in over.text
    assert "照片已上传" in phone(1).post(f"{url}/photo", data=jpeg(99), timeout=10).text  # another phone
    stored = server.book.photos_of(server.session_id)
    assert len(stored) == signin.PHOTOS_PER_PHONE + 1
    with Image.open(stored[0]) as first:
        assert first.format == "JPEG" and max(first.size) == signin.PHOTO_LONGEST_SIDE  # saved anew, not the bytes sent


@pytest.mark.parametrize("start, end, signed_in, signed_out, hours", [
    # No times on the activity: the two sign-in times alone. 09:10–11:40 is 2 h 30 min.
    (None, None, (9, 10), (11, 40), 2.5),
    # Never signed out and no end time: nothing to count to.
    (None, None, (9, 10), None, 0.0),
    # A start only: arriving at 07:30 counts from 08:00; 08:00–09:40 is 1 h 40 min, 1.67 h to the half hour is 1.5.
    (time(8, 0), None, (7, 30), (9, 40), 1.5),
    # An end only, never signed out: counted to 17:00; 14:10–17:00 is 2 h 50 min, 2.83 h is 3.0.
    (None, time(17, 0), (14, 10), None, 3.0),
    # Both, left at 18:00: capped at 17:00; 08:00–17:00 is 9 h.
    (time(8, 0), time(17, 0), (7, 0), (18, 0), 9.0),
    # 1 h 14 min is 1.0, 1 h 16 min is 1.5 (1.23 h and 1.27 h to the nearest half hour).
    (None, None, (9, 0), (10, 14), 1.0),
    (None, None, (9, 0), (10, 16), 1.5),
    # Signed out before the start: no time served, never negative.
    (time(14, 0), time(17, 0), (13, 0), (13, 30), 0.0),
])
def test_service_hours_worked_by_hand(start, end, signed_in, signed_out, hours):
    day = date(2027, 3, 6)
    activity = Activity(title="测试", category="卫生环保", date=day, start_time=start, end_time=end)
    at = (lambda hm: datetime.combine(day, time(*hm)) if hm else None)
    assert signin.service_hours(at(signed_in), at(signed_out), activity) == hours


def test_service_hours_round_to_the_nearer_half_hour_by_the_second():
    """1 h 15 min 1 s is nearer 1.5 than 1.0; 1 h 14 min 59 s nearer 1.0."""
    day = date(2027, 3, 6)
    activity = Activity(title="测试", category="卫生环保", date=day)
    start = datetime.combine(day, time(9, 0))
    assert signin.service_hours(start, datetime.combine(day, time(10, 15, 1)), activity) == 1.5
    assert signin.service_hours(start, datetime.combine(day, time(10, 14, 59)), activity) == 1.0


def test_a_phone_is_locked_at_its_tenth_wrong_guess_for_ten_minutes(monkeypatch):
    """FAILURES_PER_WINDOW = 10 wrong guesses in FAILURE_WINDOW = 600 s: nine leave the phone free, the tenth locks it;
    asking whether it is locked is not a guess; ten minutes after the first guesses they no longer count."""
    clock = [1000.0]
    monkeypatch.setattr(signin, "_time", SimpleNamespace(monotonic=lambda: clock[0]))  # this module's clock only
    limiter = signin._Limiter()
    for _ in range(9):
        limiter.failed("10.0.0.7")
    for _ in range(5):
        assert not limiter.locked("10.0.0.7")  # nine guesses; and looking five times added none
    limiter.failed("10.0.0.7")
    assert limiter.locked("10.0.0.7")
    assert not limiter.locked("10.0.0.8")  # another phone
    clock[0] = 1600.0  # exactly 600 s after them: still counted
    assert limiter.locked("10.0.0.7")
    clock[0] = 1600.5  # all ten are now more than 600 s old
    assert not limiter.locked("10.0.0.7")


def test_a_phone_may_ask_120_times_a_minute(monkeypatch):
    """REQUESTS_PER_MINUTE = 120 per address: the 120th request in a minute passes, the 121st is refused; another phone
    is not held up; a minute (60 s) after the first ones they no longer count."""
    clock = [1000.0]
    monkeypatch.setattr(signin, "_time", SimpleNamespace(monotonic=lambda: clock[0]))
    limiter = signin._Limiter()
    assert not any(limiter.too_many("10.0.0.7") for _ in range(120))
    assert limiter.too_many("10.0.0.7")
    assert not limiter.too_many("10.0.0.8")
    clock[0] = 1060.5
    assert not limiter.too_many("10.0.0.7")  # the 121 at 1000.0 are gone; this is the first of a new minute


def test_a_sign_in_link_works_until_its_twelfth_hour_and_not_at_it(tmp_path):
    """Opened at 08:00, the link opens the session until 19:59:59 and not at 20:00 (SESSION_HOURS = 12); started again,
    the same list goes on under a new link and the old one stops working."""
    book = signin.SigninBook(tmp_path)
    opened = datetime(2027, 3, 6, 8, 0)
    session_id, token = book.open_session("activity-1", "192.168.1.5", opened)
    assert book.session_for_token(token, datetime(2027, 3, 6, 19, 59, 59))["id"] == session_id
    assert book.session_for_token(token, datetime(2027, 3, 6, 20, 0)) is None
    again, new_token = book.open_session("activity-1", "192.168.1.6", datetime(2027, 3, 6, 9, 0))
    assert again == session_id and new_token != token
    assert book.session_for_token(token, datetime(2027, 3, 6, 9, 1)) is None
    assert book.session_for_token(new_token, datetime(2027, 3, 6, 20, 59))["host"] == "192.168.1.6"
    book.stop(session_id, datetime(2027, 3, 6, 10, 0))
    assert book.session_for_token(new_token, datetime(2027, 3, 6, 10, 1)) is None
