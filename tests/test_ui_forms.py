"""The forms, driven as a person would: typing, clicking, keyboard."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QDialogButtonBox

from app.models.enums import Role
from app.services import activities, operators, teams, volunteers
from app.services.context import Actor, Context
from conftest import make_id
from ui.dialogs.activity import ActivityDialog
from ui.dialogs.team import TeamDialog
from ui.dialogs.volunteer import VolunteerDialog
from ui_helpers import screenshot, type_text, when_modal


def save_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


@pytest.fixture
def admin_ctx(ctx):
    return Context(store=ctx.store, actor=Actor("admin", "管理员", Role.admin))


def test_volunteer_wrong_id_then_fixed(qtbot, admin_ctx):
    dialog = VolunteerDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.name, "张三")
    phone_at = dialog.phone.mapTo(dialog, dialog.phone.rect().topLeft()).y()
    type_text(qtbot, dialog.id_number, "110105194912310021")
    assert "校验位" in dialog.id_hint.text()  # shown while typing, on the line kept under the number
    assert dialog.id_hint.objectName() == "fieldError"
    QApplication.processEvents()  # the layout as the window redoes it
    assert dialog.phone.mapTo(dialog, dialog.phone.rect().topLeft()).y() == phone_at  # nothing moved under the pointer
    type_text(qtbot, dialog.phone, "13812345678")
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.errors["id_number"].isVisible() and "身份证号" in dialog.errors["id_number"].text()
    shown = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible() and "校验位" in label.text()]
    assert len(shown) == 1, shown  # the message once, not the typing hint's copy above 保存's (a trial)
    assert volunteers.count_volunteers(admin_ctx) == 0
    screenshot(dialog, "volunteer-form-error")
    dialog.id_number.clear()
    type_text(qtbot, dialog.id_number, "11010519491231002x")
    assert dialog.gender.currentText() == "女" and dialog.birth.date().year() == 1949
    assert not dialog.gender.isEnabled() and "已根据身份证号" in dialog.id_hint.text()
    QApplication.processEvents()  # as in the program: after the failed 保存 the window had no default button left
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)  # Enter saves
    assert dialog.result() == 1
    found = volunteers.search_volunteers(admin_ctx, "zs")
    assert [v.name for v in found] == ["张三"] and found[0].id_number == "11010519491231002X"


def test_duplicate_id_says_who_has_it(qtbot, admin_ctx):
    first = volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="李四", id_number=make_id(), phone="13812345678")
    dialog = VolunteerDialog(admin_ctx)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "李肆")
    type_text(qtbot, dialog.id_number, make_id())
    dialog.save()
    assert "李四" in dialog.errors["id_number"].text() and first.number in dialog.errors["id_number"].text()


def test_clerk_sees_masked_id_and_phone(qtbot, admin_ctx):
    v = volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="李四", id_number="11010519491231002X", phone="13812345678")
    clerk = Context(store=admin_ctx.store, actor=Actor("c", "王录入", Role.clerk))
    dialog = VolunteerDialog(clerk, volunteers.get_volunteer(clerk, v.id))
    qtbot.addWidget(dialog)
    assert dialog.id_number.edit.text() == "110105********002X" and dialog.id_number.edit.isReadOnly()
    assert dialog.phone.edit.text() == "138****5678"
    dialog.skills.setText("理发")
    dialog.save()
    assert dialog.result() == 1
    saved = volunteers.get_volunteer(clerk, v.id)
    assert saved.id_number == "11010519491231002X" and saved.skills == "理发"  # masked value never written back


def test_an_admin_sees_masked_too_and_reveals_one_record_on_record(qtbot, admin_ctx):
    from app.services import audit

    v = volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="李四", id_number="11010519491231002X", phone="13812345678")
    clerk = Context(store=admin_ctx.store, actor=Actor("c", "王录入", Role.clerk))
    clerk_dialog = VolunteerDialog(clerk, volunteers.get_volunteer(clerk, v.id))
    qtbot.addWidget(clerk_dialog)
    assert clerk_dialog.id_number.eye.isHidden()  # a clerk has no 显示
    dialog = VolunteerDialog(admin_ctx, volunteers.get_volunteer(admin_ctx, v.id))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.id_number.edit.text() == "110105********002X" and dialog.phone.edit.text() == "138****5678"
    assert audit.list_views(admin_ctx) == []
    qtbot.mouseClick(dialog.id_number.eye, Qt.MouseButton.LeftButton)
    assert dialog.id_number.edit.text() == "11010519491231002X" and dialog.id_number.edit.isReadOnly()
    assert not dialog.id_number.eye.isVisible() and dialog.phone.edit.text() == "138****5678"  # one field at a time
    assert not dialog.errors["id_number"].isVisible()
    views = audit.list_views(admin_ctx)
    assert [(x.operator, x.entity, x.row_id) for x in views] == [("管理员", "volunteer", v.id)] and "李四" in views[0].what
    trail = audit.list_changes(admin_ctx, entity="volunteer")
    assert trail[0].action == "查看完整信息" and "李四" in trail[0].title
    dialog.skills.setText("理发")
    dialog.save()
    assert dialog.result() == 1
    saved = volunteers.get_volunteer(admin_ctx, v.id)
    assert (saved.id_number, saved.phone, saved.skills) == ("11010519491231002X", "13812345678", "理发")


def test_team_form_members_picker(qtbot, admin_ctx):
    people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=n, id_number=make_id(seq=500 + i), phone="13812345678")
              for i, n in enumerate(["张三", "李四", "王五"])]
    dialog = TeamDialog(admin_ctx)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "敬老爱老服务队")
    dialog.category.setCurrentText("敬老爱老")
    type_text(qtbot, dialog.members.search, "zs")
    qtbot.waitUntil(lambda: dialog.members.list.count() == 1)
    dialog.members.list.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.members.search.clear()
    type_text(qtbot, dialog.members.search, "ww")
    dialog.members.list.item(0).setCheckState(Qt.CheckState.Checked)
    assert dialog.members.count.text() == "已选 2 人"
    dialog.leader.setCurrentIndex(dialog.leader.findData(people[0].id))
    dialog.save()
    assert dialog.result() == 1
    team = teams.find_team(admin_ctx, "敬老爱老服务队")
    assert team.leader_id == people[0].id
    assert sorted(m.volunteer.name for m in teams.team_members(admin_ctx, team.id)) == ["张三", "王五"]


def test_activity_with_participants_and_photo(qtbot, admin_ctx, tmp_path, monkeypatch):
    team = teams.add_team(admin_ctx, name="宣讲队", category="理论政策宣讲")
    _people = [volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name=n, id_number=make_id(seq=600 + i), phone="13812345678")
              for i, n in enumerate(["张三", "李四"])]
    from PySide6.QtGui import QColor, QImage

    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    photo = tmp_path / "活动照片.png"
    image.save(str(photo))
    dialog = ActivityDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.title_edit, "党的创新理论微宣讲")
    dialog.team.setCurrentIndex(dialog.team.findData(team.id))
    assert dialog.category.currentText() == "理论政策宣讲"  # follows the team
    dialog.date.setDate(dialog.date.date().addDays(-1))
    type_text(qtbot, dialog.place, "村委会")

    def pick(picker):
        for i in range(picker.checklist.list.count()):
            picker.checklist.list.item(i).setCheckState(Qt.CheckState.Checked)
        picker.accept()

    when_modal(pick)
    qtbot.mouseClick(dialog.add_people, Qt.MouseButton.LeftButton)
    assert dialog.participants.rowCount() == 2
    assert dialog.participants.cellWidget(0, 2).value() == 2.0  # 09:00–11:00
    dialog.participants.cellWidget(1, 2).setValue(1.5)
    assert "合计 3.5 小时" in dialog.people_count.text()
    monkeypatch.setattr("ui.saving.choose_files", lambda _dialog: [str(photo)])
    qtbot.mouseClick(dialog.add_photo_button, Qt.MouseButton.LeftButton)
    assert dialog.photos.count() == 1
    screenshot(dialog, "activity-form")
    dialog.save()
    assert dialog.result() == 1, dialog.banner.text()
    listed = activities.list_activities(admin_ctx)
    assert [(s.activity.title, s.participants, s.hours) for s in listed] == [("党的创新理论微宣讲", 2, 3.5)]
    assert len(activities.photos_of(admin_ctx, listed[0].activity.id)) == 1


def test_a_participant_registered_after_the_activity_is_asked_about(qtbot, admin_ctx, monkeypatch):
    """A clerk enters last month's activity for someone registered today: the form asks whether to move the
    注册日期 back to the activity's day, and does it in the same save (or refuses with the reason)."""
    from datetime import date

    from PySide6.QtWidgets import QMessageBox

    late = volunteers.add_volunteer(admin_ctx, registered_on="2026-06-01", name="王新", id_number=make_id(seq=777), phone="13812345677")
    dialog = ActivityDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.title_edit, "清扫村道")
    dialog.date.setDate(date(2026, 5, 10))
    dialog.add_participant_row(late, 2.0)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    dialog.save()
    assert asked and "王新（注册日期 2026年6月1日）" in asked[0] and "2026年5月10日" in asked[0]
    assert dialog.result() == 0 and "注册日期是2026年6月1日" in dialog.errors["participants"].text()  # declined: refused, nothing saved
    assert activities.list_activities(admin_ctx) == []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.save()
    assert dialog.result() == 1
    assert volunteers.get_volunteer(admin_ctx, late.id).registered_on == date(2026, 5, 10)
    assert volunteers.volunteer_hours(admin_ctx, late.id) == 2.0


def test_activity_in_future_marked_done_is_refused(qtbot, admin_ctx):
    dialog = ActivityDialog(admin_ctx)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.title_edit, "重阳节")
    dialog.category.setCurrentText("敬老爱老")
    dialog.date.setDate(dialog.date.date().addDays(3))
    dialog.save()
    assert "不能晚于今天" in dialog.errors["date"].text()
    assert activities.list_activities(admin_ctx) == []


def test_admin_ctx_fixture_is_admin(admin_ctx):
    assert admin_ctx.actor.role.may_reveal_personal_data
    assert operators.MAX_FAILED_LOGINS == 5
    assert date.today() - timedelta(days=1) < date.today()


def test_a_copied_activity_on_the_same_afternoon_asks_and_counts_the_time_once(qtbot, admin_ctx, monkeypatch):
    """复制此活动 onto the same afternoon (#26): the form names the other activity; 否 keeps the form open with the
    reason, 是 saves with the shared time counted once, so the person's afternoon stays three hours."""
    from datetime import date

    from PySide6.QtWidgets import QMessageBox

    person = volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="张三", id_number=make_id(seq=778))
    first = activities.add_activity(admin_ctx, title="敬老饺子宴", category="敬老爱老", date=date(2026, 5, 9), start_time="14:00",
                                    end_time="17:00", participants=[activities.ParticipantInput(person.id)])
    dialog = ActivityDialog(admin_ctx, copy_of=first)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.date.setDate(date(2026, 5, 9))
    # Another activity that afternoon (the same name and people would be 重复录入: test_ui_small_things)
    dialog.title_edit.setText("包饺子教学")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    dialog.save()
    assert asked and "张三：14:00–17:00“敬老饺子宴”" in asked[0]
    assert dialog.result() == 0 and "已参加“敬老饺子宴”" in dialog.errors["participants"].text()
    assert len(activities.list_activities(admin_ctx)) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.save()
    assert dialog.result() == 1 and len(activities.list_activities(admin_ctx)) == 2
    assert volunteers.volunteer_hours(admin_ctx, person.id) == 3.0


@pytest.mark.parametrize("form", [TeamDialog, ActivityDialog])
def test_a_box_with_a_height_limit_sits_in_a_row_of_its_height(qtbot, admin_ctx, form):
    """A trial: the 服务队 form's 简介 floated in the middle of a tall row between two empty gaps (the row took a share
    of the form's spare height, the box only 70 px of it). A height-limited box now fills a row of its own height
    (and its message's, when one shows); the spare height goes to the rows that can use it."""
    from ui.forms import UNLIMITED

    dialog = form(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.resize(560, 1000)
    dialog.show()
    qtbot.waitExposed(dialog)
    limited = {name: w for name, w in dialog.fields.items() if w.maximumHeight() < UNLIMITED}
    assert limited  # 简介, 活动内容
    for name, widget in limited.items():
        assert (widget.y(), widget.height()) == (0, widget.maximumHeight()), name
        assert widget.parentWidget().height() == widget.height(), name
    name, widget = next(iter(limited.items()))
    dialog.show_errors({name: "内容过长"})
    QApplication.processEvents()
    error = dialog.errors[name]
    assert error.isVisible() and widget.parentWidget().height() >= widget.height() + error.height()


def test_a_form_grown_for_its_messages_shrinks_back_once_they_are_fixed(qtbot, admin_ctx):
    """A trial: the 点单 form grew for 保存's messages and kept that height after they were fixed, an empty gap
    under its fields. It now gives back what the messages took — never less than it had before them, and never
    below a height the person chose by dragging the edge."""
    from ui.dialogs.demand import DemandDialog

    dialog = DemandDialog(admin_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.height()
    dialog.save()  # empty: every required field says what is missing
    QApplication.processEvents()
    shown = [name for name, label in dialog.errors.items() if label.isVisible()]
    assert len(shown) >= 1 and dialog.height() > before, shown
    grown = dialog.height()
    first, *others = shown
    dialog.forget_error(first)
    QApplication.processEvents()
    if others:
        assert before < dialog.height() < grown  # one message gone: its room is given back, not all
    for name in others:
        dialog.forget_error(name)
    QApplication.processEvents()
    assert dialog.height() == before
    # The person drags the form taller, then a message comes and goes: their height stays.
    dialog.resize(dialog.width(), before + 120)
    dialog.save()
    QApplication.processEvents()
    for name in shown:
        dialog.forget_error(name)
    QApplication.processEvents()
    assert dialog.height() == before + 120


def test_a_click_on_a_teams_name_ticks_it_as_a_click_on_its_box_does(qtbot, admin_ctx):
    """A trial: in 实施的服务队 a click on a team's name only highlighted it; the small box had to be hit."""
    from ui.forms import TeamChecklist

    teams.add_team(admin_ctx, name="敬老队", category="敬老爱老")
    teams.add_team(admin_ctx, name="宣讲队", category="理论政策宣讲")
    box = TeamChecklist(teams.list_teams(admin_ctx), set())
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    item = box.item(0)
    name_at = box.visualItemRect(item).center()
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton, pos=name_at)
    assert box.checked_ids() == [item.data(Qt.ItemDataRole.UserRole)]
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton, pos=name_at)
    assert box.checked_ids() == []
    indicator = box.visualItemRect(item).topLeft() + QPoint(10, box.visualItemRect(item).height() // 2)
    qtbot.mouseClick(box.viewport(), Qt.MouseButton.LeftButton, pos=indicator)  # the box itself: ticked once
    assert box.checked_ids() == [item.data(Qt.ItemDataRole.UserRole)]


def test_a_click_on_a_volunteers_name_ticks_them_in_the_pickers_list(qtbot, admin_ctx):
    """The second trial: the team form's 队员 list still needed the small box; every check list works alike now."""
    from ui.dialogs.picker import VolunteerChecklist

    volunteers.add_volunteer(admin_ctx, registered_on="2020-01-01", name="点名字", id_number=make_id(seq=931),
                             phone="13812340931")
    chooser = VolunteerChecklist(admin_ctx)
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.waitExposed(chooser)
    item = chooser.list.item(0)
    qtbot.mouseClick(chooser.list.viewport(), Qt.MouseButton.LeftButton, pos=chooser.list.visualItemRect(item).center())
    assert [v.name for v in chooser.selected.values()] == ["点名字"]
