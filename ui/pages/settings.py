"""设置: data dir, idle-lock minutes, backups (back up now, list, restore)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
    QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from app.db import StoreError, backup_time, operators_in
from app.models.enums import Role
from app.services.operators import list_operators
from app.settings import REGISTRY, Settings
from app.services.common import format_moment

from ..saving import ask_open_path
from ..workers import run_in_background
from .base import Page


class SettingsPage(Page):
    title = "设置"
    idle_minutes_changed = Signal(int)
    restored = Signal()

    def __init__(self, ctx, settings: Settings, parent=None):
        super().__init__(ctx, parent)
        self.settings = settings
        general = QGroupBox(self.tr("常规"))
        form = QFormLayout(general)
        self.data_dir = QLabel(str(ctx.store.paths.root))
        self.data_dir.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("数据目录"), self.data_dir)
        spec = REGISTRY["idle_lock_minutes"]
        self.idle = QSpinBox()
        self.idle.setRange(spec.minimum, spec.maximum)
        self.idle.setSuffix(self.tr(" 分钟"))
        self.idle.setValue(settings.get("idle_lock_minutes"))
        self.idle.valueChanged.connect(self.on_idle_changed)
        form.addRow(self.tr(spec.label), self.idle)
        self.daily = QCheckBox(self.tr(REGISTRY["daily_backup"].label))
        self.daily.setChecked(settings.get("daily_backup"))
        self.daily.toggled.connect(self.on_daily_changed)
        form.addRow("", self.daily)
        for key, widget in (("idle_lock_minutes", self.idle), ("daily_backup", self.daily)):
            if not settings.may_change(key, ctx.actor):  # shown, not changeable: they protect the data
                widget.setEnabled(False)
                widget.setToolTip(self.tr("只有管理员可以更改“{0}”").format(self.tr(REGISTRY[key].label)))

        backups = QGroupBox(self.tr("备份与恢复"))
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("时间"), self.tr("类型"), self.tr("大小"), self.tr("文件")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.backup_button = QPushButton(self.tr("立即备份"))
        self.backup_button.setObjectName("primary")
        self.restore_button = QPushButton(self.tr("从所选备份恢复"))
        self.restore_file_button = QPushButton(self.tr("从文件恢复…"))
        row = QHBoxLayout()
        for b in (self.backup_button, self.restore_button, self.restore_file_button):
            row.addWidget(b)
        row.addStretch()
        column = QVBoxLayout(backups)
        column.addLayout(row)
        column.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading(self.tr("设置")))
        layout.addWidget(general)
        layout.addWidget(backups)
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button.clicked.connect(self.restore_from_file)
        self.refresh()

    def on_idle_changed(self, minutes: int) -> None:
        if self.settings.may_change("idle_lock_minutes", self.ctx.actor):
            self.settings.set("idle_lock_minutes", minutes, actor=self.ctx.actor)
            self.idle_minutes_changed.emit(minutes)

    def on_daily_changed(self, on: bool) -> None:
        if self.settings.may_change("daily_backup", self.ctx.actor):
            self.settings.set("daily_backup", on, actor=self.ctx.actor)

    def refresh(self) -> None:
        self.backups = self.ctx.store.list_backups()
        self.table.setRowCount(len(self.backups))
        for r, b in enumerate(self.backups):
            for c, value in enumerate((format_moment(b.created), b.kind_label, f"{b.size / 1024:.0f} KB", b.path.name)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        admin = self.ctx.actor.role.is_admin
        self.restore_button.setEnabled(admin)
        self.restore_file_button.setEnabled(admin)
        self.status.emit(self.tr("共 {0} 个备份").format(len(self.backups)))

    def backup_now(self) -> None:
        store = self.ctx.store

        def done(path) -> None:
            self.refresh()
            self.status.emit(self.tr("已备份：{0}（可把这个文件复制到U盘另存）").format(path))

        run_in_background(self, lambda task: store.backup(kind="manual"), done, self.show_error,
                          title=self.tr("正在备份"), label=self.tr("正在备份数据库…"), cancellable=False)

    def restore_selected(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.backups):
            self.restore(self.backups[r].path)

    def restore_from_file(self) -> None:
        path = ask_open_path(self, "backup", self.tr("选择备份文件"), self.tr("台账数据库 (*.db)"))
        if path is not None:
            self.restore(path)

    def restore(self, path) -> None:
        store = self.ctx.store
        try:
            theirs = operators_in(path)
        except StoreError as exc:
            self.show_error(exc, "")
            return
        when = format_moment(backup_time(path))

        def names(operators) -> str:
            return "、".join(self.tr("{0}（{1}，{2}）").format(name, username, Role(role).label) for username, name, role in operators)

        ours = [(op.username, op.display_name, op.role) for op in list_operators(store)]
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("确认恢复"), self.tr(
            "将用 {0} 的备份“{1}”替换当前全部数据。当前数据会先自动另存一份“恢复前备份”。\n\n"
            "操作员：默认保留现在的操作员账号、角色和密码：{2}。\n"
            "备份中的操作员是：{3}。勾选下面一项，操作员就恢复为备份时的样子：各人的密码变回 {0} 时的密码，"
            "此后改过的密码不再有效，此后新加的操作员被删除。\n\n确定恢复吗？").format(when, path.name, names(ours), names(theirs)),
            parent=self)
        box.setObjectName("restoreQuestion")
        theirs_too = QCheckBox(self.tr("同时恢复备份中的操作员（密码变回 {0} 时的密码）").format(when), box)  # parented: kept alive
        box.setCheckBox(theirs_too)
        go = box.addButton(self.tr("恢复"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole))
        box.exec()
        if box.clickedButton() is not go:
            return
        keep_operators = not theirs_too.isChecked()

        def done(_safety) -> None:
            self.refresh()
            self.restored.emit()
            # the outbox is filled anew (every row, so the district matches this ledger): said, or its jump alarms
            # (a trial)
            QMessageBox.information(self, self.tr("恢复完成"), self.tr(
                "已从备份恢复。\n\n恢复后的台账会在下次同步时整体上传一次，让区里与本机一致（区里不会重复记录），"
                "所以“等待同步的变更”会比恢复前多。"))

        run_in_background(self, lambda task: store.restore(path, keep_operators=keep_operators), done, self.show_error,
                          title=self.tr("正在恢复"), label=self.tr("正在检查并恢复备份…"), cancellable=False)

    def show_error(self, exc: BaseException, _details: str) -> None:
        QMessageBox.warning(self, self.tr("无法完成"), str(exc))
