"""Pages show what the store holds now (#25): after 确认签到结果 — written by a background job — the volunteer
list showed 0 h until the page was left. Each commit says which tables it changed; the pages showing them
refresh, the one in front at once."""

from __future__ import annotations

import threading
from datetime import date, time

from app.services import activities, volunteers
from app.services.context import Context
from conftest import make_id
from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)


def _hours_shown(page, volunteer_id: str) -> float | None:
    for i in range(page.model.rowCount()):
        row = page.model.row(i)
        if row.volunteer.id == volunteer_id:
            return row.hours
    return None


def test_hours_written_by_a_background_job_show_on_the_volunteer_list_in_front(qtbot, window):
    ctx: Context = window.ctx
    newcomer = volunteers.add_volunteer(ctx, registered_on="2026-01-01", name="甲新", id_number=make_id(seq=411), phone="13800001111")
    window.go("volunteers")
    page = window.page("volunteers")
    page.search.setText("甲新")
    qtbot.waitUntil(lambda: _hours_shown(page, newcomer.id) == 0, timeout=5000)
    qtbot.wait(500)  # the search box's own re-query (150 ms after the last key) is over

    def confirm_a_signin() -> None:  # what signin.confirm does in its job: an activity with the people who came
        activities.add_activity(ctx, title="周六义诊", category="医疗健身", date=date(2026, 11, 28), start_time=time(9), end_time=time(11),
                                status="done", participants=[activities.ParticipantInput(newcomer.id, 2.0)])

    job = threading.Thread(target=confirm_a_signin)
    job.start()
    job.join(10)
    qtbot.waitUntil(lambda: _hours_shown(page, newcomer.id) == 2.0, timeout=5000)  # without leaving the page
    assert window.stack.currentWidget() is page


def test_a_page_not_in_front_is_left_alone_until_shown_and_the_dashboard_follows_every_change(qtbot, window):
    ctx: Context = window.ctx
    window.go("activities")
    activities_page = window.page("activities")
    window.go("teams")
    refreshed = []
    activities_page.on_store_changed = lambda tables: refreshed.append(tables)
    dashboard = window.pages["dashboard"]
    seen = []
    original = dashboard.on_store_changed
    dashboard.on_store_changed = lambda tables: (seen.append(tables), original(tables))
    activities.add_activity(ctx, title="读书会", category="文化文艺服务", date=date(2026, 11, 27), status="done")
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert "activity" in seen[0] and refreshed == []  # the activity list is not in front: refreshed when shown


def test_the_points_page_reads_its_accounts_off_the_gui_thread_when_the_store_changes(qtbot, demo_store, monkeypatch):
    """After a settlement (or any save) the 积分 page reads its accounts in the background: on a 5-year store that
    SQL held the window 1.1 s after every settlement (bench/ui_bench.py)."""
    import threading

    from app.services import operators, points
    from app.settings import Settings
    from ui.main_window import MainWindow

    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    window.go("points")
    page = window.page("points")
    qtbot.waitUntil(lambda: bool(page.accounts), timeout=10_000)
    calls = []
    real = points.accounts
    monkeypatch.setattr(points, "accounts", lambda *a, **k: (calls.append(threading.current_thread() is threading.main_thread()), real(*a, **k))[1])
    volunteers.add_volunteer(window.ctx, registered_on="2024-01-01", name="新来的", id_number=make_id(seq=933))  # announced to the pages
    qtbot.waitUntil(lambda: bool(calls), timeout=10_000)
    qtbot.wait(300)
    assert calls and not any(calls)  # read, and never on the window's thread
    window.idle.stop()
