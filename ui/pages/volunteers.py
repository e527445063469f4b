"""志愿者 page."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Volunteer
from app.privacy import mask_phone
from app.services import volunteers as volunteer_service
from app.services.common import format_date

from ..dialogs.volunteer import VolunteerDialog
from ..table_model import Column
from .base import ListPage


@dataclass(frozen=True)
class VolunteerRow:
    volunteer: Volunteer
    teams: str

    @property
    def id(self) -> str:
        return self.volunteer.id


class VolunteersPage(ListPage):
    model_class = Volunteer
    noun = "志愿者"
    title = "志愿者"
    excel_kind = "volunteers"

    def export_filters(self) -> dict:
        return {"text": self.search.text()}

    def search_hint(self) -> str:
        return self.tr("姓名、拼音首字母（如 zs）、电话尾号或志愿者编号")

    def columns(self) -> list[Column]:
        full = self.ctx.actor.role.sees_full_personal_data
        return [
            Column(self.tr("编号"), lambda r: r.volunteer.number, "number"),
            Column(self.tr("姓名"), lambda r: r.volunteer.name, "name"),
            Column(self.tr("性别"), lambda r: r.volunteer.gender, "gender"),
            Column(self.tr("年龄"), lambda r: volunteer_service.age_on(r.volunteer), "birth_date", align_right=True),
            Column(self.tr("联系电话"), lambda r: r.volunteer.phone if full else mask_phone(r.volunteer.phone)),
            Column(self.tr("政治面貌"), lambda r: r.volunteer.political_status, "political_status"),
            Column(self.tr("所属服务队"), lambda r: r.teams),
            Column(self.tr("标签"), lambda r: r.volunteer.tags.replace(",", "、")),
            Column(self.tr("注册日期"), lambda r: format_date(r.volunteer.registered_on), "registered_on"),
        ]

    def fetch(self, offset, limit, order_by, descending):
        if order_by == "birth_date":  # 年龄 ascending means born latest first
            descending = not descending
        rows = volunteer_service.search_volunteers(
            self.ctx, self.search.text(), deleted=self.in_bin, order_by=order_by or "number", descending=descending,
            limit=limit, offset=offset,
        )
        teams = volunteer_service.team_names_of(self.ctx, [v.id for v in rows])
        return [VolunteerRow(v, "、".join(teams[v.id])) for v in rows]

    def count(self) -> int:
        return volunteer_service.count_volunteers(self.ctx, self.search.text(), deleted=self.in_bin)

    def row_label(self, row) -> str:
        return row.volunteer.name

    def open_form(self, row=None) -> bool:
        dialog = VolunteerDialog(self.ctx, row.volunteer if row else None, self)
        return bool(dialog.exec())
