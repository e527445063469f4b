"""A dialog's life as the program gives it (#25): made with its page as parent, exec()-ed, closed by 保存 or
取消, dropped and collected while the main window is up. The crash this guards against killed the process
(segfault) within four saves of a copied activity, so the whole check runs in a subprocess."""

from __future__ import annotations

import ast
import gc
import os
import subprocess
import sys
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QScrollArea, QVBoxLayout, QWidget

from ui.lifetime import ClosedByQt

ROOT = Path(__file__).resolve().parent.parent


def test_every_form_and_dialog_is_opened_saved_cancelled_and_collected_without_a_crash(tmp_path):
    """On the code before #25 this process died with SIGSEGV at 记录活动 / 修改活动 (3 runs of 3)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STATION_DATA_DIR=str(tmp_path / "data"))
    run = subprocess.run([sys.executable, "-m", "app.cli", "selftest", "--forms"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 0, f"exit {run.returncode}:\n{out[-4000:]}"
    assert "0 次有问题" in out, out[-2000:]
    # every case ran both ways (a case that silently dropped out would not be checked)
    opened = int(out.split("窗口生命周期：")[1].split(" 次")[0])
    assert opened >= 2 * len(_dialog_classes()), out[-2000:]


def _dialog_classes() -> dict[str, list[str]]:
    """Every class in ui/ that derives (directly) from a Qt dialog class, with its bases as written."""
    found = {}
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
                if any(b in ("QDialog", "QWizard", "FormDialog", "QMessageBox", "QFileDialog", "QProgressDialog") for b in bases):
                    found[node.name] = bases
    return found


def test_every_dialog_class_is_deleted_by_qt_after_exec_and_is_in_the_lifecycle_check():
    classes = _dialog_classes()
    assert len(classes) >= 30, sorted(classes)  # the program has over thirty: the scan must see them
    direct_qt = {name: bases for name, bases in classes.items() if "FormDialog" not in bases}
    assert not [n for n, b in direct_qt.items() if b[0] != "ClosedByQt"], direct_qt
    checked = (ROOT / "ui" / "lifecycle.py").read_text(encoding="utf-8")
    # SigninDialog is modeless (shown, closed with WA_DeleteOnClose): test_signin_window_is_deleted_when_closed
    missing = [name for name in classes if f"{name}(" not in checked and name not in ("SigninDialog", "FormDialog")]
    assert not missing, f"not in ui/lifecycle.py's cases: {missing}"


def test_closed_by_qt_deletes_the_dialog_once_control_is_back_in_the_event_loop(qtbot):
    """Rule 1 of ui/lifetime.py, and why callers may still read the dialog after exec()."""
    page = QWidget()
    qtbot.addWidget(page)

    class Dialog(ClosedByQt, QDialog):
        pass

    dialog = Dialog(page)
    dialog.answer = "kept"
    QTimer.singleShot(0, dialog.accept)
    assert dialog.exec() == QDialog.DialogCode.Accepted
    assert shiboken6.isValid(dialog) and dialog.answer == "kept"  # readable right after exec()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not shiboken6.isValid(dialog)
    assert page.findChildren(QDialog) == []


def test_a_dialog_in_a_reference_cycle_is_gone_before_the_collector_sees_it(qtbot):
    """The 25-line reproduction of #25 (a scroll area, a grandchild holding the dialog's bound method), run
    through ClosedByQt: after exec() the cycle holds only an empty wrapper, which the collector frees safely."""
    page = QWidget()
    qtbot.addWidget(page)

    class Dialog(ClosedByQt, QDialog):
        def __init__(self, parent):
            super().__init__(parent)
            inner = QWidget()
            inner.keep = self.accept  # the cycle the rule forbids, on purpose
            QVBoxLayout(inner)
            area = QScrollArea()
            area.setWidget(inner)
            QVBoxLayout(self).addWidget(area)

    for _ in range(5):
        dialog = Dialog(page)
        QTimer.singleShot(0, dialog.accept)
        dialog.exec()
        del dialog
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        gc.collect()
    assert page.findChildren(QDialog) == []


def test_signin_window_is_deleted_when_closed(qtbot, demo_store):
    """The modeless 手机签到 window: closing it deletes it (it was kept as a hidden child of its page, one
    more each time), and the activity form opens a new one afterwards."""
    from datetime import date, time

    from app.services import activities
    from app.services.context import Context
    from ui.dialogs.activity import ActivityDialog
    from ui.dialogs.signin import SigninDialog

    ctx = Context(store=demo_store)
    event = activities.add_activity(ctx, title="周五读书会", category="文化文艺服务", date=date(2026, 11, 27),
                                    start_time=time(14), end_time=time(16))
    form = ActivityDialog(ctx, activities.get_activity(ctx, event.id))
    qtbot.addWidget(form)
    form.show()
    form.open_signin()
    first = form.signin_window
    first.close()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not shiboken6.isValid(first) and form.findChildren(SigninDialog) == []
    form.open_signin()
    assert shiboken6.isValid(form.signin_window) and form.signin_window.isVisible()
    form.signin_window.close()
