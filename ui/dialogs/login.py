"""Login, the idle lock, and 切换操作员."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from app.db import Store
from app.services import operators
from app.services.context import Actor
from app.services.errors import ServiceError

from ..forms import ErrorLabel


class LoginDialog(QDialog):
    """Operator + password. Five wrong passwords lock that operator for five minutes (service rule)."""

    def __init__(self, store: Store, station_name: str, *, last_operator: str = "", parent=None):
        super().__init__(parent)
        self.store = store
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("登录 — 实践站台账"))
        title = QLabel(station_name)
        title.setObjectName("pageTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QComboBox()
        self.username.setEditable(True)
        for op in operators.list_operators(store):
            if op.active:
                self.username.addItem(f"{op.display_name}（{op.username}）", op.username)
        index = self.username.findData(last_operator)
        if index >= 0:
            self.username.setCurrentIndex(index)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = ErrorLabel()
        form = QFormLayout()
        form.addRow(self.tr("操作员"), self.username)
        form.addRow(self.tr("密码"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("登录"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("退出"))
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.password.setFocus()
        self.resize(380, 200)

    def chosen_username(self) -> str:
        data = self.username.currentData()
        text = self.username.currentText()
        if data and text == self.username.itemText(self.username.currentIndex()):
            return data
        return text.strip()

    def try_login(self) -> None:
        try:
            self.actor = operators.authenticate(self.store, self.chosen_username(), self.password.text())
        except ServiceError as exc:
            self.error.show_message(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


class LockDialog(QDialog):
    """Shown after the idle time: the window and any open form stay as they were underneath."""

    SWITCH = 2

    def __init__(self, store: Store, actor: Actor, parent=None, *, allow_switch: bool = True):
        super().__init__(parent)
        self.store, self.actor = store, actor
        self.setWindowTitle(self.tr("已锁定"))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        message = QLabel(self.tr("为保护数据，程序已自动锁定。\n请输入“{0}”的密码继续。").format(actor.label))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = ErrorLabel()
        buttons = QDialogButtonBox()
        unlock = buttons.addButton(self.tr("解锁"), QDialogButtonBox.ButtonRole.AcceptRole)
        switch = buttons.addButton(self.tr("切换操作员"), QDialogButtonBox.ButtonRole.ActionRole)
        switch.setVisible(allow_switch)
        unlock.setDefault(True)
        buttons.accepted.connect(self.try_unlock)
        switch.clicked.connect(lambda: self.done(self.SWITCH))
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def reject(self) -> None:  # Esc does not unlock
        pass

    def try_unlock(self) -> None:
        try:
            operators.authenticate(self.store, self.actor.username, self.password.text())
        except ServiceError as exc:
            self.error.show_message(str(exc))
            self.password.clear()
            return
        self.accept()
