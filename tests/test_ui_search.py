"""Typing in a list's search box never waits for its SQL (#25: 94 ms a key on 100,000 activities): the query
runs in the background, once per pause, and the rows shown stay until the new ones are in."""

from __future__ import annotations

import threading

from test_ui_app import window  # noqa: F401  (the demo station's main window, logged in as its admin)
from ui_helpers import type_chinese


def test_the_search_query_runs_off_the_gui_thread_and_only_the_last_one_counts(qtbot, window):
    window.go("activities")
    page = window.page("activities")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    title = page.model.row(0).activity.title
    threads: list[bool] = []
    real_fetch, real_count = page.fetch, page.count
    page.model._fetch = lambda *a: (threads.append(threading.current_thread() is threading.main_thread()), real_fetch(*a))[1]
    page.model._count = lambda *a: (threads.append(threading.current_thread() is threading.main_thread()), real_count(*a))[1]
    shown_before = page.model.rowCount()
    type_chinese(page.search, title[:2])
    type_chinese(page.search, title[2:])
    assert page.model.rowCount() == shown_before  # nothing ran yet: the rows stay while the person types
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1 and all(page.model.row(i).activity.title.find(title) >= 0
                                                                for i in range(page.model.rowCount())), timeout=5000)
    assert threads and not any(threads)  # every count and fetch ran on a worker thread
    assert page.search.text() == title
