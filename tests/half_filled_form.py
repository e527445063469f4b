"""Started by tests/test_drafts.py: the real program (``ui.app.start``, logged in as the demo's admin) with a
记录活动 form opened from 活动台账 and half filled in, then left open until the test kills the process."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ui import app as program
from ui.dialogs.activity import ActivityDialog
from ui.soak import auto_login
from ui_helpers import type_chinese

TITLE = "重阳节敬老饺子宴"
PLACE = "村委会活动室"


def main() -> None:
    QApplication.instance() or QApplication(sys.argv[:1])
    login = auto_login("admin", "admin123")
    qt_app, window, _lock = program.start(sys.argv[1])
    login.stop()
    window.idle.stop()

    def fill() -> None:
        form = QApplication.activeModalWidget()
        if not isinstance(form, ActivityDialog):
            QTimer.singleShot(20, fill)
            return
        type_chinese(form.title_edit, TITLE)  # typed through the input method, as Chinese is typed
        type_chinese(form.place, PLACE)
        print("FILLED", flush=True)

    def open_form() -> None:
        window.go("activities")
        QTimer.singleShot(50, fill)
        window.page("activities").open_form()

    QTimer.singleShot(0, open_form)
    qt_app.exec()


if __name__ == "__main__":
    main()
