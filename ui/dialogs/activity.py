"""The activity form: details, participants with per-person hours, photos by file dialog or drag and drop."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImageReader, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QSpinBox, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from app.models import Activity
from app.models.enums import PARTICIPANT_ROLES, TEAM_CATEGORIES, ActivityStatus
from app.services import activities as activity_service
from app.services import teams as team_service
from app.services import work
from app.services.activities import ParticipantInput, duration_hours
from app.services.common import format_date
from app.services.context import Context
from app.models.limits import int_range
from app.services.station import tier_of

from ..forms import FormDialog, combo, date_edit, from_qdate, time_edit
from ..saving import ask_open_paths
from .picker import VolunteerPicker

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"}
THUMB = 96


def thumbnail(path: Path) -> QIcon:
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # respect EXIF orientation
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio))
    return QIcon(QPixmap.fromImage(reader.read()))


class PhotoList(QListWidget):
    """Thumbnails; image files dropped onto it are announced by ``files_dropped`` (a signal, not a stored
    callback: a bound method of the dialog kept here made a reference cycle that crashed the window, ui/lifetime.py)."""

    files_dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        # Each photo in a cell of its own, its caption wrapped to two lines and cut after them (the whole in its
        # tooltip): a long 照片说明 ran over the next photos' names until the list was drawn again (a trial).
        self.setGridSize(QSize(THUMB + 40, THUMB + 44))
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setMinimumHeight(THUMB + 56)  # one row of cells, and the frame

    def dragEnterEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event):
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        self.files_dropped.emit([f for f in files if f.suffix.lower() in IMAGE_SUFFIXES])
        event.acceptProposedAction()


class ActivityDialog(FormDialog):
    COLS = ("姓名", "编号", "服务时长（小时）", "角色")
    DRAFT_PAGE = "activities"

    def __init__(self, ctx: Context, activity: Activity | None = None, parent=None, *, copy_of: Activity | None = None):
        """``copy_of``: 复制此活动 — a new activity with everything of that one but its date and photos."""
        title = self.tr("编辑活动") if activity else (self.tr("新增活动（复制自“{0}”）").format(copy_of.title) if copy_of else self.tr("新增活动"))
        super().__init__(title, parent)
        self.ctx, self.activity = ctx, activity
        self.copy_of_id = copy_of.id if copy_of else None
        a = activity or copy_of
        self.title_edit = self.add("title", self.tr("活动名称"), QLineEdit(a.title if a else ""))
        self.team = self.add("team_id", self.tr("服务队"), QComboBox())
        self.team.addItem(self.tr("（不属于某个服务队）"), None)
        self.team_categories: dict[str, str] = {}
        for summary in team_service.list_teams(ctx):
            self.team.addItem(summary.team.name, summary.team.id)
            self.team_categories[summary.team.id] = summary.team.category
        if a and a.team_id:
            self.team.setCurrentIndex(max(0, self.team.findData(a.team_id)))
        self.category = self.add("category", self.tr("活动类别"), combo(TEAM_CATEGORIES, a.category if a else ""))
        self.date = self.add("date", self.tr("活动日期"), date_edit(activity.date if activity else None))
        times = QWidget()
        row = QHBoxLayout(times)
        row.setContentsMargins(0, 0, 0, 0)
        self.start = time_edit(a.start_time if a and a.start_time else None)
        self.end = time_edit(a.end_time if a and a.end_time else None)
        if not a:
            self.end.setTime(self.start.time().addSecs(2 * 3600))
        row.addWidget(self.start)
        row.addWidget(QLabel(self.tr("至")))
        row.addWidget(self.end)
        # An activity imported from Excel may have no times: it opened as 09:00 至 09:00 and could not be saved
        # until the clerk made some up (which would then decide its hours and overlaps).
        self.no_times = QCheckBox(self.tr("未记录起止时间"))
        self.no_times.toggled.connect(lambda off: (self.start.setEnabled(not off), self.end.setEnabled(not off)))
        self.no_times.setChecked(bool(a) and a.start_time is None and a.end_time is None)
        row.addWidget(self.no_times)
        row.addStretch()
        self.add("end_time", self.tr("时间"), times)
        self.errors["start_time"] = self.errors["end_time"]
        self.fields["start_time"] = self.start
        self.place = self.add("place", self.tr("活动地点"), QLineEdit(a.place if a else ""))
        self.organiser = self.add("organiser", self.tr("组织者"), QLineEdit(a.organiser if a else ""))
        self.own_name = self.add("own_name", self.tr("以{own}名义开展").format(own=tier_of(ctx).own), QCheckBox())
        self.own_name.setChecked(a.own_name if a else True)
        self.family = self.add("family", self.tr("文明家庭志愿活动"), QCheckBox(self.tr("由文明家庭开展（四.5）")))
        self.family.setChecked(bool(a and a.family))
        self.project = self.add("project_id", self.tr("所属项目"), QComboBox())
        self.project.addItem(self.tr("（不属于某个项目）"), None)
        for project in work.list_projects(ctx):
            self.project.addItem(project.name + (self.tr("（品牌）") if project.brand else ""), project.id)
        if a and a.project_id:
            self.project.setCurrentIndex(max(0, self.project.findData(a.project_id)))
        self.served = self.add("served_count", self.tr("服务对象人数"), QSpinBox())
        self.served.setRange(*int_range("activity", "served_count"))
        self.served.setValue(a.served_count if a else 0)
        self.target = self.add("service_target", self.tr("服务对象"), QLineEdit(a.service_target if a else ""))
        self.status = self.add("status", self.tr("状态"), QComboBox())
        for status in ActivityStatus:
            self.status.addItem(status.label, status.value)
        self.status.setCurrentIndex(self.status.findData(a.status if a else "done"))
        self.content = self.add("content", self.tr("活动内容"), QPlainTextEdit(a.content if a else ""))
        self.content.setTabChangesFocus(True)
        self.content.setMaximumHeight(90)

        self.participants = QTableWidget(0, len(self.COLS))
        self.participants.setHorizontalHeaderLabels([self.tr(c) for c in self.COLS])
        self.participants.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.participants.verticalHeader().hide()
        self.participants.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.participants.setMinimumHeight(150)
        buttons = QHBoxLayout()
        self.add_people = QPushButton(self.tr("添加志愿者…"))
        self.remove_people = QPushButton(self.tr("移除所选"))
        self.fill_hours = QPushButton(self.tr("全部按活动时长"))
        for b in (self.add_people, self.remove_people, self.fill_hours):
            buttons.addWidget(b)
        # 手机签到 for an activity already in the ledger: its window shows arrivals live; what the clerk
        # confirms there is added to this list too (saving the form must not drop it).
        self.signin_button = QPushButton(self.tr("手机签到…"))
        self.signin_button.setToolTip(self.tr("志愿者用手机扫码签到、签退，确认后加入下面的名单"))
        self.signin_button.setVisible(activity is not None and copy_of is None and ctx.actor.role.can_write)
        self.signin_button.clicked.connect(self.open_signin)
        buttons.addWidget(self.signin_button)
        buttons.addStretch()
        self.people_count = QLabel()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(buttons)
        column.addWidget(self.participants)
        column.addWidget(self.people_count)
        self.add("participants", self.tr("参与志愿者"), box)

        self.existing_photos = activity_service.photos_of(ctx, activity.id) if activity else []
        self.new_photos: list[Path] = []
        self.new_captions: dict[str, str] = {}  # a new photo's 照片说明, by its path
        self.removed_photos: list[str] = []  # saved photos taken off (at 保存; 取消 keeps them)
        self.photos = PhotoList()
        self.photos.files_dropped.connect(self.add_photo_files)
        for photo in self.existing_photos:
            self._add_saved_photo_item(photo)
        photo_box = QWidget()
        photo_column = QVBoxLayout(photo_box)
        photo_column.setContentsMargins(0, 0, 0, 0)
        photo_buttons = QHBoxLayout()
        self.add_photo_button = QPushButton(self.tr("添加照片…（也可以把照片拖到下面）"))
        self.caption_button = QPushButton(self.tr("照片说明…"))
        self.caption_button.setToolTip(self.tr("给新添加的照片写一句说明，打印在台账的照片下方（也可双击照片）"))
        self.remove_photo_button = QPushButton(self.tr("移除所选照片"))
        for button in (self.add_photo_button, self.caption_button, self.remove_photo_button):
            photo_buttons.addWidget(button)
        photo_buttons.addStretch()
        photo_column.addLayout(photo_buttons)
        photo_column.addWidget(self.photos)
        self.add("photo", self.tr("活动照片"), photo_box)
        # a participant's error (the same hours in another activity, over 24 hours that day, born or registered
        # after the day) is decided by the day, the times and the status too; the table's changes: update_count
        self.depends_on("participants", self.date, self.start, self.end, self.no_times, self.status)
        self.depends_on("end_time", self.start, self.end, self.no_times)
        self.finish_layout()

        self.add_people.clicked.connect(self.pick_people)
        self.remove_people.clicked.connect(self.remove_selected)
        self.fill_hours.clicked.connect(self.set_all_hours)
        self.add_photo_button.clicked.connect(self.choose_photos)
        self.caption_button.clicked.connect(self.edit_caption)
        self.remove_photo_button.clicked.connect(self.remove_photos)
        self.photos.itemDoubleClicked.connect(lambda _item: self.edit_caption())
        self.photos.itemSelectionChanged.connect(self.update_photo_buttons)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.photos, self.remove_photos)
        delete.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # in the list only, not the participants
        self.update_photo_buttons()
        self.team.currentIndexChanged.connect(self.on_team_changed)
        if a:
            for p in activity_service.participants_of(ctx, a.id):
                self.add_participant_row(p.volunteer, p.participation.hours, p.participation.role)
        self.update_count()
        self.resize(680, 900)

    # -- participants ----------------------------------------------------
    def open_signin(self) -> None:
        from .signin import SigninDialog

        window = getattr(self, "signin_window", None)
        if window is None or not shiboken6.isValid(window):  # closed windows are deleted (WA_DeleteOnClose)
            self.signin_window = SigninDialog(self.ctx, self.activity.id, self)
            self.signin_window.confirmed.connect(self.take_confirmed)
        self.signin_window.show()

    def take_confirmed(self) -> None:
        """Participants and photos the sign-in just wrote, added to what this form shows and will save."""
        present = self.participant_ids()
        for p in activity_service.participants_of(self.ctx, self.activity.id):
            if p.volunteer.id not in present:
                self.add_participant_row(p.volunteer, p.participation.hours, p.participation.role)
        known = {photo.sha256 for photo in self.existing_photos}
        for photo in activity_service.photos_of(self.ctx, self.activity.id):
            if photo.sha256 not in known:
                self.existing_photos.append(photo)
                self._add_saved_photo_item(photo)
        self.update_count()

    def duration(self) -> float:
        if self.no_times.isChecked():
            return 1.0
        start, end = self.start.time(), self.end.time()
        return duration_hours(time(start.hour(), start.minute()), time(end.hour(), end.minute())) or 1.0

    def on_team_changed(self) -> None:
        category = self.team_categories.get(self.team.currentData())
        if category and self.activity is None:
            self.category.setCurrentText(category)

    def participant_ids(self) -> set[str]:
        return {self.participants.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.participants.rowCount())}

    def add_participant_row(self, volunteer, hours: float, role: str = "志愿者") -> None:
        r = self.participants.rowCount()
        self.participants.insertRow(r)
        name = QTableWidgetItem(volunteer.name)
        name.setData(Qt.ItemDataRole.UserRole, volunteer.id)
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        number = QTableWidgetItem(volunteer.number)
        number.setFlags(number.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.participants.setItem(r, 0, name)
        self.participants.setItem(r, 1, number)
        spin = QDoubleSpinBox()
        spin.setRange(0, 24)
        spin.setSingleStep(0.5)
        spin.setDecimals(1)
        spin.setValue(hours)
        spin.valueChanged.connect(self.update_count)
        self.participants.setCellWidget(r, 2, spin)
        self.participants.setCellWidget(r, 3, combo(PARTICIPANT_ROLES, role))

    def pick_people(self) -> None:
        picker = VolunteerPicker(self.ctx, exclude=self.participant_ids(), parent=self)
        if picker.exec():
            for v in picker.chosen():
                self.add_participant_row(v, self.duration())
            self.update_count()

    def remove_selected(self) -> None:
        for r in sorted({i.row() for i in self.participants.selectedIndexes()}, reverse=True):
            self.participants.removeRow(r)
        self.update_count()

    def set_all_hours(self) -> None:
        for r in range(self.participants.rowCount()):
            self.participants.cellWidget(r, 2).setValue(self.duration())

    def update_count(self) -> None:
        total = sum(self.participants.cellWidget(r, 2).value() for r in range(self.participants.rowCount()))
        self.people_count.setText(self.tr("{0} 人，合计 {1:g} 小时").format(self.participants.rowCount(), total))
        self.forget_error("participants")  # someone added, removed, or their hours changed

    def participant_inputs(self) -> list[ParticipantInput]:
        return [
            ParticipantInput(
                self.participants.item(r, 0).data(Qt.ItemDataRole.UserRole),
                self.participants.cellWidget(r, 2).value(),
                self.participants.cellWidget(r, 3).currentText(),
            )
            for r in range(self.participants.rowCount())
        ]

    # -- photos ----------------------------------------------------------
    def choose_photos(self) -> None:
        self.add_photo_files(ask_open_paths(self, "photo", self.tr("选择活动照片"), self.tr("图片 (*.jpg *.jpeg *.png *.gif *.bmp *.webp)")))

    SAVED = Qt.ItemDataRole.UserRole + 1  # a photo item's id if it is saved, else None (its path: UserRole)

    def _add_saved_photo_item(self, photo) -> None:
        item = QListWidgetItem(thumbnail(activity_service.photo_path(self.ctx, photo.sha256)), photo.caption or photo.filename)
        item.setData(self.SAVED, photo.id)
        item.setToolTip(photo.caption or photo.filename)
        self.photos.addItem(item)

    def add_photo_files(self, files: list[Path]) -> None:
        added = []
        for path in files:
            if path in self.new_photos:
                continue
            self.new_photos.append(path)
            item = QListWidgetItem(thumbnail(path), self.new_captions.get(str(path)) or path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(self.tr("{0}\n双击填写照片说明").format(path.name))
            self.photos.addItem(item)
            added.append(item)
        if added:  # the photos just added are the chosen ones: 照片说明… is for them next (a trial captioned the old one)
            self.photos.clearSelection()
            for item in added:
                item.setSelected(True)
            self.photos.setCurrentItem(added[-1])
        self.update_photo_buttons()

    def update_photo_buttons(self) -> None:
        chosen = self.photos.selectedItems()
        self.remove_photo_button.setEnabled(bool(chosen))
        # a saved photo's too: the click then says why its 说明 stays and what to do (a trial met a grey button
        # with no reason given)
        self.caption_button.setEnabled(len(chosen) == 1)

    def edit_caption(self) -> None:
        """照片说明 of a photo added in this form, printed under it in the 活动记录表 (a camera's file name was).
        A saved photo's stays as saved: its place in the printed order is when it was last written, so one changed
        would move to the end (remove it and add it again to change it)."""
        chosen = self.photos.selectedItems()
        if len(chosen) != 1:
            return
        item = chosen[0]
        if item.data(self.SAVED) is not None:
            QMessageBox.information(self, self.tr("照片说明"), self.tr(
                "已保存的照片说明不能修改：台账里照片按保存的先后排列，改过说明的照片会排到最后，和别的照片顺序对不上。\n"
                "如需修改，请选中它点“移除所选照片”，再“添加照片”重新添加并写说明。"))
            return
        path = item.data(Qt.ItemDataRole.UserRole)
        text, ok = QInputDialog.getText(self, self.tr("照片说明"), self.tr("照片说明（打印在台账的照片下方，可不填）："),
                                        text=self.new_captions.get(path, ""))
        if not ok:
            return
        caption = text.strip()[:200]
        if caption:
            self.new_captions[path] = caption
        else:
            self.new_captions.pop(path, None)
        item.setText(caption or Path(path).name)
        item.setToolTip(caption or self.tr("{0}\n双击填写照片说明").format(Path(path).name))

    def remove_photos(self) -> None:
        """The chosen photos come off the form; a saved one is taken off the activity at 保存 (取消 keeps it)."""
        for item in self.photos.selectedItems():
            saved = item.data(self.SAVED)
            if saved is not None:
                self.removed_photos.append(saved)
            else:
                path = Path(item.data(Qt.ItemDataRole.UserRole))
                self.new_photos = [p for p in self.new_photos if p != path]
                self.new_captions.pop(str(path), None)
            self.photos.takeItem(self.photos.row(item))
        self.update_photo_buttons()

    # -- drafts (ui/drafts.py) ----------------------------------------------
    @classmethod
    def reopen(cls, ctx, draft, parent):
        activity = activity_service.get_activity(ctx, draft.record_id) if draft.record_id else None
        copy_of = activity_service.get_activity(ctx, draft.copy_of) if draft.copy_of else None
        return cls(ctx, activity, parent, copy_of=copy_of)

    def draft_record_id(self) -> str | None:
        return self.activity.id if self.activity else None

    def draft_record_version(self) -> int | None:
        return self.activity.version if self.activity else None

    def draft_copy_of(self) -> str | None:
        return self.copy_of_id

    def draft_extra(self) -> dict:
        return {"participants": [[p.volunteer_id, p.hours, p.role] for p in self.participant_inputs()],
                "new_photos": [str(path) for path in self.new_photos], "new_captions": dict(self.new_captions),
                "removed_photos": list(self.removed_photos)}

    def restore_draft_extra(self, extra: dict) -> None:
        from app.services import volunteers as volunteer_service
        from app.services.errors import ServiceError

        if "participants" in extra:
            self.participants.setRowCount(0)
            for volunteer_id, hours, role in extra["participants"]:
                try:
                    self.add_participant_row(volunteer_service.get_volunteer(self.ctx, volunteer_id), hours, role)
                except (ServiceError, LookupError):
                    continue  # removed meanwhile
            self.update_count()
        self.new_captions.update(extra.get("new_captions", {}))
        self.add_photo_files([Path(p) for p in extra.get("new_photos", []) if Path(p).is_file()])
        gone = set(extra.get("removed_photos", []))
        for row in reversed(range(self.photos.count())):
            if self.photos.item(row).data(self.SAVED) in gone:
                self.removed_photos.append(self.photos.item(row).data(self.SAVED))
                self.photos.takeItem(row)

    # -- save ------------------------------------------------------------
    def ask_about_overlaps(self, values: dict) -> None:
        """A participant already serving elsewhere in this time window (#26): refuse, naming the other activity,
        unless the clerk confirms both are true — then the shared time is counted once. The same activity saved
        twice (same name, same day, everyone's time already recorded in it) is refused outright: confirmed, it was
        kept as an activity with no one in it, counted in the month's figures (a new user's trial)."""
        from datetime import time

        from app.services.errors import ValidationError

        participants = values["participants"]
        if values["start_time"] is None or values["end_time"] is None:
            return  # no times, no overlap to find (the service judges the day's 24 hours)
        clashes, whole = activity_service.overlap_report(
            self.ctx, day=values["date"], start=time.fromisoformat(values["start_time"]), end=time.fromisoformat(values["end_time"]),
            volunteer_ids=[p.volunteer_id for p in participants], activity_id=self.activity.id if self.activity else None)
        if not clashes:
            return
        day = format_date(values["date"])
        same = activity_service.second_entry(values["title"], [p.volunteer_id for p in participants], clashes, whole)
        if same is not None:
            QMessageBox.warning(
                self, self.tr("重复录入"),
                self.tr("“{0}”已经记过：{1} {2:%H:%M}–{3:%H:%M}，参与的志愿者也都已记入。这次保存会把同一次活动记成两次，"
                        "所以不能保存。\n\n如确实是另一次活动，请改日期、时间或活动名称。").format(same.title, day, same.start, same.end))
            raise ValidationError({"date": self.tr("{0} 这一时段已记有同名活动“{1}”，参与的志愿者相同：重复录入").format(day, same.title)})
        lines = "\n".join(f"{c.volunteer_name}：{c.start:%H:%M}–{c.end:%H:%M}“{c.title}”" for c in clashes)
        names = {p.volunteer_id: c.volunteer_name for p in participants for c in clashes if c.volunteer_id == p.volunteer_id}
        dropped = "、".join(names[v] for v in sorted(whole, key=lambda v: names.get(v, "")) if v in names)
        consequence = (self.tr("选“是”保存，本活动将没有参与志愿者（所有人的时间都已记在其他活动里）。") if len(whole) == len(participants)
                       else self.tr("选“是”保存，重叠的时间只计一次；其中 {0} 的时间全部重叠，不再记入本活动。").format(dropped) if dropped
                       else self.tr("选“是”保存，重叠的时间只计一次。"))
        answer = QMessageBox.question(
            self, self.tr("服务时段重叠"),
            self.tr("{0}这一时段，以下志愿者已参加其他活动：\n{1}\n\n同一人不能同时在两处服务。如两项确实都参加了"
                    "（如全天活动中的一段），{2}选“否”返回修改。").format(day, lines, consequence),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            raise ValidationError({"participants": "；".join(c.describe() for c in clashes) + "：同一人不能同时在两处服务"})
        values["count_overlap_once"] = True

    def submit(self) -> Activity:
        values = dict(
            title=self.title_edit.text(), category=self.category.currentText(), team_id=self.team.currentData(),
            date=from_qdate(self.date.date()),
            start_time=None if self.no_times.isChecked() else self.start.time().toString("HH:mm"),
            end_time=None if self.no_times.isChecked() else self.end.time().toString("HH:mm"),
            place=self.place.text(), organiser=self.organiser.text(), own_name=self.own_name.isChecked(),
            served_count=self.served.value(), service_target=self.target.text(), status=self.status.currentData(),
            family=self.family.isChecked(), project_id=self.project.currentData(),
            content=self.content.toPlainText(), participants=self.participant_inputs(),
        )
        if values["status"] == ActivityStatus.done:
            late = activity_service.registered_after(self.ctx, [p.volunteer_id for p in values["participants"]], values["date"])
            if late:
                names = "\n".join(self.tr("{0}（注册日期 {1}）").format(v.name, format_date(v.registered_on)) for v in late)
                answer = QMessageBox.question(
                    self, self.tr("注册日期晚于活动日期"),
                    self.tr("以下志愿者的注册日期晚于活动日期 {0}：\n{1}\n\n他们那天已经是{own}志愿者了吗？"
                            "选“是”把他们的注册日期改为 {0}（会记入操作记录）。").format(format_date(values["date"]), names,
                                                                   own=tier_of(self.ctx).own),
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
                values["move_registration_back"] = answer == QMessageBox.StandardButton.Yes
            team = activity_service.team_founded_after(self.ctx, values["team_id"], values["date"])
            if team is not None:
                answer = QMessageBox.question(
                    self, self.tr("服务队成立日期晚于活动日期"),
                    self.tr("服务队“{0}”的成立日期是 {1}，晚于活动日期 {2}。\n\n那天这支队伍已经在开展活动了吗？"
                            "选“是”把成立日期和参与队员的入队时间改为 {2}（会记入操作记录）。").format(
                        team.name, format_date(team.founded_on), format_date(values["date"])),
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
                values["move_team_founding_back"] = answer == QMessageBox.StandardButton.Yes
            self.ask_about_overlaps(values)
        if self.activity is None:
            activity = activity_service.add_activity(self.ctx, **values)
        else:
            activity = activity_service.update_activity(self.ctx, self.activity.id, **values)
        self.activity = activity  # a photo error below must not create the activity twice on retry
        if self.removed_photos:
            activity_service.remove_photos(self.ctx, activity.id, self.removed_photos)
            self.removed_photos = []
        while self.new_photos:
            path = self.new_photos[0]
            activity_service.add_photo(self.ctx, activity.id, path, caption=self.new_captions.get(str(path), ""))
            self.new_photos.pop(0)
        return activity
