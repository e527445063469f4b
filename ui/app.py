"""``station`` with no subcommand: the desktop app.

Start-up order: data dir → log and crash log → Qt (fonts, Chinese) → one instance
per data dir → the login window → open the store behind it (migrate, back up) →
first-run wizard or login → main window.

The login window is up before SQLAlchemy, the models, the rules and the pages are
imported (#13): on an old PC those take seconds from a cold disk. They load on a
worker thread while the window paints and takes the password; nothing here at
module level may import them.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QEventLoop, QLockFile, QThreadPool, QTimer, QtMsgType, Qt, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from app.config import DataPaths, resolve_data_dir
from app.logs import setup_logging
from app.settings import Settings

from . import style
from .dialogs.errors import ErrorDialog
from .dialogs.login import LoginDialog
from .forms import fit_to_screen
from .i18n import tr
from .workers import install_garbage_collector, run_in_background, share_the_gil_with_the_gui

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger("ui")
_crash_file = None


# What Qt needs on a Linux desktop beyond the wheel (README, .ci/run): named when the display cannot start.
QT_LINUX_PACKAGES = ("libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 libxcb-cursor0 "
                     "libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-randr0 libxcb-shape0")


def _qt_message(mode, context, message) -> None:
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO, QtMsgType.QtWarningMsg: logging.WARNING}.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)
    if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        # Qt aborts right after a fatal message: say why on the terminal, not only in the log.
        print(f"Qt：{message}", file=sys.stderr, flush=True)
        if "platform plugin" in message or "xcb" in message or "display" in message:
            print(qt_start_hint(), file=sys.stderr, flush=True)


def qt_start_hint() -> str:
    if sys.platform.startswith("linux"):
        return (f"无法启动图形界面：Qt 找不到显示器或缺少系统库。在 Debian/Ubuntu 上请安装：\n"
                f"  sudo apt-get install {QT_LINUX_PACKAGES}\n"
                f"没有显示器的电脑上可以先运行自检：QT_QPA_PLATFORM=offscreen station selftest")
    return "无法启动图形界面：Qt 的平台插件无法加载，请重新安装实践站台账"


def install_error_handling(paths: DataPaths) -> None:
    global _crash_file
    _crash_file = open(paths.logs / "crash.log", "a", encoding="utf-8")  # must outlive this function
    faulthandler.enable(_crash_file)
    qInstallMessageHandler(_qt_message)

    def excepthook(kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        log.error("unhandled exception:\n%s", details)
        app = QApplication.instance()
        if app is not None:
            ErrorDialog(tr("程序遇到了一个意外错误，刚才的操作没有完成。"), details).exec()

    sys.excepthook = excepthook


def acquire_instance_lock(paths: DataPaths) -> QLockFile | None:
    lock = QLockFile(str(paths.root / "station.lock"))
    lock.setStaleLockTime(0)
    if not lock.tryLock(200):
        return None
    return lock


@dataclass
class Opened:
    """What the worker thread found: the store to use (the demo's when the person is trying it), or why not."""

    store: Any = None
    settings: Settings | None = None
    station_name: str = ""
    needs_wizard: bool = False
    error: str = ""


def open_store_behind(paths: DataPaths) -> Opened:
    """Import the data layer and open the store; runs on a worker thread (no Qt objects are made here)."""
    from app.db import Store, StoreError
    from app.services import operators
    from app.services.context import Context
    from app.services.station import get_station

    try:
        store = Store.open(paths.root)
    except StoreError as exc:
        return Opened(error=str(exc))
    settings = Settings(paths.settings)
    if store.station_id is None and settings.get("demo_open") and (paths.demo / "station.db").exists():
        store.close()  # the person is trying the demo: it has a folder of its own
        try:
            store = Store.open(paths.demo, create=False)
        except StoreError as exc:
            return Opened(error=str(exc))
        settings = Settings(store.paths.settings)
    opened = Opened(store=store, settings=settings)
    opened.needs_wizard = store.station_id is None or not operators.has_operators(store)
    if not opened.needs_wizard:
        opened.station_name = get_station(Context(store=store)).name
    return opened


def in_background(work, *args) -> Any:
    """``work(*args)`` on a thread while this thread keeps the windows painting and typing going."""
    result: dict[str, Any] = {}

    def body() -> None:
        try:
            result["value"] = work(*args)
        except BaseException as exc:  # handed to the GUI thread below
            result["failure"] = exc

    thread = threading.Thread(target=body, name="station-open", daemon=True)
    thread.start()
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: None if thread.is_alive() else loop.quit())
    poll.start(15)
    if thread.is_alive():
        loop.exec()
    poll.stop()
    thread.join()
    if "failure" in result:
        raise result["failure"]
    return result["value"]


MAXIMIZED_BELOW = 1500  # px of available width: the main window opens maximized on a smaller screen (1366, 1280)


def expects_login(paths: DataPaths, settings: Settings) -> Settings | None:
    """The settings of the store a login is expected for (the real one or the demo being tried), or None
    on a first run, where the wizard comes instead."""
    if (paths.root / "station.db").exists():
        return settings
    if settings.get("demo_open") and (paths.demo / "station.db").exists():
        return Settings(DataPaths(paths.demo).settings)
    return None


def start(data_dir: str | None = None) -> tuple[QApplication, MainWindow | None, object]:
    """Everything up to a shown main window (or None when the person cancelled); used by tests too."""
    paths = DataPaths(resolve_data_dir(data_dir)).ensure()
    setup_logging(paths.logs)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("实践站台账")
    collector = install_garbage_collector(app)
    collector.unsettle()  # a second start (退出示范站): the first one's windows can go
    collector.hold_off(2000)  # the login first
    share_the_gil_with_the_gui()
    style.apply(app)
    lock = acquire_instance_lock(paths)
    if lock is None:
        # On top: the first start's lock screen covers the whole screen and stays on top, and this box came up beneath
        # it, so nothing seemed to happen.
        box = QMessageBox(QMessageBox.Icon.Information, tr("实践站台账"),
                          tr("实践站台账已经打开了（数据目录：{0}）。\n请在任务栏中找到已打开的窗口；"
                             "如果它已锁定，输入密码解锁即可。").format(paths.root))
        box.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        box.exec()
        return app, None, None
    login: LoginDialog | None = None
    guess = expects_login(paths, Settings(paths.settings))
    if guess is not None:  # up at once, with the name it had last time; the store opens behind it
        login = LoginDialog(None, guess.get("station_name") or tr("实践站台账"), last_operator=guess.get("last_operator") or "",
                            demo=bool(guess.get("is_demo")), demo_login_known=bool(guess.get("demo_login_known")))
        login.setWindowModality(Qt.WindowModality.ApplicationModal)
        login.finished.connect(lambda _code: setattr(login, "closed_early", True))
        login.show()
        # Painted before the store starts opening: the opening thread's imports (SQLAlchemy, the models)
        # would share the interpreter with the login's first paint; the person types meanwhile.
        app.processEvents()
    opened = in_background(open_store_behind, paths)
    if opened.error:
        if login is not None:
            login.close()
        QMessageBox.critical(None, tr("无法打开数据"), opened.error)
        return app, None, lock
    if login is not None and getattr(login, "closed_early", False) and login.result() != LoginDialog.DialogCode.Accepted:
        opened.store.close()  # 退出 pressed while the store was opening
        return app, None, lock
    store, settings = opened.store, opened.settings
    from .workers import watch_store

    actor = None  # logged in by the first-run wizard: the admin it just made, or the demo's
    if opened.needs_wizard:
        if login is not None:
            login.close()
            login = None
        from .dialogs.wizard import FirstRunWizard

        wizard = FirstRunWizard(store)
        accepted = wizard.exec()
        result_store, actor = wizard.result_store, wizard.actor  # its password was just typed twice: not asked again
        # Deleted by Qt now (its exec() asked for it, ui/lifetime.py), not whenever an event loop next runs: no login
        # box's loop follows any more, and the main window's building may run the cycle collector meanwhile, which
        # must never be the one to free a dialog (it crashed in the next wizard's constructor, in a test).
        del wizard
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        if not accepted:
            return app, None, lock
        if result_store is not store:
            store = result_store
            settings = Settings(store.paths.settings)
        from app.services.context import Context
        from app.services.station import get_station

        opened.station_name = get_station(Context(store=store)).name
    watch_store(store)
    settings.set("station_name", opened.station_name)
    demo, known = bool(settings.get("is_demo")), bool(settings.get("demo_login_known"))
    if actor is None:
        if login is None:
            login = LoginDialog(store, opened.station_name, last_operator=settings.get("last_operator") or "", demo=demo,
                                demo_login_known=known)
        else:
            login.attach(store, opened.station_name, last_operator=settings.get("last_operator") or "", demo=demo,
                         demo_login_known=known)
        QTimer.singleShot(0, _load_main_window)  # while the password is typed
        if login.result() != LoginDialog.DialogCode.Accepted:  # not already in: a password typed during the opening logs in on attach
            login.exec()
        if login.result() != LoginDialog.DialogCode.Accepted or login.actor is None:
            return app, None, lock
        actor = login.actor
    settings.set("last_operator", actor.username)
    from app.services.context import Context

    from .main_window import MainWindow

    window = MainWindow(Context(store=store, actor=actor), settings)
    window.show()
    fit_to_screen(window)  # within the screen's available area (1366×768 with a taskbar leaves about 728)
    screen = window.screen()
    if screen is not None and screen.availableGeometry().width() < MAXIMIZED_BELOW:
        window.showMaximized()  # a small screen used whole: 1200 px of 1366 squeezed the pages' buttons (a trial)
    # Did the last run end without closing (a crash, a power cut, a kill)? Then say so, and offer back what
    # was typed and not saved (ui/drafts.py). This run is marked running until it closes properly.
    from app.drafts import ended_unexpectedly, mark_running

    crashed_since = ended_unexpectedly(paths.root)
    mark_running(paths.root)
    from .drafts import offer_recovery

    QTimer.singleShot(0, lambda: offer_recovery(window, paths.root, crashed_since))
    # once the 工作台's figures are in; for this window only (a window closed before then, 退出示范站, settles nothing)
    QTimer.singleShot(SETTLE_MS, window, collector.settle)
    if settings.get("daily_backup"):
        run_in_background(window, lambda task: store.backup_daily(), lambda _p: None, lambda exc, _d: log.warning("daily backup failed: %s", exc))
    return app, window, lock


SETTLE_MS = 3000


def _load_main_window() -> None:
    from . import main_window  # noqa: F401 - imported while the person types the password, not after

    # pypinyin's dictionaries (0.2–0.3 s, most of it one unmarshal that holds the GIL) are loaded now, on a
    # thread, rather than by the first volunteer saved, which froze the window for that long.
    from app.services.pinyin import load_dictionaries

    threading.Thread(target=load_dictionaries, name="pinyin", daemon=True).start()


RESTART = 1000  # the exit code of 退出示范站: start again, on the real station


def end_run(app: QApplication, window: MainWindow, lock, root) -> None:
    """How a run of the window ends (``run``, and the tests that start the program as it starts): background work
    finished before the store closes, the run marked as ended properly, the window deleted by Qt at once — gone
    before the next start builds its windows, never left for the cycle collector to free at a random moment."""
    QThreadPool.globalInstance().waitForDone(10_000)  # let background work finish before the store closes
    from app.drafts import mark_stopped

    mark_stopped(root)  # a proper end: the next start says nothing of a crash
    window.idle.stop()
    window.close()
    window.ctx.store.close()
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    if lock is not None:
        lock.unlock()


def run(args) -> int:
    """Entry point registered under ``station.gui``."""
    paths = DataPaths(resolve_data_dir(getattr(args, "data_dir", None))).ensure()
    install_error_handling(paths)
    while True:
        app, window, lock = start(str(paths.root))
        if window is None:
            return 0
        window.leave_demo_requested.connect(lambda app=app: app.exit(RESTART))
        code = app.exec()
        end_run(app, window, lock, paths.root)
        if code != RESTART:
            return code
