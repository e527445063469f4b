"""Choose volunteers by typing: name, pinyin initials, phone tail or 志愿者编号."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QListWidgetItem, QVBoxLayout, QWidget

from app.models import Volunteer
from app.services import volunteers as volunteer_service
from app.services.context import Context
from ..forms import CheckList
from ..lifetime import ClosedByQt

SHOWN = 300


class VolunteerChecklist(QWidget):
    """A search box over a checkable list; the checked set survives new searches."""

    changed = Signal()  # who is checked changed

    def __init__(self, ctx: Context, selected: dict[str, Volunteer] | None = None, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.selected: dict[str, Volunteer] = dict(selected or {})
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("输入姓名、拼音首字母、电话尾号或编号查找"))
        self.search.setClearButtonEnabled(True)
        self.list = CheckList()
        self.count = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.count)
        self.search.textChanged.connect(self.refresh)
        self.list.itemChanged.connect(self.on_item_changed)
        self.refresh()

    def refresh(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for v in volunteer_service.search_volunteers(self.ctx, self.search.text(), limit=SHOWN):
            item = QListWidgetItem(f"{v.name}　{v.number}　{v.gender}")
            item.setData(Qt.ItemDataRole.UserRole, v)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if v.id in self.selected else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.update_count()

    def on_item_changed(self, item: QListWidgetItem) -> None:
        v: Volunteer = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self.selected[v.id] = v
        else:
            self.selected.pop(v.id, None)
        self.update_count()
        self.changed.emit()

    def update_count(self) -> None:
        self.count.setText(self.tr("已选 {0} 人").format(len(self.selected)))

    # a form's draft (ui/drafts.py): who is checked, whatever the search shows
    @property
    def draft_changed(self):
        return self.changed

    def draft_value(self) -> list[str]:
        return sorted(self.selected)

    def restore_draft_value(self, ids: list[str]) -> None:
        from app.services.errors import ServiceError

        chosen = {}
        for volunteer_id in ids:
            try:
                chosen[volunteer_id] = volunteer_service.get_volunteer(self.ctx, volunteer_id)
            except (ServiceError, LookupError):
                continue
        self.selected = chosen
        self.refresh()
        self.changed.emit()


class VolunteerPicker(ClosedByQt, QDialog):
    def __init__(self, ctx: Context, exclude: set[str] = frozenset(), parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("选择志愿者"))
        self.checklist = VolunteerChecklist(ctx)
        self.exclude = exclude
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("添加"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.checklist)
        layout.addWidget(buttons)
        self.resize(420, 520)

    def chosen(self) -> list[Volunteer]:
        return [v for v in self.checklist.selected.values() if v.id not in self.exclude]
