"""Staff accounts from the command line (#30): add-staff with a scope, list-staff, disable-staff / enable-staff,
reset-staff-password. Passwords are typed twice or read from standard input, never given as an argument; a name
taken or a street the district does not know is said in Chinese with a non-zero exit. A server made before scopes
existed keeps its staff, who see the whole district."""

from __future__ import annotations

import getpass
import subprocess
import sys

import pytest
from alembic import command
from sqlalchemy import select, text

from app.cli import main
from sync.server import admin
from sync.server.db import alembic_config, migrate, staff
from sync_helpers import staff_login


def run_district(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", "district", "--db", url, *args], capture_output=True, text=True,
                          timeout=120, input=None if password is None else password + "\n")


def test_staff_accounts_from_the_command_line(district_sqlite):
    url, base = str(district_sqlite.engine.url), district_sqlite.base
    admin.add_station(district_sqlite.engine, "杨家庄村", "艾山街道")

    done = run_district(url, "add-staff", "--username", "wmb", "--name", "区文明办", "--password-stdin", password="district1")
    assert done.returncode == 0 and "已添加区级管理员 wmb（全区）" in done.stdout, done.stderr
    done = run_district(url, "add-staff", "--username", "aishan", "--name", "艾山街道办", "--scope", "street:艾山街道", "--password-stdin",
                        password="street01")
    assert done.returncode == 0 and "已添加艾山街道的管理员 aishan" in done.stdout, done.stderr

    taken = run_district(url, "add-staff", "--username", "WMB", "--password-stdin", password="another1")
    assert taken.returncode == 1 and "已有用户名为“wmb”的管理员账号" in taken.stderr
    unknown = run_district(url, "add-staff", "--username", "lixin", "--scope", "street:里辛街道", "--password-stdin", password="street02")
    assert unknown.returncode == 1 and "区里还没有“里辛街道”的实践所或实践站账号" in unknown.stderr and "现有街道：艾山街道" in unknown.stderr
    bad_scope = run_district(url, "add-staff", "--username", "lixin", "--scope", "street:", "--password-stdin", password="street02")
    assert bad_scope.returncode == 1 and "范围应为 district（全区）或 street:街道名称" in bad_scope.stderr
    short = run_district(url, "add-staff", "--username", "lixin", "--password-stdin", password="123")
    assert short.returncode == 1 and "密码至少6位" in short.stderr
    on_the_line = run_district(url, "add-staff", "--username", "lixin", "--password", "street02")
    assert on_the_line.returncode == 2 and "密码不能写在命令行上" in on_the_line.stderr and "street02" not in on_the_line.stderr
    no_terminal = run_district(url, "add-staff", "--username", "lixin", password="street02")
    assert no_terminal.returncode == 1 and "--password-stdin" in no_terminal.stderr
    assert "lixin" not in run_district(url, "list-staff").stdout

    web = staff_login(base, "aishan", "street01")
    assert "艾山街道办（艾山街道）" in web.get(base + "/district", timeout=30).text
    listing = run_district(url, "list-staff").stdout
    line = next(row for row in listing.splitlines() if "aishan" in row)
    assert "艾山街道" in line and "正常" in line and "全区" in next(row for row in listing.splitlines() if "wmb" in row)

    done = run_district(url, "disable-staff", "aishan")
    assert done.returncode == 0 and "已停用管理员 aishan" in done.stdout
    assert web.get(base + "/district", timeout=30).url.split("?")[0].endswith("/login")  # its open session ended
    assert "已停用" in next(row for row in run_district(url, "list-staff").stdout.splitlines() if "aishan" in row)
    assert run_district(url, "enable-staff", "aishan").returncode == 0

    done = run_district(url, "reset-staff-password", "aishan", "--password-stdin", password="street09")
    assert done.returncode == 0 and "已为 aishan 设置新密码" in done.stdout, done.stderr
    staff_login(base, "aishan", "street09")
    missing = run_district(url, "reset-staff-password", "nobody", "--password-stdin", password="street09")
    assert missing.returncode == 1 and "没有用户名为“nobody”的管理员" in missing.stderr
    assert run_district(url, "disable-staff", "nobody").returncode == 1


def test_a_password_typed_twice_must_match(district_engine, monkeypatch, capsys):
    migrate(district_engine)
    url = district_engine.url.render_as_string(hide_password=False)
    typed = iter(["district1", "district2", "district1", "district1"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["district", "--db", url, "add-staff", "--username", "wmb"]) == 1
    assert "两次输入的密码不一致" in capsys.readouterr().err
    assert main(["district", "--db", url, "add-staff", "--username", "wmb"]) == 0
    with district_engine.connect() as conn:
        row = conn.execute(select(staff)).one()
    assert (row.username, row.scope, row.street, row.disabled) == ("wmb", "district", "", False)


def test_staff_made_before_scopes_see_the_whole_district(district_engine):
    cfg = alembic_config(district_engine)
    with district_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "d0009")
        conn.execute(text("INSERT INTO staff (username, display_name, password_hash) VALUES ('wmb', '区文明办', 'x')"))
    migrate(district_engine)
    with district_engine.connect() as conn:
        row = conn.execute(select(staff)).one()
    assert (row.scope, row.street, row.disabled) == ("district", "", False)


def test_a_street_scope_is_checked_by_the_service_too(district_engine):
    from app.services.errors import ValidationError

    migrate(district_engine)
    admin.add_station(district_engine, "艾山街道新时代文明实践所", "艾山街道", level="institute")
    admin.add_staff(district_engine, "aishan", "street01", street="艾山街道")  # a 所 names its street
    with pytest.raises(ValidationError) as refused:
        admin.add_staff(district_engine, "xx", "street01", street="汶源街道")
    assert "汶源街道" in refused.value.errors["scope"]
    assert admin.parse_scope("district") == "" and admin.parse_scope(" street:艾山街道 ") == "艾山街道"
    with pytest.raises(ValidationError):
        admin.parse_scope("county")
    assert [(r.username, r.street) for r in admin.staff_accounts(district_engine)] == [("aishan", "艾山街道")]
    assert not admin.set_staff_disabled(district_engine, "nobody")
