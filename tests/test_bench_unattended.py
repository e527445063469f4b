"""Benches run with nobody at the keyboard: `make bench` hung for good when the idle lock came up in the
middle of bench/ui_bench.py and waited for a password."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt

from app.services import operators
from app.services.context import Context
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import unattended


def test_a_window_built_as_the_benches_build_it_never_locks(qtbot, demo_store):
    Settings(demo_store.paths.settings).set("idle_lock_minutes", 1, actor=operators.authenticate(demo_store, "admin", "admin123"))
    window = unattended.main_window(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                                    Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)  # input would restart a watching timer
    assert not window.idle.timer.isActive()


def test_every_bench_builds_its_main_window_that_way():
    built_elsewhere = [path.name for path in sorted((ROOT / "bench").glob("*.py"))
                       if path.name != "unattended.py" and re.search(r"\bMainWindow\(", path.read_text(encoding="utf-8"))]
    assert built_elsewhere == []


def test_a_step_past_its_limit_ends_the_run_naming_it():
    code = "import time\nfrom bench.unattended import step\nwith step('desktop app', 0.5):\n    time.sleep(30)\n"
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=20,
                         env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert time.monotonic() - started < 15
    assert out.returncode == 1
    assert "基准测试超时：“desktop app”" in out.stderr and "step 'desktop app' did not finish" in out.stderr
    assert "time.sleep" in out.stderr or "line 4" in out.stderr  # where it was stuck
