"""The demo is separate: its own folder, a banner, a way out to the real station, and no accidental enrollment."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtWidgets import QMessageBox

from app.db import Store
from app.services import operators
from app.settings import Settings
from ui import app as ui_app
from ui.dialogs.wizard import FirstRunWizard
from ui_helpers import answer_first_run_with_the_demo, type_text, when_modal


def test_leaving_the_demo_starts_the_real_station(qtbot, tmp_path):
    data = tmp_path / "data"
    answer_first_run_with_the_demo(qtbot)
    app, window, lock = ui_app.start(str(data))
    try:
        assert window.is_demo
        # the sync page asks before a demo is enrolled, and 不登记 does nothing
        window.go("sync")
        page = window.pages["sync"]
        type_text(qtbot, page.server, "http://127.0.0.1:9")
        type_text(qtbot, page.code, "ABCD2345")
        asked = []
        when_modal(lambda box: (asked.append(box.text()), next(b for b in box.buttons() if b.text() == "不登记").click()),
                   kind=QMessageBox)
        page.enroll()
        assert asked and "虚构" in asked[0] and page.enroll_box.isVisible()
        # 文件 → 退出示范站，建立本站台账
        when_modal(lambda box: box.button(QMessageBox.StandardButton.Yes).click(), kind=QMessageBox)
        with qtbot.waitSignal(window.leave_demo_requested, timeout=5_000):
            window.leave_demo_action.trigger()
        assert not Settings(data / "settings.json").get("demo_open")
    finally:
        window.idle.stop()
        window.close()
        window.ctx.store.close()
        lock.unlock()
    # the next start is the real first run: a new station in the real folder
    seen = {}

    def real_station(dialog):
        seen["new"] = dialog.choice.new.isChecked()
        dialog.reject()

    when_modal(real_station, kind=FirstRunWizard)
    _app, again, lock = ui_app.start(str(data))
    assert again is None and seen["new"]
    lock.unlock()
    with Store.open(data, create=False) as real:
        assert real.station_id is None and not operators.has_operators(real)


def test_the_cli_will_not_enroll_a_demo_unless_told(tmp_path):
    station = [sys.executable, "-m", "app.cli"]
    data = ["--data-dir", str(tmp_path / "d")]
    assert subprocess.run([*station, "demo", *data], capture_output=True, timeout=120).returncode == 0
    done = subprocess.run([*station, "enroll", "--server", "http://127.0.0.1:9", "--code", "ABCD2345", *data],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "示范站" in done.stderr and "--demo" in done.stderr
