"""Login, the idle lock, and 切换操作员."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit,
    QVBoxLayout, QWidget,
)

from app.services.errors import ServiceError

from ..forms import ErrorLabel
from ..lifetime import ClosedByQt

if TYPE_CHECKING:  # the login window comes up before the store's modules are loaded (#13)
    from app.db import Store
    from app.services.context import Actor


class NameEdit(QLineEdit):
    """The 操作员 box's text: a click opens the list, as a Windows drop-down does (a trial: only the small arrow
    did); a name can still be typed once the box has the cursor (Tab, or Esc closing the list)."""

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        combo = self.parentWidget()
        if event.button() == Qt.MouseButton.LeftButton and isinstance(combo, QComboBox) and combo.count() > 1:
            combo.showPopup()


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
    # Centred by stretches, not by an alignment flag: an aligned widget gets its plain size hint, so a message that
    # wraps to a second line (a lockout's) squashed the card's fields; in a row of stretches its height follows its
    # width (height-for-width) and the card grows instead.
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(card)
    row.addStretch(1)
    outer = QVBoxLayout(dialog)
    outer.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(2)


def reserve_message_room(error: QLabel, lines: int = 2) -> None:
    """The card keeps room for a message of ``lines`` lines, shown or not: it never changes size as a message comes
    (a lockout's two lines squashed its fields until the layout caught up — on a loaded PC, for as long as it was
    busy). Its screen has the room."""
    policy = error.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    error.setSizePolicy(policy)
    error.setMinimumHeight(lines * error.fontMetrics().lineSpacing() + 2)
    error.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


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

    def showEvent(self, event) -> None:
        if self.covering:
            self.setGeometry(covered_area(self.parentWidget()))
        super().showEvent(event)


class LoginDialog(ClosedByQt, CoveringMixin, QDialog):
    """Operator + password. Five wrong passwords lock that operator for five minutes (service rule).

    At start-up the window comes up with ``store=None`` while the store opens behind it; the password can
    be typed (and Enter pressed) at once, and the login goes ahead when ``attach`` hands the store over.
    """

    def __init__(self, store: Store | None, station_name: str, *, last_operator: str = "", parent=None, cover_window: bool = False,
                 demo: bool = False, demo_login_known: bool = False):
        """``demo``: the store is a demo station (made-up data), which the box says plainly; ``demo_login_known``: its
        login is still the one every demo is made with (app/demo.py), which the box says too."""
        super().__init__(parent)
        self.store = store
        self.actor: Actor | None = None
        self.pending = False  # 登录 pressed before the store was open
        self.demo_banner = QLabel(self.tr("示范站（数据是虚构的，仅供试用）"))
        self.demo_banner.setObjectName("demoBanner")
        self.demo_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.demo_banner.setStyleSheet("#demoBanner { background: #fff3c4; color: #7a5a00; padding: 4px 8px; font-weight: bold; }")
        self.title = title = QLabel(station_name)
        title.setObjectName("pageTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)
        self.username = QComboBox()
        self.username.setEditable(True)
        self.username.setLineEdit(NameEdit())
        self.opening = QLabel(self.tr("正在打开台账……"))
        self.opening.setObjectName("cardTitle")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = ErrorLabel()
        # one operator's message (锁定, 再错N次) is not another's: it goes when another is picked (a trial)
        self.username.currentIndexChanged.connect(lambda _i: self.error.show_message(None))
        self.username.editTextChanged.connect(lambda _t: self.error.show_message(None))  # another name being typed
        # picked from the list: the password next (once the list has closed and given the box its focus back)
        self.username.activated.connect(lambda _i: QTimer.singleShot(0, self.password, self.password.setFocus))
        form = QFormLayout()
        form.addRow(self.tr("操作员"), self.username)
        form.addRow(self.tr("密码"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("登录"))
        # at the start it ends the program; over the window (切换操作员) it only calls the switch off
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消") if cover_window else self.tr("退出"))
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        self.covering = cover_window
        card = QFrame() if cover_window else self
        layout = QVBoxLayout(card)
        layout.addWidget(self.demo_banner)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.opening)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if cover_window:  # 切换操作员 from the main window: the window's data stays hidden until someone logs in
            cover(self, card)
            reserve_message_room(self.error)
        else:
            self.resize(380, 200)
        self.mark_demo(demo, demo_login_known)
        if store is None:
            if last_operator:
                self.username.addItem(last_operator, last_operator)
            self.username.setEnabled(False)  # the names come with the store, in a moment
        else:
            self.attach(store, station_name, last_operator=last_operator, demo=demo, demo_login_known=demo_login_known)
        self.password.setFocus()

    def mark_demo(self, demo: bool, login_known: bool = False) -> None:
        from app.demo_account import DEMO_ADMIN, DEMO_PASSWORD

        self.demo_banner.setText(self.tr("示范站（数据是虚构的，仅供试用）") + (
            self.tr("\n登录名 {0}　密码 {1}").format(DEMO_ADMIN, DEMO_PASSWORD) if login_known else ""))
        self.demo_banner.setVisible(demo)
        self.setWindowTitle(self.tr("登录 — 实践站台账（示范站）") if demo else self.tr("登录 — 实践站台账"))

    def attach(self, store: Store, station_name: str, *, last_operator: str = "", demo: bool = False,
               demo_login_known: bool = False) -> None:
        """The store is open: list its operators, show its real name, and log in if 登录 was already pressed."""
        from app.services import operators

        self.store = store
        self.title.setText(station_name)
        self.mark_demo(demo, demo_login_known)
        chosen = last_operator or self.username.currentData() or ""
        self.username.clear()
        for op in operators.list_operators(store):
            if op.active:
                self.username.addItem(f"{op.display_name}（{op.username}）", op.username)
        index = self.username.findData(chosen)
        if index >= 0:
            self.username.setCurrentIndex(index)
        self.username.setEnabled(True)
        self.opening.hide()
        if self.pending:
            self.pending = False
            self.try_login()

    def chosen_username(self) -> str:
        data = self.username.currentData()
        text = self.username.currentText()
        if data and text == self.username.itemText(self.username.currentIndex()):
            return data
        return text.strip()

    def try_login(self) -> None:
        if self.store is None:
            self.pending = True
            self.opening.setText(self.tr("正在打开台账，打开后马上登录……"))
            return
        from app.services import operators

        try:
            self.actor = operators.authenticate(self.store, self.chosen_username(), self.password.text())
        except ServiceError as exc:
            text = str(exc)
            listed = {self.username.itemData(i) for i in range(self.username.count())}
            if self.chosen_username() in listed:
                # a name on the list is right: only the password can be (a trial looked at the name)
                text = text.replace("登录名或密码不正确", "密码不正确")
            elif listed and "登录名或密码不正确" in text:  # the list shows every operator: a name not on it is not one
                text = self.tr("没有登录名为“{0}”的操作员，请从列表中选择").format(self.chosen_username())
            self.error.show_message(text)
            self.grow_to_fit()
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()

    def grow_to_fit(self) -> None:
        """Taller when a message of two lines appears (the lockout's), so the fields keep their height: a
        dialog does not grow by itself for a wrapped label (its height depends on its width)."""
        if self.covering:  # the card keeps room for the message (reserve_message_room)
            return
        self.layout().activate()
        needed = max(self.heightForWidth(self.width()), self.sizeHint().height())
        if needed > self.height():
            self.resize(self.width(), needed)


class LockDialog(ClosedByQt, CoveringMixin, QDialog):
    """Shown after the idle time or Ctrl+L: an opaque screen over the whole app showing only the station,
    the operator and the password; the window and any open form stay as they were underneath."""

    SWITCH = 2
    covering = True

    def __init__(self, store: Store, actor: Actor, parent=None, *, allow_switch: bool = True, station_name: str = "",
                 kept_open: str = "", scanner_nearby: bool = False):
        """``scanner_nearby``: a sign-in runs at this PC, whose card scanner types wherever the focus is: the password
        box takes keys only once clicked into (scans counted as wrong passwords locked the operator out)."""
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
        # Why no one else can come in (a trial: the PC stayed the absent operator's with no word of why): a window
        # whose typing could not be kept for its author is open underneath.
        self.kept_open = QLabel(self.tr("“{0}”还开着，其中的内容无法替他保留，所以现在不能切换操作员，只能由本人解锁。").format(kept_open))
        self.kept_open.setWordWrap(True)
        self.kept_open.setVisible(bool(kept_open) and not allow_switch)
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
        layout.addWidget(self.kept_open)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        cover(self, card)
        reserve_message_room(self.error)
        if scanner_nearby:
            self.password.setPlaceholderText(self.tr("点这里输入密码"))
            card.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            card.setFocus()
        else:
            self.password.setFocus()

    def reject(self) -> None:  # Esc does not unlock
        pass

    def try_unlock(self) -> None:
        from app.services import operators

        try:
            operators.authenticate(self.store, self.actor.username, self.password.text())
        except ServiceError as exc:
            # the lock asks only for the password: "登录名或密码不正确" would send the person looking for a name box
            self.error.show_message(str(exc).replace("登录名或密码不正确", "密码不正确"))
            self.password.clear()
            return
        self.accept()
