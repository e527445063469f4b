"""The team form with a members picker."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

from app.models import Team
from app.models.enums import TEAM_CATEGORIES
from app.services import teams as team_service
from app.services.context import Context

from ..forms import FormDialog, combo, date_edit, from_qdate
from .picker import VolunteerChecklist


class TeamDialog(FormDialog):
    DRAFT_PAGE = "teams"

    @classmethod
    def reopen(cls, ctx, draft, parent):
        return cls(ctx, team_service.get_team(ctx, draft.record_id) if draft.record_id else None, parent)

    def draft_record_id(self) -> str | None:
        return self.team.id if self.team else None

    def draft_record_version(self) -> int | None:
        return self.team.version if self.team else None

    def __init__(self, ctx: Context, team: Team | None = None, parent=None):
        super().__init__(self.tr("编辑服务队") if team else self.tr("新增服务队"), parent)
        self.ctx, self.team = ctx, team
        self.name = self.add("name", self.tr("服务队名称"), QLineEdit(team.name if team else ""))
        self.category = self.add("category", self.tr("类别"), combo(TEAM_CATEGORIES, team.category if team else ""))
        self.founded = self.add("founded_on", self.tr("成立日期"), date_edit(team.founded_on if team else None))
        self.description = self.add("description", self.tr("简介"), QPlainTextEdit(team.description if team else ""))
        self.description.setMaximumHeight(70)
        members = {m.volunteer.id: m.volunteer for m in team_service.team_members(ctx, team.id)} if team else {}
        self.members = self.add("members", self.tr("队员"), VolunteerChecklist(ctx, members))
        self.leader = self.add("leader_id", self.tr("队长"), QComboBox())
        self.members.changed.connect(self.refresh_leaders)
        self.refresh_leaders(team.leader_id if team else None)
        self.finish_layout()
        self.resize(520, 680)

    def refresh_leaders(self, current: str | None = None) -> None:
        current = current if current is not None else self.leader.currentData()
        self.leader.blockSignals(True)
        self.leader.clear()
        self.leader.addItem(self.tr("（暂不指定）"), None)
        for v in sorted(self.members.selected.values(), key=lambda v: v.number):
            self.leader.addItem(f"{v.name}（{v.number}）", v.id)
        index = self.leader.findData(current)
        self.leader.setCurrentIndex(max(index, 0))
        self.leader.blockSignals(False)

    def submit(self) -> Team:
        values = dict(
            name=self.name.text(), category=self.category.currentText(), founded_on=from_qdate(self.founded.date()),
            description=self.description.toPlainText(), leader_id=self.leader.currentData(),
            member_ids=list(self.members.selected),
        )
        if self.team is None:
            return team_service.add_team(self.ctx, **values)
        return team_service.update_team(self.ctx, self.team.id, **values)
