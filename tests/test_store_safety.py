"""Stores that cannot be half-made, and are never silently replaced."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from app.db import Store, StoreError
from app.services.station import init_station

STATION = [sys.executable, "-m", "app.cli"]


def run(*args, data):
    return subprocess.run([*STATION, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=120)


def test_a_zero_byte_store_is_never_replaced(tmp_path):
    data = tmp_path / "data"
    with Store.open(data) as store:
        init_station(store, name="测试村新时代文明实践站", kind="village")
        backup = store.backup()
    (data / "station.db").write_bytes(b"")
    for wal in data.glob("station.db-*"):
        wal.unlink()
    with pytest.raises(StoreError) as caught:
        Store.open(data)
    assert "0 字节" in str(caught.value) and backup.name in str(caught.value)
    assert (data / "station.db").stat().st_size == 0  # left as it was, for whoever investigates
    checked = run("check", data=data)
    assert checked.returncode == 1 and "0 字节" in checked.stderr and "通过" not in checked.stdout
    restored = run("restore", str(backup), data=data)
    assert restored.returncode == 0, restored.stderr
    assert "测试村" in run("info", data=data).stdout
    assert list(data.glob("station.db.damaged-*"))  # the empty file was moved aside, not deleted


def test_a_foreign_file_names_the_newest_backup(tmp_path):
    data = tmp_path / "data"
    with Store.open(data) as store:
        init_station(store, name="测试村新时代文明实践站", kind="village")
        store.backup()
        newest = store.backup()
    for wal in data.glob("station.db-*"):
        wal.unlink()
    (data / "station.db").write_text("这不是数据库" * 100, encoding="utf-8")
    answer = run("info", data=data)
    assert answer.returncode == 1 and newest.name in answer.stderr and "station restore" in answer.stderr
    assert "Traceback" not in answer.stderr


def test_read_only_commands_never_create_a_store(tmp_path):
    data = tmp_path / "nowhere"
    for command in (["info"], ["check"], ["volunteer", "list"], ["audit"]):
        answer = run(*command, data=data)
        assert answer.returncode == 1 and "station init" in answer.stderr, (command, answer.stderr)
    assert not data.exists()
    (tmp_path / "a-file").write_text("x")
    answer = run("info", data=tmp_path / "a-file")
    assert answer.returncode == 1 and "是一个文件" in answer.stderr and "Traceback" not in answer.stderr


def test_killed_while_making_a_store_leaves_none_or_a_whole_one(tmp_path):
    """station init killed at different moments: afterwards the folder always initialises or opens. The moments
    are counted from when the store's temporary file appears, not from the start (a fast machine would finish
    first and a slow one not have begun), and the test checks that its kills landed while the store was made."""
    landed, mid_creation = 0, 0
    for delay in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8):
        data = tmp_path / f"data-{delay}"
        proc = subprocess.Popen([*STATION, "init", "--name", "测试村新时代文明实践站", "--kind", "village", "--data-dir", str(data)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (data / "station.db.new").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay)
        mid_creation += (data / "station.db.new").exists() and not (data / "station.db").exists()
        proc.kill()
        proc.communicate()
        landed += proc.returncode == -signal.SIGKILL
        again = run("init", "--name", "测试村新时代文明实践站", "--kind", "village", data=data)
        if again.returncode != 0:  # the first run got as far as the station: it is there, whole
            assert "已" in again.stderr or "已建立" in again.stderr or "已有" in again.stderr, again.stderr
        info = run("info", data=data)
        assert info.returncode == 0 and "测试村" in info.stdout, (delay, info.stderr)
    assert landed >= 3 and mid_creation >= 1, (landed, mid_creation)  # the kills met a store being made
