"""The district's commands as an IT person meets them (#27): the database URL from a protected environment
file rather than the command line (`ps` shows it), a database that will not let the district in named in
Chinese with its cause, and the district's log in the district's own folder — never under a desktop's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from sync.cli import connection_failure
from sync_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


def district(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", "district", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.fixture
def desktop_dir(tmp_path) -> Path:
    """A desktop data folder the district's commands must leave alone."""
    folder = tmp_path / "desktop"
    (folder / "logs").mkdir(parents=True)
    return folder


def test_the_database_url_comes_from_the_environment(tmp_path, desktop_dir):
    db = tmp_path / "from-env.db"
    done = district("--dir", str(tmp_path / "d"), "migrate",
                    env={"STATION_DISTRICT_DB": f"sqlite:///{db}", "STATION_DATA_DIR": str(desktop_dir)})
    assert done.returncode == 0, done.stderr
    assert db.is_file() and not (tmp_path / "d" / "district.db").exists()
    assert "STATION_DISTRICT_DB" in district("--help").stdout  # where the password goes, said in the help


def test_a_database_that_is_not_running_is_named_with_its_cause(tmp_path, desktop_dir):
    url = f"postgresql+psycopg://station:s3cret-pw@127.0.0.1:{free_port()}/district?connect_timeout=3"
    done = district("--dir", str(tmp_path / "d"), "migrate", env={"STATION_DISTRICT_DB": url, "STATION_DATA_DIR": str(desktop_dir)})
    assert done.returncode == 1
    assert "无法连接区级数据库 postgresql+psycopg://station:***@127.0.0.1" in done.stderr and "连接被拒绝" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout and "意外错误" not in done.stderr and "Traceback" not in done.stderr
    assert list((desktop_dir / "logs").iterdir()) == []  # nothing in the desktop's log
    assert (tmp_path / "d" / "logs" / "station.log").is_file()


def test_a_database_or_role_that_does_not_exist_is_named(postgres, tmp_path):
    for url in (f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/no_such_db",
                f"postgresql+psycopg://nobody@127.0.0.1:{postgres.port}/postgres"):
        done = district("--db", url, "--dir", str(tmp_path / "d"), "migrate")
        assert done.returncode == 1 and "不存在" in done.stderr and "意外错误" not in done.stderr, done.stderr


def test_a_wrong_password_says_so():
    """As PostgreSQL answers a role with a password when scram or md5 is on (the test cluster trusts loopback)."""
    wrong = psycopg.OperationalError('connection failed: FATAL:  password authentication failed for user "station"')
    said = connection_failure(sa_exc.OperationalError("SELECT 1", {}, wrong))
    assert said.startswith("用户名或密码不对") and 'password authentication failed for user "station"' in said


def test_the_shipped_unit_starts_at_boot_as_its_own_user_with_the_password_out_of_sight():
    """The documented unit had no [Install] (it never started at boot), no user, and the password in a
    world-readable file and in `ps` (#27)."""
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "installer" / "linux" / "station-district.service", encoding="utf-8")
    service = unit["Service"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert service["User"] == "station" and service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/station/district.env"
    assert "postgresql" not in service["ExecStart"] and "--db" not in service["ExecStart"]
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    assert "migrate" in service["ExecStartPre"]
    # Not configured yet: the start is skipped (exit 1 of ExecCondition), not failed and restarted every 5 s. The
    # condition run as systemd runs it ("$$" is a literal "$"), with the environment district.env gives.
    import shlex
    import subprocess

    condition = shlex.split(service["ExecCondition"].replace("$$", "$"))
    for value, skipped in (("", True), ("postgresql+psycopg://station:改成数据库密码@127.0.0.1:5432/station", True),
                           ("postgresql+psycopg://station:s3cret@127.0.0.1:5432/station", False)):
        ran = subprocess.run(condition, env={"STATION_DISTRICT_DB": value}, capture_output=True, text=True)
        assert ran.returncode == (1 if skipped else 0), (value, ran.stderr)
    example = (ROOT / "installer" / "linux" / "district.env.example").read_text(encoding="utf-8")
    assert "STATION_DISTRICT_DB=postgresql+psycopg://station:" in example and "0600" in example
    manual = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "createuser --pwprompt" in manual and "--db postgresql" not in manual


def test_stations_are_listed_in_beijing_time(tmp_path):
    """`station district stations` printed UTC while every page says 北京时间 (#27)."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from sync.server import admin
    from sync.server.db import account, make_engine, migrate

    folder = tmp_path / "d"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'district.db'}")
    migrate(engine)
    admin.add_station(engine, "杨家庄村", "艾山街道")
    with engine.begin() as conn:
        conn.execute(update(account).where(account.c.name == "杨家庄村").values(
            station_id="s-1", last_sync_at=datetime(2026, 11, 30, 17, 5, tzinfo=UTC)))  # UTC: 1 December, 01:05 in Beijing
    engine.dispose()
    listed = district("--dir", str(folder), "stations").stdout
    assert "最近同步（北京时间）" in listed and "2026-12-01 01:05" in listed and "2026-11-30" not in listed
