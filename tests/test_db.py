import shutil
from datetime import date, timedelta
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from app.db import Store, StoreError, alembic_config, head_revision, make_engine
from app.services import volunteers
from app.services.context import Context
from conftest import make_id

FIXTURES = Path(__file__).parent / "fixtures"


def test_fresh_store_is_created_stamped_and_configured(store):
    assert store.current_revision() == head_revision()
    with store.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30000
    assert store.check() == []


def test_migrations_build_exactly_the_models(tmp_path):
    engine = make_engine(tmp_path / "migrated.db")
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("schema_*.db")), ids=lambda p: p.stem)
def test_every_released_schema_opens_in_this_release(fixture, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(fixture, data / "station.db")
    with Store.open(data) as store:
        assert store.current_revision() == head_revision()
        assert store.check() == []
        if fixture.stem != f"schema_{head_revision()}":  # an older schema was backed up before its upgrade
            assert [b.kind for b in store.list_backups()] == ["before-upgrade"]
        ctx = Context(store=store)
        assert volunteers.count_volunteers(ctx) == 75
        volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="新人", id_number=make_id(seq=991), phone="13812345678")


def test_head_revision_constant_matches_the_scripts():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == head_revision()


def test_fixture_exists_for_the_current_schema():
    assert (FIXTURES / f"schema_{head_revision()}.db").exists(), "run tests/fixtures/make_schema_fixture.py and commit the file"


def test_db_of_a_newer_release_is_refused(ctx, data_dir):
    with ctx.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num='9999'")
    ctx.store.close()
    with pytest.raises(StoreError, match="更新版本"):
        Store.open(data_dir)


def test_foreign_file_and_garbage_are_refused(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    sqlite3.connect(foreign / "station.db").execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(StoreError, match="不是本程序"):
        Store.open(foreign)
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "station.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="无法打开数据库"):
        Store.open(garbage)


def test_backup_of_a_live_wal_db(ctx, tmp_path):
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678")
    assert Path(str(ctx.store.paths.db) + "-wal").stat().st_size > 0  # committed rows still in the WAL
    writer = sqlite3.connect(ctx.store.paths.db)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE volunteer SET name='未提交'")
    try:
        target = ctx.store.backup(to=tmp_path / "copy.db")
    finally:
        writer.rollback()
        writer.close()
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT name FROM volunteer").fetchall() == [("张三",)]
    copy.close()


def test_restore_validates_then_replaces(ctx, tmp_path):
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(), phone="13812345678")
    good = ctx.store.backup(to=tmp_path / "good.db")
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="李四", id_number=make_id(seq=200), phone="13812345678")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database")
    with pytest.raises(StoreError):
        ctx.store.restore(bad)
    assert volunteers.count_volunteers(ctx) == 2  # untouched
    safety = ctx.store.restore(good)
    assert [v.name for v in volunteers.search_volunteers(ctx)] == ["张三"]
    assert safety.exists() and safety.parent == ctx.store.paths.backups
    assert ctx.store.check() == []
    volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="王五", id_number=make_id(seq=300), phone="13812345678")  # still writable


def test_a_restore_keeps_the_operators_of_today_unless_asked_for_the_backups(ctx, tmp_path):
    """A restore brought back every password as it was on the backup's day: a changed one no longer
    worked, the old one (perhaps known to someone who left) did again, and a locked account was unlocked."""
    from app.db import operators_in
    from app.services import operators
    from app.services.errors import ServiceError

    operators.create_first_admin(ctx.store, username="admin", display_name="杨红霞", password="old-secret")
    admin = Context(store=ctx.store, actor=operators.authenticate(ctx.store, "admin", "old-secret"))
    operators.create_operator(admin, username="clerk", display_name="录入员", role="clerk", password="clerk123")
    backup = ctx.store.backup(to=tmp_path / "before-the-change.db")
    operators.update_operator(admin, "admin", password="new-secret")
    operators.create_operator(admin, username="helper", display_name="新来的", role="viewer", password="helper123")
    for _ in range(operators.MAX_FAILED_LOGINS):
        with pytest.raises(ServiceError):
            operators.authenticate(ctx.store, "clerk", "wrong")
    assert [username for username, _name, _role in operators_in(backup)] == ["admin", "clerk"]

    ctx.store.restore(backup)
    assert operators.authenticate(ctx.store, "admin", "new-secret").username == "admin"
    with pytest.raises(ServiceError):
        operators.authenticate(ctx.store, "admin", "old-secret")
    assert operators.authenticate(ctx.store, "helper", "helper123").username == "helper"
    with pytest.raises(ServiceError, match="锁定"):
        operators.authenticate(ctx.store, "clerk", "clerk123")  # still locked out

    ctx.store.restore(backup, keep_operators=False)
    assert operators.authenticate(ctx.store, "admin", "old-secret").username == "admin"
    with pytest.raises(ServiceError):
        operators.authenticate(ctx.store, "admin", "new-secret")
    assert [op.username for op in operators.list_operators(ctx.store)] == ["admin", "clerk"]
    assert operators.authenticate(ctx.store, "clerk", "clerk123").username == "clerk"
    assert ctx.store.check() == []


def test_daily_backup_once_a_day_and_rotation(store):
    first = store.backup_daily()
    assert first is not None and first.name.startswith("daily-")
    assert store.backup_daily() is None
    for i in range(35):
        day = date(2020, 1, 1) + timedelta(days=i)
        (store.paths.backups / f"daily-{day:%Y%m%d}-000000-000000.db").write_bytes(b"x")
    store._rotate("daily")
    assert len([b for b in store.list_backups() if b.kind == "daily"]) == 30
    assert first.exists()  # the newest are kept
    assert {b.kind_label for b in store.list_backups()} == {"每日自动备份"}


def test_planner_statistics_when_a_store_with_data_opens_and_with_the_daily_backup(ctx, data_dir):
    """Without ANALYZE, SQLite counts a big activity table through an index row by row (10× slower)."""
    from app.services import teams

    store = ctx.store
    teams.add_team(ctx, name="统计测试队", category="便民服务")
    assert not store._has_statistics()  # made empty: statistics now would describe empty tables
    store.close()
    with Store.open(data_dir) as reopened:
        with reopened.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'team'").scalar() >= 1
            conn.exec_driver_sql("DELETE FROM sqlite_stat1")
            conn.commit()
        assert reopened.backup_daily() is not None
        with reopened.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'team'").scalar() >= 1
