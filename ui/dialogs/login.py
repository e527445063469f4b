"""Login, the idle lock, and 切换操作员."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.db import Store
from app.services import operators
from app.services.context import Actor
from app.services.errors import ServiceError

from ..forms import ErrorLabel


def cover(dialog: QDialog, card: QWidget) -> None:
    """Make ``dialog`` an opaque screen over every window of the app, with only ``card`` in its middle:
    what a lock or an operator switch shows must not leave names and phones readable around it.
    The windows underneath (an unfinished form among them) are covered, never closed."""
    dialog.setObjectName("coverScreen")
    dialog.setWindowFlags(Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    dialog.setAutoFillBackground(True)
    dialog.setStyleSheet("#coverScreen { background: #2b2f3a; } #coverCard { background: white; border-radius: 6px; }")
    card.setObjectName("coverCard")
    card.setFixedWidth(420)
    outer = QVBoxLayout(dialog)
    outer.addStretch(1)
    outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
    outer.addStretch(2)


def covered_area(widget: QWidget | None) -> QRect:
    """Every screen's area together (a second monitor too), so no window of the app stays in view."""
    area = QRect()
    for screen in QApplication.screens():
        area = area.united(screen.geometry())
    if widget is not None:
        area = area.united(widget.window().frameGeometry())
    return area


class CoveringMixin:
    covering = False

    def showEvent(self, event) -> None:  # noqa: N802
        if self.covering:
            self.setGeometry(covered_area(self.parentWidget()))
        super().showEvent(event)


class LoginDialog(CoveringMixin, QDialog):
    """Operator + password. Five wrong passwords lock that operator for five minutes (service rule)."""

    def __init__(self, store: Store, station_name: str, *, last_operator: str = "", parent=None, cover_window: bool = False):
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
        self.covering = cover_window
        card = QFrame() if cover_window else self
        layout = QVBoxLayout(card)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if cover_window:  # 切换操作员 from the main window: the window's data stays hidden until someone logs in
            cover(self, card)
        else:
            self.resize(380, 200)
        self.password.setFocus()

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


class LockDialog(CoveringMixin, QDialog):
    """Shown after the idle time or Ctrl+L: an opaque screen over the whole app showing only the station,
    the operator and the password; the window and any open form stay as they were underneath."""

    SWITCH = 2
    covering = True

    def __init__(self, store: Store, actor: Actor, parent=None, *, allow_switch: bool = True, station_name: str = ""):
        super().__init__(parent)
        self.store, self.actor = store, actor
        self.setWindowTitle(self.tr("已锁定"))
        card = QFrame()
        station = QLabel(station_name or self.tr("实践站台账"))
        station.setObjectName("pageTitle")
        station.setAlignment(Qt.AlignmentFlag.AlignCenter)
        station.setWordWrap(True)
        message = QLabel(self.tr("已锁定。请输入“{0}”（{1}）的密码继续。").format(actor.label, actor.role.label))
        message.setWordWrap(True)
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
        layout = QVBoxLayout(card)
        layout.addWidget(station)
        layout.addWidget(message)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        cover(self, card)
        self.password.setFocus()

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
