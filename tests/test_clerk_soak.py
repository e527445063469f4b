"""The recipe that crashed the window (#25), run by the real program: ``ui.app.start`` (its own collector,
workers and login), then in 活动台账 复制此活动 → a new title → 保存 → 工作台 → 活动台账, a volunteer saved,
a month printed and its preview closed, with a background job running each cycle. The code before #25 died
with SIGSEGV within its first ten cycles; this must go 200 cycles, idle and beside two CPU hogs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

CYCLES = 200


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
@pytest.mark.timeout(900)
def test_the_clerks_recipe_200_times_in_the_real_program(demo_template, tmp_path, busy):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(demo_template, data / "station.db")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-m", "ui.soak", str(data), "--cycles", str(CYCLES)] + (["--busy"] if busy else [])
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=880)
    out = run.stdout + run.stderr
    assert run.returncode == 0, f"exit {run.returncode} (a negative code is the signal that killed it):\n{out[-3000:]}"
    assert f"{CYCLES} 轮（复制活动并保存 {CYCLES} 次" in out and "问题 0 个" in out, out[-2000:]
    print(out.splitlines()[-1])
