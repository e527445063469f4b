"""活动台账 page: filter by year, month, team and text."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QPushButton, QComboBox, QMessageBox

from app import reports
from app.models import Activity
from app.models.enums import ActivityStatus
from app.services import activities as activity_service
from app.services import teams as team_service
from app.services.common import format_date

from ..dialogs.activity import ActivityDialog
from ..printing import print_document
from ..table_model import Column
from .base import ListPage


class ActivitiesPage(ListPage):
    model_class = Activity
    noun = "活动"
    title = "活动台账"
    newest_first = True
    excel_kind = "activities"
    print_label = "打印台账…"

    def print_current(self) -> None:
        """The ledger of exactly what the list shows: the period, team and category chosen above."""
        filters = self.filters()
        year, month, team_id = filters.pop("year"), filters.pop("month"), filters["team_id"]
        if year is not None:
            date_from, date_to = activity_service.month_range(year, month)
        else:
            bounds = activity_service.date_bounds(self.ctx, team_id=team_id)
            if bounds is None:
                QMessageBox.information(self, self.tr("没有活动"), self.tr("所选范围内没有活动记录。"))
                return
            date_from, date_to = bounds
        ctx = self.ctx
        if year is not None and month is not None:
            period = self.tr("{0}年{1}月").format(year, month)
        elif year is not None:
            period = self.tr("{0}年").format(year)
        else:
            period = self.tr("{0}至{1}").format(format_date(date_from), format_date(date_to))
        print_document(self, ctx.store, self.tr("活动台账-{0}").format(period),
                       lambda path, progress: reports.ledger_pdf(ctx, path, date_from=date_from, date_to=date_to,
                                                                 team_id=team_id, progress=progress))

    def export_filters(self) -> dict:
        filters = self.filters()
        filters.pop("deleted")
        return filters

    def search_hint(self) -> str:
        return self.tr("活动名称、地点或类别")

    def extra_buttons(self) -> list[QPushButton]:
        self.copy_button = QPushButton(self.tr("复制此活动"))
        self.copy_button.setToolTip(self.tr("照所选活动再记一次（日期为今天，不含照片），适合每月固定开展的活动"))
        self.copy_button.clicked.connect(self.copy_selected)
        return [self.copy_button]

    def add_filters(self, toolbar) -> None:
        this_year = date.today().year
        self.year = QComboBox()
        self.year.addItem(self.tr("全部年份"), None)
        for y in range(this_year, this_year - 8, -1):
            self.year.addItem(self.tr("{0}年").format(y), y)
        self.year.setCurrentIndex(1)
        self.month = QComboBox()
        self.month.addItem(self.tr("全年"), None)
        for m in range(1, 13):
            self.month.addItem(self.tr("{0}月").format(m), m)
        self.team = QComboBox()
        self.reload_teams()
        for box in (self.year, self.month, self.team):
            toolbar.addWidget(box)
            box.currentIndexChanged.connect(lambda _i: self.refresh())

    def reload_teams(self) -> None:
        current = self.team.currentData()
        self.team.blockSignals(True)
        self.team.clear()
        self.team.addItem(self.tr("全部服务队"), None)
        for s in team_service.list_teams(self.ctx):
            self.team.addItem(s.team.name, s.team.id)
        self.team.setCurrentIndex(max(0, self.team.findData(current)))
        self.team.blockSignals(False)

    def filters(self) -> dict:
        year = self.year.currentData()
        return dict(year=year, month=self.month.currentData() if year else None, team_id=self.team.currentData(),
                    text=self.search.text(), deleted=self.in_bin)

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("日期"), lambda s: format_date(s.activity.date), "date"),
            Column(self.tr("活动名称"), lambda s: s.activity.title, "title"),
            Column(self.tr("类别"), lambda s: s.activity.category, "category"),
            Column(self.tr("服务队"), lambda s: s.team_name),
            Column(self.tr("地点"), lambda s: s.activity.place, "place"),
            Column(self.tr("志愿者"), lambda s: s.participants, align_right=True),
            Column(self.tr("时长"), lambda s: f"{s.hours:g}", align_right=True),
            Column(self.tr("服务人数"), lambda s: s.activity.served_count, "served_count", align_right=True),
            Column(self.tr("状态"), lambda s: ActivityStatus(s.activity.status).label),
        ]

    def fetch(self, offset, limit, order_by, descending):
        return activity_service.list_activities(self.ctx, limit=limit, offset=offset, order_by=order_by or "date",
                                                descending=descending, **self.filters())

    def count(self) -> int:
        return activity_service.count_activities(self.ctx, **self.filters())

    def refresh(self) -> None:
        if hasattr(self, "team"):
            self.reload_teams()
        super().refresh()

    def row_id(self, row) -> str:
        return row.activity.id

    def row_label(self, row) -> str:
        return row.activity.title

    def open_form(self, row=None) -> bool:
        return bool(ActivityDialog(self.ctx, row.activity if row else None, self).exec())

    def copy_selected(self) -> None:
        """复制此活动: the team's monthly activity again — everything but the date (today) and the photos."""
        rows = self.selected_rows()
        if not rows or self.in_bin or not self.ctx.actor.role.can_write:
            if not rows:
                QMessageBox.information(self, self.tr("复制此活动"), self.tr("请先在列表中选中要复制的活动。"))
            return
        dialog = ActivityDialog(self.ctx, None, self, copy_of=rows[0].activity)
        if dialog.exec():
            self.after_change()

    def on_bin_toggled(self, on: bool) -> None:
        super().on_bin_toggled(on)
        if hasattr(self, "copy_button"):
            self.copy_button.setVisible(not on and self.ctx.actor.role.can_write)
