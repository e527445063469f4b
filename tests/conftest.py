"""Shared fixtures: every test gets its own temp data dir; nothing touches the real home."""

from __future__ import annotations

import os
from datetime import date

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from app.db import Store
from app.services.context import Context
from app.services.idcard import check_char
from app.services.station import init_station


def make_id(born: date = date(1980, 5, 17), seq: int = 123, region: str = "370117") -> str:
    """A valid 18-digit resident ID for tests (odd seq: male, even: female)."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("STATION_DATA_DIR", str(home / "default-data"))


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def store(data_dir):
    with Store.open(data_dir) as opened:
        yield opened


@pytest.fixture
def ctx(store) -> Context:
    init_station(store, name="测试村新时代文明实践站", kind="village", population=1000, street="艾山街道")
    return Context(store=store)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A demo station built once; tests copy its DB (building takes a second or two)."""
    from app.demo import build_demo
    from app.services import operators

    folder = tmp_path_factory.mktemp("demo-template")
    with Store.open(folder) as demo:
        build_demo(demo, years=1, seed=2022)
        operators.create_first_admin(demo, username="admin", display_name="杨红霞", password="admin123")
        ctx = Context(store=demo, actor=operators.authenticate(demo, "admin", "admin123"))
        operators.create_operator(ctx, username="clerk", display_name="王录入", role="clerk", password="clerk123")
        target = folder / "template.db"
        demo.backup(to=target)
    return target


@pytest.fixture
def demo_store(demo_template, data_dir):
    import shutil

    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, data_dir / "station.db")
    with Store.open(data_dir) as opened:
        yield opened


@pytest.fixture(scope="session", autouse=True)
def _app_fonts(qapp):
    """UI tests render with the app's own fonts, style and Chinese Qt strings, as on a village PC."""
    from ui import style
    from ui.workers import install_garbage_collector

    style.apply(qapp)
    install_garbage_collector(qapp)  # as the app does: no collection inside worker threads


@pytest.fixture(scope="session")
def postgres():
    from sync_helpers import Postgres

    server = Postgres()
    yield server
    server.stop()


def _district(request, tmp_path, backend: str):
    from sync_helpers import DistrictServer

    url = f"sqlite:///{tmp_path / 'district.db'}" if backend == "sqlite" else request.getfixturevalue("postgres").new_database()
    server = DistrictServer(url)  # photos in the database, as deployed
    server.start()
    return server


@pytest.fixture(params=["sqlite", "postgresql"])
def district(request, tmp_path):
    """The real district server on 127.0.0.1, on SQLite and on a real PostgreSQL."""
    server = _district(request, tmp_path, request.param)
    yield server
    server.close()


@pytest.fixture
def district_sqlite(request, tmp_path):
    server = _district(request, tmp_path, "sqlite")
    yield server
    server.close()
