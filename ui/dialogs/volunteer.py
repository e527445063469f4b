"""The volunteer form: typing the ID fills birth date and gender; errors show beside each field."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QHBoxLayout, QLabel, QLineEdit, QWidget,
)

from app.models import Volunteer
from app.models.enums import GENDERS, ID_TYPES, POLITICAL_STATUSES, RESIDENT_ID, VOLUNTEER_TAGS
from app.privacy import mask_id_number, mask_phone
from app.services import audit, elsewhere
from app.services import teams as team_service
from app.services import volunteers as volunteer_service
from app.services.context import Context
from app.services.idcard import IdNumberError, parse_resident_id

from ..forms import FormDialog, SensitiveEdit, TeamChecklist, combo, date_edit, from_qdate, to_qdate


class VolunteerDialog(FormDialog):
    DRAFT_PAGE = "volunteers"

    @classmethod
    def reopen(cls, ctx, draft, parent):
        return cls(ctx, volunteer_service.get_volunteer(ctx, draft.record_id) if draft.record_id else None, parent)

    def draft_record_id(self) -> str | None:
        return self.volunteer.id if self.volunteer else None

    def draft_record_version(self) -> int | None:
        return self.volunteer.version if self.volunteer else None

    def __init__(self, ctx: Context, volunteer: Volunteer | None = None, parent=None):
        super().__init__(self.tr("编辑志愿者") if volunteer else self.tr("新增志愿者"), parent)
        self.ctx, self.volunteer = ctx, volunteer
        v = volunteer
        # Masked for every role; an admin's 显示 reveals this one record, recorded in the audit trail.
        reveal = (lambda key: (lambda: audit.reveal(ctx, "volunteer", v.id)[key])) if v and ctx.actor.role.may_reveal_personal_data else None
        if v:
            number = QLabel(v.number)
            self.form.addRow(self.tr("志愿者编号"), number)
        self.name = self.add("name", self.tr("姓名"), QLineEdit(v.name if v else ""))
        self.id_type = self.add("id_type", self.tr("证件类型"), combo(ID_TYPES, v.id_type if v else RESIDENT_ID))
        if v:
            self.id_number = SensitiveEdit(mask_id_number(v.id_number), reveal=reveal and reveal("id_number"))
            self.add("id_number", self.tr("证件号码"), self.id_number)
            id_line = self.id_number.edit
        else:
            self.id_number = QLineEdit(v.id_number if v else "")
            self.add("id_number", self.tr("证件号码"), self.id_number)
            id_line = self.id_number
        id_line.setPlaceholderText(self.tr("18位身份证号，末位可为X"))
        # One line kept under the number for what it says as it is typed — the birth date and gender taken from it,
        # or what is wrong with it — so a message never pushes the fields below down under the pointer (a click
        # meant for 联系电话 landed on 出生日期, and the phone typed went into the ID box: new-user trial, #25).
        self.id_hint = QLabel(" ")  # one line (the messages are short): a wrapped label took two in the form
        self.id_hint.setMinimumHeight(self.id_hint.sizeHint().height())  # the line is there, empty or not
        self.form.addRow("", self.id_hint)
        self.gender = self.add("gender", self.tr("性别"), combo(("",) + GENDERS, v.gender if v else ""))
        self.birth = self.add("birth_date", self.tr("出生日期"), date_edit(v.birth_date if v else None))
        if v:
            self.phone = SensitiveEdit(mask_phone(v.phone), reveal=reveal and reveal("phone"))
            self.add("phone", self.tr("联系电话"), self.phone)
        else:
            self.phone = self.add("phone", self.tr("联系电话"), QLineEdit(v.phone if v else ""))
        self.political = self.add("political_status", self.tr("政治面貌"), combo(POLITICAL_STATUSES, v.political_status if v else "群众"))
        tags_box = QWidget()
        tags_row = QHBoxLayout(tags_box)
        tags_row.setContentsMargins(0, 0, 0, 0)
        current_tags = set(volunteer_service.split_tags(v.tags)) if v else set()
        self.tag_boxes = []
        for tag in VOLUNTEER_TAGS:
            box = QCheckBox(tag)
            box.setChecked(tag in current_tags)
            tags_row.addWidget(box)
            self.tag_boxes.append(box)
        self.extra_tags = [t for t in current_tags if t not in VOLUNTEER_TAGS]
        self.add("tags", self.tr("标签"), tags_box)
        self.skills = self.add("skills", self.tr("技能特长"), QLineEdit(v.skills if v else ""))
        self.registered = self.add("registered_on", self.tr("注册日期"), date_edit(v.registered_on if v else None))
        self.address = self.add("address", self.tr("住址"), QLineEdit(v.address if v else ""))
        self.note = self.add("note", self.tr("备注"), QLineEdit(v.note if v else ""))
        member_of = set(volunteer_service.current_team_ids(ctx, v.id)) if v else set()
        self.teams = TeamChecklist(team_service.list_teams(ctx), member_of, with_category=True)
        self.add("teams", self.tr("所属服务队"), self.teams)
        self.elsewhere_note = None
        known = elsewhere.of(ctx, [v.id]).get(v.id) if v else None
        if known is not None:  # #30: the district's word at the last sync; the certificate stays this ledger's
            self.elsewhere_note = QLabel(known.note(volunteer_service.volunteer_hours(ctx, v.id)))
            self.elsewhere_note.setWordWrap(True)
            self.elsewhere_note.setObjectName("elsewhere")
            self.form.addRow(self.tr("其他站点"), self.elsewhere_note)
        self.finish_layout()
        id_line.textChanged.connect(self.on_id_changed)
        self.id_type.currentTextChanged.connect(lambda _t: self.on_id_changed(id_line.text()))
        self.on_id_changed(id_line.text() if not v else "")  # a stored number is shown masked: nothing to parse
        if v:
            self.gender.setEnabled(v.id_type != RESIDENT_ID)
            self.birth.setEnabled(v.id_type != RESIDENT_ID)
        self.resize(560, 640)

    def on_id_changed(self, text: str) -> None:
        resident = self.id_type.currentText() == RESIDENT_ID
        self.gender.setEnabled(not resident)
        self.birth.setEnabled(not resident)
        self.errors["id_number"].show_message(None)  # 保存's own message goes once the number is edited
        if not resident or not text.strip():
            self.show_id_hint("")
            return
        try:
            parsed = parse_resident_id(text)
        except IdNumberError as exc:
            # Only complain once the person has typed a whole number.
            self.show_id_hint(str(exc) if len(text.strip()) >= 15 else "", problem=True)
            return
        self.gender.setCurrentText(parsed.gender)
        self.birth.setDate(to_qdate(parsed.birth_date))
        self.show_id_hint(self.tr("已根据身份证号填写性别和出生日期"))

    def show_errors(self, errors: dict[str, str]) -> None:
        if "id_number" in errors and self.id_hint.objectName() == "fieldError":
            self.show_id_hint("")  # 保存's message for the number says it: the typing hint's same words once is enough
        super().show_errors(errors)

    def show_id_hint(self, text: str, *, problem: bool = False) -> None:
        self.id_hint.setText(text)
        self.id_hint.setObjectName("fieldError" if problem else "")
        self.id_hint.style().unpolish(self.id_hint)  # the style sheet's red follows the object name
        self.id_hint.style().polish(self.id_hint)

    def values(self) -> dict:
        values = {
            "name": self.name.text(),
            "id_type": self.id_type.currentText(),
            "gender": self.gender.currentText(),
            "birth_date": from_qdate(self.birth.date()) if self.birth.isEnabled() else None,
            "political_status": self.political.currentText(),
            "tags": [b.text() for b in self.tag_boxes if b.isChecked()] + self.extra_tags,
            "skills": self.skills.text(),
            "registered_on": from_qdate(self.registered.date()),
            "address": self.address.text(),
            "note": self.note.text(),
        }
        id_value = self.id_number.value() if isinstance(self.id_number, SensitiveEdit) else self.id_number.text()
        if id_value is not None:
            values["id_number"] = id_value
        phone = self.phone.value() if isinstance(self.phone, SensitiveEdit) else self.phone.text()
        if phone is not None:
            values["phone"] = phone
        return values

    def submit(self) -> Volunteer:
        if self.volunteer is None:
            return volunteer_service.add_volunteer(self.ctx, team_ids=self.teams.checked_ids(), **self.values())
        return volunteer_service.update_volunteer(self.ctx, self.volunteer.id, team_ids=self.teams.checked_ids(), **self.values())
