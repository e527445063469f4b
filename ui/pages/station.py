"""站点信息: the profile (二.7, 四.8), function rooms and service points."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QMessageBox, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from app.models import FunctionRoom, ServicePoint
from app.models.enums import ROOM_FUNCTIONS, SERVICE_POINT_KINDS, StationLevel, station_level
from app.services import station as station_service
from app.services.errors import ServiceError, ValidationError
from app.models.limits import int_range

from ..forms import ErrorLabel, FormDialog, combo
from .base import Page
from .rows import RowsBox


class RoomDialog(FormDialog):
    def __init__(self, ctx, room: FunctionRoom | None = None, parent=None):
        super().__init__(self.tr("功能室"), parent)
        self.ctx, self.room = ctx, room
        self.name = self.add("name", self.tr("名称"), QLineEdit(room.name if room else ""))
        self.function = self.add("function", self.tr("功能"), combo(ROOM_FUNCTIONS, room.function if room else ""))
        self.area = self.add("area_m2", self.tr("面积（平方米）"), QLineEdit(f"{room.area_m2:g}" if room and room.area_m2 else ""))
        self.note = self.add("note", self.tr("备注"), QLineEdit(room.note if room else ""))
        self.finish_layout()

    def submit(self):
        return station_service.save_room(self.ctx, self.room.id if self.room else None, name=self.name.text(),
                                         function=self.function.currentText(), area_m2=self.area.text(), note=self.note.text())


class PointDialog(FormDialog):
    def __init__(self, ctx, point: ServicePoint | None = None, parent=None):
        super().__init__(self.tr("志愿服务站点"), parent)
        self.ctx, self.point = ctx, point
        self.name = self.add("name", self.tr("名称"), QLineEdit(point.name if point else ""))
        self.kind = self.add("kind", self.tr("类型"), combo(SERVICE_POINT_KINDS, point.kind if point else ""))
        self.location = self.add("location", self.tr("位置"), QLineEdit(point.location if point else ""))
        self.active = self.add("active", self.tr("正常运行"), QCheckBox())
        self.active.setChecked(point.active if point else True)
        self.note = self.add("note", self.tr("备注"), QLineEdit(point.note if point else ""))
        self.finish_layout()

    def submit(self):
        return station_service.save_service_point(self.ctx, self.point.id if self.point else None, name=self.name.text(),
                                                  kind=self.kind.currentText(), location=self.location.text(),
                                                  active=self.active.isChecked(), note=self.note.text())


class StationPage(Page):
    title = "站点信息"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self.rows: dict[str, QWidget] = {}
        tier = self.tier = station_level(station_service.get_station(ctx).level)
        profile = QGroupBox(self.tr("{0}概况").format(tier.unit))
        form = QFormLayout(profile)

        def field(key: str, label: str, widget: QWidget) -> QWidget:
            holder = QWidget()
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(widget)
            self.errors[key] = ErrorLabel()
            column.addWidget(self.errors[key])
            form.addRow(label, holder)
            self.inputs[key], self.rows[key] = widget, holder
            return widget

        field("name", self.tr(tier.name_label), QLineEdit())
        kind = field("kind", self.tr("类型"), QComboBox())
        kind.addItem(self.tr("村"), "village")
        kind.addItem(self.tr("社区"), "community")
        field("street", self.tr("所属街道（功能区）"), QLineEdit())
        population = field("population", self.tr("常住人口"), QSpinBox())
        population.setRange(0, int_range("station", "population")[1])  # 0: not given
        population.setSpecialValueText(self.tr("未填写"))
        field("address", self.tr("地址"), QLineEdit())
        # 三.1: a 所 has at least 2 专管员, the center at least 5 full-time staff: all their names, in one field.
        manager = field("manager", self.tr("专职工作人员") if tier is StationLevel.center else self.tr("专管员"), QLineEdit())
        manager.setPlaceholderText(self.tr("多名用“、”分隔，如：杨红霞、李建国"))
        field("phone", self.tr("志愿服务电话"), QLineEdit())
        field("contact", self.tr("二维码内容/联系方式"), QLineEdit())
        field("opening_hours", self.tr("开放时间"), QLineEdit()).setPlaceholderText(self.tr("如：周一至周五 8:30—17:30"))
        field("activity_day", self.tr("固定活动日"), QLineEdit()).setPlaceholderText(self.tr("如：每月10日"))
        self.save_button = QPushButton(self.tr("保存概况"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        save_row = QHBoxLayout()
        save_row.addStretch()
        save_row.addWidget(self.save_button)
        form.addRow("", save_row)
        self.rooms = RowsBox(self.tr("功能室（不少于3处）"), [self.tr("名称"), self.tr("功能"), self.tr("面积（㎡）")],
                             station_service.list_rooms, lambda r: (r.name, r.function, f"{r.area_m2:g}" if r.area_m2 else ""),
                             RoomDialog, FunctionRoom, "功能室", self)
        self.points = RowsBox(self.tr("志愿服务站点"), [self.tr("名称"), self.tr("类型"), self.tr("位置"), self.tr("状态")],
                              station_service.list_service_points,
                              lambda p: (p.name, p.kind, p.location, self.tr("正常运行") if p.active else self.tr("停用")),
                              PointDialog, ServicePoint, "服务站点", self)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.addWidget(self.heading(self.tr(tier.info_page)))
        # The center is neither 村 nor 社区 and belongs to no 街道 (二.1).
        form.setRowVisible(self.rows["kind"], tier.has_kind)
        form.setRowVisible(self.rows["street"], tier.has_street)
        if tier is StationLevel.institute:
            kind.setItemText(0, self.tr("以农村为主"))
            kind.setItemText(1, self.tr("以社区为主"))
        column.addWidget(profile)
        column.addWidget(self.rooms)
        column.addWidget(self.points)
        column.addStretch()
        self.scrollable(inner)
        self.refresh()

    TEXT_FIELDS = ("name", "street", "address", "manager", "phone", "contact", "opening_hours", "activity_day")
    _loaded: tuple | None = None  # the profile as last shown from the store: what typed edits are told from
    _loaded_values: dict = {}  # the same, by field (a draft's author's changes are told from it)

    def profile_state(self) -> tuple:
        return (*(self.inputs[key].text() for key in self.TEXT_FIELDS), self.inputs["kind"].currentData(),
                self.inputs["population"].value())

    def unsaved(self) -> str:
        if self._loaded is None or self.profile_state() == self._loaded:
            return ""
        return self.tr("{0}概况").format(self.tier.unit)

    def save_unsaved(self) -> bool:
        return self.save()

    def discard_unsaved(self) -> None:
        self._loaded = None
        self.refresh()

    def _shown(self) -> dict:
        return {**{key: self.inputs[key].text() for key in self.TEXT_FIELDS},
                "kind": self.inputs["kind"].currentData(), "population": self.inputs["population"].value()}

    def unsaved_values(self) -> dict:
        return {"typed": self._shown(), "stored": dict(self._loaded_values)}

    def restore_unsaved(self, values: dict) -> None:
        """Only what the draft's author changed goes back on the page: a field they left alone shows what is stored
        now (a trial: 录入员's saved 固定活动日 was put back to the admin's older value by restoring his draft, and saved
        over without a word)."""
        typed, then = values.get("typed", values), values.get("stored", {})
        changed = {key: value for key, value in typed.items() if key not in then or then[key] != value}
        for key in self.TEXT_FIELDS:
            if isinstance(changed.get(key), str):
                self.inputs[key].setText(changed[key])
        if "kind" in changed and (index := self.inputs["kind"].findData(changed["kind"])) >= 0:
            self.inputs["kind"].setCurrentIndex(index)
        if isinstance(changed.get("population"), int):
            self.inputs["population"].setValue(changed["population"])

    def refresh(self) -> None:
        if not self.unsaved():  # what the clerk is typing stays (a sync or another window's save refreshes the page)
            s = station_service.get_station(self.ctx)
            for key in self.TEXT_FIELDS:
                self.inputs[key].setText(getattr(s, key) or "")
            self.inputs["kind"].setCurrentIndex(self.inputs["kind"].findData(s.kind))
            self.inputs["population"].setValue(s.population or 0)
            for label in self.errors.values():
                label.show_message(None)
            self._loaded = self.profile_state()
            self._loaded_values = self._shown()
        writable = self.ctx.actor.role.can_write
        for widget in self.inputs.values():
            widget.setEnabled(writable)
        self.save_button.setEnabled(writable)
        self.rooms.reload()
        self.points.reload()
        self.status.emit(self.tr("功能室 {0} 处，服务站点 {1} 个").format(len(self.rooms.rows), len(self.points.rows)))

    def save(self) -> bool:
        for label in self.errors.values():
            label.show_message(None)
        values = {key: self.inputs[key].text() for key in self.TEXT_FIELDS}
        if self.tier.has_kind:
            values["kind"] = self.inputs["kind"].currentData()
        values["population"] = self.inputs["population"].value() or None
        try:
            station_service.update_station(self.ctx, **values)
        except ValidationError as exc:
            for key, message in exc.errors.items():
                self.errors.get(key, self.errors["name"]).show_message(message)
            return False
        except ServiceError as exc:
            QMessageBox.warning(self, self.tr("无法保存"), str(exc))
            return False
        self._loaded = self.profile_state()
        self._loaded_values = self._shown()
        self.status.emit(self.tr("{0}已保存").format(self.tier.info_page))
        self.changed.emit()
        return True
