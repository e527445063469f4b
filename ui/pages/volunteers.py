"""志愿者 page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import QComboBox, QInputDialog, QMessageBox, QPushButton

from app import reports
from app.models import Volunteer
from app.privacy import mask_phone
from app.services import elsewhere, stars
from app.services import volunteers as volunteer_service
from app.services.common import format_date

from ..dialogs.volunteer import VolunteerDialog
from ..printing import print_document
from ..table_model import Column
from .base import ListPage, form_result


@dataclass(frozen=True)
class VolunteerRow:
    volunteer: Volunteer
    teams: str
    hours: float = 0.0
    stars: int = 0
    other_ledgers: elsewhere.Elsewhere | None = None  # registered in other ledgers too, as the district said (#30)

    @property
    def id(self) -> str:
        return self.volunteer.id


class VolunteersPage(ListPage):
    watches = frozenset({"volunteer", "membership", "team", "participation", "activity", "volunteer_elsewhere"})
    model_class = Volunteer
    noun = "志愿者"
    title = "志愿者"
    excel_kind = "volunteers"
    print_label = "服务证明…"

    def print_current(self) -> None:
        rows = self.selected_rows()
        if not rows:
            QMessageBox.information(self, self.tr("请选择志愿者"), self.tr("请先在列表中选中一名志愿者。"))
            return
        volunteer = rows[0].volunteer
        if len(rows) > 1:
            QMessageBox.information(self, self.tr("服务证明"), self.tr("服务证明一次为一名志愿者出具：这次为 {0}（{1}）出具。").format(
                volunteer.name, volunteer.number))
        this_year = date.today().year
        choices = [self.tr("自注册以来")] + [self.tr("{0}年").format(y) for y in range(this_year, volunteer.registered_on.year - 1, -1)]
        prompt = self.tr("证明 {0} 哪段时间的志愿服务？").format(volunteer.name)
        if rows[0].other_ledgers is not None:  # #30: 谁记录谁证明 — the district's total is said, not certified here
            prompt += "\n" + self.tr("（{0}另在{1}处登记，区里累计{2:g}小时；本站的证明只证明本站记录的时长）").format(
                volunteer.name, rows[0].other_ledgers.ledgers, rows[0].other_ledgers.total(rows[0].hours))
        choice, ok = QInputDialog.getItem(self, self.tr("服务证明"), prompt, choices, 0, False)
        if not ok:
            return
        year = None if choice == choices[0] else this_year - (choices.index(choice) - 1)
        ctx = self.ctx
        from app.reports.certificate import certificate_period

        _start, _end, records = certificate_period(ctx, volunteer.id, year=year)
        allow_empty = False
        if not records:
            answer = QMessageBox.question(
                self, self.tr("没有服务记录"),
                self.tr("{0}在{1}没有志愿服务记录（0 小时）。\n一般不应出具证明；确需出具（例如证明未参加）吗？").format(volunteer.name, choice),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
            allow_empty = True
        issued: dict = {}

        def build(path, _progress):
            issued["path"], issued["number"] = reports.certificate_pdf(ctx, path, volunteer_id=volunteer.id, year=year,
                                                                       allow_empty=allow_empty)

        def unused() -> None:
            # Numbered and registered when made; closed unprinted, the number is voided rather than left as if
            # a paper had been issued (numbered forms are never reused).
            from app.reports.certificate import revoke_certificate

            revoke_certificate(ctx, issued["number"], "预览后未打印或另存")

        print_document(self, ctx.store, self.tr("志愿服务记录证明-{0}").format(volunteer.name), build, on_unused=unused)

    def extra_buttons(self) -> list:
        self.cards_button = QPushButton(self.tr("志愿者证…"))
        self.cards_button.setToolTip(self.tr("卡片大小的志愿者证，每页10张：给不用智能手机的志愿者，活动时用扫码枪扫码签到"))
        self.cards_button.clicked.connect(self.print_cards)
        return [self.cards_button]

    def print_cards(self) -> None:
        """志愿者证 of the selected volunteers, or — asked first — of everyone the list shows (#26)."""
        rows = self.selected_rows()
        ctx = self.ctx
        if rows:
            ids = [r.volunteer.id for r in rows]
        else:
            total = self.model.total
            answer = QMessageBox.question(self, self.tr("打印志愿者证"),
                                          self.tr("没有选中志愿者。为列表中的全部 {0} 名志愿者打印志愿者证吗？").format(total),
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
            text, min_hours = self.search.text(), self.star_filter.currentData()
            ids = None  # read in the background: the whole list may be thousands
        print_document(self, ctx.store, self.tr("志愿者证"), lambda path, _progress: reports.cards_pdf(
            ctx, path, ids if ids is not None else [v.id for v in volunteer_service.search_volunteers(ctx, text, min_hours=min_hours)]))

    def export_filters(self) -> dict:
        return {"text": self.search.text()}

    def search_hint(self) -> str:
        return self.tr("姓名、拼音、电话尾号或编号")  # short: the page fits a 1280 px screen with its whole hint

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("编号"), lambda r: r.volunteer.number, "number"),
            Column(self.tr("姓名"), lambda r: r.volunteer.name, "name"),
            Column(self.tr("性别"), lambda r: r.volunteer.gender, "gender"),
            Column(self.tr("年龄"), lambda r: volunteer_service.age_on(r.volunteer), "birth_date", align_right=True),
            Column(self.tr("联系电话"), lambda r: mask_phone(r.volunteer.phone)),  # masked for every role: 显示 in the form
            Column(self.tr("政治面貌"), lambda r: r.volunteer.political_status, "political_status"),
            Column(self.tr("累计时长"), lambda r: f"{r.hours:g}", "hours", align_right=True),
            Column(self.tr("星级"), lambda r: stars.star_label(r.stars)),
            # #30: the person registered in other ledgers too — how many and the district's total, nothing of theirs
            Column(self.tr("其他站点"), lambda r: r.other_ledgers.short(r.hours) if r.other_ledgers else ""),
            Column(self.tr("所属服务队"), lambda r: r.teams),
            Column(self.tr("标签"), lambda r: r.volunteer.tags.replace(",", "、")),
            Column(self.tr("注册日期"), lambda r: format_date(r.volunteer.registered_on), "registered_on"),
        ]

    def add_filters(self, toolbar) -> None:
        self.star_filter = QComboBox()
        self.star_filter.setMaximumWidth(200)
        self.star_filter.addItem(self.tr("全部星级"), None)
        for n, limit in enumerate(stars.thresholds(self.ctx.store.paths.root), start=1):
            self.star_filter.addItem(self.tr("★{0}及以上（≥{1}小时）").format(n, limit), limit)
        self.star_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        toolbar.addWidget(self.star_filter)

    # Hours per volunteer, kept while the person types (each keystroke re-lists mostly the same people);
    # a new cache whenever data may have changed: after a save here, and each time the page comes to the
    # front. A reload in the background keeps the cache it started with.
    _hours_cache: dict[str, float] | None = None

    def forget_hours(self) -> None:
        self._hours_cache = None

    def after_change(self, background: bool = False) -> None:
        self.forget_hours()
        super().after_change(background)

    def on_store_changed(self, tables: frozenset) -> None:
        self.forget_hours()  # hours come from participations, which may be what changed
        super().on_store_changed(tables)

    def showEvent(self, event) -> None:
        self.forget_hours()
        super().showEvent(event)

    def min_hours(self):
        return self.star_filter.currentData() if hasattr(self, "star_filter") else None

    def query_state(self) -> dict:
        if self._hours_cache is None:
            self._hours_cache = {}
        return {**super().query_state(), "min_hours": self.min_hours(), "hours": self._hours_cache}

    def fetch(self, state, offset, limit, order_by, descending):
        if order_by == "birth_date":  # 年龄 ascending means born latest first
            descending = not descending
        ctx, cache = state["ctx"], state["hours"]
        rows = volunteer_service.search_volunteers(
            ctx, state["text"], deleted=state["deleted"], order_by=order_by or "number", descending=descending,
            limit=limit, offset=offset, min_hours=state["min_hours"],
        )
        ids = [v.id for v in rows]
        cache.update(volunteer_service.hours_of(ctx, [i for i in ids if i not in cache]))
        teams = volunteer_service.team_names_of(ctx, ids)
        limits = stars.thresholds(ctx.store.paths.root)
        known = elsewhere.of(ctx, ids)
        return [VolunteerRow(v, "、".join(teams[v.id]), cache[v.id], stars.star_for(cache[v.id], limits),
                             known.get(v.id)) for v in rows]

    def count(self, state) -> int:
        return volunteer_service.count_volunteers(state["ctx"], state["text"], deleted=state["deleted"], min_hours=state["min_hours"])

    def row_label(self, row) -> str:
        return row.volunteer.name

    def open_form(self, row=None):
        return form_result(VolunteerDialog(self.ctx, row.volunteer if row else None, self))
