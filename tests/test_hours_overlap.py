"""Hours no one can inflate (#26): a person cannot serve in two overlapping time windows. Copying one
14:00–17:00 activity six times gave one volunteer 15 hours of a 3-hour afternoon; stars, points and
certificates all read it."""

from __future__ import annotations

from datetime import date

import pytest

from app.services import activities, volunteers
from app.services.activities import ParticipantInput
from app.services.errors import ValidationError
from conftest import make_id

DAY = date(2026, 5, 9)


@pytest.fixture
def zhang(ctx):
    return volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="张三", id_number=make_id(seq=41))


def _add(ctx, person, start, end, title="敬老饺子宴", **extra):
    return activities.add_activity(ctx, title=title, category="敬老爱老", date=DAY, start_time=start, end_time=end,
                                   participants=[ParticipantInput(person.id)], **extra)


def _hours_that_day(ctx, person) -> float:
    return sum(p.participation.hours for s in activities.list_activities(ctx) for p in activities.participants_of(ctx, s.activity.id)
               if p.volunteer.id == person.id and s.activity.date == DAY)


def test_a_copy_onto_the_same_afternoon_is_refused_naming_the_other(ctx, zhang):
    _add(ctx, zhang, "14:00", "17:00")
    for title in ("敬老饺子宴（复制）", "另一场"):
        with pytest.raises(ValidationError) as info:
            _add(ctx, zhang, "14:00", "17:00", title=title)
        assert info.value.errors == {"participants": "志愿者 张三 在同一时段（14:00–17:00）已参加“敬老饺子宴”：同一人不能同时在两处服务"}
    assert len(activities.list_activities(ctx)) == 1 and _hours_that_day(ctx, zhang) == 3


def test_confirmed_overlaps_count_the_shared_time_once(ctx, zhang):
    """Where both are true (a 2-hour activity inside a day-long one), the clerk confirms and the person's
    total for the day never exceeds the clock: the overlapping time is left out of the later record."""
    _add(ctx, zhang, "14:00", "17:00")
    for _copy in range(5):  # the six copies of the afternoon, each confirmed
        copy = _add(ctx, zhang, "14:00", "17:00", title=f"复制{_copy}", count_overlap_once=True)
        assert activities.participants_of(ctx, copy.id) == []  # wholly inside: not recorded again with 0 hours
        activities.update_activity(ctx, copy.id, content="再次保存", participants=[])  # and it saves again
    assert _hours_that_day(ctx, zhang) == 3
    _add(ctx, zhang, "16:00", "18:00", title="晚间值守", count_overlap_once=True)  # one hour new
    assert _hours_that_day(ctx, zhang) == 4
    _add(ctx, zhang, "18:00", "19:30", title="紧接着的一场")  # touching, not overlapping: no question asked
    assert _hours_that_day(ctx, zhang) == 5.5
    _add(ctx, zhang, "08:00", "20:00", title="全天活动", count_overlap_once=True)  # 12 h, of which 5.5 already counted
    assert _hours_that_day(ctx, zhang) == 12


def test_an_explicit_shorter_time_is_kept_when_it_fits(ctx, zhang):
    _add(ctx, zhang, "08:00", "12:00", title="上午")
    activity = activities.add_activity(ctx, title="交叉", category="敬老爱老", date=DAY, start_time="11:00", end_time="15:00",
                                       participants=[ParticipantInput(zhang.id, 2.0)], count_overlap_once=True)
    assert activities.participants_of(ctx, activity.id)[0].participation.hours == 2.0  # 3 h free in the window: 2 h stays


def test_planned_activities_and_other_days_and_other_people_do_not_clash(ctx, zhang):
    li = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="李四", id_number=make_id(seq=42))
    _add(ctx, zhang, "14:00", "17:00")
    _add(ctx, li, "14:00", "17:00", title="另一队")
    activities.add_activity(ctx, title="计划", category="敬老爱老", date=DAY, start_time="14:00", end_time="17:00", status="planned",
                            participants=[ParticipantInput(zhang.id, 3.0)])
    activities.add_activity(ctx, title="第二天", category="敬老爱老", date=date(2026, 5, 10), start_time="14:00", end_time="17:00",
                            participants=[ParticipantInput(zhang.id)])
    assert len(activities.list_activities(ctx)) == 4


def test_editing_an_activity_does_not_clash_with_itself_but_moving_it_onto_another_does(ctx, zhang):
    first = _add(ctx, zhang, "08:00", "10:00", title="早")
    second = _add(ctx, zhang, "14:00", "17:00", title="午")
    activities.update_activity(ctx, second.id, title="午后", participants=[ParticipantInput(zhang.id)])
    with pytest.raises(ValidationError, match="已参加“午后”"):
        activities.update_activity(ctx, first.id, start_time="15:00", end_time="16:00", participants=[ParticipantInput(zhang.id)])


def _import_plan(ctx, tmp_path, row: list):
    """The import's check of one activity row (the preview the clerk sees before anything is written)."""
    from openpyxl import Workbook

    from app.exchange import excel

    book = Workbook()
    book.active.append(["活动日期", "活动名称", "类别", "开始时间", "结束时间", "参与志愿者"])
    book.active.append(row)
    book.save(tmp_path / "活动.xlsx")
    sheet = excel.read_sheet(tmp_path / "活动.xlsx", "activities")
    return excel.plan_activities(ctx, sheet, excel.guess_mapping(sheet, "activities"))[0]


def test_an_import_row_overlapping_the_ledger_names_the_activity(ctx, zhang, tmp_path):
    _add(ctx, zhang, "14:00", "17:00")
    plan = _import_plan(ctx, tmp_path, [DAY.isoformat(), "河道清理", "卫生环保", "15:00", "16:00", "张三"])
    assert plan.errors == ["志愿者 张三 在同一时段（14:00–17:00）已参加“敬老饺子宴”：同一人不能同时在两处服务"]


def test_the_same_activity_saved_twice_is_refused_as_a_second_entry_whatever_is_confirmed(ctx, zhang):
    """重复录入 in the service, not only in the form (a new user's trial: confirmed, the second save kept an activity
    with no one in it, counted in the month's figures). Every way in — a copy, the CLI, an import — meets it."""
    _add(ctx, zhang, "14:00", "17:00")
    for confirmed in (False, True):
        with pytest.raises(ValidationError) as info:
            _add(ctx, zhang, "14:00", "17:00", count_overlap_once=confirmed)
        assert info.value.errors == {"date": "2026年5月9日 14:00–17:00 已记有同名活动“敬老饺子宴”，参与的志愿者也都已记入：这是重复录入。"
                                             "如确实是另一次活动，请改日期、时间或活动名称"}
        with pytest.raises(ValidationError, match="重复录入"):  # a window inside the first: still wholly recorded
            _add(ctx, zhang, "15:00", "16:00", count_overlap_once=confirmed)
    assert len(activities.list_activities(ctx)) == 1 and _hours_that_day(ctx, zhang) == 3


def test_the_same_name_is_no_second_entry_when_someone_new_or_some_time_is_not_yet_recorded(ctx, zhang):
    li = volunteers.add_volunteer(ctx, registered_on="2020-01-01", name="李四", id_number=make_id(seq=42))
    _add(ctx, zhang, "14:00", "17:00")
    both = activities.add_activity(ctx, title="敬老饺子宴", category="敬老爱老", date=DAY, start_time="14:00", end_time="17:00",
                                   participants=[ParticipantInput(zhang.id), ParticipantInput(li.id)], count_overlap_once=True)
    assert [p.volunteer.name for p in activities.participants_of(ctx, both.id)] == ["李四"]  # 张三's time counted once
    later = _add(ctx, zhang, "16:00", "18:00", count_overlap_once=True)  # an hour past the first: the same name is fine
    assert activities.participants_of(ctx, later.id)[0].participation.hours == 1
    with pytest.raises(ValidationError) as info:  # unconfirmed, it is the overlap question's refusal, not 重复录入
        _add(ctx, zhang, "17:00", "19:00")
    assert "participants" in info.value.errors
    empty = activities.add_activity(ctx, title="敬老饺子宴", category="敬老爱老", date=DAY, start_time="14:00", end_time="17:00",
                                    participants=[])  # nobody in it: nothing recorded twice
    assert activities.participants_of(ctx, empty.id) == []


def test_an_import_row_of_an_activity_already_in_the_ledger_is_named_a_second_entry(ctx, zhang, tmp_path):
    _add(ctx, zhang, "14:00", "17:00")
    plan = _import_plan(ctx, tmp_path, [DAY.isoformat(), "敬老饺子宴", "敬老爱老", "14:00", "17:00", "张三"])
    assert any("重复录入" in error for error in plan.errors), plan.errors
