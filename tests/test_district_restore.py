"""The district put back to an older backup (docs/deploy.md, "Backups"): the rows stations sent since that backup are
gone from the district though the stations hold them as acknowledged, and the announcements issued since get their
seqs issued again to other items. A station's next sync — by network or by USB package — finds its pull cursor is not
one this district issued, sends every row again and pulls from the start; nothing is lost, nothing doubled.

SQLite's backup API stands for `pg_dump`/`pg_restore` here (the same: the database as it was at one moment); the
detection reads only the announcement table, the same on both databases."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlmodel import select as orm_select

from app.models import Announcement
from app.outbox import pending_count
from app.services import volunteers
from conftest import make_id
from sync.client import history, load_state
from sync.package import export_package, import_reply
from sync.server import admin
from sync.server.packages import import_package
from test_sync import assert_same, enroll, server_rows


def person(ctx, n: int):
    return volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=f"志愿者{n}", id_number=make_id(seq=300 + n),
                                    phone=f"1391234{n:04d}")


def backup(district, to: Path) -> None:
    """The district database as it is now (what the night's dump holds)."""
    source = sqlite3.connect(district.engine.url.database)
    target = sqlite3.connect(to)
    with target:
        source.backup(target)
    source.close()
    target.close()


def restore(district, dump: Path) -> None:
    """The disaster and the drill: the server stopped, the database replaced by the backup, the server started."""
    district.stop()
    district.engine.dispose()
    database = Path(district.engine.url.database)
    for extra in ("-wal", "-shm"):
        Path(f"{database}{extra}").unlink(missing_ok=True)
    shutil.copyfile(dump, database)
    district.start()


def titles(store) -> list[str]:
    with store.session() as session:
        return sorted(a.title for a in session.exec(orm_select(Announcement)))


def test_after_a_district_restore_the_next_sync_sends_everything_again_and_misses_no_announcement(ctx, district_sqlite,
                                                                                                    tmp_path):
    client = enroll(ctx.store, district_sqlite)
    first = [person(ctx, n) for n in range(3)]
    admin.announce(district_sqlite.engine, "备份之前的通知", "正文")
    client.sync()
    backup(district_sqlite, tmp_path / "night.db")
    later = [person(ctx, n) for n in range(3, 6)]  # acknowledged by the district, then lost with it
    admin.announce(district_sqlite.engine, "备份之后的通知", "正文")
    client.sync()
    assert pending_count(ctx.store) == 0 and set(server_rows(district_sqlite.engine, ctx.store.station_id)["volunteer"]) == {
        p.id for p in first + later}
    restore(district_sqlite, tmp_path / "night.db")
    assert set(server_rows(district_sqlite.engine, ctx.store.station_id)["volunteer"]) == {p.id for p in first}
    # Announcements published after the restore get the seqs the lost one had: the station must still see them.
    admin.announce(district_sqlite.engine, "恢复之后的通知", "正文")
    admin.announce(district_sqlite.engine, "恢复之后的第二条通知", "正文")

    result = client.sync()
    assert result.resent >= 6 and result.rejected == 0 and pending_count(ctx.store) == 0
    assert_same(ctx.store, district_sqlite)  # every row, content included, the lost three back
    assert {"恢复之后的通知", "恢复之后的第二条通知", "备份之后的通知"} <= set(titles(ctx.store))
    assert "区里的数据恢复到了较早的备份" in history(ctx.store)[0].message
    again = client.sync()  # settled: nothing sent twice, nothing pulled twice
    assert again.pushed == 0 and again.resent == 0 and again.pulled == 0


def test_a_station_that_pulled_nothing_since_the_backup_sends_nothing_again(ctx, district_sqlite, tmp_path):
    """The detection must not fire on a district that was not restored (a cursor of its own), nor on a cursor the
    backup still holds: only what the district issued after the backup tells."""
    client = enroll(ctx.store, district_sqlite)
    person(ctx, 1)
    admin.announce(district_sqlite.engine, "通知", "正文")
    client.sync()
    backup(district_sqlite, tmp_path / "night.db")
    restore(district_sqlite, tmp_path / "night.db")  # the same moment: nothing lost
    result = client.sync()
    assert result.resent == 0 and result.pushed == 0 and result.pulled == 0


def test_after_a_district_restore_a_usb_package_brings_everything_back(ctx, district_sqlite, tmp_path):
    client = enroll(ctx.store, district_sqlite)
    first = [person(ctx, n) for n in range(2)]
    admin.announce(district_sqlite.engine, "备份之前的通知", "正文")
    client.sync()
    backup(district_sqlite, tmp_path / "night.db")
    later = [person(ctx, n) for n in range(2, 4)]
    admin.announce(district_sqlite.engine, "备份之后的通知", "正文")
    client.sync()
    restore(district_sqlite, tmp_path / "night.db")
    admin.announce(district_sqlite.engine, "恢复之后的通知", "正文")

    def by_stick(name: str):
        export_package(ctx.store, tmp_path / f"{name}.slpkg")
        done = import_package(district_sqlite.engine, district_sqlite.app.state.photos, tmp_path / f"{name}.slpkg")
        (tmp_path / f"{name}.slreply").write_bytes(done.reply)
        return import_reply(ctx.store, tmp_path / f"{name}.slreply")

    first_reply = by_stick("1")  # the district says it was restored; every row is queued again
    assert first_reply.resent >= 4 and "恢复之后的通知" in titles(ctx.store)
    by_stick("2")  # which the next package carries
    assert pending_count(ctx.store) == 0
    assert set(server_rows(district_sqlite.engine, ctx.store.station_id)["volunteer"]) == {p.id for p in first + later}
    assert by_stick("3").resent == 0 and load_state(ctx.store).pull_cursor.count(".") == 1
