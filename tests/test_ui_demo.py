"""The demo is separate: its own folder, a banner, a way out to the real station, and no accidental enrollment."""

from __future__ import annotations

import subprocess
import sys

import shiboken6

from PySide6.QtWidgets import QMessageBox

from app.db import Store
from app.services import operators
from app.settings import Settings
from ui import app as ui_app
from ui.dialogs.wizard import FirstRunWizard
from ui_helpers import answer_first_run_with_the_demo, fill_station_page, type_text, when_modal


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
        _close(window, lock, data)  # as `station` ends the run before it starts again
    # the next start is the real first run: a new station in the real folder
    seen = {}

    def real_station(dialog):
        seen["new"] = dialog.choice.level() == "station"
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


def test_station_demo_makes_a_store_one_logs_into_and_its_login_says_demo(qtbot, tmp_path, monkeypatch):
    """A store made by `station demo` opened the 建立本站台账 wizard (no operator); its login said nothing of a demo."""
    from app.demo import DEMO_ADMIN, DEMO_PASSWORD
    from ui.dialogs.login import LoginDialog

    data = tmp_path / "data"
    made = subprocess.run([sys.executable, "-m", "app.cli", "demo", "--data-dir", str(data)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert f"登录名：{DEMO_ADMIN}" in made.stdout and f"密码：{DEMO_PASSWORD}" in made.stdout
    seen = {}

    def login(dialog):
        seen["title"], seen["banner"] = dialog.windowTitle(), dialog.demo_banner.isVisible() and dialog.demo_banner.text()
        type_text(qtbot, dialog.password, DEMO_PASSWORD)
        qtbot.keyClick(dialog.password, __import__("PySide6.QtCore").QtCore.Qt.Key.Key_Return)

    when_modal(login, kind=LoginDialog)  # the login box, not the first-run wizard
    _app, window, lock = ui_app.start(str(data))
    try:
        assert window is not None and window.is_demo
        assert "示范站" in seen["title"] and "示范站" in seen["banner"]
    finally:
        _close(window, lock, data)


def test_the_login_of_a_real_station_has_no_demo_mark(qtbot, demo_store):
    from ui.dialogs.login import LoginDialog

    real = LoginDialog(demo_store, "杨家庄村新时代文明实践站")
    demo = LoginDialog(demo_store, "杨家庄村新时代文明实践站", demo=True)
    for dialog in (real, demo):
        qtbot.addWidget(dialog)
        dialog.show()
    assert not real.demo_banner.isVisible() and "示范站" not in real.windowTitle()
    assert demo.demo_banner.isVisible() and "示范站" in demo.windowTitle()


def test_the_wizard_for_a_station_without_an_operator_asks_only_for_the_admin(qtbot, ctx):
    """It asked for a station name and then kept the old one: it now asks only for what it will use."""
    from app.services.station import update_station

    store = ctx.store
    update_station(ctx, manager="杨红霞")
    wizard = FirstRunWizard(store)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentId() == 2 and "测试村新时代文明实践站" in wizard.admin.subTitle()
    assert wizard.admin.display.text() == "杨红霞"  # the station's 负责人
    type_text(qtbot, wizard.admin.password, "secret1")
    type_text(qtbot, wizard.admin.password2, "secret1")
    with qtbot.waitSignal(wizard.finished, timeout=10_000):
        wizard.button(wizard.WizardButton.FinishButton).click()
    assert operators.authenticate(store, "admin", "secret1").label == "杨红霞"


def _close(window, lock, root) -> None:
    """As ``station`` ends a run (ui/app.py ``end_run``, what ``run`` calls)."""
    from PySide6.QtWidgets import QApplication

    ui_app.end_run(QApplication.instance(), window, lock, root)


def test_a_new_station_opens_logged_in_as_the_admin_the_wizard_made(qtbot, tmp_path):
    """The password was typed twice in the wizard: the window opens with that admin, not with a login box asking a
    third time (a LoginDialog here would wait for ever: when_modal answers only the wizard)."""
    data = tmp_path / "data"

    shown = []

    def wizard(dialog):
        shown.append(dialog)
        dialog.next()
        fill_station_page(qtbot, dialog)
        dialog.next()
        assert dialog.admin.display.text() == "杨红霞"  # the 负责人, as the station page took it
        type_text(qtbot, dialog.admin.password, "secret1")
        type_text(qtbot, dialog.admin.password2, "secret1")
        dialog.button(dialog.WizardButton.FinishButton).click()

    when_modal(wizard, kind=FirstRunWizard)
    _app, window, lock = ui_app.start(str(data))
    try:
        assert window is not None and not window.is_demo
        assert (window.ctx.actor.username, window.ctx.actor.label) == ("admin", "杨红霞")
        assert Settings(data / "settings.json").get("last_operator") == "admin"
        # The wizard is deleted by Qt before the window is built (no login box's event loop does it any more):
        # never left for the cycle collector (ui/lifetime.py).
        assert shown and not shiboken6.isValid(shown[0])
    finally:
        _close(window, lock, data)


def test_the_demos_login_box_says_its_login_until_its_password_is_changed(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from app.demo import DEMO_ADMIN, DEMO_PASSWORD
    from app.services.context import Context
    from ui.dialogs.login import LoginDialog

    data = tmp_path / "data"
    answer_first_run_with_the_demo(qtbot)
    _app, window, lock = ui_app.start(str(data))
    _close(window, lock, data)
    seen = []

    def login(password):
        def answer(dialog):
            # The box comes up before the store has opened; what it says once it has (attach), at 登录:
            banner = dialog.demo_banner
            dialog.accepted.connect(lambda: seen.append("" if banner.isHidden() else banner.text()))
            type_text(qtbot, dialog.password, password)
            qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        return answer

    when_modal(login(DEMO_PASSWORD), kind=LoginDialog)
    _app, window, lock = ui_app.start(str(data))
    try:
        assert f"登录名 {DEMO_ADMIN}" in seen[-1] and f"密码 {DEMO_PASSWORD}" in seen[-1]
        operators.change_own_password(Context(store=window.ctx.store, actor=window.ctx.actor), old=DEMO_PASSWORD,
                                      new="newpass1", again="newpass1")
    finally:
        _close(window, lock, data)
    when_modal(login("newpass1"), kind=LoginDialog)
    _app, window, lock = ui_app.start(str(data))
    try:
        assert "示范站" in seen[-1] and DEMO_PASSWORD not in seen[-1]  # still a demo; its login no longer the known one
    finally:
        _close(window, lock, data)
