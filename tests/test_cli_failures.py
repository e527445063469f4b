"""The CLI over a table of bad invocations: a Chinese message, a non-zero exit, never a traceback, never a
full ID number or phone on screen, and nothing half-written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

STATION = [sys.executable, "-m", "app.cli"]
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def run(*args, data: Path, stdin=None, shell: str | None = None):
    if shell:
        return subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "STATION_DATA_DIR": str(data)})
    return subprocess.run([*STATION, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def _made_by_the_cli(tmp_path_factory):
    """A station made once by the commands themselves (four processes, some 4 s); each test gets its own copy."""
    data = tmp_path_factory.mktemp("cli-station") / "data"
    assert run("init", "--name", "测试村新时代文明实践站", "--kind", "village", "--population", "900", data=data).returncode == 0
    for i in range(3):
        assert run("volunteer", "add", "--name", f"志愿者{i}", "--id-number", _id(i), "--phone", f"138123400{i:02d}", data=data).returncode == 0
    return data


@pytest.fixture
def station_dir(_made_by_the_cli, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(_made_by_the_cli, data)
    return data


def _id(seq: int) -> str:
    from conftest import make_id

    return make_id(seq=100 + seq)


def assert_clean_failure(done, *needles):
    screen = done.stdout + done.stderr
    assert done.returncode != 0, screen
    assert "Traceback" not in screen, screen
    assert not FULL_ID.search(screen) and not PHONE.search(screen), screen
    for needle in needles:
        assert needle in done.stderr, (needle, done.stderr)


def test_bad_invocations_never_show_a_traceback(station_dir, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    cases = [
        (("print", "roster", "--out", str(folder)), ("是一个文件夹",)),
        (("export", "volunteers", str(folder)), ("是一个文件夹",)),
        (("volunteer", "add", "--name", "张三", "--id-number", "11010519491231002X", "--phone", "12345"), ("手机号",)),
        (("activity", "add", "--title", "测试", "--date", "2026-10-29", "--category", "敬老爱老", "--served", "3000000000"), ("服务对象人数",)),
        (("restore", str(tmp_path / "no-such-backup.db")), ("找不到文件",)),
        (("import", "volunteers", str(tmp_path / "missing.xlsx")), ()),
        (("volunteer", "show", "ZY999999"), ()),
    ]
    for args, needles in cases:
        assert_clean_failure(run(*args, data=station_dir), *needles)
    assert not list(tmp_path.glob("*.part")) and not list(folder.iterdir())  # nothing half-written anywhere


def _immutable(paths, on: bool) -> bool:
    """chattr +i: writes fail even for root (CI runs as root, who ignores permission bits)."""
    import shutil

    if not shutil.which("chattr"):
        return False
    return all(subprocess.run(["chattr", "+i" if on else "-i", str(p)], capture_output=True).returncode == 0 for p in paths)


def test_a_read_only_store_is_named_not_called_damage(station_dir):
    files = [station_dir / "station.db"]
    for extra in ("station.db-wal", "station.db-shm"):
        (station_dir / extra).unlink(missing_ok=True)
    if not _immutable(files + [station_dir], True):
        # Only where the file system lacks chattr (tmpfs): ext4 here and in CI runs it.
        pytest.skip("this file system cannot make a file read-only for root (chattr)")
    try:
        done = run("volunteer", "add", "--name", "李四", "--id-number", _id(90), "--phone", "13912345678", data=station_dir)
    finally:
        _immutable(files + [station_dir], False)
    assert_clean_failure(done)
    assert ("只读" in done.stderr or "权限" in done.stderr) and "从备份恢复" not in done.stderr, done.stderr


def test_broken_pipe_is_a_message_not_a_traceback(station_dir):
    done = run(data=station_dir, shell=f"{sys.executable} -m app.cli volunteer list | head -n 1")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_two_processes_adding_volunteers_at_once_get_different_numbers(station_dir):
    procs = [subprocess.Popen([*STATION, "volunteer", "add", "--name", f"并发{i}", "--id-number", _id(200 + i),
                               "--phone", f"139000000{i:02d}", "--data-dir", str(station_dir)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(8)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert all(code == 0 for code, _err in results), results
    listing = run("volunteer", "list", data=station_dir).stdout
    numbers = re.findall(r"ZY\d{6}", listing)
    assert len(numbers) == len(set(numbers)) == 11


@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_a_name_a_console_cannot_show_never_crashes_the_command(station_dir, encoding):
    """A Chinese Windows console, or a file redirected from it, is GBK; 𠮷 is not in GBK and crashed
    `volunteer list` (#27; 䶮 of 刘䶮 likewise: printable, in GB18030, not in GBK). GBK gets GB18030 (every character, GBK's the same bytes); any other a "?"."""
    added = run("volunteer", "add", "--name", "刘䶮", "--id-number", _id(50), "--phone", "13812340050", data=station_dir)
    assert added.returncode == 0, added.stderr
    done = subprocess.run([*STATION, "volunteer", "list", "--data-dir", str(station_dir)], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0"})
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    if encoding == "gbk":
        assert "刘䶮" in done.stdout.decode("gb18030") and "志愿者0" in done.stdout.decode("gb18030")
        assert "志愿者0".encode("gbk") in done.stdout  # what a GBK console reads as before
    else:
        assert b"??" in done.stdout  # 刘䶮 shown as ?? (ASCII has neither) rather than a crash


def test_ctrl_c_while_the_command_is_assembled_is_a_word_not_a_traceback(monkeypatch, capsys):
    """Ctrl+C in the first 0.7 s (building every subcommand) printed a traceback (#27)."""
    from app import cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["info"]) == 130
    assert "已取消" in capsys.readouterr().err
