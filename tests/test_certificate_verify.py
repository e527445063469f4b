"""A 志愿服务记录证明 anyone can check (#26): printed on a station, its QR code read back from the rendered page
with zbarimg, opened at the district's /verify page — before the station syncs (by its signature alone), after
(from the register the station reported), and after its 作废; one digit changed in the payload gives 签名无效."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app import reports
from app.models.enums import Role
from app.reports.certificate import revoke_certificate
from app.services import volunteers
from app.services.context import Actor, Context
from app.signing import CertificatePayload, b64, unb64
from sync.client import SyncClient
from sync.server import admin
from sync.server.db import certificate, station_key

FAST = dict(backoff_base=0.05, backoff_cap=0.2, max_retry_seconds=20)


def qr_of(pdf, tmp_path) -> str:
    """The first page rendered as a person would photograph it, and its QR code decoded."""
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)  # 7 px a module
    page = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--nodbus", "--quiet", "--raw", str(page)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def page_text(response) -> str:
    return re.sub(r"<[^>]+>", "", response.text)


@pytest.fixture
def issued(demo_store, district_sqlite, tmp_path):
    ctx = Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))
    code = admin.add_station(district_sqlite.engine, "杨家庄村", "艾山街道")
    client = SyncClient(demo_store, **FAST)
    client.enroll(district_sqlite.base, code)
    busiest = max(volunteers.search_volunteers(ctx), key=lambda v: volunteers.volunteer_hours(ctx, v.id, year=2026))
    path, number = reports.certificate_pdf(ctx, tmp_path / "证明.pdf", volunteer_id=busiest.id, year=2026)
    return ctx, client, district_sqlite, busiest, path, number


def test_a_printed_certificate_is_checked_by_its_qr_code_before_and_after_the_station_syncs(issued, tmp_path):
    ctx, client, district, volunteer, path, number = issued
    hours = volunteers.volunteer_hours(ctx, volunteer.id, year=2026)
    link = qr_of(path, tmp_path)
    assert link.startswith(f"{district.base}/verify/{number}?p=")
    # Issued since the last sync: the district has no register entry, but the signature proves the paper.
    before = requests.get(link, timeout=10)
    text = page_text(before)
    assert before.status_code == 200 and "签名有效，区里尚未收到登记" in text and f"{hours:g} 小时" in text
    assert volunteer.name not in text and volunteer.name[0] in text  # masked, never the full name
    # One digit changed in the payload: the signature no longer matches.
    query = parse_qs(urlsplit(link).query)
    payload = CertificatePayload.parse(unb64(query["p"][0]).decode())
    forged = CertificatePayload(payload.number, payload.masked_name, payload.date_from, payload.date_to, payload.hours + 10)
    tampered = requests.get(f"{district.base}/verify/{number}", params={"p": b64(forged.text().encode()), "s": query["s"][0]}, timeout=10)
    assert "签名无效" in page_text(tampered) and f"{payload.hours + 10:g} 小时" not in page_text(tampered)
    # After the sync: the register answers by the number alone, as typed from the paper.
    result = client.sync()
    assert result.certificates == 1
    with district.engine.connect() as conn:
        assert conn.execute(select(certificate.c.hours)).scalar() == hours
        assert len(conn.execute(select(station_key)).all()) == 1
    after = requests.get(f"{district.base}/verify/{number.lower()}", timeout=10)
    assert after.status_code == 200 and "有效" in page_text(after) and f"{hours:g} 小时" in page_text(after)
    assert after.headers["Cache-Control"] == "no-store"
    # 作废 on the station reaches the district with the next sync.
    revoke_certificate(ctx, number, "时长统计有误，已重新出具")
    assert client.sync().certificates == 1
    revoked = page_text(requests.get(f"{district.base}/verify/{number}", timeout=10))
    assert "已作废" in revoked and "时长统计有误" in revoked
    assert client.sync().certificates == 0  # nothing new to report
    unknown = requests.get(f"{district.base}/verify/{number[:-4]}9999", timeout=10)
    assert unknown.status_code == 404 and "查无此证" in page_text(unknown)


def test_the_district_takes_certificates_only_as_their_station_signed_them(issued):
    ctx, client, district, _volunteer, _path, number = issued
    from app import signing
    from sync import protocol

    with ctx.store.session() as session:
        key = signing.public_key(session)
        session.commit()
    client.sync()
    base = district.base
    headers = {"Authorization": client.http.headers["Authorization"], protocol.HEADER_PROTOCOL: str(protocol.PROTOCOL_VERSION)}
    forged = {"number": number.replace("-0001", "-0002"), "masked_name": "王*", "date_from": "2026-01-01", "date_to": "2026-06-30",
              "hours": 900, "activities": 1, "issued_on": "2026-07-01", "signature": "A" * 86}
    other_station = dict(forged, number="ZM-ABCDEF-2026-0001")
    answer = requests.post(base + protocol.CERTIFICATES, json={"public_key": key, "certificates": [forged, other_station]},
                           headers=headers, timeout=10).json()
    assert answer["taken"] == [] and answer["refused"] == {forged["number"]: "签名与内容不符", "ZM-ABCDEF-2026-0001": "证明编号不是本站的"}
    with district.engine.connect() as conn:
        assert [r.number for r in conn.execute(select(certificate.c.number))] == [number]


def test_verify_lookups_are_limited_per_address(issued, monkeypatch):
    _ctx, _client, district, _volunteer, _path, number = issued
    from sync.server import throttle

    answers = [requests.get(f"{district.base}/verify/{number}", timeout=10).status_code for _ in range(throttle.VERIFY_ADDR[1].failures + 1)]
    assert answers[-1] == 429 and set(answers[:-1]) == {404}  # (not synced: 查无此证) — then no more answers


def test_a_certificate_of_a_station_never_enrolled_carries_its_signed_payload(demo_store, tmp_path):
    ctx = Context(store=demo_store, actor=Actor("clerk", "王录入", Role.clerk))
    busiest = max(volunteers.search_volunteers(ctx), key=lambda v: volunteers.volunteer_hours(ctx, v.id, year=2026))
    path, number = reports.certificate_pdf(ctx, tmp_path / "证明.pdf", volunteer_id=busiest.id, year=2026)
    text = qr_of(path, tmp_path)
    assert text.isascii() and text.startswith("ZM1:")  # what any phone's scanner shows as it is
    encoded, signature = text[4:].split(".")
    payload_text = unb64(encoded).decode()
    payload = CertificatePayload.parse(payload_text)
    assert payload.number == number and payload.date_to.year == 2026
    from app import signing

    with demo_store.session() as session:
        assert signing.verify(signing.public_key(session), payload_text, signature)
