"""A full disk in the middle of a write: said in Chinese, and nothing half-written (SQLite's own SQLITE_FULL,
produced by capping the database's pages the way a full disk stops it growing)."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select, text

from app.exchange import excel
from app.known_errors import describe
from app.models import OutboxEntry, Volunteer
from app.services.context import Context
from conftest import make_id


def cap_pages(store, extra: int):
    """From now on every connection of the store may grow the file by at most ``extra`` pages."""
    with store.engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()

    @event.listens_for(store.engine, "connect")
    def _cap(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + extra}")

    store.engine.dispose()  # connections opened before the cap are closed
    return _cap


def counts(store) -> tuple[int, int]:
    with store.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Volunteer)).scalar_one(),
                conn.execute(select(func.count()).select_from(OutboxEntry)).scalar_one())


def test_an_import_that_fills_the_disk_writes_nothing_and_says_so(ctx, tmp_path):
    store = ctx.store
    book = Workbook()
    ws = book.active
    ws.append(["姓名", "身份证号", "联系电话", "技能特长"])
    for n in range(1500):
        ws.append([f"志愿者{n}", make_id(seq=n % 999 + 1, born=__import__("datetime").date(1950 + n // 999, 1, 1)),
                   f"138{n:08d}", "长长的技能说明" * 20])
    book.save(tmp_path / "名单.xlsx")
    sheet = excel.read_sheet(tmp_path / "名单.xlsx")
    mapping = excel.guess_mapping(sheet)
    before = counts(store)
    cap = cap_pages(store, 20)  # room for a few rows, not for 1,500
    with pytest.raises(Exception) as caught:
        excel.import_volunteers(Context(store=store), sheet, mapping)
    message = describe(caught.value)
    assert message is not None and "磁盘空间不足" in message and "已保存的数据没有被改动" in message
    assert counts(store) == before  # not one volunteer, not one outbox row
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    # With room again (the clerk cleared the disk), the same import goes through whole.
    event.remove(store.engine, "connect", cap)
    store.engine.dispose()
    assert excel.import_volunteers(Context(store=store), sheet, mapping).imported == 1500
    assert counts(store)[0] == before[0] + 1500
