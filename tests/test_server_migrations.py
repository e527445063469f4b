"""The district's database: a server made by an older release upgrades in place, on SQLite and PostgreSQL,
to exactly the tables the current code expects, keeping what it held."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from app.models.base import utcnow
from sync.server.db import HEAD_REVISION, alembic_config, announcement, make_engine, metadata, migrate


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'district.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres").new_database()
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def test_a_d0003_server_upgrades_to_head_keeping_its_rows(engine):
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "d0003")
        conn.execute(text("INSERT INTO announcement (id, kind, title, body, published_at) VALUES (:i, 'announcement', '旧通知', '', :t)"),
                     {"i": str(uuid.uuid4()), "t": utcnow().replace(tzinfo=None)})
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        old = conn.execute(select(announcement)).one()
    assert old.title == "旧通知" and old.station_id is None  # a broadcast, as before dispatches existed
    assert _differences(engine) == []


def test_a_new_server_is_created_at_head(engine):
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    assert _differences(engine) == []
