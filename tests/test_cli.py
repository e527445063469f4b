"""The ``station`` command through a real subprocess, as a person or a script would run it."""

from __future__ import annotations

import os
import re
from datetime import date
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_id

ROOT = Path(__file__).resolve().parent.parent


def station(data_dir, *args, check=True, input=None):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, input=input,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def initialised(tmp_path):
    data = tmp_path / "data"
    out = station(data, "init", "--name", "红山村新时代文明实践站", "--kind", "village", "--population", "800")
    assert "已建立实践站台账：红山村新时代文明实践站（村）" in out.stdout
    return data


def test_help_is_chinese(tmp_path):
    out = station(tmp_path, "--help").stdout
    assert "用法：" in out and "子命令" in out and "usage:" not in out
    err = station(tmp_path, "volunteer", "add", check=False)
    assert err.returncode == 2 and "缺少必需的参数" in err.stderr


def test_init_info_and_data_dir_flag_position(initialised):
    out = station(initialised, "info").stdout
    assert "红山村新时代文明实践站" in out and "常住人口：800" in out and "志愿者：0 名" in out
    again = station(initialised, "init", "--name", "x", "--kind", "village", check=False)
    assert again.returncode == 1 and "不能重复初始化" in again.stderr


def test_commands_need_a_station_first(tmp_path):
    out = station(tmp_path / "empty", "volunteer", "list", check=False)
    assert out.returncode == 1 and "尚未建立实践站" in out.stderr


def test_volunteer_team_activity_flow(initialised):
    station(initialised, "team", "add", "--name", "敬老爱老服务队", "--category", "敬老爱老")
    out = station(initialised, "volunteer", "add", "--name", "张三", "--id-number", "11010519491231002x",
                  "--phone", "13812345678", "--team", "敬老爱老服务队", "--party-member", "--registered-on", "2026-01-05").stdout
    number = re.search(r"志愿者编号：(ZY\d{6})", out).group(1)
    listing = station(initialised, "volunteer", "list", "--search", "zs").stdout
    assert "张三" in listing and "138****5678" in listing and "13812345678" not in listing
    assert "敬老爱老服务队" in listing and "共 1 名志愿者" in listing
    shown = station(initialised, "volunteer", "show", number).stdout
    assert "110105********002X" in shown and "中共党员" in shown and "出生日期：1949年12月31日" in shown
    assert "11010519491231002X" in station(initialised, "volunteer", "show", number, "--full").stdout
    station(initialised, "team", "add", "--name", "宣讲队", "--category", "理论政策宣讲", "--leader", number)
    assert "宣讲队" in station(initialised, "team", "list").stdout
    out = station(initialised, "activity", "add", "--title", "重阳节敬老饺子宴", "--date", "2026-10-29", "--category", "敬老爱老",
                  "--team", "敬老爱老服务队", "--start", "09:00", "--end", "11:00", "--served", "30",
                  "--participant", f"{number}:1.5").stdout
    assert "参与志愿者 1 名" in out
    listing = station(initialised, "activity", "list", "--year", "2026", "--month", "10").stdout
    assert "重阳节敬老饺子宴" in listing and "共 1 次活动，服务时长合计 1.5 小时" in listing
    assert "累计服务时长：1.5 小时" in station(initialised, "volunteer", "show", number).stdout
    assert "已为 1 人次计入" in station(initialised, "points", "settle").stdout  # default rules: 1.5 h × 10 + 5
    assert "现有积分：20 分" in station(initialised, "volunteer", "show", number).stdout
    audit = station(initialised, "audit", "--limit", "5").stdout
    assert "新增" in audit and "重阳节敬老饺子宴" in audit and "命令行" in audit


def test_service_is_recorded_from_registration_and_never_before_birth(initialised):
    born_1995 = make_id(born=date(1995, 6, 1), seq=301)
    out = station(initialised, "volunteer", "add", "--name", "李娜", "--id-number", born_1995, "--phone", "13912345678",
                  "--registered-on", "2024-03-01").stdout
    number = re.search(r"志愿者编号：(ZY\d{6})", out).group(1)
    assert "注册日期 2024年3月1日" in out
    before_birth = station(initialised, "activity", "add", "--title", "老照片", "--date", "1950-05-01", "--category", "敬老爱老",
                           "--participant", f"{number}:2", check=False)
    assert before_birth.returncode == 1 and "出生于1995年6月1日" in before_birth.stderr
    before_joining = station(initialised, "activity", "add", "--title", "扫雪", "--date", "2024-01-10", "--category", "卫生环保",
                             "--participant", f"{number}:2", check=False)
    assert before_joining.returncode == 1 and "注册日期是2024年3月1日" in before_joining.stderr and "实际加入的日期" in before_joining.stderr
    assert "共 0 次活动" in station(initialised, "activity", "list", "--year", "2024").stdout  # nothing half-written
    assert "注册日期" in station(initialised, "volunteer", "edit", number, "--registered-on", "2023-12-01").stdout
    station(initialised, "activity", "add", "--title", "扫雪", "--date", "2024-01-10", "--category", "卫生环保", "--participant", f"{number}:2")
    later = station(initialised, "volunteer", "edit", number, "--registered-on", "2024-06-01", check=False)
    assert later.returncode == 1 and "2024年1月10日已有服务记录" in later.stderr
    assert "移入回收站" in station(initialised, "volunteer", "delete", number).stdout
    assert station(initialised, "volunteer", "show", number, check=False).returncode == 1
    assert "已从回收站恢复" in station(initialised, "volunteer", "restore", number).stdout
    assert "累计服务时长：2 小时" in station(initialised, "volunteer", "show", number).stdout


def test_bad_id_exits_non_zero_naming_the_field(initialised):
    out = station(initialised, "volunteer", "add", "--name", "王五", "--id-number", "110105194912310021", "--phone", "13812345678", check=False)
    assert out.returncode == 1
    assert "身份证号" in out.stderr and "校验位" in out.stderr
    assert "共 0 名志愿者" in station(initialised, "volunteer", "list").stdout


def test_bad_activity_input_is_reported(initialised):
    out = station(initialised, "activity", "add", "--title", "x", "--date", "2026-02-30", "--category", "跳舞", check=False)
    assert out.returncode == 1 and "活动日期" in out.stderr and "活动类别" in out.stderr
    out = station(initialised, "activity", "add", "--title", "x", "--date", "2026-01-03", "--category", "敬老爱老",
                  "--participant", "ZY000404:2", check=False)
    assert out.returncode == 1 and "ZY000404" in out.stderr


def test_backup_restore_check(initialised, tmp_path):
    station(initialised, "volunteer", "add", "--name", "张三", "--id-number", make_id(), "--phone", "13812345678")
    target = tmp_path / "备份.db"
    assert "已备份到" in station(initialised, "backup", "--to", str(target)).stdout
    station(initialised, "volunteer", "add", "--name", "李四", "--id-number", make_id(seq=200), "--phone", "13812345678")
    out = station(initialised, "restore", str(target)).stdout
    assert "已从" in out and "恢复前的数据已另存为" in out
    assert "共 1 名志愿者" in station(initialised, "volunteer", "list").stdout
    assert "恢复前备份" in station(initialised, "backup", "--list").stdout
    assert "数据库检查通过" in station(initialised, "check").stdout
    bad = tmp_path / "bad.db"
    bad.write_text("nope")
    refused = station(initialised, "restore", str(bad), check=False)
    assert refused.returncode == 1 and "错误：" in refused.stderr


def test_demo_killed_midway_leaves_a_clean_db(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--years", "5", "--data-dir", str(data)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    months_seen = 0
    for line in proc.stdout:
        if "的活动" in line:
            months_seen += 1
            if months_seen == 3:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL, "demo finished before it could be killed"
    out = station(data, "check")
    assert "数据库检查通过" in out.stdout
    info = station(data, "info").stdout
    assert "志愿者：75 名" in info
    count = sqlite3.connect(data / "station.db").execute("SELECT COUNT(*) FROM activity").fetchone()[0]
    assert 0 < count < 5 * 12 * 5  # some months landed, not all


def test_selftest(tmp_path):
    out = station(tmp_path, "selftest")
    assert "自检通过" in out.stdout and "生成并读回活动台账PDF" in out.stdout


def test_selftest_soak_runs_the_clerks_day_beside_two_busy_processes(tmp_path):
    """``station selftest --soak N --busy`` on a village PC: pages, every dialog, then the clerk's recipe (#25)."""
    out = station(tmp_path, "selftest", "--soak", "3", "--busy")
    assert "自检通过" in out.stdout and "录入员的一天：3 轮（复制活动并保存 3 次" in out.stdout and "问题 0 个" in out.stdout


def test_when_qt_cannot_start_the_terminal_says_why_and_what_to_install(tmp_path):
    """No display (or missing xcb libraries): Qt aborts; the person sees Qt's reason and the packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(tmp_path / "data")], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    assert result.returncode != 0
    assert "Qt：This application failed to start" in result.stderr
    assert "sudo apt-get install" in result.stderr and "libxcb-cursor0" in result.stderr


def test_a_village_bundle_says_where_the_district_server_is(monkeypatch, capsys, tmp_path):
    """The village bundle leaves FastAPI and uvicorn out: `station district …` says where to get the server."""
    from app.cli import main
    from sync import cli as sync_cli

    assert sync_cli.district_installed()  # this venv has it (make test installs the district extra)
    monkeypatch.setattr(sync_cli, "district_installed", lambda: False)
    assert main(["district", "--dir", str(tmp_path / "d"), "stations"]) == 1
    err = capsys.readouterr().err
    assert "不含区级服务器" in err and "[district]" in err and "docs/deploy.md" in err
    assert not (tmp_path / "d" / "district.db").exists()  # nothing made


def test_demand_pass_report_and_recall_between_the_tiers(tmp_path):
    """转派, 上报 and 收回 from the command line (五.2): a 所 hands a demand to a station of its street named as the
    district's list names it, 上报s another with a reason, takes back one the district refused; what is missing or
    unknown is named in Chinese, with the choices, and nothing is written."""
    import json as jsonlib

    from app.db import Store
    from app.models import OutboxEntry
    from app.outbox import record_results
    from app.services import demands
    from app.services.context import Context
    from sqlmodel import select

    data = tmp_path / "institute"
    station(data, "init", "--name", "艾山街道新时代文明实践所", "--level", "institute", "--kind", "village", "--street", "艾山街道")
    with Store.open(data) as store:
        ctx = Context(store=store)
        # What the district's pull would have left: whom this 所 may hand to.
        lower = [{"station_id": f"s-{i}", "name": name, "level": "station", "street": "艾山街道"} for i, name in enumerate(("杨家庄村", "红山村"))]
        demands.receive_directory(ctx, {"body": jsonlib.dumps({"self": {}, "lower": lower,
                                                               "upper": {"station_id": "c-1", "name": "钢城区新时代文明实践中心", "level": "center"}})})
        made = []
        for content in ("想学用智能手机挂号", "小区路灯坏了", "想请人讲讲防诈骗"):
            need = demands.record_demand(ctx, requester="王大爷", content=content, category="便民服务")
            demands.approve(ctx, need.id)
            made.append(need.number)
    first, second, third = made

    # 转派: the target must be one of the list's; unknown or missing, the field is named with the choices.
    bad = station(data, "demand", "pass", first, "--to", "官庄村", check=False)
    assert bad.returncode == 1 and "转派对象（--to）" in bad.stderr and "“官庄村”不在区里发来的名单中" in bad.stderr
    assert "可选：杨家庄村（实践站）、红山村（实践站）" in bad.stderr
    missing = station(data, "demand", "pass", first, check=False)
    assert missing.returncode == 1 and "转派对象（--to）" in missing.stderr and "可选：杨家庄村（实践站）、红山村（实践站）" in missing.stderr
    unknown = station(data, "demand", "pass", "点单-1999-9999", "--to", "红山村", check=False)
    assert unknown.returncode == 1 and "找不到编号为“点单-1999-9999”的需求" in unknown.stderr
    out = station(data, "demand", "pass", first, "--to", "红山村", "--note", "红山村有会教的志愿者").stdout
    assert f"已转派：{first} 转派至红山村（实践站）" in out and "同步后送达" in out
    again = station(data, "demand", "pass", first, "--to", "红山村", check=False)
    assert again.returncode == 1 and "已转派" in again.stderr

    # 上报: the reason is required, and said so with the field.
    empty = station(data, "demand", "report", second, "--reason", "  ", check=False)
    assert empty.returncode == 1 and "上报原因（--reason）" in empty.stderr and "请填写上报原因" in empty.stderr
    assert station(data, "demand", "report", second, check=False).returncode == 1
    out = station(data, "demand", "report", second, "--reason", "街道没有电工志愿者").stdout
    assert f"已上报：{second} 上报至钢城区新时代文明实践中心（实践中心）" in out

    # 收回: only once the district refused the hop (or the other tier cancelled it).
    early = station(data, "demand", "recall", first, check=False)
    assert early.returncode == 1 and "对方还在办理，不能收回" in early.stderr
    not_handed = station(data, "demand", "recall", third, check=False)
    assert not_handed.returncode == 1 and "不能收回" in not_handed.stderr
    with Store.open(data) as store:  # the district refused the 转派 (its target revoked meanwhile)
        with store.session() as session:
            seq = session.exec(select(OutboxEntry.seq).where(OutboxEntry.entity == "demand_hop")
                               .order_by(OutboxEntry.seq)).first()
        record_results(store, [], {seq: "转派的对象不是区里登记在用的实践所或实践站，请同步后从名单中重新选择"})
    out = station(data, "demand", "recall", first, "--note", "改由本所办理").stdout
    assert f"已收回：{first}" in out and "待派单" in out and "区里未接收" in out
    listing = station(data, "demands", "--state", "handed").stdout
    assert second in listing and first not in listing and "已上报" in listing


def test_district_demo_by_package_and_a_folder_in_use(tmp_path):
    """`station district demo` without --server: the nine demo ledgers reach the district by sync package; a
    folder already in use is refused before anything is made (#30)."""
    used = tmp_path / "used"
    used.mkdir()
    (used / "note.txt").write_text("x")
    refused = station(tmp_path / "unused", "demo", "--district", str(used), check=False)
    assert refused.returncode == 1 and "不是空的" in refused.stderr
    district = tmp_path / "district"
    out = station(tmp_path / "unused", "district", "--dir", str(district), "demo", str(tmp_path / "示范区")).stdout
    assert "以同步包导入区级数据库" in out and "被拒" in out
    # No staff account is made with a known password; the output says how to add the ones the demo wants.
    assert "station district --dir " in out and "add-staff --username wmb --name 区文明办" in out
    assert "--scope street:艾山街道" in out and "--scope street:汶源街道" in out
    listed = station(tmp_path / "unused", "district", "--dir", str(district), "stations").stdout
    accounts = [line.split() for line in listed.splitlines()[2:]]  # name, tier, street (none for the 中心), state, …
    assert len(accounts) == 9 and all("已登记" in a for a in accounts)
    assert sorted(a[1] for a in accounts) == ["实践中心"] + ["实践所"] * 2 + ["实践站"] * 6
    assert sorted(a[2] for a in accounts if a[1] != "实践中心") == ["汶源街道"] * 4 + ["艾山街道"] * 4
    again = station(tmp_path / "unused", "district", "--dir", str(district), "demo", str(tmp_path / "又一个"), check=False)
    assert again.returncode == 1 and "已有同名账号" in again.stderr


def test_the_only_administrator_who_forgot_the_password_gets_back_in_at_this_pc(initialised):
    """帮助 → 使用手册's first question: a sole 管理员 locked out by a forgotten password. Reset at this PC (never from
    the arguments), which also unlocks the account; the old password no longer works."""
    from app.db import Store
    from app.services import operators
    from app.services.errors import PermissionDenied as AuthError

    with Store.open(initialised) as store:
        operators.create_first_admin(store, username="yanghx", display_name="杨红霞", password="oldpass1")
        for _ in range(6):  # the wrong password until the account locks
            with pytest.raises(AuthError):
                operators.authenticate(store, "yanghx", "guessing")
    listed = station(initialised, "operator", "list").stdout
    assert "yanghx" in listed and "杨红霞" in listed and "管理员" in listed and "已锁定" in listed
    refused = station(initialised, "operator", "reset-password", "yanghx", "--password", "newpass1", check=False)
    assert refused.returncode != 0 and "密码不能写在命令行上" in refused.stderr and "newpass1" not in refused.stderr
    unknown = station(initialised, "operator", "reset-password", "nobody", "--password-stdin", input="newpass1\n", check=False)
    assert unknown.returncode == 1 and "没有登录名为“nobody”的操作员（现有：yanghx）" in unknown.stderr
    short = station(initialised, "operator", "reset-password", "yanghx", "--password-stdin", input="123\n", check=False)
    assert short.returncode == 1 and "密码" in short.stderr and "Traceback" not in short.stderr
    done = station(initialised, "operator", "reset-password", "yanghx", "--password-stdin", input="newpass1\n")
    assert "已为操作员 yanghx（杨红霞）设置新密码并解除锁定" in done.stdout
    with Store.open(initialised) as store:
        assert operators.authenticate(store, "yanghx", "newpass1").username == "yanghx"
        with pytest.raises(AuthError):
            operators.authenticate(store, "yanghx", "oldpass1")
    log = "\n".join(p.read_text(encoding="utf-8") for p in (initialised / "logs").glob("*.log"))
    assert "operator yanghx: password reset from the command line" in log and "newpass1" not in log


def test_operator_commands_on_a_folder_with_only_the_demo_say_where_the_demo_is(tmp_path):
    """A new user tried the wizard's 示范站, then `station operator list` on the data folder: an empty table."""
    data = tmp_path / "data"
    station(data / "demo", "demo", "--years", "1")
    for args in (("operator", "list"), ("operator", "reset-password", "admin", "--password-stdin")):
        done = station(data, *args, check=False, input="newpass1\n")
        assert done.returncode == 1 and "示范站的数据在" in done.stderr and str(data / "demo") in done.stderr, done.stderr
    listed = station(data / "demo", "operator", "list").stdout
    assert "admin" in listed and "管理员" in listed



def test_a_folder_holding_only_the_desktop_s_demo_says_how_to_reach_it(tmp_path):
    """A new user's trial: after `make run` opened the demo station, `station volunteer list` said only that no
    station exists — the demo the window showed sits in the data folder's demo/ and the command never said so."""
    data = tmp_path / "data"
    done = station(data, "volunteer", "list", check=False)
    assert done.returncode != 0 and "尚未建立实践站" in done.stderr and "示范站" not in done.stderr
    station(data / "demo", "init", "--name", "示范村新时代文明实践站", "--kind", "village", "--population", "800")
    done = station(data, "volunteer", "list", check=False)
    assert done.returncode != 0 and "尚未建立实践站" in done.stderr
    assert "示范站" in done.stderr and f'--data-dir "{data / "demo"}"' in done.stderr
    assert station(data / "demo", "volunteer", "list").returncode == 0  # and that way it answers
    from app.db import Store

    Store.open(data).close()  # the window made its own store before the clerk chose the demo: a store with no station
    done = station(data, "volunteer", "list", check=False)
    assert done.returncode != 0 and "尚未建立实践站" in done.stderr and f'--data-dir "{data / "demo"}"' in done.stderr
