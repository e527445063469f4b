"""活动台账 page: filter by year, month, team and text."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QMenu, QMessageBox, QPushButton

from app import reports
from app.models import Activity
from app.models.enums import ActivityStatus
from app.services import activities as activity_service
from app.services import teams as team_service
from app.services.common import format_date
from app.services.station import tier_of

from ..dialogs.activity import ActivityDialog
from ..printing import print_document
from ..table_model import Column
from .base import ListPage, form_result


class ActivitiesPage(ListPage):
    watches = frozenset({"activity", "participation", "photo", "team", "project"})
    model_class = Activity
    noun = "活动"
    title = "活动台账"
    newest_first = True
    excel_kind = "activities"
    print_label = "打印台账…"
    filters_above = True  # 复制此活动, 开始签到 and 全国系统 beside the usual buttons

    def print_current(self) -> None:
        """The ledger of exactly what the list shows: the period, team and search chosen above; with rows chosen in
        the list, asked first: their 活动记录表 alone (a trial could print one activity only with its whole month)."""
        chosen = self.selected_rows()
        if chosen and not self.in_bin:
            buttons = QMessageBox.StandardButton
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("打印"),
                              self.tr("打印所选的 {0} 次活动的活动记录表，还是列表中全部活动的台账？").format(len(chosen)),
                              buttons.Yes | buttons.No | buttons.Cancel, self)
            box.button(buttons.Yes).setText(self.tr("所选活动的记录表"))
            box.button(buttons.No).setText(self.tr("列表中的台账"))
            box.button(buttons.Cancel).setText(self.tr("取消"))
            box.setDefaultButton(buttons.Yes)
            answer = box.exec()
            box.deleteLater()
            if answer == buttons.Cancel:
                return
            if answer == buttons.Yes:
                ctx, ids = self.ctx, [row.activity.id for row in chosen]
                name = chosen[0].activity.title if len(chosen) == 1 else self.tr("{0}次活动").format(len(chosen))
                print_document(self, ctx.store, self.tr("活动记录表-{0}").format(name),
                               lambda path, progress: reports.records_pdf(ctx, path, ids, progress=progress))
                return
        filters = self.filters()
        year, month, team_id, text = filters.pop("year"), filters.pop("month"), filters["team_id"], filters["text"]
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
        if text.strip():  # the file says it is a search, not the whole period (a trial)
            period += self.tr("（查找“{0}”）").format(text.strip())
        print_document(self, ctx.store, self.tr("活动台账-{0}").format(period),
                       lambda path, progress: reports.ledger_pdf(ctx, path, date_from=date_from, date_to=date_to,
                                                                 team_id=team_id, text=text, progress=progress))

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
        buttons = [self.copy_button]
        self.signin_button = QPushButton(self.tr("开始签到"))
        self.signin_button.setToolTip(self.tr("志愿者用手机扫码签到、签退（本机所在的局域网，不需要互联网）；您确认后才记入台账"))
        self.signin_button.clicked.connect(self.open_signin)
        if self.ctx.actor.role.can_write:
            buttons.append(self.signin_button)
        # 《志愿服务记录与证明出具办法（试行）》第四条: records kept here are entered into the national system
        # by its data standard: one file instead of typing them again (full ID numbers: an admin's export).
        # One button with a menu: the toolbar must fit a 1366-pixel screen.
        self.national_button = QPushButton(self.tr("全国系统"))
        self.national_button.setToolTip(self.tr("与全国志愿服务信息系统（或志愿山东）交换志愿服务记录，不用再逐条录入"))
        menu = QMenu(self.national_button)
        self.national_export_action = menu.addAction(self.tr("导出志愿服务记录（批量补录格式）…"), self.export_national)
        self.national_export_action.setToolTip(self.tr("把所选年份（或月份）的志愿服务记录导出为全国志愿服务信息系统批量补录的表格"))
        self.national_import_action = menu.addAction(self.tr("导入全国系统或志愿山东的服务记录…"), self.import_national)
        self.national_export_action.setVisible(self.ctx.actor.role.may_reveal_personal_data)
        self.national_button.setMenu(menu)
        if self.ctx.actor.role.can_write:
            buttons.append(self.national_button)
        return buttons

    def export_national(self) -> None:
        from app.exchange import national

        from ..saving import ask_save_path, show_saved
        from ..workers import run_in_background

        year, month = self.year.currentData(), self.month.currentData()
        if year is None:
            QMessageBox.information(self, self.tr("请选择年份"), self.tr("请先在上方选择要导出的年份（可再选月份）。"))
            return
        period = self.tr("{0}年{1}月").format(year, month) if month else self.tr("{0}年").format(year)
        target = ask_save_path(self, "table", self.tr("导出到全国志愿服务信息系统"), self.tr("全国志愿服务信息系统-志愿服务记录-{0}.xlsx").format(period),
                               self.tr("Excel 表格 (*.xlsx)"))
        if target is None:
            return
        ctx = self.ctx

        def done(rows: int) -> None:
            box = show_saved(self, target, self.tr("{0}的志愿服务记录 {1} 条（含完整证件号码，录入后请删除）").format(period, rows))
            self.national_saved = box

        run_in_background(self, lambda task: national.export_national(ctx, target, year=year, month=month), done,
                          title=self.tr("正在导出"), cancellable=False)

    def import_national(self) -> None:
        from app.exchange import national
        from app.services.errors import ValidationError

        from ..saving import ask_open_path
        from ..workers import run_in_background

        path = ask_open_path(self, "table", self.tr("导入全国系统的服务记录"), self.tr("表格 (*.xlsx *.xls *.csv)"))
        if path is None:
            return
        ctx = self.ctx

        def failed(exc: BaseException, _details: str) -> None:
            text = "\n".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
            QMessageBox.warning(self, self.tr("无法导入"), self.tr("没有导入任何数据：\n{0}").format(text))

        def imported(result) -> None:
            self.refresh()
            self.changed.emit()
            QMessageBox.information(self, self.tr("已导入"), self.tr("新登记志愿者 {0} 名，新增活动 {1} 次，服务记录 {2} 条。")
                                    .format(result.volunteers_added, result.activities_added, result.records_added))

        def checked(plan) -> None:
            box = QMessageBox(QMessageBox.Icon.Question, self.tr("导入全国系统记录"), self.tr(
                "将新登记志愿者 {0} 名（另有 {1} 名已登记，按身份证号对上），新增活动 {2} 次、服务记录 {3} 条{4}。\n"
                "导入的活动记为“非{own}名义”，需要时可在活动中修改。确定导入吗？").format(
                plan.volunteers_added, plan.volunteers_known, plan.activities_added, plan.records_added,
                self.tr("（台账中已有的 {0} 条跳过）").format(plan.records_known) if plan.records_known else "",
                own=tier_of(self.ctx).own), parent=self)
            go = box.addButton(self.tr("导入"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
            box.exec()
            if box.clickedButton() is go:
                run_in_background(self, lambda task: national.import_national(ctx, path), imported, failed,
                                  title=self.tr("正在导入"), cancellable=False)

        run_in_background(self, lambda task: national.import_national(ctx, path, dry_run=True), checked, failed,
                          title=self.tr("正在检查表格"), cancellable=False)

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
            Column(self.tr("活动名称"), lambda s: s.activity.title, "title", stretch=True),
            Column(self.tr("类别"), lambda s: s.activity.category, "category"),
            Column(self.tr("服务队"), lambda s: s.team_name),
            Column(self.tr("地点"), lambda s: s.activity.place, "place"),
            Column(self.tr("志愿者"), lambda s: s.participants, align_right=True),
            Column(self.tr("服务时长合计"), lambda s: f"{s.hours:g}", align_right=True),  # everyone's hours together, not the activity's length
            Column(self.tr("服务人数"), lambda s: s.activity.served_count, "served_count", align_right=True),
            Column(self.tr("状态"), lambda s: ActivityStatus(s.activity.status).label),
        ]

    def query_state(self) -> dict:
        return {"ctx": self.ctx, **self.filters()}

    def fetch(self, state, offset, limit, order_by, descending):
        filters = {k: v for k, v in state.items() if k != "ctx"}
        return activity_service.list_activities(state["ctx"], limit=limit, offset=offset, order_by=order_by or "date",
                                                descending=descending, **filters)

    def count(self, state) -> int:
        return activity_service.count_activities(state["ctx"], **{k: v for k, v in state.items() if k != "ctx"})

    def refresh(self, background: bool = False, select: list[str] | None = None) -> None:
        if hasattr(self, "team"):
            self.reload_teams()
        super().refresh(background, select)

    def row_id(self, row) -> str:
        return row.activity.id

    def row_label(self, row) -> str:
        return row.activity.title

    def open_form(self, row=None):
        return form_result(ActivityDialog(self.ctx, row.activity if row else None, self))

    def open_signin(self) -> None:
        """开始签到 for the selected activity: one window per activity, kept open while the clerk works on."""
        from ..dialogs.signin import SigninDialog

        rows = self.selected_rows()
        if not rows or self.in_bin:
            QMessageBox.information(self, self.tr("开始签到"), self.tr("请先在列表中选中要签到的活动（可先新建今天的活动）。"))
            return
        activity_id = rows[0].activity.id
        windows = getattr(self, "signin_windows", {})
        self.signin_windows = windows
        dialog = windows.get(activity_id)
        if dialog is None:
            dialog = SigninDialog(self.ctx, activity_id, self)
            # modeless, deleted by Qt when closed (WA_DeleteOnClose): forgotten here then
            dialog.confirmed.connect(self.after_change)
            dialog.destroyed.connect(lambda *_a, key=activity_id: windows.pop(key, None))
            windows[activity_id] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

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
            self.signin_button.setVisible(not on and self.ctx.actor.role.can_write)
