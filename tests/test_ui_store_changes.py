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
