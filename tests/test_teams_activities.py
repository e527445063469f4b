from datetime import date, time, timedelta
from pathlib import Path

import pytest

from app.models import Activity
from app.services import activities, teams, volunteers
from app.services.activities import ParticipantInput
from app.services.errors import NotFound, ValidationError
from app.services.station import save_room, save_service_point, set_deleted, update_station, get_station, list_rooms
from conftest import make_id

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def people(ctx):
    return [
        volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=name, id_number=make_id(seq=400 + i), phone="13812345678")
        for i, name in enumerate(["张三", "李四", "王五"])
    ]


def test_team_rules(ctx, people):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老", leader_id=people[0].id, founded_on="2022-05-01")
    assert [m.volunteer.name for m in teams.team_members(ctx, team.id)] == ["张三"]
    assert teams.team_members(ctx, team.id)[0].membership.role == "队长"
    with pytest.raises(ValidationError) as info:
        teams.add_team(ctx, name="敬老爱老服务队", category="养老")
    assert "已有名为" in info.value.errors["name"] and "服务队类别" in info.value.errors["category"]
    teams.set_members(ctx, team.id, [people[0].id, people[1].id, people[2].id])
    assert teams.list_teams(ctx)[0].members == 3
    teams.set_members(ctx, team.id, [people[0].id, people[2].id])
    assert [m.volunteer.name for m in teams.team_members(ctx, team.id)] == ["张三", "王五"]
    assert len(teams.team_members(ctx, team.id, include_left=True)) == 3
    with pytest.raises(ValidationError, match="队长不能移出"):
        teams.remove_member(ctx, team.id, people[0].id)
    assert teams.find_team(ctx, " 敬老爱老服务队 ").id == team.id
    with pytest.raises(NotFound):
        teams.find_team(ctx, "没有这个队")


def test_activity_with_participants_default_hours(ctx, people):
    team = teams.add_team(ctx, name="宣讲队", category="理论政策宣讲")
    act = activities.add_activity(
        ctx, title="党的创新理论微宣讲", date=YESTERDAY, category="理论政策宣讲", team_id=team.id,
        start_time="09:00", end_time="11:30", place="村委会", served_count=40,
        participants=[ParticipantInput(people[0].id), ParticipantInput(people[1].id, 1.5, "讲师")],
    )
    got = {p.volunteer.name: (p.participation.hours, p.participation.role) for p in activities.participants_of(ctx, act.id)}
    assert got == {"张三": (2.5, "志愿者"), "李四": (1.5, "讲师")}
    summary = activities.list_activities(ctx, year=YESTERDAY.year, month=YESTERDAY.month)
    assert [(s.activity.title, s.team_name, s.participants, s.hours) for s in summary] == [("党的创新理论微宣讲", "宣讲队", 2, 4.0)]
    assert volunteers.volunteer_hours(ctx, people[0].id) == 2.5
    assert volunteers.volunteer_hours(ctx, people[0].id, year=YESTERDAY.year - 1) == 0


def test_activity_validation(ctx, people):
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        activities.add_activity(ctx, title="", date=tomorrow, category="跳舞", start_time="10:00", end_time="09:00", served_count=-1)
    errors = info.value.errors
    assert errors["title"] == "请填写活动名称"
    assert "不能晚于今天" in errors["date"]
    assert "活动类别" in errors["category"]
    assert errors["end_time"] == "结束时间应晚于开始时间"
    assert "服务对象人数" in errors["served_count"]
    planned = activities.add_activity(ctx, title="重阳节敬老", date=tomorrow, category="敬老爱老", status="planned")
    assert planned.status == "planned"
    assert activities.list_activities(ctx) and len(activities.list_activities(ctx)) == 1


@pytest.mark.parametrize("hours, fragment", [(0, "大于0且不超过24"), (25, "大于0且不超过24"), ("abc", "不是数字")])
def test_participation_hours_bounds(ctx, people, hours, fragment):
    with pytest.raises(ValidationError) as info:
        activities.add_activity(ctx, title="x", date=YESTERDAY, category="敬老爱老", participants=[ParticipantInput(people[0].id, hours)])
    assert fragment in info.value.errors["participants"] and "张三" in info.value.errors["participants"]
    assert activities.list_activities(ctx) == []  # nothing half-written


def test_hours_per_day_across_activities(ctx, people):
    activities.add_activity(ctx, title="上午", date=YESTERDAY, category="敬老爱老", participants=[ParticipantInput(people[0].id, 20)])
    with pytest.raises(ValidationError, match="合计24.5小时，超过24小时"):
        activities.add_activity(ctx, title="下午", date=YESTERDAY, category="敬老爱老", participants=[ParticipantInput(people[0].id, 4.5)])
    activities.add_activity(ctx, title="下午", date=YESTERDAY, category="敬老爱老", participants=[ParticipantInput(people[0].id, 4)])
    with pytest.raises(ValidationError, match="重复添加"):
        activities.add_activity(ctx, title="y", date=YESTERDAY - timedelta(days=1), category="敬老爱老",
                                participants=[ParticipantInput(people[1].id, 1), ParticipantInput(people[1].id, 1)])
    with pytest.raises(ValidationError, match="无法自动计算"):
        activities.add_activity(ctx, title="z", date=YESTERDAY - timedelta(days=1), category="敬老爱老", participants=[ParticipantInput(people[1].id)])


def test_update_participants_replaces_set(ctx, people):
    act = activities.add_activity(ctx, title="x", date=YESTERDAY, category="敬老爱老", start_time=time(9), end_time=time(10),
                                  participants=[ParticipantInput(people[0].id), ParticipantInput(people[1].id)])
    activities.update_activity(ctx, act.id, title="x2", participants=[ParticipantInput(people[1].id, 0.5), ParticipantInput(people[2].id)])
    got = {p.volunteer.name: p.participation.hours for p in activities.participants_of(ctx, act.id)}
    assert got == {"李四": 0.5, "王五": 1.0}
    assert activities.get_activity(ctx, act.id).title == "x2"


def test_soft_delete_and_restore_activity(ctx):
    act = activities.add_activity(ctx, title="x", date=YESTERDAY, category="敬老爱老")
    set_deleted(ctx, Activity, act.id, deleted=True, what="活动")
    assert activities.list_activities(ctx) == []
    assert [s.activity.id for s in activities.list_activities(ctx, deleted=True)] == [act.id]
    set_deleted(ctx, Activity, act.id, deleted=False, what="活动")
    assert len(activities.list_activities(ctx)) == 1


def test_photo_stored_by_hash(ctx, tmp_path):
    act = activities.add_activity(ctx, title="x", date=YESTERDAY, category="敬老爱老")
    image = tmp_path / "合影.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    photo = activities.add_photo(ctx, act.id, image, caption="活动合影")
    stored = activities.photo_path(ctx, photo.sha256)
    assert stored.read_bytes() == image.read_bytes()
    assert activities.add_photo(ctx, act.id, image).sha256 == photo.sha256  # same file, same blob
    assert len(list(Path(ctx.store.paths.photos).rglob("*"))) == 2  # one folder, one file
    text_file = tmp_path / "说明.txt"
    text_file.write_text("不是图片")
    with pytest.raises(ValidationError, match="不是支持的图片格式"):
        activities.add_photo(ctx, act.id, text_file)
    assert len(activities.photos_of(ctx, act.id)) == 2


def test_station_profile_rooms_points(ctx):
    update_station(ctx, phone="0531 76512345", opening_hours="周一至周五", activity_day="每月10日", population="1,200".replace(",", ""))
    station = get_station(ctx)
    assert station.phone == "053176512345"
    assert station.population == 1200
    with pytest.raises(ValidationError) as info:
        update_station(ctx, phone="123", population=-5, kind="城市")
    assert set(info.value.errors) == {"phone", "population", "kind"}
    assert "志愿服务电话" in info.value.errors["phone"]
    room = save_room(ctx, name="理论宣讲室", function="理论宣讲", area_m2="60")
    save_room(ctx, room.id, name="理论宣讲室", function="教育服务")
    assert [r.function for r in list_rooms(ctx)] == ["教育服务"]
    with pytest.raises(ValidationError, match="功能"):
        save_room(ctx, name="x", function="打麻将")
    point = save_service_point(ctx, name="志愿服务站", location="一楼")
    assert point.active


def test_activities_on_one_day_list_in_the_order_they_were_entered(ctx):
    """Nine copies of one activity made on one day listed as 第2、5、9、7… — ties went by the random id (#25 trial)."""
    from datetime import date, time

    from app.services import activities

    day = date(2025, 11, 20)
    titles = [f"复制测试第{n}次" for n in range(1, 10)]
    for title in titles:
        activities.add_activity(ctx, title=title, category="便民服务", date=day, start_time=time(9), end_time=time(10))
    newest_first = [s.activity.title for s in activities.list_activities(ctx, year=2025, month=11)]
    assert newest_first == titles[::-1]
    assert [s.activity.title for s in activities.list_activities(ctx, year=2025, month=11, descending=False)] == titles


def _joined(ctx, team_id: str) -> dict[str, date]:
    from sqlmodel import select

    from app.models import Membership

    with ctx.read() as session:
        return {m.volunteer_id: m.joined_on for m in session.exec(select(Membership).where(Membership.team_id == team_id))}


def test_an_activity_before_its_team_was_founded_can_move_the_founding_and_the_joining_back(ctx, people):
    """A new user's trial: a team entered today (成立日期 today), last week's activity recorded with it — saved
    without a word, and the printed 队伍名册 said its people joined after they served with it."""
    founded, held = YESTERDAY, YESTERDAY - timedelta(days=5)
    team = teams.add_team(ctx, name="敬老爱老志愿服务队", category="敬老爱老", founded_on=founded,
                          member_ids=[people[0].id, people[1].id])
    assert set(_joined(ctx, team.id).values()) == {date.today()}
    assert activities.team_founded_after(ctx, team.id, held).id == team.id
    assert activities.team_founded_after(ctx, team.id, founded) is None and activities.team_founded_after(ctx, None, held) is None
    kept = activities.add_activity(ctx, title="走访", date=held, category="敬老爱老", team_id=team.id,
                                   participants=[ParticipantInput(people[0].id, 2.0)])  # not confirmed: nothing moves
    assert teams.get_team(ctx, team.id).founded_on == founded and set(_joined(ctx, team.id).values()) == {date.today()}
    activities.update_activity(ctx, kept.id, participants=[ParticipantInput(people[0].id, 2.0)], move_team_founding_back=True)
    assert teams.get_team(ctx, team.id).founded_on == held
    assert _joined(ctx, team.id) == {people[0].id: held, people[1].id: date.today()}  # only who served with it
    activities.add_activity(ctx, title="再走访", date=held + timedelta(days=1), category="敬老爱老", team_id=team.id,
                            participants=[ParticipantInput(people[1].id, 2.0)], move_registration_back=True)
    assert _joined(ctx, team.id)[people[1].id] == held + timedelta(days=1)  # registration confirmed: the joining follows
    assert teams.get_team(ctx, team.id).founded_on == held  # never moved forward


def test_a_function_room_s_area_is_a_positive_number_or_none(ctx):
    """二.7's 功能室: 面积 is optional; given, it is a number of square metres above 0 (full-width digits taken)."""
    from app.models.enums import ROOM_FUNCTIONS
    from app.services import station as station_service
    from app.services.errors import ValidationError

    function = ROOM_FUNCTIONS[0]
    assert station_service.save_room(ctx, None, name="图书室", function=function, area_m2="").area_m2 is None
    assert station_service.save_room(ctx, None, name="活动室", function=function, area_m2="３６.5").area_m2 == 36.5
    for wrong in ("0", "-5", "三十", "36平方米"):
        with pytest.raises(ValidationError) as info:
            station_service.save_room(ctx, None, name="宣讲室", function=function, area_m2=wrong)
        assert info.value.errors == {"area_m2": "面积应为大于0的数字（平方米）"}, wrong
    with pytest.raises(ValidationError) as info:
        station_service.save_room(ctx, None, name="", function="不存在的功能")
    assert set(info.value.errors) == {"name", "function"}
    assert len(station_service.list_rooms(ctx)) == 2
