"""Hours kept as a figure: whatever happens to the ledger, every volunteer's maintained total and yearly
hours equal a fresh sum over their participations; stores made by earlier releases get the figure."""

from __future__ import annotations

import random
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from app.db import Store
from app.models import Activity, Participation, Volunteer, VolunteerHours, VolunteerYearHours
from app.models.enums import Role
from app.services import activities, stars, volunteers
from app.services.activities import ParticipantInput
from app.services.context import Actor, Context
from app.services.station import set_deleted, set_deleted_many
from conftest import make_id

FIXTURES = Path(__file__).parent / "fixtures"


def ledger_sums(store: Store) -> tuple[dict[str, float], dict[tuple[str, int], float]]:
    """The oracle: sums straight from participations, as every report counts them."""
    totals: dict[str, float] = {}
    years: dict[tuple[str, int], float] = {}
    with store.session() as session:
        for vid in session.exec(select(Volunteer.id)):
            totals[vid] = 0.0
        rows = session.exec(select(Participation.volunteer_id, Participation.hours, Activity.date)
                            .join(Activity, Activity.id == Participation.activity_id)
                            .where(Participation.deleted == False, Activity.deleted == False, Activity.status == "done"))
        for vid, hours, day in rows:
            totals[vid] = totals.get(vid, 0.0) + hours
            years[(vid, day.year)] = years.get((vid, day.year), 0.0) + hours
    return totals, years


def figures(store: Store) -> tuple[dict[str, float], dict[tuple[str, int], float]]:
    with store.session() as session:
        totals = {vid: total for vid, total in session.exec(select(VolunteerHours.volunteer_id, VolunteerHours.total))}
        years = {(vid, y): h for vid, y, h in session.exec(select(VolunteerYearHours.volunteer_id, VolunteerYearHours.year,
                                                                  VolunteerYearHours.hours))}
    return totals, years


def assert_figures_match(store: Store) -> None:
    want_totals, want_years = ledger_sums(store)
    got_totals, got_years = figures(store)
    assert set(got_totals) <= set(want_totals)  # a volunteer who never served may have no row yet: 0 hours
    for vid, total in want_totals.items():
        assert got_totals.get(vid, 0.0) == pytest.approx(total, abs=1e-6), vid
    assert set(got_years) == set(want_years)
    for key, hours in want_years.items():
        assert got_years[key] == pytest.approx(hours, abs=1e-6), key


def test_a_store_from_the_previous_release_gets_the_figures(tmp_path):
    shutil.copy(FIXTURES / "schema_0005.db", tmp_path / "station.db")
    with Store.open(tmp_path) as store:
        totals, _years = figures(store)
        assert totals and any(t > 0 for t in totals.values())  # the demo's hours are there after the upgrade
        assert_figures_match(store)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_change_to_the_ledger_keeps_the_figures_exact(ctx, seed):
    admin = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    rng = random.Random(seed)
    people = [volunteers.add_volunteer(admin, registered_on="2020-01-01", name=f"志愿者{i}", id_number=make_id(seq=300 + i), phone=f"1381234{seed}{i:03d}")
              for i in range(6)]
    made: list[str] = []
    binned: set[str] = set()

    def pick_people() -> list[ParticipantInput]:
        live_people = [p for p in people if p.id not in binned]
        chosen = rng.sample(live_people, rng.randint(1, min(4, len(live_people))))
        return [ParticipantInput(p.id, rng.choice([0.5, 1.0, 1.25, 2.0, 3.5])) for p in chosen]

    for _step in range(40):
        action = rng.choice(["add", "add", "participants", "status", "date", "bin", "restore", "volunteer-bin", "bulk-bin"])
        if action == "add" or not made:
            made.append(activities.add_activity(
                admin, title=f"活动{len(made)}", category="卫生环保", date=date(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
                status=rng.choice(["done", "done", "planned"]), participants=pick_people()).id)
        elif action == "participants":
            current = activities.get_activity(admin, rng.choice(made))
            if not current.deleted:
                activities.update_activity(admin, current.id, participants=pick_people())
        elif action == "status":
            current = activities.get_activity(admin, rng.choice(made))
            if not current.deleted:
                activities.update_activity(admin, current.id, status="planned" if current.status == "done" else "done")
        elif action == "date":
            current = activities.get_activity(admin, rng.choice(made))
            if not current.deleted:
                activities.update_activity(admin, current.id, date=date(4049 - current.date.year, current.date.month, current.date.day))
        elif action == "bin":
            set_deleted(admin, Activity, rng.choice(made), deleted=True, what="活动")
        elif action == "restore":
            set_deleted(admin, Activity, rng.choice(made), deleted=False, what="活动")
        elif action == "volunteer-bin":  # the volunteer's figure stays: reports decide who is live
            person = rng.choice(people)
            to_bin = rng.random() < 0.5 and len(binned) < len(people) - 2
            set_deleted(admin, Volunteer, person.id, deleted=to_bin, what="志愿者")
            (binned.add if to_bin else binned.discard)(person.id)
        else:
            set_deleted_many(admin, Activity, rng.sample(made, min(2, len(made))), deleted=rng.random() < 0.5, what="活动")
        assert_figures_match(ctx.store)


def test_lists_sort_and_filter_by_the_figure(ctx):
    admin = Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))
    a, b, c = (volunteers.add_volunteer(admin, registered_on="2020-01-01", name=n, id_number=make_id(seq=400 + i), phone=f"1391234500{i}")
               for i, n in enumerate(["甲", "乙", "丙"]))
    activities.add_activity(admin, title="义诊", category="医疗健身", date=date(2025, 5, 1), status="done",
                            participants=[ParticipantInput(a.id, 2.0), ParticipantInput(b.id, 120.0 / 5)])
    for month in range(2, 7):
        activities.add_activity(admin, title=f"巡河{month}", category="卫生环保", date=date(2025, month, 3), status="done",
                                participants=[ParticipantInput(b.id, 20.0)])
    ordered = volunteers.search_volunteers(admin, order_by="hours", descending=True)
    assert [v.name for v in ordered] == ["乙", "甲", "丙"]
    assert volunteers.hours_of(admin, [a.id, b.id, c.id]) == {a.id: 2.0, b.id: 124.0, c.id: 0.0}
    assert [v.name for v in volunteers.search_volunteers(admin, min_hours=100)] == ["乙"]
    assert volunteers.count_volunteers(admin, min_hours=100) == 1
    summary = stars.hours_summary(admin, b.id)
    assert summary.total == 124.0 and summary.by_year == {2025: 124.0} and summary.stars == 1
