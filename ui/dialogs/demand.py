"""The 五单 forms: 点单, 派单, 完成服务, 评单, 奖单, a reason for 不予受理 / 撤销, and — between the tiers (五.2) — 转派
to a ledger below and 上报 to the one above."""

from __future__ import annotations

from datetime import date, time, timedelta

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QPlainTextEdit, QSpinBox

from app.models import Demand, Volunteer
from app.models.enums import FEEDBACK_METHODS, TEAM_CATEGORIES
from app.privacy import mask_phone
from app.services import audit, demands
from app.services import points as point_service
from app.services import teams as team_service
from app.services.activities import ParticipantInput, duration_hours
from app.services.volunteers import search_volunteers

from ..forms import FormDialog, SensitiveEdit, combo, date_edit, from_qdate, time_edit
from .picker import VolunteerChecklist


NO_DATE = QDate(2000, 1, 1)  # shown as （不限）


def _text_box(text: str = "", height: int = 80) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)  # a maximum only would float the box in the middle of a tall, empty row
    return box


class DemandDialog(FormDialog):
    """群众点单, or correcting one still open."""

    DRAFT_PAGE = "demands"

    @classmethod
    def reopen(cls, ctx, draft, parent):
        return cls(ctx, demands.get_demand(ctx, draft.record_id) if draft.record_id else None, parent)

    def draft_record_id(self) -> str | None:
        return self.demand.id if self.demand else None

    def draft_record_version(self) -> int | None:
        return self.demand.version if self.demand else None

    def __init__(self, ctx, demand: Demand | None = None, parent=None):
        super().__init__(self.tr("修改点单") if demand else self.tr("群众点单"), parent)
        self.ctx, self.demand = ctx, demand
        d = demand
        self.requester = self.add("requester", self.tr("点单群众"), QLineEdit(d.requester if d else ""))
        if d and d.contact:  # masked for every role; 显示 for an admin (recorded); left alone unless 重新录入
            reveal = (lambda: audit.reveal(ctx, "demand", d.id)["contact"]) if ctx.actor.role.may_reveal_personal_data else None
            self.contact = self.add("contact", self.tr("联系电话"), SensitiveEdit(mask_phone(d.contact), reveal=reveal))
        else:
            self.contact = self.add("contact", self.tr("联系电话"), QLineEdit())
        self.address = self.add("address", self.tr("服务地点"), QLineEdit(d.address if d else ""))
        self.content = self.add("content", self.tr("需求内容"), _text_box(d.content if d else ""))
        self.category = self.add("category", self.tr("服务类别"), combo(TEAM_CATEGORIES, d.category if d else "便民服务"))
        self.received = self.add("received_on", self.tr("点单日期"), date_edit(d.received_on if d else date.today()))
        self.received.setEnabled(d is None)
        self.wanted = self.add("wanted_on", self.tr("期望服务日期"), date_edit(d.wanted_on if d and d.wanted_on else None))
        self.wanted.setMinimumDate(NO_DATE)
        self.wanted.setSpecialValueText(self.tr("（不限）"))
        if not (d and d.wanted_on):
            self.wanted.setDate(NO_DATE)
        self.due = self.add("due_on", self.tr("办结期限"), date_edit(d.due_on if d else date.today() + timedelta(days=demands.DEFAULT_DAYS)))
        self.finish_layout()
        self.resize(520, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def submit(self):
        values = dict(requester=self.requester.text(), address=self.address.text(), content=self.content.toPlainText(),
                      category=self.category.currentText(), wanted_on=None if self.wanted.date() == NO_DATE else from_qdate(self.wanted.date()), due_on=from_qdate(self.due.date()))
        contact = self.contact.value() if isinstance(self.contact, SensitiveEdit) else self.contact.text()
        if self.demand is None:
            return demands.record_demand(self.ctx, contact=(contact or "").strip(), received_on=from_qdate(self.received.date()), **values)
        if contact is not None:  # None: the registered number is kept
            values["contact"] = contact.strip()
        return demands.update_demand(self.ctx, self.demand.id, **values)


class ReasonDialog(FormDialog):
    """不予受理 or 撤销: the reason is required and kept with the demand."""

    def __init__(self, ctx, demand: Demand, action: str, parent=None):
        label = demands.TRANSITIONS[action].label
        super().__init__(self.tr("{0}：{1}").format(label, demand.number), parent)
        self.ctx, self.demand, self.action = ctx, demand, action
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.content[:80]}"))
        self.reason = self.add("reason", self.tr("{0}原因").format(label), _text_box())
        self.buttons.button(self.buttons.StandardButton.Save).setText(label)
        self.finish_layout()

    def submit(self):
        handler = demands.reject if self.action == "reject" else demands.cancel
        return handler(self.ctx, self.demand.id, self.reason.toPlainText())


class DispatchDialog(FormDialog):
    """派单 / 改派 to a team, and optionally one of its volunteers."""

    NONE = "（不指定）"

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("派单：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.category}｜{demand.content[:80]}"))
        self.team = self.add("team_id", self.tr("接单服务队"), QComboBox())
        self.team.addItem(self.NONE, None)
        summaries = team_service.list_teams(ctx)
        # Teams of the demand's category first: they are who usually takes it.
        for s in sorted(summaries, key=lambda s: (s.team.category != demand.category, s.team.name)):
            self.team.addItem(f"{s.team.name}（{s.team.category}）", s.team.id)
        self.team.setCurrentIndex(max(0, self.team.findData(demand.team_id)) if demand.team_id else (1 if summaries else 0))
        self.person = self.add("volunteer_id", self.tr("接单志愿者"), QComboBox())
        self.note = self.add("note", self.tr("说明"), QLineEdit())
        self.team.currentIndexChanged.connect(self.fill_people)
        self.fill_people()
        if demand.volunteer_id:
            self.person.setCurrentIndex(max(0, self.person.findData(demand.volunteer_id)))
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("派单"))
        self.finish_layout()
        self.resize(480, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def fill_people(self) -> None:
        self.person.clear()
        self.person.addItem(self.NONE, None)
        team_id = self.team.currentData()
        people = [m.volunteer for m in team_service.team_members(self.ctx, team_id)] if team_id else search_volunteers(self.ctx, "", limit=200)
        for v in people:
            self.person.addItem(f"{v.name}　{v.number}", v.id)

    def submit(self):
        return demands.dispatch(self.ctx, self.demand.id, team_id=self.team.currentData(), volunteer_id=self.person.currentData(),
                                note=self.note.text())


class PassDialog(FormDialog):
    """转派 (五.2 中心（所、站）派单): a 所 to one of its street's stations, the 中心 to a 所 or a station, chosen from the
    list the district sent with the last sync."""

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("转派：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.category}｜{demand.content[:80]}"))
        found = demands.directory(ctx)
        self.target = self.add("to_station_id", self.tr("转派给"), QComboBox())
        self.target.addItem(self.tr("（请选择）"), None)
        came_up_from = demands.reported_from(ctx, demand)
        for unit in found.lower if found is not None else []:
            self.target.addItem(unit.label + (self.tr("（本需求由其上报，称办不了）") if unit.station_id in came_up_from else ""),
                                unit.station_id)
        if found is None or not found.lower:
            self.banner.show_message(self.tr("还没有收到区里的实践所（站）名单：请先同步一次，再转派"))
        self.note = self.add("note", self.tr("转派说明"), QLineEdit())
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("转派"))
        self.finish_layout()
        self.resize(480, self.sizeHint().height())

    def submit(self):
        return demands.pass_down(self.ctx, self.demand.id, to_station_id=self.target.currentData() or "", note=self.note.text())


class ReportDialog(FormDialog):
    """上报 (五.2 所（站）及时搜集上报群众需求): a need this ledger cannot serve goes to the one above, with the reason."""

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("上报：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.category}｜{demand.content[:80]}"))
        found = demands.directory(ctx)
        above = found.upper.label if found is not None and found.upper is not None else self.tr("上一级（同步时由区里确定）")
        self.body.insertWidget(1, QLabel(self.tr("上报至：{0}").format(above)))
        self.reason = self.add("reason", self.tr("上报原因"), _text_box())
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("上报"))
        self.finish_layout()

    def submit(self):
        return demands.report_up(self.ctx, self.demand.id, reason=self.reason.toPlainText())


class CompleteDialog(FormDialog):
    """完成服务: when, and who served for how long; it becomes an activity of the ledger."""

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("完成服务：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.requester}｜{demand.content[:80]}"))
        self.date = self.add("date", self.tr("服务日期"), date_edit(date.today()))
        self.start = self.add("start_time", self.tr("开始时间"), time_edit(time(9, 0)))
        self.end = self.add("end_time", self.tr("结束时间"), time_edit(time(10, 0)))
        self.hours = self.add("hours", self.tr("每人服务时长"), QDoubleSpinBox())
        self.hours.setRange(0.5, 24)
        self.hours.setSingleStep(0.5)
        self.hours.setSuffix(self.tr(" 小时"))
        self.hours.setValue(1.0)
        for edit in (self.start, self.end):
            edit.timeChanged.connect(self.follow_duration)
            edit.whole.connect(self.follow_duration)
        people = VolunteerChecklist(ctx, self._preselected())
        people.setMinimumHeight(200)
        self.people = self.add("participants", self.tr("参加服务的志愿者"), people)
        self.served = self.add("served_count", self.tr("服务对象人数"), QSpinBox())
        self.served.setRange(0, 100000)
        self.served.setValue(1)
        self.content = self.add("content", self.tr("服务情况"), _text_box())
        # who may serve then (another activity at the same hours, 24 hours a day) is decided by when and how long
        self.depends_on("participants", self.date, self.start, self.end, self.hours)
        self.depends_on("end_time", self.start)
        self.depends_on("start_time", self.end)
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("完成"))
        self.finish_layout()
        self.resize(540, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def _preselected(self) -> dict:
        if not self.demand.volunteer_id:
            return {}
        with self.ctx.read() as session:
            person = session.get(Volunteer, self.demand.volunteer_id)
        return {person.id: person} if person is not None else {}

    def follow_duration(self) -> None:
        """每人服务时长 follows the times once they are whole: typing 1800 against an end of 17:00 went through 01:00 and
        left 16 小时 showing (a trial)."""
        if self.start.half_typed or self.end.half_typed:
            return
        hours = duration_hours(self.start.time().toPython(), self.end.time().toPython())
        if hours:
            self.hours.setValue(hours)

    def submit(self):
        hours = self.hours.value()
        participants = [ParticipantInput(v.id, hours) for v in self.people.selected.values()]
        return demands.complete(self.ctx, self.demand.id, participants=participants, date_done=from_qdate(self.date.date()),
                                start_time=self.start.time().toPython(), end_time=self.end.time().toPython(),
                                content=self.content.toPlainText(), served_count=self.served.value())


class RateDialog(FormDialog):
    """评单: the resident's rating, by 回访, 问卷 or 电话."""

    SCORES = ((5, "5 分　非常满意"), (4, "4 分　满意"), (3, "3 分　基本满意"), (2, "2 分　不太满意"), (1, "1 分　不满意"))

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("评单：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        self.body.insertWidget(0, QLabel(f"编号 {demand.number}｜{demand.requester}｜{demand.content[:80]}"))
        self.rating = self.add("rating", self.tr("群众评分"), QComboBox())
        self.rating.addItem(self.tr("（请选择）"), None)  # no default: an unrecorded rating must not read as the best (#26)
        for score, label in self.SCORES:
            self.rating.addItem(self.tr(label), score)
        self.method = self.add("method", self.tr("评价方式"), combo(FEEDBACK_METHODS, "回访"))
        self.feedback = self.add("feedback", self.tr("群众评价"), _text_box())
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("评单"))
        self.finish_layout()

    def submit(self):
        return demands.rate(self.ctx, self.demand.id, rating=self.rating.currentData(), feedback=self.feedback.toPlainText(),
                            method=self.method.currentText())


class RewardDialog(FormDialog):
    """奖单: what the station's rules give each volunteer who served, plus any extra points and a note."""

    def __init__(self, ctx, demand: Demand, parent=None):
        super().__init__(self.tr("奖单：{0}").format(demand.number), parent)
        self.ctx, self.demand = ctx, demand
        point_service.ensure_default_rules(ctx)
        served = demands.served_by(ctx, demand)
        rules = [r for r in point_service.list_rules(ctx, active_only=True, basis="rating") if (demand.rating or 0) >= r.min_rating]
        per_person = sum(r.points for r in rules)
        lines = [self.tr("群众评分：{0} 分").format(demand.rating),
                 self.tr("参加服务：{0}").format("、".join(f"{n}（{h:g} 小时）" for n, h in served) or self.tr("无")),
                 self.tr("按积分规则每人获得：{0} 分（{1}）").format(per_person, "、".join(r.name for r in rules) or self.tr("评分未达到好评规则"))]
        info = QLabel("\n".join(lines))
        info.setWordWrap(True)
        self.body.insertWidget(0, info)
        self.extra = self.add("extra_points", self.tr("另加积分（每人）"), QSpinBox())
        self.extra.setRange(0, 1000)
        self.note = self.add("note", self.tr("表彰说明"), QLineEdit())
        self.buttons.button(self.buttons.StandardButton.Save).setText(self.tr("奖单"))
        self.finish_layout()
        self.resize(480, self.sizeHint().height())  # only as tall as the fields: no empty rows

    def submit(self):
        return demands.reward(self.ctx, self.demand.id, extra_points=self.extra.value(), note=self.note.text())
