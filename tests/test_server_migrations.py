"""The district's database: a server made by an older release upgrades in place, on SQLite and PostgreSQL,
to exactly the tables the current code expects, keeping what it held."""

from __future__ import annotations

import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from app.models.base import utcnow
from sync.server.db import HEAD_REVISION, alembic_config, announcement, metadata, migrate


def _differences(district_engine) -> list:
    with district_engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_a_d0003_server_upgrades_to_head_keeping_its_rows(district_engine):
    cfg = alembic_config(district_engine)
    with district_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "d0003")
        conn.execute(text("INSERT INTO announcement (id, kind, title, body, published_at) VALUES (:i, 'announcement', '旧通知', '', :t)"),
                     {"i": str(uuid.uuid4()), "t": utcnow().replace(tzinfo=None)})
    migrate(district_engine)
    with district_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        old = conn.execute(select(announcement)).one()
    assert old.title == "旧通知" and old.station_id is None  # a broadcast, as before dispatches existed
    assert _differences(district_engine) == []


def test_a_new_server_is_created_at_head(district_engine):
    migrate(district_engine)
    with district_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    assert _differences(district_engine) == []


def test_volunteers_received_before_d0015_are_linked_once_the_key_is_loaded(district_engine):
    """One person across ledgers (#30): the migration makes the link table, which it cannot fill (the links are keyed
    with the district's secret, kept outside the database); the first `station district` command after it loads the
    key and links every volunteer row the district already had."""
    from datetime import date

    from conftest import make_id
    from sync.server import people
    from sync.server.db import TABLES, person_link

    cfg = alembic_config(district_engine)
    with district_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "d0013")
        number = make_id(seq=77)
        for station in ("s-1", "s-2"):
            conn.execute(TABLES["volunteer"].insert().values(
                id=f"v-{station}", station_id=station, version=1, updated_at=utcnow(), deleted=False, number="ZY000001",
                name="王秀英", name_pinyin="wangxiuying", name_initials="wxy", id_type="居民身份证", id_number=number,
                gender="女",
                birth_date=date(1980, 5, 17), phone="", phone_tail="", political_status="群众", tags="", skills="",
                registered_on=date(2020, 1, 1), address="", note=""))
    migrate(district_engine)
    with district_engine.connect() as conn:
        assert conn.execute(select(person_link)).all() == []  # not yet: the migration has no key
    key = b"k" * 32
    assert people.use_key(district_engine, key) == 2
    with district_engine.connect() as conn:
        linked = {r.volunteer_id: r.person_key for r in conn.execute(select(person_link))}
    expected = people.person_key(key, "居民身份证", number)
    assert linked == {"v-s-1": expected, "v-s-2": expected}
    assert _differences(district_engine) == []
