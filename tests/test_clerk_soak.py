"""The recipe that crashed the window (#25), run by the real program: ``ui.app.start`` (its own collector,
workers and login), then in 活动台账 复制此活动 → a new title → 保存 → 工作台 → 活动台账, a volunteer saved,
a month printed and its preview closed, with a background job running each cycle. The code before #25 died
with SIGSEGV within its first ten cycles; this must go 200 cycles, idle and beside two CPU hogs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QObject

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


class BoxLog(QObject):
    """Every message box shown while it watches, how it ended and when: who answered a question."""

    def __init__(self):
        super().__init__()
        self.started = time.monotonic()
        self.seen: list[str] = []

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QMessageBox

        if event.type() == QEvent.Type.Show and isinstance(obj, QMessageBox):
            at = time.monotonic() - self.started
            self.seen.append(f"{at:.2f}s shown “{obj.windowTitle()}”")

            def ended(result, box=obj, at=at):
                clicked = box.clickedButton()
                self.seen.append(f"{time.monotonic() - self.started:.2f}s “{box.windowTitle()}” ended {result}, "
                                 f"button {clicked.text() if clicked is not None else None}")

            obj.finished.connect(ended)
        return False


def test_the_clerk_answers_the_question_its_own_save_asks(qtbot, demo_store):
    """The soak (and ``station selftest --soak``) hung for good once a copied activity's people were already serving
    at that time: 保存 asked 服务时段重叠 inside the clerk's own timer slot, and Qt does not fire a timer again inside
    its own slot, so nothing answered. Two copies of one activity on one day clash for certain."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from sqlmodel import select

    from app.models import Activity, Participation
    from app.services import activities, operators
    from app.services.context import Context
    from app.settings import Settings
    from ui.dialogs.activity import ActivityDialog
    from ui.main_window import MainWindow
    from ui.soak import Clerk, ClerkReport

    actor = operators.authenticate(demo_store, "admin", "admin123")
    window = MainWindow(Context(store=demo_store, actor=actor), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.idle.stop()
    with demo_store.session() as session:
        source = session.exec(select(Activity).join(Participation, Participation.activity_id == Activity.id)).first()
    report = ClerkReport()
    clerk = Clerk(report)

    up_before: list = []

    def unstick() -> None:
        """Without the clerk's answer the question would wait for good: fail instead of hanging. Only a box up at two
        ticks in a row (10–20 s unanswered) is stuck: rejecting whatever box happened to be up at the 20th second
        refused a save the clerk was answering on a loaded CI machine (“复制的活动保存不了”, its 服务时段重叠
        answered 否 by this watchdog)."""
        up = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        for widget in up:
            if any(widget is seen for seen in up_before):
                widget.reject()
        up_before[:] = up

    safety = QTimer()
    safety.timeout.connect(unstick)
    safety.start(10_000)
    boxes = BoxLog()
    QApplication.instance().installEventFilter(boxes)
    before = activities.count_activities(window.ctx)
    try:
        for cycle in (1, 2):
            clerk.cycle = cycle
            dialog = ActivityDialog(window.ctx, None, window, copy_of=source)
            dialog.exec()
    finally:
        QApplication.instance().removeEventFilter(boxes)
        safety.stop()
        clerk.timer.stop()
    assert report.problems == [] and report.overlaps >= 1, (report.problems, report.overlaps, boxes.seen)
    assert activities.count_activities(window.ctx) == before + 2
    window.close()


def test_the_busy_pcs_hogs_end_with_the_process_that_started_them(tmp_path):
    """``--busy`` starts two processes that spin. A soak that died (a crash, a kill) left them spinning for good on
    the PC: each now ends when the process that started it ends, however it ends."""
    import time
    from pathlib import Path

    def alive(pid: int) -> bool:
        status = Path(f"/proc/{pid}/status")
        try:
            return "\nState:\tZ" not in status.read_text()  # a zombie has ended; only its exit status waits
        except FileNotFoundError:
            return False

    script = ("import os; from ui.soak import BusyPC; busy = BusyPC(2).__enter__(); "
              "print(*(p.pid for p in busy.processes), flush=True); os._exit(0)")  # ends with no clean-up at all
    with open(tmp_path / "out", "w") as out:  # a file, not a pipe the hogs would hold open
        subprocess.run([sys.executable, "-c", script], stdout=out, stderr=subprocess.STDOUT, timeout=60,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    printed = (tmp_path / "out").read_text()
    hogs = [int(word) for word in printed.split() if word.isdigit()]
    assert len(hogs) == 2, printed
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in hogs) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in hogs if alive(pid)]
    for pid in left:
        os.kill(pid, 9)
    assert left == [], "the hogs went on spinning after their soak had ended"


def test_a_box_nobody_answers_is_closed_and_named_instead_of_hanging_the_suite(qtbot):
    """The suite's own guard (tests/conftest.py ``_no_window_waits_for_good``): a box nobody answers — like the
    服务时段重叠 question above, met by a test that did not expect it — hung the whole run for good."""
    from PySide6.QtWidgets import QMessageBox

    from ui_helpers import watch_modals

    watch, stuck = watch_modals(1.0)
    try:
        box = QMessageBox(QMessageBox.Icon.Question, "服务时段重叠", "以下志愿者在同一时段已参加其他活动")
        qtbot.addWidget(box)
        box.exec()  # returns only because the guard closed it
    finally:
        watch.stop()
    assert stuck == ["“服务时段重叠” 以下志愿者在同一时段已参加其他活动"]
