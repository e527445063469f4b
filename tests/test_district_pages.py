"""The district's pages are templates with autoescaping: whatever a station or a staff member typed — a
station's name, a street, a rejection reason, a value sent back to the dispatch form — is shown as text on
every page and never becomes markup."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from app.models.base import utcnow
from sync.server import admin
from sync.server.db import account, rejection
from sync_helpers import staff_login

EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_every_page_shows_what_was_typed_as_text(district_sqlite):
    engine = district_sqlite.engine
    admin.add_staff(engine, "wmb", "district1", "区文明办")
    admin.add_station(engine, EVIL, EVIL)
    with engine.begin() as conn:  # enrolled, and not heard from for ten days: flagged at the top of the overview
        conn.execute(update(account).values(station_id="s-evil", last_sync_at=utcnow() - timedelta(days=10)))
        conn.execute(rejection.insert().values(account_id=1, batch_id="b-evil-0001", entity=EVIL[:40], row_id="r1", reason=EVIL, at=utcnow()))
    web = staff_login(district_sqlite.base)
    base = district_sqlite.base
    pages = {url: web.get(base + url, timeout=30) for url in
             ["/district", "/district/evaluation", "/district/demands", "/district/station/1", "/district/packages", "/district/stations/add"]}
    refused = web.post(base + "/district/demands/dispatch", timeout=30, data={
        "csrf": re.search(r'name="csrf" value="([^"]+)"', pages["/district/demands"].text).group(1),
        "station": EVIL, "requester": EVIL, "contact": "13905310002", "content": ""})
    assert refused.status_code == 422 and "请填写需求内容" in refused.text
    pages["dispatch refused"] = refused
    for url, answer in pages.items():
        assert answer.status_code in (200, 422), url
        assert "<script>alert(1)</script>" not in answer.text and "<img src=x" not in answer.text, url
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for url in ["/district", "/district/evaluation", "/district/demands", "/district/station/1"]:
        assert escaped in pages[url].text, url
    assert "超过 7 天未同步" in pages["/district"].text and escaped + "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;（10 天未同步）" in pages["/district"].text
    assert escaped in refused.text  # the value typed is kept in the form, as text
    assert 'value="&lt;script&gt;' in refused.text


def test_a_bad_address_is_a_chinese_page_not_a_500(district_sqlite):
    admin.add_staff(district_sqlite.engine, "wmb", "district1", "区文明办")
    web = staff_login(district_sqlite.base)
    answer = web.get(district_sqlite.base + "/district?month=13", timeout=30)
    assert answer.status_code == 422 and "请求参数不正确：月份" in answer.text and "返回各站情况" in answer.text
    missing = web.get(district_sqlite.base + "/district/station/999", timeout=30)
    assert missing.status_code == 404 and "找不到该实践站" in missing.text
    reply = web.get(district_sqlite.base + "/district/packages/999/reply", timeout=30)
    assert reply.status_code == 404 and "找不到这份回执" in reply.text
