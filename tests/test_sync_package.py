"""Sync by USB stick against the real district code (SQLite and a real PostgreSQL), mixed with network sync.

In every case the district ends equal to the station, nothing applied twice, and a bad file is refused
with its reason and nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.outbox import pending_count
from app.services import activities, volunteers
from app.services.context import Context
from sync.client import history, load_state
from sync.package import PackageError, export_package, import_reply
from sync.server import admin
from sync.server.db import batch_log
from sync.server.packages import import_package
from test_sync import assert_same, enroll, server_rows


def district_import(district, package: Path, reply: Path | None = None):
    done = import_package(district.engine, district.app.state.photos, package)
    target = reply or package.with_suffix(".slreply")
    target.write_bytes(done.reply)
    return done, target


def logged_batches(district) -> int:
    with district.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(batch_log)).scalar_one()


def edit_someone(store, skill: str) -> None:
    ctx = Context(store=store)
    vol = volunteers.search_volunteers(ctx, limit=1)[0]
    volunteers.update_volunteer(ctx, vol.id, skills=skill)


def test_a_station_without_network_enrolls_and_syncs_by_stick(demo_store, district, tmp_path):
    """Done when: a station with no network exports a package; the district imports it; the reply goes
    back on the stick; district == station."""
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    stick = tmp_path / "stick"
    stick.mkdir()
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"7" * 900)
    ctx = Context(store=demo_store)
    photo = activities.add_photo(ctx, activities.list_activities(ctx, limit=1)[0].activity.id, image)
    rows = pending_count(demo_store)

    export_package(demo_store, stick / "first.slpkg", code=code)
    done = export_package(demo_store, stick / "pkg.slpkg", code=code.lower())  # again before any reply: the same token
    assert done.rows == rows and done.enrolling and done.photos == 1
    assert not list(stick.glob("*.part"))
    assert server_rows(district.engine, demo_store.station_id)["volunteer"] == {}

    result, reply = district_import(district, stick / "pkg.slpkg")
    assert result.enrolled and result.station_name == "杨家庄村"
    assert result.applied == rows and result.rejected == 0
    late, _reply = district_import(district, stick / "first.slpkg", stick / "first.slreply")  # the code is spent; the token is known
    assert not late.enrolled and late.applied == 0 and late.rejected == 0
    assert district.app.state.photos.get(photo.sha256) == image.read_bytes()

    assert pending_count(demo_store) == rows  # nothing is acknowledged before the reply is back
    answer = import_reply(demo_store, reply)
    assert answer.acked == rows and answer.rejected == 0 and answer.account_name == "杨家庄村"
    assert pending_count(demo_store) == 0
    assert_same(demo_store, district)
    assert load_state(demo_store).account_name == "杨家庄村"
    assert "导入回执" in history(demo_store)[0].message and "导出同步包" in history(demo_store)[1].message

    # The one-time code is spent: another package needs no code, and is signed by the station's own token.
    edit_someone(demo_store, "理发")
    export_package(demo_store, stick / "pkg2.slpkg")
    result, reply = district_import(district, stick / "pkg2.slpkg")
    assert not result.enrolled and result.applied == 1
    assert import_reply(demo_store, reply).acked == 1
    assert_same(demo_store, district)


def test_a_package_imported_twice_and_a_reply_taken_twice_change_nothing(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    enroll(demo_store, district)
    export_package(demo_store, tmp_path / "p.slpkg")
    first, reply = district_import(district, tmp_path / "p.slpkg")
    batches, rows = logged_batches(district), server_rows(district.engine, demo_store.station_id)
    again, reply_again = district_import(district, tmp_path / "p.slpkg", tmp_path / "again.slreply")
    assert again.applied == 0 and again.duplicate == 0 and again.replayed == again.batches == first.batches
    assert logged_batches(district) == batches  # the stored answers were replayed; nothing applied twice
    assert server_rows(district.engine, demo_store.station_id) == rows
    import_reply(demo_store, reply)
    assert import_reply(demo_store, reply_again).acked == first.applied  # the same answers, once more: no change
    assert pending_count(demo_store) == 0
    assert_same(demo_store, district)


def test_packages_and_replies_out_of_order(demo_store, district, tmp_path):
    enroll(demo_store, district)
    export_package(demo_store, tmp_path / "1.slpkg")
    edit_someone(demo_store, "摄影")
    edit_someone(demo_store, "书法")
    export_package(demo_store, tmp_path / "2.slpkg")  # the first package's rows again, and the edits
    _done, reply2 = district_import(district, tmp_path / "2.slpkg")
    older, reply1 = district_import(district, tmp_path / "1.slpkg")
    assert older.applied == 0  # older versions never overwrite newer ones
    vol = volunteers.search_volunteers(Context(store=demo_store), limit=1)[0]
    assert server_rows(district.engine, demo_store.station_id)["volunteer"][vol.id]["skills"] == "书法"
    import_reply(demo_store, reply1)
    import_reply(demo_store, reply2)
    assert pending_count(demo_store) == 0  # the old version answered "stale" is settled, not sent a third time
    assert_same(demo_store, district)


def test_replies_in_the_other_order_and_a_network_sync_between(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    client = enroll(demo_store, district)
    export_package(demo_store, tmp_path / "1.slpkg")
    edit_someone(demo_store, "摄影")
    export_package(demo_store, tmp_path / "2.slpkg")
    _d, reply1 = district_import(district, tmp_path / "1.slpkg")
    _d, reply2 = district_import(district, tmp_path / "2.slpkg")
    import_reply(demo_store, reply2)
    import_reply(demo_store, reply1)
    assert pending_count(demo_store) == 0
    assert_same(demo_store, district)
    # A network sync after the packages finds nothing to send; a package after it carries only what is new.
    assert client.sync().pushed == 0
    edit_someone(demo_store, "剪纸")
    done = export_package(demo_store, tmp_path / "3.slpkg")
    assert done.rows == 1
    _d, reply3 = district_import(district, tmp_path / "3.slpkg")
    assert import_reply(demo_store, reply3).acked == 1
    assert_same(demo_store, district)


def test_a_network_sync_before_the_reply_comes_back(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    client = enroll(demo_store, district)
    rows = pending_count(demo_store)
    export_package(demo_store, tmp_path / "p.slpkg")
    _d, reply = district_import(district, tmp_path / "p.slpkg")
    result = client.sync()  # the same rows again over the network: duplicates, and older versions settled
    assert 0 < result.pushed <= rows and result.rejected == 0 and pending_count(demo_store) == 0
    before = logged_batches(district)
    assert server_rows(district.engine, demo_store.station_id)["volunteer"]
    answer = import_reply(demo_store, reply)  # late, and harmless
    assert answer.acked + answer.stale == rows
    assert pending_count(demo_store) == 0 and client.sync().pushed == 0 and logged_batches(district) == before
    assert_same(demo_store, district)


def _rezip(source: Path, target: Path, change) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, change(info.filename, zin.read(info.filename)))


def test_truncated_tampered_forged_and_foreign_files_are_refused_whole(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    enroll(demo_store, district)
    export_package(demo_store, tmp_path / "p.slpkg")
    good = (tmp_path / "p.slpkg").read_bytes()

    cases = {}
    (tmp_path / "short.slpkg").write_bytes(good[: len(good) * 2 // 3])
    cases["short.slpkg"] = "不完整或已损坏"

    def more_hours(name, data):
        return data.replace(b'"hours":', b'"hours":1') if name.startswith("batches/") else data
    _rezip(tmp_path / "p.slpkg", tmp_path / "batch.slpkg", more_hours)
    cases["batch.slpkg"] = "与清单不符"

    def other_station_name(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["batches"] = manifest["batches"][:1]
        return json.dumps(manifest).encode()
    _rezip(tmp_path / "p.slpkg", tmp_path / "manifest.slpkg", other_station_name)
    cases["manifest.slpkg"] = "签名"

    def forged_signature(name, data):  # what someone with the stick and no token can make
        return b"0" * 64 if name == "manifest.sig" else data
    _rezip(tmp_path / "p.slpkg", tmp_path / "forged.slpkg", forged_signature)
    cases["forged.slpkg"] = "签名"

    (tmp_path / "notes.slpkg").write_text("不是同步包", encoding="utf-8")
    cases["notes.slpkg"] = "不完整或已损坏"

    for name, reason in cases.items():
        with pytest.raises(PackageError, match=reason):
            import_package(district.engine, district.app.state.photos, tmp_path / name)
        assert logged_batches(district) == 0, name
        assert server_rows(district.engine, demo_store.station_id)["volunteer"] == {}, name

    # A reply is checked the same way: a package is not a reply, and a forged reply acknowledges nothing.
    with pytest.raises(PackageError, match="这是同步包，不是回执文件"):
        import_reply(demo_store, tmp_path / "p.slpkg")
    _d, reply = district_import(district, tmp_path / "p.slpkg")
    _rezip(reply, tmp_path / "forged.slreply", lambda n, d: b"f" * 64 if n == "reply.sig" else d)
    before = pending_count(demo_store)
    with pytest.raises(PackageError, match="签名不符"):
        import_reply(demo_store, tmp_path / "forged.slreply")
    assert pending_count(demo_store) == before
    import_reply(demo_store, reply)
    assert_same(demo_store, district)


def _with_signature(source: Path, target: Path, member: str, change) -> None:
    """A copy of a package or reply whose signature member is ``change(signature)``; None drops the member."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                data = change(data)
                if data is None:
                    continue
            zout.writestr(info.filename, data)


def _last_char_changed(sig: bytes) -> bytes:
    return sig[:-1] + (b"0" if sig[-1:] != b"0" else b"1")


# What someone holding the stick, without the token, might put where the signature goes (#28): each is
# refused with a Chinese reason, and nothing is applied or acknowledged.
SIGNATURES = {
    "empty": (lambda sig: b"", "签名.*不符"),
    "blank": (lambda sig: b" \n", "签名.*不符"),
    "missing": (lambda sig: None, "缺少"),
    "short": (lambda sig: sig[:32], "签名.*不符"),  # the right signature's first half
    "long": (lambda sig: sig + b"0", "签名.*不符"),
    "wrong": (_last_char_changed, "签名.*不符"),  # right length, one character off
}


@pytest.mark.parametrize("case", SIGNATURES)
def test_a_package_or_reply_without_the_right_signature_is_refused(demo_store, district_sqlite, tmp_path, case):
    change, reason = SIGNATURES[case]
    district = district_sqlite
    enroll(demo_store, district)
    export_package(demo_store, tmp_path / "p.slpkg")
    with zipfile.ZipFile(tmp_path / "p.slpkg") as zf:
        assert len(zf.read("manifest.sig")) == 64
    _with_signature(tmp_path / "p.slpkg", tmp_path / "bad.slpkg", "manifest.sig", change)
    with pytest.raises(PackageError, match=reason) as refused:
        import_package(district.engine, district.app.state.photos, tmp_path / "bad.slpkg")
    assert "同步包" in str(refused.value) or "文件中缺少" in str(refused.value)
    assert logged_batches(district) == 0
    assert server_rows(district.engine, demo_store.station_id)["volunteer"] == {}

    # The reply on its way back is held to the same: nothing is acknowledged at the station.
    _done, reply = district_import(district, tmp_path / "p.slpkg")
    _with_signature(reply, tmp_path / "bad.slreply", "reply.sig", change)
    before = pending_count(demo_store)
    with pytest.raises(PackageError, match=reason):
        import_reply(demo_store, tmp_path / "bad.slreply")
    assert pending_count(demo_store) == before > 0
    assert import_reply(demo_store, reply).acked == before  # the untouched reply is taken


@pytest.mark.parametrize("case", SIGNATURES)
def test_a_first_package_without_the_right_signature_enrolls_nothing(demo_store, district_sqlite, tmp_path, case):
    """A first package carries the one-time code's proof and is signed with the token it brings: the same
    signatures are refused there, the code stays unused, and the untouched package then enrolls the station."""
    change, reason = SIGNATURES[case]
    district = district_sqlite
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    export_package(demo_store, tmp_path / "first.slpkg", code=code)
    _with_signature(tmp_path / "first.slpkg", tmp_path / "bad.slpkg", "manifest.sig", change)
    with pytest.raises(PackageError, match=reason):
        import_package(district.engine, district.app.state.photos, tmp_path / "bad.slpkg")
    assert logged_batches(district) == 0
    with district.engine.connect() as conn:
        account = conn.execute(select(admin.account)).one()
    assert account.station_id is None and account.enroll_code_hash is not None
    assert district_import(district, tmp_path / "first.slpkg")[0].enrolled


def test_a_revoked_station_or_a_wrong_code_is_refused_by_name(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    enroll(demo_store, district)
    export_package(demo_store, tmp_path / "p.slpkg")
    admin.revoke(district.engine, "杨家庄村")
    with pytest.raises(PackageError, match="“杨家庄村”的同步权限已被停用"):
        import_package(district.engine, district.app.state.photos, tmp_path / "p.slpkg")
    assert logged_batches(district) == 0

    from app.db import Store
    from app.services.station import init_station

    other = Store.open(tmp_path / "other")
    init_station(other, name="另一村新时代文明实践站", kind="village")
    with pytest.raises(PackageError, match="还没有在区里登记"):
        export_package(other, tmp_path / "o.slpkg")
    admin.add_station(district.engine, "另一村")
    export_package(other, tmp_path / "o.slpkg", code="ABCDEFGH")  # not the code the district gave
    with pytest.raises(PackageError, match="登记码无效"):
        import_package(district.engine, district.app.state.photos, tmp_path / "o.slpkg")
    assert server_rows(district.engine, other.station_id)["station"] == {}
    other.close()


def test_cli_round_trip_by_stick(demo_store, district_sqlite, tmp_path):
    district = district_sqlite
    code = admin.add_station(district.engine, "杨家庄村/东片")  # a "/" in the name crashed after the import (#27)
    stick = tmp_path / "E"
    stick.mkdir()
    station = [sys.executable, "-m", "app.cli", "--data-dir", str(demo_store.paths.root)]
    demo_store.close()
    out = subprocess.run(station + ["sync", "export", "--to", str(stick), "--code", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    package = next(stick.glob("*.slpkg"))
    assert "同步包" in package.name and "随包登记本站" in out.stdout
    url = str(district.engine.url)
    out = subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", url, "import-package", str(package)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "并完成登记" in out.stdout
    reply = next(stick.glob("*.slreply"))
    assert reply.name.startswith("杨家庄村_东片-回执-")
    out = subprocess.run(station + ["sync", "import-reply", str(reply)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "被拒 0 条" in out.stdout
    out = subprocess.run(station + ["sync", "import-reply", str(package)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "不是回执文件" in out.stderr


def test_district_staff_import_a_package_in_the_browser_and_download_the_reply(demo_store, district_sqlite, tmp_path):
    import re

    from sync_helpers import staff_login

    district = district_sqlite
    admin.add_staff(district.engine, "wmb", "district1", "文明办小李")
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    export_package(demo_store, tmp_path / "p.slpkg", code=code)
    web = staff_login(district.base)
    listing = web.get(district.base + "/district/packages", timeout=10)
    assert "导入同步包" in listing.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', listing.text).group(1)

    stale = web.post(district.base + "/district/packages", data={"csrf": "x" * 64},
                     files={"package": ("p.slpkg", (tmp_path / "p.slpkg").read_bytes())}, timeout=30)
    assert stale.status_code == 403 and logged_batches(district) == 0
    broken = web.post(district.base + "/district/packages", data={"csrf": csrf},
                      files={"package": ("坏的.slpkg", (tmp_path / "p.slpkg").read_bytes()[:5000])}, timeout=30)
    assert broken.status_code == 422 and "同步包“坏的.slpkg”未导入" in broken.text and "不完整" in broken.text
    assert logged_batches(district) == 0

    done = web.post(district.base + "/district/packages", data={"csrf": csrf},
                    files={"package": ("p.slpkg", (tmp_path / "p.slpkg").read_bytes())}, timeout=60)
    assert done.status_code == 200 and "已导入“杨家庄村”的同步包" in done.text and "文明办小李" in done.text
    link = re.search(r'href="(/district/packages/\d+/reply)"', done.text).group(1)
    reply = web.get(district.base + link, timeout=10)
    assert reply.status_code == 200 and "attachment" in reply.headers["content-disposition"]
    (tmp_path / "r.slreply").write_bytes(reply.content)
    import_reply(demo_store, tmp_path / "r.slreply")
    assert pending_count(demo_store) == 0
    assert_same(demo_store, district)
    import requests

    assert requests.get(district.base + link, timeout=10, allow_redirects=False).status_code == 303  # staff only


def test_an_export_cut_short_leaves_the_last_good_package_and_no_partial_file(demo_store, district_sqlite, tmp_path, monkeypatch):
    from app import outbox

    enroll(demo_store, district_sqlite)
    target = tmp_path / "p.slpkg"
    export_package(demo_store, target)
    good = target.read_bytes()
    edit_someone(demo_store, "插花")
    calls = {"n": 0}
    real = outbox.pending

    def failing(store, **kw):  # the stick pulled out after the first batch
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(5, "Input/output error")
        return real(store, **kw)

    monkeypatch.setattr(outbox, "pending", failing)
    with pytest.raises(OSError):
        export_package(demo_store, target)
    assert target.read_bytes() == good and not list(tmp_path.glob("*.part"))


def test_a_demo_station_is_not_enrolled_by_stick_unless_asked(demo_store, district_sqlite, tmp_path):
    from app.settings import Settings

    Settings(demo_store.paths.settings).set("is_demo", True)
    code = admin.add_station(district_sqlite.engine, "培训用示范站")
    with pytest.raises(PackageError, match="这是示范站"):
        export_package(demo_store, tmp_path / "p.slpkg", code=code)
    assert not (tmp_path / "p.slpkg").exists() and not load_state(demo_store).token
    export_package(demo_store, tmp_path / "p.slpkg", code=code, allow_demo=True)  # a district's training server
    assert district_import(district_sqlite, tmp_path / "p.slpkg")[0].enrolled


def test_certificates_and_their_voiding_travel_by_stick(demo_store, district_sqlite, tmp_path):
    """#26: a station without network reports its 志愿服务记录证明 in its package; the district's /verify answers
    for them once imported, and a 作废 follows in the next package."""
    import requests

    from app import reports
    from app.models.enums import Role
    from app.reports.certificate import revoke_certificate
    from app.services.context import Actor

    district = district_sqlite
    code = admin.add_station(district.engine, "杨家庄村", "艾山街道")
    clerk = Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))
    busiest = max(volunteers.search_volunteers(clerk), key=lambda v: volunteers.volunteer_hours(clerk, v.id, year=2026))
    _path, number = reports.certificate_pdf(clerk, tmp_path / "证明.pdf", volunteer_id=busiest.id, year=2026)
    export_package(demo_store, tmp_path / "pkg.slpkg", code=code)
    _done, reply = district_import(district, tmp_path / "pkg.slpkg")
    assert import_reply(demo_store, reply).certificates == 1
    assert "有效" in requests.get(f"{district.base}/verify/{number}", timeout=10).text
    revoke_certificate(clerk, number, "重复出具")
    export_package(demo_store, tmp_path / "pkg2.slpkg")
    _done, reply = district_import(district, tmp_path / "pkg2.slpkg")
    assert import_reply(demo_store, reply).certificates == 1
    assert "已作废" in requests.get(f"{district.base}/verify/{number}", timeout=10).text


def test_the_one_time_code_is_read_as_the_slip_prints_it():
    """The slip prints the code in groups ("abcd 2345" typed in lower case, or with a tab): the same code, and the same
    proof of it, as "ABCD2345" (a proof of another code differs)."""
    from sync.package import enroll_proof, normalize_code

    assert normalize_code("abcd 2345") == "ABCD2345"
    assert normalize_code(" AB\tCD 23 45\n") == "ABCD2345"
    assert enroll_proof("abcd 2345", "s1", "h") == enroll_proof("ABCD2345", "s1", "h")
    assert enroll_proof("ABCD2346", "s1", "h") != enroll_proof("ABCD2345", "s1", "h")


def test_a_member_is_read_up_to_its_limit_and_refused_past_it(tmp_path):
    """read_member with a limit of 100 bytes: exactly 100 are read whole, 101 are refused, a missing or damaged member
    is named (a small zip can unpack to gigabytes, a stick pulled out leaves a damaged one)."""
    import zlib

    from sync.package import read_member

    path = tmp_path / "m.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("exact", b"a" * 100)
        zf.writestr("over", b"b" * 101)
    with zipfile.ZipFile(path) as zf:
        assert read_member(zf, "exact", 100) == b"a" * 100
        with pytest.raises(PackageError) as info:
            read_member(zf, "over", 100)
        assert str(info.value) == "文件中的 over 过大（0 MB）"
        with pytest.raises(PackageError) as info:
            read_member(zf, "absent", 100)
        assert str(info.value) == "文件中缺少 absent，不是完整的同步文件"
    data = bytearray(path.read_bytes())
    start = data.index(zlib.compress(b"a" * 100)[2:6])  # inside the first member's deflated bytes
    data[start] ^= 0xFF
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as zf, pytest.raises(PackageError) as info:
        read_member(zf, "exact", 100)
    assert str(info.value).startswith("文件中的 exact 已损坏（") and str(info.value).endswith("），文件可能没有复制完整")
