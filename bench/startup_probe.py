"""Start the desktop app exactly as ``station`` does and report when each step of the start is reached.

    python -m bench.startup_probe DATA_DIR [--login USER:PASSWORD]

Prints ``process <t>`` (the process's own start), ``login_shown <t> <modules>`` when the login window has
been painted (with the heavy modules that were loaded when it was shown, "-" for none), then with ``--login`` ``logged_in <t>``,
``dashboard <t> kept|fresh`` once 工作台 shows figures (the last ones kept, or fresh), ``fresh <t>`` once it
shows the figures computed in this start (and ``pinyin loaded`` when pypinyin's dictionaries were loaded
behind the login); without it the login is closed (退出). Times are
``time.time()``. Used by bench/ui_bench.py and by tests/test_startup.py.
"""

from __future__ import annotations

import os
import sys
import time

HEAVY = ("sqlalchemy", "sqlmodel", "app.db", "app.models", "app.rules", "ui.main_window", "ui.pages")


def process_start() -> float:
    """When this process was created (Linux /proc; elsewhere the probe's own start)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        with open("/proc/self/stat", encoding="ascii") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / ticks
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + started
    except (OSError, ValueError, IndexError):
        return time.time()


def main(argv: list[str]) -> int:
    data_dir = argv[0]
    credentials = argv[argv.index("--login") + 1].split(":", 1) if "--login" in argv else None
    print("process", process_start(), flush=True)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.dialogs import login as login_module

    original_show = login_module.LoginDialog.showEvent
    state = {"shown": False}

    def report_when_painted(dialog, loaded: list[str]) -> None:
        print("login_shown", time.time(), ",".join(loaded) or "-", flush=True)
        if credentials is None:
            QTimer.singleShot(0, dialog.reject)
            return
        dialog.password.setText(credentials[1])
        QTimer.singleShot(0, dialog.try_login)  # pressed at once: logs in as soon as the store is open
        watch_login(dialog)

    def watch_login(dialog) -> None:
        def poll() -> None:
            if dialog.actor is not None:
                print("logged_in", time.time(), flush=True)
                watch_dashboard()
                return
            QTimer.singleShot(2, poll)

        poll()

    def watch_dashboard() -> None:
        def poll() -> None:
            for widget in QApplication.topLevelWidgets():
                if type(widget).__name__ == "MainWindow" and widget.isVisible():
                    widget.idle.stop()  # nobody is at the keyboard: the lock's password box would wait for good
                    page = widget.page("dashboard")
                    if page.shown and "dashboard" not in state:
                        state["dashboard"] = True
                        print("dashboard", time.time(), "kept" if not page.loaded else "fresh", flush=True)
                    if page.loaded:
                        print("fresh", time.time(), flush=True)
                        import threading

                        for thread in threading.enumerate():  # loaded behind the login, not by the first name saved
                            if thread.name == "pinyin":
                                thread.join(30)
                        print("pinyin", "loaded" if "pypinyin" in sys.modules else "-", flush=True)
                        QTimer.singleShot(0, lambda: QApplication.instance().exit(0))
                        return
            QTimer.singleShot(2, poll)

        poll()

    def show_event(dialog, event) -> None:
        original_show(dialog, event)
        if not state["shown"] and dialog.parent() is None:
            state["shown"] = True
            loaded = sorted(name for name in HEAVY if name in sys.modules)  # what it took to show it
            QTimer.singleShot(0, lambda: report_when_painted(dialog, loaded))  # after the first paint

    login_module.LoginDialog.showEvent = show_event
    if credentials is not None:  # the operator offered is the one saved last: make it USER
        from app.config import DataPaths
        from app.settings import Settings

        Settings(DataPaths(data_dir).settings).set("last_operator", credentials[0])
    from ui.app import run

    class Args:
        pass

    args = Args()
    args.data_dir = data_dir
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
