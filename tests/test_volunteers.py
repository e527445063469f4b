from datetime import date

import pytest

from app.models import Volunteer
from app.models.enums import Role
from app.services import teams, volunteers
from app.services.context import Actor, Context
from app.services.errors import NotFound, PermissionDenied, ValidationError
from conftest import make_id


def add(ctx, name="张三", **kw):
    kw.setdefault("id_number", make_id(seq=len(name) * 100 + sum(map(ord, name)) % 97))
    kw.setdefault("phone", "13812345678")
    return volunteers.add_volunteer(ctx, registered_on="2020-01-01", name=name, **kw)


def test_add_derives_gender_birth_and_number(ctx):
    v = add(ctx, "张三", id_number="11010519491231002x")
    assert v.number == "ZY000001"
    assert v.id_number == "11010519491231002X"
    assert v.gender == "女" and v.birth_date == date(1949, 12, 31)
    assert (v.name_pinyin, v.name_initials) == ("zhangsan", "zs")
    assert v.phone_tail == "5678"
    assert add(ctx, "李四").number == "ZY000002"


def test_bad_id_names_the_field_and_writes_nothing(ctx):
    with pytest.raises(ValidationError) as info:
        add(ctx, "王五", id_number="110105194912310021", phone="123")
    assert set(info.value.errors) == {"id_number", "phone"}
    assert "身份证号" in info.value.errors["id_number"]
    assert volunteers.count_volunteers(ctx) == 0


def test_duplicate_id_names_the_volunteer_who_has_it(ctx):
    first = add(ctx, "张三", id_number="11010519491231002X")
    with pytest.raises(ValidationError) as info:
        add(ctx, "张叁", id_number="11010519491231002x")
    message = info.value.errors["id_number"]
    assert "张三" in message and first.number in message
    volunteers.update_volunteer(ctx, first.id, name="张三丰")  # updating oneself is no duplicate


def test_duplicate_of_deleted_volunteer_points_to_recycle_bin(ctx):
    from app.services.station import set_deleted

    first = add(ctx, "张三", id_number="11010519491231002X")
    set_deleted(ctx, Volunteer, first.id, deleted=True, what="志愿者")
    with pytest.raises(ValidationError, match="回收站"):
        add(ctx, "张三", id_number="11010519491231002X")


def test_other_id_types_are_not_checksummed(ctx):
    v = add(ctx, "陈大文", id_type="港澳居民来往内地通行证", id_number="H12345678", gender="男", birth_date="1990-01-02")
    assert v.id_number == "H12345678" and v.birth_date == date(1990, 1, 2)


def test_field_validation_messages(ctx):
    with pytest.raises(ValidationError) as info:
        volunteers.add_volunteer(ctx, name="", id_number=make_id(), phone="", political_status="党员", registered_on="2099-01-01")
    errors = info.value.errors
    assert errors["name"] == "请填写姓名"
    assert "政治面貌" in errors["political_status"]
    assert "注册日期" in errors["registered_on"]


def test_search_by_name_pinyin_initials_phone_tail_and_number(ctx):
    zhang = add(ctx, "张三", phone="13812345678")
    add(ctx, "李四", phone="13900001111", id_number=make_id(seq=202))
    add(ctx, "赵丽", phone="0531-76512222", id_number=make_id(seq=204))
    names = lambda text: [v.name for v in volunteers.search_volunteers(ctx, text)]
    assert names("zs") == ["张三"]
    assert names("ZS") == ["张三"]
    assert names("zhangs") == ["张三"]
    assert names("三") == ["张三"]
    assert names("5678") == ["张三"]
    assert names("2222") == ["赵丽"]
    assert names("345678") == ["张三"]
    assert names(zhang.number) == ["张三"]
    assert names("zy000002") == ["李四"]
    assert names("") == ["张三", "李四", "赵丽"]
    assert volunteers.count_volunteers(ctx, "z") == 2  # 张三, 赵丽
    assert names("%") == []  # LIKE wildcards are literal


def test_sort_and_page(ctx):
    for i, name in enumerate(["赵一", "安二", "孙三"]):
        add(ctx, name, id_number=make_id(seq=300 + i))
    assert [v.name for v in volunteers.search_volunteers(ctx, order_by="name")] == ["安二", "孙三", "赵一"]
    assert [v.name for v in volunteers.search_volunteers(ctx, order_by="name", descending=True, limit=1, offset=1)] == ["孙三"]


def test_update_and_find_by_number(ctx):
    v = add(ctx, "张三")
    volunteers.update_volunteer(ctx, v.id, phone="0531-76512345", tags="五老，乡土人才", political_status="中共党员")
    found = volunteers.find_by_number(ctx, v.number.lower())
    assert found.phone == "0531-76512345" and found.tags == "五老,乡土人才"
    assert volunteers.is_party_member(found)
    assert found.version == 2
    with pytest.raises(NotFound, match="ZY999999"):
        volunteers.find_by_number(ctx, "ZY999999")


def test_viewer_cannot_write(ctx):
    viewer = Context(store=ctx.store, actor=Actor("li", "李查看", Role.viewer))
    with pytest.raises(PermissionDenied, match="查看员"):
        add(viewer, "张三")


def test_team_membership_on_add(ctx):
    team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
    v = add(ctx, "张三", team_ids=[team.id])
    assert volunteers.team_names_of(ctx, [v.id]) == {v.id: ["敬老爱老服务队"]}
    assert [v.name for v in volunteers.search_volunteers(ctx, team_id=team.id)] == ["张三"]


def test_age_on():
    v = Volunteer(station_id="s", number="ZY1", name="x", id_number="x", birth_date=date(1980, 5, 17))
    assert volunteers.age_on(v, date(2026, 5, 16)) == 45
    assert volunteers.age_on(v, date(2026, 5, 17)) == 46


@pytest.mark.parametrize("hours, star", [(99.5, 0), (100, 1), (299, 1), (300, 2), (999.5, 3), (1000, 4), (1500, 5), (4000, 5)])
def test_star_thresholds_at_the_edges(hours, star):
    from app.services.stars import star_for, star_label

    assert star_for(hours) == star
    assert star_label(star) == (f"可申请 ★{star}" if star else "")


def test_hours_by_year_stars_and_sorting_by_hours(ctx):
    from datetime import timedelta

    from app.services import activities
    from app.services.activities import ParticipantInput
    from app.services.stars import hours_summary

    a, b = add(ctx, "张三"), add(ctx, "李四", id_number=make_id(seq=321))
    start = date.today() - timedelta(days=60)
    for i in range(6):  # 6 days × 20 h = 120 h for 张三, 6 × 2 h = 12 h for 李四
        activities.add_activity(ctx, title=f"长时间服务{i}", date=start + timedelta(days=i), category="应急救援",
                                participants=[ParticipantInput(a.id, 20), ParticipantInput(b.id, 2)])
    summary = hours_summary(ctx, a.id)
    assert summary.total == 120 and summary.stars == 1 and summary.label == "可申请 ★1"
    assert sum(summary.by_year.values()) == 120
    assert [v.name for v in volunteers.search_volunteers(ctx, order_by="hours", descending=True)] == ["张三", "李四"]
    assert [v.name for v in volunteers.search_volunteers(ctx, min_hours=100)] == ["张三"]
    assert volunteers.count_volunteers(ctx, min_hours=100) == 1
    assert volunteers.hours_of(ctx, [a.id, b.id]) == {a.id: 120.0, b.id: 12.0}
