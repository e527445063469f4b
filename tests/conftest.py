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
