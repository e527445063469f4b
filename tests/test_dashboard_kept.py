"""The 工作台's kept figures (#25): what is read back is what was computed, and only this ledger's, this
month's, in this format — anything else, or a damaged file, is not shown (the 工作台 then waits for its figures)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

import pytest

from app.db import Store
from app.demo import build_demo
from app.services import dashboard
from app.services.context import Context

TODAY = date(2026, 11, 15)  # the demo's own "today": nothing here reads the clock


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    root = tmp_path_factory.mktemp("kept")
    with Store.open(root) as store:
        build_demo(store, years=1, seed=5, today=TODAY)
        ctx = Context(store=store)
        view = dashboard.compute(ctx, TODAY)
        station_id = ctx.station_id
    return root, station_id, view


def _kept_again(root, station_id, view, today=TODAY):
    dashboard.keep(root, station_id, view)
    return dashboard.kept(root, station_id, today)


def test_what_is_read_back_is_what_was_computed(computed):
    root, station_id, view = computed
    back = _kept_again(root, station_id, view)
    assert back is not None and back.kept and not view.kept
    assert back.overview == view.overview
    assert back.team_months == view.team_months and back.category_months == view.category_months
    assert [asdict(v) for v in back.verdicts] == [asdict(v) for v in view.verdicts]
    assert back.demand_counts == view.demand_counts
    assert (back.unsettled, back.waiting, back.today) == (view.unsettled, view.waiting, view.today)
    assert back.computed_at == view.computed_at
    assert view.overview.activities_year > 0 and view.team_months and view.verdicts  # a real year, not an empty one


def test_a_later_day_of_the_same_month_shows_them_but_not_another_month(computed):
    root, station_id, view = computed
    assert _kept_again(root, station_id, view, date(2026, 11, 30)) is not None
    assert _kept_again(root, station_id, view, date(2026, 12, 1)) is None  # this month's cards would show November's
    assert _kept_again(root, station_id, view, date(2025, 11, 20)) is None
    assert _kept_again(root, station_id, view, date(2026, 11, 14)) is None  # a clock set back: not figures "from the future"


def test_another_ledgers_or_an_older_format_or_a_damaged_file_is_not_shown(computed, caplog):
    root, station_id, view = computed
    dashboard.keep(root, station_id, view)
    assert dashboard.kept(root, "another-station", TODAY) is None
    path = dashboard.kept_path(root)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format": dashboard.KEPT_FORMAT - 1}), encoding="utf-8")
    assert dashboard.kept(root, station_id, TODAY) is None
    for damaged in ('{"format": 1, "station_id": "%s"' % station_id, json.dumps({**data, "overview": {}}), "[]", ""):
        path.write_text(damaged, encoding="utf-8")
        assert dashboard.kept(root, station_id, TODAY) is None
    path.unlink()
    assert dashboard.kept(root, station_id, TODAY) is None


def test_a_folder_that_cannot_be_written_loses_nothing_but_the_kept_figures(computed, tmp_path):
    _root, station_id, view = computed
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder would go")
    dashboard.keep(blocked, station_id, view)  # logs, never raises: the figures were shown already
    assert dashboard.kept(blocked, station_id, TODAY) is None
