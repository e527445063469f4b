"""操作员 (admin only): accounts, roles, passwords."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QInputDialog, QLineEdit, QMessageBox, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from app.models.enums import Role
from app.services import operators as operator_service
from app.services.errors import FieldErrors, ServiceError, ValidationError
from app.services.common import format_moment

from ..forms import FormDialog
from .base import Page


class OperatorDialog(FormDialog):
    def __init__(self, ctx, parent=None):
        super().__init__(self.tr("添加操作员"), parent)
        self.ctx = ctx
        self.username = self.add("username", self.tr("登录名"), QLineEdit())
        self.display = self.add("display_name", self.tr("姓名"), QLineEdit())
        self.role = self.add("role", self.tr("角色"), QComboBox())
        for role in Role:
            self.role.addItem(role.label, role.value)
        self.role.setCurrentIndex(self.role.findData("clerk"))
        self.password = self.add("password", self.tr("初始密码"), QLineEdit())
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.finish_layout()

    def submit(self):
        return operator_service.create_operator(self.ctx, username=self.username.text(), display_name=self.display.text(),
                                                role=self.role.currentData(), password=self.password.text())


class ChangePasswordDialog(FormDialog):
    """修改我的密码, for every role."""

    def __init__(self, ctx, parent=None):
        super().__init__(self.tr("修改我的密码"), parent)
        self.ctx = ctx
        self.old = self.add("old", self.tr("当前密码"), QLineEdit())
        self.new = self.add("new", self.tr("新密码"), QLineEdit())
        self.again = self.add("again", self.tr("再输一次新密码"), QLineEdit())
        for edit in (self.old, self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new.setPlaceholderText(self.tr("至少{0}位").format(operator_service.MIN_PASSWORD))
        self.finish_layout()

    def submit(self):
        operator_service.change_own_password(self.ctx, old=self.old.text(), new=self.new.text(), again=self.again.text())


class ResetPasswordDialog(FormDialog):
    """重设密码 (admin): another operator's new password, typed twice, as every new password is."""

    def __init__(self, ctx, username: str, display_name: str, parent=None):
        super().__init__(self.tr("重设“{0}”的密码").format(display_name), parent)
        self.ctx, self.username = ctx, username
        self.new = self.add("new", self.tr("新密码"), QLineEdit())
        self.again = self.add("again", self.tr("再输一次新密码"), QLineEdit())
        for edit in (self.new, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new.setPlaceholderText(self.tr("至少{0}位").format(operator_service.MIN_PASSWORD))
        self.finish_layout()

    def submit(self):
        if self.new.text() != self.again.text():
            errors = FieldErrors()
            errors.add("again", "两次输入的新密码不一致")
            errors.raise_if_any()
        try:
            return operator_service.update_operator(self.ctx, self.username, password=self.new.text())
        except ValidationError as exc:  # the service names the field "password": here it is 新密码
            if "password" in exc.errors:
                exc.errors["new"] = exc.errors.pop("password")
            raise


def operator_status(op) -> str:
    if not op.active:
        return QCoreApplication.translate("OperatorsPage", "已停用")
    until = operator_service.locked_until(op)
    if until:
        return QCoreApplication.translate("OperatorsPage", "已锁定（至 {0}）").format(until.astimezone().strftime("%H:%M"))
    return QCoreApplication.translate("OperatorsPage", "正常")


class OperatorsPage(Page):
    title = "操作员"
    HEADERS = ("登录名", "姓名", "角色", "状态", "最近登录")

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in self.HEADERS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        buttons = QHBoxLayout()
        actions = (
            (self.tr("添加操作员"), self.add_operator), (self.tr("重设密码…"), self.reset_password),
            (self.tr("更改角色"), self.change_role), (self.tr("停用/启用"), self.toggle_active), (self.tr("解锁"), self.unlock),
            (self.tr("修改我的密码…"), self.change_own_password),  # also in 文件: found here, where passwords are
        )
        for text, slot in actions:
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading(self.tr("操作员")))
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self) -> None:
        self.rows = operator_service.list_operators(self.ctx.store)
        self.table.setRowCount(len(self.rows))
        for r, op in enumerate(self.rows):
            last = format_moment(op.last_login_at) if op.last_login_at else ""
            for c, value in enumerate((op.username, op.display_name, Role(op.role).label, operator_status(op), last)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.status.emit(self.tr("共 {0} 名操作员").format(len(self.rows)))

    def current(self):
        """The operator chosen in the list; None, said to the person, when none is."""
        r = self.table.currentRow()
        if 0 <= r < len(self.rows):
            return self.rows[r]
        QMessageBox.information(self, self.tr("操作员"), self.tr("请先在列表中点选一名操作员。"))
        return None

    def run(self, action) -> None:
        try:
            action()
        except ServiceError as exc:
            QMessageBox.warning(self, self.tr("无法完成"), str(exc))
        self.refresh()

    def add_operator(self) -> None:
        if OperatorDialog(self.ctx, self).exec():
            self.refresh()

    def reset_password(self) -> None:
        op = self.current()
        if op is None:
            return
        if ResetPasswordDialog(self.ctx, op.username, op.display_name, self).exec():
            self.refresh()
            QMessageBox.information(self, self.tr("重设密码"), self.tr("“{0}”的密码已重设，请告诉本人用新密码登录。")
                                    .format(op.display_name))

    def change_own_password(self) -> None:
        if ChangePasswordDialog(self.ctx, self).exec():
            password_changed_said(self)

    def change_role(self) -> None:
        op = self.current()
        if op is None:
            return
        labels = [r.label for r in Role]
        label, ok = QInputDialog.getItem(self, self.tr("更改角色"), self.tr("“{0}”的角色：").format(op.display_name), labels, labels.index(Role(op.role).label), False)
        if ok:
            role = next(r for r in Role if r.label == label)
            self.run(lambda: operator_service.update_operator(self.ctx, op.username, role=role.value))

    def unlock(self) -> None:
        op = self.current()
        if op is not None:
            self.run(lambda: operator_service.unlock_operator(self.ctx, op.username))

    def toggle_active(self) -> None:
        op = self.current()
        if op is not None:
            self.run(lambda: operator_service.update_operator(self.ctx, op.username, active=not op.active))


def password_changed_said(parent) -> None:
    """After 修改我的密码: said in a box, not only in the status bar (a person looked for it and missed it)."""
    QMessageBox.information(parent, QCoreApplication.translate("OperatorsPage", "修改我的密码"),
                            QCoreApplication.translate("OperatorsPage", "密码已修改，下次登录请使用新密码。"))
