"""志愿服务队 page."""

from __future__ import annotations

from app import reports
from app.models import Team
from app.services import teams as team_service
from app.services.common import format_date

from ..dialogs.team import TeamDialog
from ..printing import print_document
from ..table_model import Column
from .base import ListPage, form_result


class TeamsPage(ListPage):
    watches = frozenset({"team", "membership", "volunteer", "activity"})
    model_class = Team
    noun = "服务队"
    title = "志愿服务队"
    print_label = "打印名册…"

    def print_current(self) -> None:
        """The roster of the selected team, or of every team when none is selected."""
        rows = self.selected_rows()
        team_id = rows[0].team.id if rows else None
        title = f"{rows[0].team.name}队伍名册" if rows else self.tr("队伍名册")
        ctx = self.ctx
        print_document(self, ctx.store, title, lambda path, _progress: reports.roster_pdf(ctx, path, team_id=team_id))

    def search_hint(self) -> str:
        return self.tr("服务队名称或类别")

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("服务队"), lambda s: s.team.name, "name", stretch=True),
            Column(self.tr("类别"), lambda s: s.team.category, "category"),
            Column(self.tr("队长"), lambda s: s.leader_name),
            Column(self.tr("队员数"), lambda s: s.members, "members", align_right=True),
            Column(self.tr("成立日期"), lambda s: format_date(s.team.founded_on), "founded_on"),
        ]

    def _rows(self, state):
        text = state["text"].strip()
        rows = [s for s in team_service.list_teams(state["ctx"], deleted=state["deleted"])
                if not text or text in s.team.name or text in s.team.category]
        return rows

    def fetch(self, state, offset, limit, order_by, descending):
        # A station has a handful of teams: sorting them here is simpler than SQL and as fast.
        from app.services.pinyin import name_keys

        # names in pinyin order, as a Chinese Windows lists them (in character-code order 党员… came before 孝老…,
        # 护苗…, 村民…: a trial)
        keys = {
            "name": lambda s: (name_keys(s.team.name)[0], s.team.name),
            "category": lambda s: (name_keys(s.team.category)[0], s.team.category), "members": lambda s: s.members,
            "founded_on": lambda s: s.team.founded_on or s.team.updated_at.date(),
        }
        rows = sorted(self._rows(state), key=keys.get(order_by or "name", keys["name"]), reverse=descending)
        return rows[offset : offset + limit]

    def count(self, state) -> int:
        return len(self._rows(state))

    def row_id(self, row) -> str:
        return row.team.id

    def row_label(self, row) -> str:
        return row.team.name

    def open_form(self, row=None):
        return form_result(TeamDialog(self.ctx, row.team if row else None, self))
