"""The 同步 page: enroll, one click, progress, history, rejected rows — against the real district server."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.outbox import pending_count
from app.services import operators, volunteers
from app.services.context import Context
from app.settings import Settings
from sync.server import admin
from ui.main_window import MainWindow
from ui_helpers import screenshot, type_text


def test_enroll_and_sync_from_the_app(qtbot, demo_store, district_sqlite, monkeypatch):
    code = admin.add_station(district_sqlite.engine, "杨家庄村", "艾山街道")
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.pages["dashboard"].loaded)
    assert "等待同步到区里的变更：" in window.pages["dashboard"].greeting.text()
    window.go("sync")
    page = window.pages["sync"]
    assert page.enroll_box.isVisible() and not page.status_box.isEnabled()
    type_text(qtbot, page.server, district_sqlite.base)
    type_text(qtbot, page.code, "WRONG123")
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.enroll_error.isVisible(), timeout=10_000)
    assert "登记码无效" in page.enroll_error.text()
    page.code.clear()
    type_text(qtbot, page.code, code)
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_box.isEnabled(), timeout=10_000)
    assert page.account_label.text() == "杨家庄村" and not page.enroll_box.isVisible()
    with qtbot.waitSignal(page.finished, timeout=60_000) as done:
        window.sync_action.trigger()  # the toolbar's 同步
    assert done.args == [True]
    qtbot.waitUntil(lambda: not page.lists_loading, timeout=10_000)  # the counts and lists are read in the background
    assert pending_count(demo_store) == 0 and page.waiting_label.text() == "0 条"
    assert page.history.item(0, 1).text() == "成功" and "同步完成" in page.progress_text.text()
    screenshot(window, "page-sync")
    district_sqlite.stop()  # the network is gone: a clear Chinese message, nothing lost
    demo_store_ctx = Context(store=demo_store)
    v = volunteers.search_volunteers(demo_store_ctx, limit=1)[0]
    volunteers.update_volunteer(demo_store_ctx, v.id, skills="离线时的修改")
    page.refresh()
    from sync.client import SyncClient

    original = SyncClient.__init__
    monkeypatch.setattr(SyncClient, "__init__", lambda self, store, **kw: original(self, store, **{**kw, "max_retry_seconds": 1, "backoff_base": 0.05}))
    with qtbot.waitSignal(page.finished, timeout=30_000) as failed:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert failed.args == [False] and "稍后再点“同步”" in page.error.text()
    assert pending_count(demo_store) == 1
    window.idle.stop()


def test_sync_page_shows_a_rejected_parent_with_the_child_waiting_for_it(qtbot, ctx, district_sqlite):
    """'0 条' waiting is true: what the district refused is counted and explained, a child names its parent."""
    import json

    from sqlmodel import select

    from app.models import OutboxEntry
    from app.models.enums import Role
    from app.services.context import Actor
    from conftest import make_id
    from sync.client import SyncClient

    code = admin.add_station(district_sqlite.engine, "杨家庄村", "艾山街道")
    SyncClient(ctx.store).enroll(district_sqlite.base, code)
    person = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="王秀英", id_number=make_id(seq=11), phone="13812345678")
    from app.services import teams

    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老", member_ids=[person.id])
    with ctx.store.session() as session:  # an older app let a bad phone through
        first = session.exec(select(OutboxEntry).where(OutboxEntry.row_id == person.id)).one()
        first.payload = json.dumps({**json.loads(first.payload), "phone": "12345"}, ensure_ascii=False)
        session.add(first)
        session.commit()
    SyncClient(ctx.store).sync()
    admin_ctx = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    window = MainWindow(admin_ctx, Settings(ctx.store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    page = window.pages["sync"]
    qtbot.waitUntil(lambda: not page.lists_loading, timeout=10_000)
    assert page.waiting_label.text() == "0 条；另有 2 条被区里拒收，见下方说明"
    rows = {page.rejected.item(i, 0).text(): page.rejected.item(i, 2).text() for i in range(page.rejected.rowCount())}
    assert "手机号" in rows["志愿者"] or "电话" in rows["志愿者"]
    assert rows["队员"].startswith("等待志愿者“王秀英”") and team.name
    screenshot(window, "page-sync-rejected")
    window.idle.stop()


def test_a_station_without_network_syncs_by_stick_from_the_app(qtbot, demo_store, district_sqlite, monkeypatch, tmp_path):
    """导出同步包 with the code (the station enrolls with its first package), the district imports it,
    导入回执 acknowledges everything; when a network comes, the address alone connects it."""
    from sync.server.packages import import_package
    from ui import saving

    code = admin.add_station(district_sqlite.engine, "杨家庄村", "艾山街道")
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")), Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    page = window.pages["sync"]
    assert page.stick_box.isVisible() and "登记码" in page.stick_hint.text()
    stick = tmp_path / "U盘"
    stick.mkdir()
    asked = []
    monkeypatch.setattr(saving, "choose_files", lambda dialog: asked.append(dialog.selectedFiles()[0]) or [str(stick / "包")])
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)  # no code yet: the field is named
    assert "登记码：" in page.enroll_error.text() and not asked
    type_text(qtbot, page.code, code)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(type(window), "") is None and "已导出同步包" in page.progress_text.text(), timeout=20_000)
    assert "同步包" in asked[0] and asked[0].endswith(".slpkg")
    package = stick / "包.slpkg"
    assert package.exists() and page.account_label.text() == "—"
    done = import_package(district_sqlite.engine, district_sqlite.app.state.photos, package)
    reply = stick / done.reply_name
    reply.write_bytes(done.reply)
    monkeypatch.setattr(saving, "choose_files", lambda _dialog: [str(reply)])
    qtbot.mouseClick(page.reply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导入回执" in page.progress_text.text(), timeout=20_000)
    qtbot.waitUntil(lambda: not page.lists_loading, timeout=10_000)
    assert pending_count(demo_store) == 0 and page.waiting_label.text() == "0 条"
    assert page.account_label.text() == "杨家庄村" and page.history.item(0, 5).text().startswith("导入回执")
    assert "通过U盘同步" in page.server_label.text() and not page.sync_button.isEnabled()
    screenshot(window, "page-sync-stick")
    # The network arrives: the address alone (the code is spent), then 立即同步 works with the same token.
    assert page.enroll_box.isVisible() and not page.code.isEnabled()
    type_text(qtbot, page.server, district_sqlite.base)
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.sync_button.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(page.finished, timeout=60_000) as synced:
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert synced.args == [True] and "上传 0 条" in page.progress_text.text()
    window.idle.stop()


def test_a_demo_stations_first_package_asks_before_the_file_as_enrolment_does(qtbot, demo_store, district_sqlite,
                                                                               monkeypatch, tmp_path, caplog):
    """A trial: 导出同步包 from the demo asked for a file name, then refused in the greyed 同步状态 box, logged as an
    ERROR with a traceback — while 登记 online asked first and offered 仍然登记示范站. The package asks the same
    question before the file; 不登记 writes nothing; 仍然登记示范站 exports it."""
    from PySide6.QtWidgets import QMessageBox

    from ui import saving
    from ui_helpers import when_modal

    window, page = _the_sync_page_of_a_station(qtbot, demo_store)
    files: list[str] = []
    monkeypatch.setattr(saving, "choose_files", lambda _dialog: files.append("asked") or [str(tmp_path / "包")])
    type_text(qtbot, page.code, "ABC12")  # a real station, a code too short: refused in the background
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "登记码应为8位" in page.enroll_error.text(), timeout=10_000)
    assert [r.levelname for r in caplog.records if "登记码应为8位" in r.getMessage()] == ["WARNING"]  # said, not a fault
    files.clear()
    page.code.clear()
    Settings(demo_store.paths.settings).set("is_demo", True)
    type_text(qtbot, page.code, admin.add_station(district_sqlite.engine, "培训用示范站", "艾山街道"))
    asked: list[str] = []

    def answer(with_text: str):
        def act(box):
            asked.append(box.windowTitle())
            next(b for b in box.buttons() if b.text() == with_text).click()
        return act

    when_modal(answer("不登记"), kind=QMessageBox)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    assert asked == ["这是示范站"] and files == [] and not (tmp_path / "包.slpkg").exists()
    when_modal(answer("仍然登记示范站"), kind=QMessageBox)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导出同步包" in page.progress_text.text(), timeout=20_000)
    assert asked == ["这是示范站"] * 2 and files == ["asked"] and (tmp_path / "包.slpkg").exists()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    window.idle.stop()


def test_the_sync_page_reads_its_counts_and_lists_off_the_gui_thread(qtbot, demo_store, monkeypatch):
    """0.2–0.9 s of outbox SQL on a 5-year store froze the window after every sync (#25)."""
    import threading

    from app import outbox
    from app.services import operators

    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    page = window.page("sync")
    qtbot.waitUntil(lambda: not page.lists_loading, timeout=10_000)
    # The 工作台 reads the waiting count in its own background job: let it finish first, or it is counted here.
    qtbot.waitUntil(lambda: window.pages["dashboard"].loaded, timeout=10_000)
    threads = []
    for name in ("pending_count", "rejected_count", "rejected_rows"):
        real = getattr(outbox, name)
        monkeypatch.setattr(outbox, name, lambda *a, real=real, **k: (threads.append(threading.current_thread() is threading.main_thread()), real(*a, **k))[1])
    page.refresh()
    qtbot.waitUntil(lambda: not page.lists_loading, timeout=10_000)
    assert len(threads) == 3 and not any(threads)
    assert page.waiting_label.text().endswith("条")
    window.idle.stop()


def test_enrolling_at_a_wrong_address_says_what_to_check_and_logs_no_error(qtbot, demo_store, caplog):
    """A trial: 登记 at an address nobody answers held the window 25 s, then said 稍后再点“同步” in English."""
    from sync_helpers import free_port

    from PySide6.QtWidgets import QMessageBox

    from ui_helpers import when_modal

    window, page = _the_sync_page_of_a_station(qtbot, demo_store)
    Settings(demo_store.paths.settings).set("is_demo", True)
    asked: list[str] = []
    when_modal(lambda box: (asked.append(box.windowTitle()), box.reject()), kind=QMessageBox, attempts=25)
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)  # nothing typed
    qtbot.waitUntil(lambda: page.enroll_error.isVisible(), timeout=10_000)
    assert "请填写区里服务器的地址" in page.enroll_error.text()
    assert asked == []  # the address first: the demo's 确实要登记吗 came before it (a trial)
    Settings(demo_store.paths.settings).set("is_demo", False)
    address = f"https://127.0.0.1:{free_port()}"
    type_text(qtbot, page.server, address)
    type_text(qtbot, page.code, "ABCD1234")
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "请核对服务器地址" in page.enroll_error.text(), timeout=30_000)
    assert address in page.enroll_error.text()
    # a refusal said to the person is a line in the log, not an ERROR with a traceback (a trial)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage()[:80] for r in caplog.records]
    assert any(r.getMessage().startswith("background work refused: 连接不上") for r in caplog.records)
    window.idle.stop()


def test_enrolling_while_the_server_keeps_answering_busy_can_be_called_off(qtbot, demo_store):
    """A server that answers 503 is retried for a while: the 正在登记 window offers 取消, and calling it off says so."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

    class Busy(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server's name for it
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        window, page = _the_sync_page_of_a_station(qtbot, demo_store)
        type_text(qtbot, page.server, f"http://127.0.0.1:{server.server_address[1]}")
        type_text(qtbot, page.code, "ABCD1234")
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)

        def progress() -> QProgressDialog | None:
            return next((w for w in QApplication.topLevelWidgets()
                         if isinstance(w, QProgressDialog) and w.isVisible()), None)

        assert not page.enroll_button.isEnabled()  # one enrolment at a time: a second click started a second (a trial)
        qtbot.waitUntil(lambda: progress() is not None, timeout=10_000)
        dialog = progress()
        cancel = dialog.findChild(QPushButton)
        assert cancel is not None and cancel.isVisible() and cancel.text() == "取消"
        cancel.click()
        qtbot.waitUntil(lambda: page.enroll_error.text() == "已取消登记", timeout=30_000)
        assert page.enroll_button.isEnabled()
    finally:
        server.shutdown()
        server.server_close()
    window.idle.stop()


def test_calling_off_an_enrolment_while_its_request_hangs_says_so_and_never_shows_the_late_error(qtbot, demo_store):
    """A trial: 登记 at a server that takes the connection and never answers, then 取消: the window went at once,
    登记 stayed grey 18 s with nothing said, then “连接不上区里的服务器” came as if nothing had been called off. A
    request in flight cannot be torn off (an enrolment the district completes meanwhile uses the one-time code), so
    the window stays, says 正在取消, offers no second 取消, and ends with 已取消登记 once the request is over."""
    import socket
    import threading

    from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    taken: list[socket.socket] = []
    release = threading.Event()

    def silent() -> None:  # takes the connection, reads nothing back, closes it when told
        conn, _ = listener.accept()
        taken.append(conn)
        release.wait(30)
        conn.close()

    threading.Thread(target=silent, daemon=True).start()
    try:
        window, page = _the_sync_page_of_a_station(qtbot, demo_store)
        type_text(qtbot, page.server, f"http://127.0.0.1:{listener.getsockname()[1]}")
        type_text(qtbot, page.code, "ABCD1234")
        qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)

        def progress() -> QProgressDialog | None:
            return next((w for w in QApplication.topLevelWidgets()
                         if isinstance(w, QProgressDialog) and w.isVisible()), None)

        qtbot.waitUntil(lambda: progress() is not None and bool(taken), timeout=10_000)
        dialog = progress()
        dialog.findChild(QPushButton).click()
        QApplication.processEvents()
        assert progress() is dialog and "正在取消" in dialog.labelText()  # still there, saying what it waits for
        assert not any(b.isVisible() for b in dialog.findChildren(QPushButton))
        assert not page.enroll_button.isEnabled()
        release.set()  # the request ends (here: the connection dropped, as a timeout would)
        qtbot.waitUntil(lambda: progress() is None, timeout=30_000)
        qtbot.waitUntil(lambda: page.enroll_button.isEnabled(), timeout=5_000)
        assert page.enroll_error.text() == "已取消登记"
    finally:
        release.set()
        listener.close()
    window.idle.stop()


def _the_sync_page_of_a_station(qtbot, demo_store):
    """The main window on its 同步 page, logged in as the admin, the store not marked as a demo (a demo asks first
    whether to enrol at all)."""
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    Settings(demo_store.paths.settings).set("is_demo", False)
    return window, window.pages["sync"]
