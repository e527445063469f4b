"""The main window: left navigation, one page at a time, the idle lock and 切换操作员."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget, QWidget

from app.services.context import Context
from app.services.station import get_station
from app.settings import Settings

from .dialogs.login import LockDialog, LoginDialog
from .pages.activities import ActivitiesPage
from .pages.base import Page
from .pages.dashboard import DashboardPage
from .pages.operators import OperatorsPage
from .pages.settings import SettingsPage
from .pages.station import StationPage
from .pages.teams import TeamsPage
from .pages.volunteers import VolunteersPage

log = logging.getLogger(__name__)
USER_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.MouseMove}


class IdleWatcher(QObject):
    """Restarts a timer on every key, click or mouse move anywhere in the app."""

    idle = Signal()

    def __init__(self, minutes: int, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        QApplication.instance().installEventFilter(self)

    def set_minutes(self, minutes: int) -> None:
        self.timer.setInterval(minutes * 60_000)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in USER_INPUT:
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context, settings: Settings):
        super().__init__()
        self.ctx, self.settings = ctx, settings
        self.locked = False
        self.station_name = get_station(ctx).name
        self.setWindowTitle(self.tr("{0} — 实践站台账").format(self.station_name))
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.operator_label = QLabel()
        self.statusBar().addPermanentWidget(self.operator_label)
        self.pages: dict[str, Page] = {}
        self.build_pages()
        self.nav.currentRowChanged.connect(self.show_page)
        self.nav.setCurrentRow(0)
        self.build_menu()
        self.idle = IdleWatcher(settings.get("idle_lock_minutes"), self)
        self.idle.idle.connect(self.lock)
        self.update_operator_label()
        self.resize(1200, 760)

    # -- pages -------------------------------------------------------------
    def build_pages(self) -> None:
        self.nav.clear()
        while self.stack.count():
            widget = self.stack.widget(0)
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.pages = {
            "dashboard": DashboardPage(self.ctx),
            "volunteers": VolunteersPage(self.ctx),
            "teams": TeamsPage(self.ctx),
            "activities": ActivitiesPage(self.ctx),
            "station": StationPage(self.ctx),
        }
        if self.ctx.actor.role.sees_full_personal_data:
            self.pages["operators"] = OperatorsPage(self.ctx)
        settings_page = SettingsPage(self.ctx, self.settings)
        settings_page.idle_minutes_changed.connect(lambda m: self.idle.set_minutes(m))
        settings_page.restored.connect(self.after_restore)
        self.pages["settings"] = settings_page
        for page in self.pages.values():
            self.nav.addItem(self.tr(page.title))
            self.stack.addWidget(page)
            page.status.connect(self.show_status)
            page.changed.connect(self.on_data_changed)

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        self.stack.setCurrentIndex(index)
        page = self.stack.currentWidget()
        page.refresh()

    def go(self, key: str) -> None:
        self.nav.setCurrentRow(list(self.pages).index(key))

    def show_status(self, text: str) -> None:
        if self.sender() is self.stack.currentWidget():
            self.statusBar().showMessage(text)

    def on_data_changed(self) -> None:
        self.pages["dashboard"].refresh()

    def after_restore(self) -> None:
        self.ctx.store.forget_station()
        for page in self.pages.values():
            page.refresh()

    # -- menu --------------------------------------------------------------
    def build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        switch = QAction(self.tr("切换操作员"), self)
        switch.triggered.connect(self.switch_operator)
        lock = QAction(self.tr("锁定"), self)
        lock.setShortcut(QKeySequence("Ctrl+L"))
        lock.triggered.connect(self.lock)
        quit_action = QAction(self.tr("退出"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (switch, lock, quit_action):
            menu.addAction(action)

    def update_operator_label(self) -> None:
        actor = self.ctx.actor
        self.operator_label.setText(self.tr("操作员：{0}（{1}）").format(actor.label, actor.role.label))

    # -- locking and switching ----------------------------------------------
    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        log.info("locked after idle time or on request")
        # With a form open underneath, keep the same operator: switching would rebuild the pages under it.
        dialog = LockDialog(self.ctx.store, self.ctx.actor, self, allow_switch=QApplication.activeModalWidget() is None)
        self.lock_dialog = dialog
        result = dialog.exec()
        self.lock_dialog = None
        self.locked = False
        if result == LockDialog.SWITCH:
            self.switch_operator()
        self.idle.timer.start()

    def switch_operator(self) -> None:
        login = LoginDialog(self.ctx.store, self.station_name, parent=self)
        if not login.exec() or login.actor is None:
            return
        self.ctx = Context(store=self.ctx.store, actor=login.actor)
        self.settings.set("last_operator", login.actor.username)
        current = self.nav.currentRow()
        self.build_pages()
        self.nav.setCurrentRow(min(current, self.nav.count() - 1))
        self.update_operator_label()

    def closeEvent(self, event) -> None:  # noqa: N802
        self.idle.stop()
        super().closeEvent(event)
