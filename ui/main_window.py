"""The main window: left navigation, one page at a time, the idle lock and 切换操作员."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QWindow
from PySide6.QtWidgets import (
    QApplication, QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QVBoxLayout, QWidget,
)

from app.models.enums import station_level
from app.services.context import Context
from app.services.station import get_station
from app.settings import Settings
from sync.client import load_state

from .dialogs.login import LockDialog, LoginDialog
from .pages.activities import ActivitiesPage
from .pages.base import ALL_TABLES, Page
from .pages.dashboard import DashboardPage
from .pages.operators import OperatorsPage
from .pages.settings import SettingsPage
from .pages.station import StationPage
from .pages.sync import SyncPage
from .pages.demands import DemandsPage
from .pages.points import PointsPage
from .pages.work import ProjectsPage, RecordsPage
from .pages.teams import TeamsPage
from .pages.volunteers import VolunteersPage
from .workers import watch_store

log = logging.getLogger(__name__)
USER_INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.MouseMove}


class IdleWatcher(QObject):
    """Restarts a timer on every key, click or mouse move in any of the program's windows.

    It watches the top-level windows (each ``QWindow``: every input event of the program reaches one
    before its widget), not the application: an application-wide filter written in Python is called for
    every event of the GUI thread — each timer tick, repaint and queued signal — and each call waits for
    the GIL while a background job runs; with it the window stalled 60–120 ms at a time during a
    settlement (bench/ui_bench.py). A window is watched from the moment it takes the focus.

    It also hears 锁定's Ctrl+L pressed in a window in front of the main one (a form, a preview): the main
    window's shortcut is blocked while a modal window is up, and that is where a clerk called away is."""

    idle = Signal()
    lock_asked = Signal()
    LOCK_KEYS = QKeySequence("Ctrl+L")

    def __init__(self, minutes: int, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        self._watching = True
        app = QGuiApplication.instance()
        app.focusWindowChanged.connect(self._watch)
        for window in app.topLevelWindows():
            self._watch(window)

    def _watch(self, window: QWindow | None) -> None:
        if window is not None:
            window.installEventFilter(self)  # Qt keeps one entry per filter: installing again only moves it first

    def set_minutes(self, minutes: int) -> None:
        self.timer.setInterval(minutes * 60_000)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:
        if event.type() in USER_INPUT:
            self.timer.start()
            modal = QApplication.activeModalWidget() if event.type() == QEvent.Type.KeyPress else None
            if (modal is not None and not isinstance(modal, (LoginDialog, LockDialog))  # a login: nobody's to lock
                    and QKeySequence(event.keyCombination()) == self.LOCK_KEYS):
                self.lock_asked.emit()
                return True
        return False

    def stop(self) -> None:
        self.timer.stop()
        if not self._watching:
            return
        self._watching = False
        app = QGuiApplication.instance()
        app.focusWindowChanged.disconnect(self._watch)
        for window in app.topLevelWindows():
            window.removeEventFilter(self)


class StoreChanges(QObject):
    """The store's commits (app/changes.py ``on_commit``, called on the committing thread) as a signal on
    the GUI thread. It holds no page or window: it is their child, and stops listening when deleted."""

    changed = Signal(object)  # frozenset of table names

    def __init__(self, engine, parent: QObject) -> None:
        super().__init__(parent)
        from app.changes import on_commit

        def heard(bind, tables) -> None:
            if bind is engine or getattr(bind, "engine", None) is engine:
                self.changed.emit(tables)

        self.destroyed.connect(on_commit(heard))  # (kept by the connection, not by this object: no cycle)


class MainWindow(QMainWindow):
    leave_demo_requested = Signal()

    def __init__(self, ctx: Context, settings: Settings):
        super().__init__()
        self.ctx, self.settings = ctx, settings
        self.locked = False
        watch_store(ctx.store)
        station = get_station(ctx)
        self.station_name, self.tier = station.name, station_level(station.level)
        self.setWindowTitle(self.tr("{0} — {1}").format(self.station_name, self.tier.ledger))
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        # An explicit minimum: a page with a tall minimum (同步) no longer grows the window past the screen.
        self.stack.setMinimumSize(480, 360)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.is_demo = bool(settings.get("is_demo"))
        if self.is_demo:
            # Nobody mistakes the made-up station for their own, and everyone sees the way out.
            banner = QLabel(self.tr("示范站（数据仅供试用）　　要建立本站的正式台账，请点“文件 → 退出示范站，建立本站台账”"))
            banner.setObjectName("demoBanner")
            banner.setStyleSheet("#demoBanner { background: #fff3c4; color: #7a5a00; padding: 6px 12px; font-weight: bold; }")
            outer = QWidget()
            column = QVBoxLayout(outer)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(0)
            column.addWidget(banner)
            column.addWidget(central, 1)
            central = outer
            self.demo_banner = banner
        self.setCentralWidget(central)
        self.operator_label = QLabel()
        self.statusBar().addPermanentWidget(self.operator_label)
        self.pages: dict[str, Page] = {}
        self.factories: dict = {}
        self.build_pages()
        self.nav.currentRowChanged.connect(self.show_page)
        self.nav.setCurrentRow(0)
        self.build_menu()
        self.build_toolbar()
        self.idle = IdleWatcher(settings.get("idle_lock_minutes"), self)
        self.idle.idle.connect(self.lock)
        self.idle.lock_asked.connect(self.lock_now)
        self.store_changes = StoreChanges(ctx.store.engine, self)
        self.store_changes.changed.connect(self.on_store_changed)
        self.update_operator_label()
        if load_state(ctx.store).auto_minutes:
            self.page("sync")  # its timer runs the automatic sync while the app is open
        self.resize(1200, 760)



    # -- pages -------------------------------------------------------------
    def build_pages(self) -> None:
        """The navigation for this operator's role; each page is built the first time it is shown."""
        self.nav.blockSignals(True)
        self.nav.clear()
        while self.stack.count():
            widget = self.stack.widget(0)
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.pages = {}
        self.factories = {
            "dashboard": (self.tr("工作台"), self._dashboard_page),
            "volunteers": (self.tr("志愿者"), lambda: VolunteersPage(self.ctx)),
            "teams": (self.tr("志愿服务队"), lambda: TeamsPage(self.ctx)),
            "activities": (self.tr("活动台账"), lambda: ActivitiesPage(self.ctx)),
            "demands": (self.tr("群众点单"), lambda: DemandsPage(self.ctx)),
            "points": (self.tr("积分超市"), lambda: PointsPage(self.ctx)),
            "projects": (self.tr("项目库"), lambda: ProjectsPage(self.ctx)),
            "records": (self.tr("制度与计划"), lambda: RecordsPage(self.ctx)),
            "station": (self.tr(self.tier.info_page), lambda: StationPage(self.ctx)),
        }
        if self.ctx.actor.role.is_admin:
            self.factories["operators"] = (self.tr("操作员"), lambda: OperatorsPage(self.ctx))
        self.factories["sync"] = (self.tr("同步"), lambda: SyncPage(self.ctx))
        self.factories["settings"] = (self.tr("设置"), self._settings_page)
        for title, _factory in self.factories.values():
            self.nav.addItem(title)
            self.stack.addWidget(QWidget())  # placeholder until first shown
        self.nav.blockSignals(False)

    @property
    def page_keys(self) -> list[str]:
        return list(self.factories)

    def _dashboard_page(self) -> Page:
        page = DashboardPage(self.ctx)
        page.navigate.connect(self.go)
        return page

    def _settings_page(self) -> Page:
        page = SettingsPage(self.ctx, self.settings)
        page.idle_minutes_changed.connect(lambda m: self.idle.set_minutes(m))
        page.restored.connect(self.after_restore)
        return page

    def page(self, key: str) -> Page:
        if key not in self.pages:
            index = self.page_keys.index(key)
            page = self.factories[key][1]()
            page.status.connect(self.show_status)
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.pages[key] = page
        return self.pages[key]

    _shown_index = -1  # the page on screen: the one a change of row leaves

    def show_page(self, index: int) -> None:
        if index < 0:
            return
        leaving = self.pages.get(self.page_keys[self._shown_index]) if 0 <= self._shown_index < len(self.page_keys) else None
        if leaving is not None and index != self._shown_index and not self.may_leave(leaving):
            self.nav.blockSignals(True)  # stay: the row goes back to the page still being typed on
            self.nav.setCurrentRow(self._shown_index)
            self.nav.blockSignals(False)
            return
        self._shown_index = index
        page = self.page(self.page_keys[index])
        self.stack.setCurrentIndex(index)
        self.statusBar().showMessage(page.last_status)
        if getattr(page, "_shown_once", False):
            page.refresh()
        page._shown_once = True

    def go(self, key: str) -> None:
        """Show a page by its key; ``"page:part"`` also brings that part of it forward (a to-do item's tab)."""
        key, _, part = key.partition(":")
        self.nav.setCurrentRow(self.page_keys.index(key))
        if part:
            self.page(key).show_part(part)

    def show_status(self, text: str) -> None:
        if self.sender() is self.stack.currentWidget():
            self.statusBar().showMessage(text)

    CHANGES_SETTLE_MS = 150

    def on_store_changed(self, tables: frozenset) -> None:
        """Rows of ``tables`` were committed — by a form, a background job (a sign-in confirmed, a settlement,
        an import, a sync) or another window: the pages that show them are refreshed, the one in front, and
        the 工作台 whenever it exists (the others refresh when they are next shown). Gathered for a moment,
        and held while a background job runs: a settlement commits a slice every fraction of a second, and
        a page reloading after each would read on the GUI thread what the job is still writing."""
        self._changed_tables = getattr(self, "_changed_tables", frozenset()) | tables
        if not hasattr(self, "_changes_timer"):
            self._changes_timer = QTimer(self)
            self._changes_timer.setSingleShot(True)
            self._changes_timer.timeout.connect(self._apply_store_changes)
        if not self._changes_timer.isActive():
            self._changes_timer.start(self.CHANGES_SETTLE_MS)

    def _apply_store_changes(self) -> None:
        from .workers import jobs_running

        if jobs_running():
            self._changes_timer.start(self.CHANGES_SETTLE_MS)
            return
        tables, self._changed_tables = self._changed_tables, frozenset()
        current = self.stack.currentWidget()
        for key, page in self.pages.items():
            watches = getattr(page, "watches", frozenset())
            if watches is not ALL_TABLES and not watches & tables:
                continue
            if key == "dashboard" or page is current:
                page.on_store_changed(tables)

    def after_restore(self) -> None:
        self.ctx.store.forget_station()
        for page in self.pages.values():
            page.refresh()

    # -- menu --------------------------------------------------------------
    def build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("文件(&F)"))
        switch = QAction(self.tr("切换操作员"), self)
        switch.triggered.connect(lambda: self.switch_operator())
        password = QAction(self.tr("修改我的密码…"), self)
        password.triggered.connect(self.change_password)
        lock = QAction(self.tr("锁定"), self)
        lock.setShortcut(IdleWatcher.LOCK_KEYS)
        lock.triggered.connect(self.lock_now)
        quit_action = QAction(self.tr("退出"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (switch, password, lock, quit_action):
            menu.addAction(action)
        help_menu = self.menuBar().addMenu(self.tr("帮助(&H)"))
        manual = QAction(self.tr("使用手册"), self)
        manual.setShortcut(QKeySequence.StandardKey.HelpContents)  # F1
        manual.triggered.connect(self.show_manual)
        about = QAction(self.tr("关于实践站台账…"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(manual)
        help_menu.addAction(about)
        if self.is_demo:
            self.leave_demo_action = QAction(self.tr("退出示范站，建立本站台账…"), self)
            self.leave_demo_action.triggered.connect(self.leave_demo)
            menu.insertAction(switch, self.leave_demo_action)
            menu.insertSeparator(switch)

    def leave_demo(self) -> None:
        """Back to the real data folder: the wizard then builds the station's own ledger. The demo's folder
        stays (it can be deleted), and nothing of it goes into the real one."""
        answer = QMessageBox.question(self, self.tr("退出示范站"), self.tr(
            "退出示范站后将建立本站的正式台账。示范站的数据不会带入正式台账。\n确定退出示范站吗？"))
        if answer != QMessageBox.StandardButton.Yes:
            return
        from app.config import DataPaths

        Settings(DataPaths(self.ctx.store.paths.root.parent).settings).set("demo_open", False)
        self.leave_demo_requested.emit()

    def show_manual(self) -> None:
        """The 使用手册 the program ships (ui/manual.py made it), in the program's own preview: print it or save it."""
        from .dialogs.preview import PdfPreview
        from .manual import shipped_manual

        path = shipped_manual()
        if not path.exists():
            QMessageBox.warning(self, self.tr("使用手册"), self.tr("找不到使用手册（{0}）。程序安装不完整，请重新安装。").format(path))
            return
        PdfPreview(path, self.tr("使用手册"), self).exec()

    def show_about(self) -> None:
        from .dialogs.about import AboutDialog

        AboutDialog(str(self.ctx.store.paths.root), self.station_name, self).exec()

    def change_password(self) -> None:
        from .pages.operators import ChangePasswordDialog, password_changed_said

        if ChangePasswordDialog(self.ctx, self).exec():
            self.statusBar().showMessage(self.tr("密码已修改，下次登录请使用新密码"))
            password_changed_said(self)

    def build_toolbar(self) -> None:
        bar = self.addToolBar(self.tr("常用"))
        bar.setMovable(False)
        self.sync_action = QAction(self.tr("同步"), self)
        self.sync_action.setToolTip(self.tr("把{own}的变更上传到区里（Ctrl+Shift+S）").format(own=self.tier.own))
        self.sync_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.sync_action.triggered.connect(self.sync_now)
        bar.addAction(self.sync_action)

    def sync_now(self) -> None:
        self.go("sync")
        self.page("sync").start_sync()

    def update_operator_label(self) -> None:
        actor = self.ctx.actor
        self.operator_label.setText(self.tr("操作员：{0}（{1}）").format(actor.label, actor.role.label))

    # -- locking and switching ----------------------------------------------
    def running_signins(self) -> list:
        """手机签到 windows open at this PC: an activity is going on in front of it."""
        from .dialogs.signin import SigninDialog

        return [w for w in QApplication.topLevelWidgets() if isinstance(w, SigninDialog) and w.isVisible()]

    def lock_now(self) -> None:
        """文件 → 锁定 or Ctrl+L: the clerk asks for the lock. During a sign-in at this PC, what locking does to it is
        said first (the idle lock waits for a sign-in instead; asked for, the lock must not be refused silently)."""
        signins = self.running_signins()
        if signins and not self.locked:
            answer = QMessageBox.question(
                self, self.tr("锁定"),
                self.tr("“{0}”正在手机签到。锁定后签到窗口会被遮住：二维码看不到，扫码枪签到暂停；已打开签到页的手机"
                        "仍可签到。\n\n仍要锁定吗？").format("、".join(w.activity.title for w in signins)),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.lock(asked=True)

    def lock(self, asked: bool = False) -> None:
        if self.locked:
            return
        signins = self.running_signins()
        if signins and not asked:
            # An activity is signing in here: its QR code stays on screen, and a card scanner's keys must not
            # land in a password box (five scans locked the admin out). The idle lock waits for the window to close.
            self.idle.timer.start()
            self.statusBar().showMessage(self.tr("正在手机签到，暂不自动锁定；离开电脑时请按 Ctrl+L 锁定"))
            return
        self.locked = True
        log.info("locked after idle time or on request")
        # With forms open underneath, 切换操作员 keeps what was typed in them as drafts (ui/drafts.py), closes
        # them, and switches once they are closed; a job's progress window (or anything else) keeps the operator.
        open_windows = self.open_modal_windows()
        from .forms import FormDialog

        # Only forms that keep a draft can be closed for someone else (a trial: 新增项目's typing was lost on a
        # switch, that form keeps none); any other window open keeps the PC its operator's until they come back.
        unkept = [w for w in open_windows if not (isinstance(w, FormDialog) and w.DRAFT_PAGE is not None)]
        dialog = LockDialog(self.ctx.store, self.ctx.actor, self, station_name=self.station_name, allow_switch=not unkept,
                            kept_open="、".join(w.windowTitle() for w in unkept), scanner_nearby=bool(signins))
        self.lock_dialog = dialog
        result = dialog.exec()
        self.lock_dialog = None
        self.locked = False
        if result == LockDialog.SWITCH:
            self.switch_at_the_lock(open_windows)
        self.idle.timer.start()

    def switch_at_the_lock(self, open_windows: list) -> None:
        """切换操作员 on the lock. The login comes first, over the forms still open underneath: called off, it is the
        lock again and the forms are as they were; the same operator logging in is an unlock. Only for someone else
        are the forms closed, each keeping what was typed as its author's draft (a trial: calling the login off
        closed the forms all the same, and they came back only through the recovery list)."""
        actor = self.ask_login()
        if actor is None:
            # Back to the lock, never to the window of the operator who walked away (it was left open to whoever
            # was at the PC, without a password) — locked again even with a sign-in running.
            QTimer.singleShot(0, lambda: self.lock(asked=True))
        elif actor.username == self.ctx.actor.username:
            log.info("operator %s back at the lock's 切换操作员", actor.username)
        elif open_windows:
            for form in reversed(open_windows):  # the top one first
                form.close_keeping_draft()
            self.switch_when_forms_closed(actor)
        else:
            self.become(actor, unattended=True)

    def open_modal_windows(self) -> list:
        """The modal windows open over this one, bottom first."""
        from PySide6.QtWidgets import QDialog

        return [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QDialog) and w.isVisible() and w.isModal() and w is not getattr(self, "lock_dialog", None)]

    def switch_when_forms_closed(self, actor) -> None:
        """The forms closed above return from their exec() first (their pages' handlers finish); the pages
        are rebuilt for the next operator only then."""
        if self.open_modal_windows():
            QTimer.singleShot(20, lambda: self.switch_when_forms_closed(actor))
            return
        self.become(actor, unattended=True)

    def ask_login(self):
        """The login over the whole window for 切换操作员: the operator who logged in, or None when called off."""
        login = LoginDialog(self.ctx.store, self.station_name, parent=self, cover_window=True, demo=self.is_demo,
                            demo_login_known=self.is_demo and bool(self.settings.get("demo_login_known")))
        if not login.exec() or login.actor is None:
            return None
        return login.actor

    def switch_operator(self) -> bool:
        """文件 → 切换操作员: the operator is here, so typing on a page is saved, given up or kept by staying, as on
        leaving it; then the login (called off: nothing changes)."""
        if not all(self.may_leave(page) for page in list(self.pages.values())):
            return False
        actor = self.ask_login()
        if actor is None:
            return False
        if actor.username == self.ctx.actor.username:  # the same operator: the window as it was, filters and all
            log.info("operator %s logged in again at 切换操作员", actor.username)
            return True
        self.become(actor, unattended=False)
        return True

    def become(self, actor, *, unattended: bool) -> None:
        """The window is ``actor``'s: the pages are made anew for their role, and they are offered their own drafts.
        ``unattended`` (the lock's switch): the operator walked away, so what they typed on a page is kept as their
        draft."""
        from .drafts import keep_page_drafts, offer_recovery

        if unattended:
            keep_page_drafts(self, self.ctx.actor)
        log.info("operator switched from %s to %s%s", self.ctx.actor.username, actor.username,
                 " at the lock" if unattended else "")
        self.ctx = Context(store=self.ctx.store, actor=actor)
        self.settings.set("last_operator", actor.username)
        current = self.page_keys[self.nav.currentRow()]
        for window in self.running_signins():
            window.close()  # stops its server: the pages it belongs to are made anew for the new operator
        self.build_pages()
        self.go(current if current in self.page_keys else "dashboard")
        self.show_page(self.nav.currentRow())
        self.update_operator_label()
        offer_recovery(self, None, None)  # what the new operator had left unsaved, if anything

    def may_leave(self, page: Page) -> bool:
        """Before another page is shown or the program closes: what is typed on ``page`` and not saved is saved, given
        up, or kept by staying (the default) — never lost without a word."""
        what = page.unsaved()
        if not what:
            return True
        if self.stack.currentWidget() is not page:  # closing with it behind another page: it comes forward to be seen
            self._shown_index = self.stack.indexOf(page)
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(self._shown_index)
            self.nav.blockSignals(False)
            self.stack.setCurrentWidget(page)
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("尚未保存"),
                          self.tr("“{0}”中有尚未保存的修改。要保存吗？").format(what), parent=self)
        save = box.addButton(self.tr("保存"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("放弃修改"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("继续编辑"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stay)
        box.setEscapeButton(stay)
        box.exec()
        if box.clickedButton() is save:
            return page.save_unsaved()  # refused (a field's message shown under it): stay on the page
        if box.clickedButton() is discard:
            page.discard_unsaved()
            return True
        return False

    def closeEvent(self, event) -> None:
        for page in list(self.pages.values()):
            if not self.may_leave(page):
                event.ignore()
                return
        self.idle.stop()
        super().closeEvent(event)
