"""At the station (#30): a district announcement stays on the 工作台 until someone marks it read (not only in the
third tab of 同步), and a dispatch the district withdrew before the station synced is not announced as new work.
Real widgets driven by pytest-qt, against the real district server."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, timedelta

from PySide6.QtCore import Qt

from app.db import Store
from app.models.enums import DemandState as S
from app.services import announcements, demands, operators
from app.services.context import Context
from app.settings import Settings
from sync.client import SyncClient, history
from sync.server import admin
from ui.main_window import MainWindow
from ui_helpers import screenshot
from test_sync import FAST


def _window(qtbot, store) -> MainWindow:
    window = MainWindow(Context(store=store, actor=operators.authenticate(store, "admin", "admin123")), Settings(store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.pages["dashboard"].loaded, timeout=30_000)
    return window


def test_an_announcement_stays_on_the_dashboard_until_read(qtbot, demo_store, district_sqlite):
    engine = district_sqlite.engine
    SyncClient(demo_store, **FAST).enroll(district_sqlite.base, admin.add_station(engine, "杨家庄村", "艾山街道"))
    admin.announce(engine, "关于开展“学雷锋”志愿服务月活动的通知", "请各站于3月5日前报送活动计划。")
    SyncClient(demo_store, **FAST).sync()

    window = _window(qtbot, demo_store)
    page = window.pages["dashboard"]
    assert page.notices.isVisible() and list(page.notice_cards) == [n.id for n in announcements.unread(Context(store=demo_store))]
    [card] = page.notice_cards.values()
    texts = [w.text() for w in card.findChildren(type(page.greeting))]
    assert "关于开展“学雷锋”志愿服务月活动的通知" in texts and "请各站于3月5日前报送活动计划。" in texts
    screenshot(window, "dashboard-notice")

    # A second one arrives with a sync from the window: shown on the 工作台 without reopening it, newest first.
    admin.announce(engine, "元旦假期值班安排")
    window.go("sync")
    with qtbot.waitSignal(window.pages["sync"].finished, timeout=60_000):
        window.sync_action.trigger()
    window.go("dashboard")
    qtbot.waitUntil(lambda: len(page.notice_cards) == 2, timeout=10_000)
    first = page.notices_layout.itemAt(1).widget()
    assert first.findChildren(type(page.greeting))[0].text() == "元旦假期值班安排"

    qtbot.mouseClick(card.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.notice_cards) == 1, timeout=10_000)
    assert [n.title for n in announcements.unread(Context(store=demo_store))] == ["元旦假期值班安排"]
    read = [n for n in _all(demo_store) if n[0] == "关于开展“学雷锋”志愿服务月活动的通知"][0]
    assert read[1] is not None and read[2] == "杨红霞"  # who marked it read, and when
    qtbot.mouseClick(first.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.notice_cards and not page.notices.isVisible(), timeout=10_000)
    # The 同步 page still lists both.
    sync_page = window.pages["sync"]
    window.go("sync")
    qtbot.waitUntil(lambda: not sync_page.lists_loading, timeout=10_000)
    assert sync_page.notices.rowCount() == 2
    window.idle.stop()
    window.close()

    again = _window(qtbot, demo_store)  # read stays read
    assert not again.pages["dashboard"].notice_cards and not again.pages["dashboard"].notices.isVisible()
    again.idle.stop()


def _all(store: Store) -> list[tuple]:
    with sqlite3.connect(store.paths.root / "station.db") as conn:
        return conn.execute("SELECT title, read_at, read_by FROM announcement").fetchall()


def test_a_dispatch_withdrawn_before_the_station_syncs_is_not_announced_as_work(qtbot, demo_store, district_sqlite):
    engine = district_sqlite.engine
    SyncClient(demo_store, **FAST).enroll(district_sqlite.base, admin.add_station(engine, "杨家庄村", "艾山街道"))
    due = (date.today() + timedelta(days=5)).isoformat()
    gone = admin.dispatch_demand(engine, "杨家庄村", requester="李大爷", content="代买药品", category="便民服务", due_on=due)
    admin.withdraw_dispatch(engine, gone, "群众已自行解决")
    window = _window(qtbot, demo_store)
    window.go("sync")
    page = window.pages["sync"]
    with qtbot.waitSignal(page.finished, timeout=60_000) as done:
        window.sync_action.trigger()
    assert done.args == [True]
    assert "派单" not in page.progress_text.text() and "派单" not in history(demo_store)[0].message
    [row] = [r for r in demands.list_demands(Context(store=demo_store)) if r.demand.dispatch_id == gone]
    assert row.demand.state == S.cancelled and "群众已自行解决" in row.demand.reason  # kept, with the district's reason
    window.go("dashboard")
    dashboard = window.pages["dashboard"]
    qtbot.waitUntil(lambda: dashboard.loaded, timeout=30_000)
    todo = [dashboard.todo.item(i).text() for i in range(dashboard.todo.count())]
    assert not any("待派单" in t for t in todo), todo

    # One still standing is announced; one withdrawn after the station saw it is told as withdrawn.
    live = admin.dispatch_demand(engine, "杨家庄村", requester="陈奶奶", content="上门理发", category="敬老爱老", due_on=due)
    late = admin.dispatch_demand(engine, "杨家庄村", requester="王大娘", content="修理门锁", category="便民服务", due_on=due)
    admin.withdraw_dispatch(engine, late[:8], "重复派单")
    with qtbot.waitSignal(page.finished, timeout=60_000):
        window.sync_action.trigger()
    assert "收到区中心派单 1 件" in page.progress_text.text()
    admin.withdraw_dispatch(engine, live, "已由社区安排")
    result = SyncClient(demo_store, **FAST).sync()
    assert (result.dispatched, result.withdrawn) == (0, 1) and "区中心撤回派单 1 件" in history(demo_store)[0].message
    window.idle.stop()


def test_announcements_received_before_this_release_are_not_news(tmp_path):
    """A ledger made by the release before (schema 0007) that holds announcements opens with them read: they were
    shown on the 同步 page already."""

    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(__import__("pathlib").Path(__file__).parent / "fixtures" / "schema_0007.db", folder / "station.db")
    with sqlite3.connect(folder / "station.db") as conn:
        conn.execute("INSERT INTO announcement (id, title, body, published_at) VALUES "
                     "('00000000-0000-4000-8000-000000000001', '旧通知', '', '2026-11-01 08:00:00.000000')")
    with Store.open(folder) as store:
        ctx = Context(store=store)
        assert announcements.unread(ctx) == []
        assert [title for title, read_at, _by in _all(store) if read_at is not None] == ["旧通知"]
