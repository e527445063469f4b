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
