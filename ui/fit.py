"""Does every page and dialog fit a village PC's screen (1366×768 with a taskbar leaves 1366×728)?

Measured with Qt's own size arithmetic, so it runs the same offscreen, under a test, and on an installed
PC (``station selftest --screen 1366x728``): the main window at that size, every page in it, every dialog
at the size it opens with on that screen (windows size themselves from ``available_area``, which the check
sets to the screen being checked), and whether every button and input is then on screen or in a part that
scrolls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractScrollArea, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QWidget,
)

TITLE_BAR = 32  # a Windows 10 title bar at 100 %: the dialog's frame is not in its geometry

_checked_screen: QRect | None = None  # while a check runs: the screen it checks, instead of this PC's


def available_area() -> QRect:
    """The part of the screen a window may take (the taskbar excluded): what every window sizes itself from.
    The primary screen's (asking a window for its own screen inside ``showEvent`` crashed the test process
    later), or the screen being checked while ``check_dialogs`` runs."""
    if _checked_screen is not None:
        return QRect(_checked_screen)
    return QGuiApplication.primaryScreen().availableGeometry()


def window_room() -> tuple[int, int]:
    """The largest size a window may open with: the available area less a title bar."""
    area = available_area()
    return area.width(), area.height() - TITLE_BAR


@contextmanager
def screen_checked(width: int, height: int) -> Iterator[None]:
    global _checked_screen
    _checked_screen = QRect(0, 0, width, height)
    try:
        yield
    finally:
        _checked_screen = None


@dataclass
class Misfit:
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}：{self.reason}"


def _scrolls(widget: QWidget, top: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def unreachable(top: QWidget) -> list[str]:
    """Visible buttons and inputs of ``top`` that lie outside it and are not in a part that scrolls."""
    area = QRect(0, 0, top.width(), top.height())
    out = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit)) or not widget.isVisibleTo(top):
            continue
        rect = QRect(widget.mapTo(top, widget.rect().topLeft()), widget.size())
        if not area.contains(rect) and not _scrolls(widget, top):
            out.append(getattr(widget, "text", lambda: "")() or widget.objectName() or type(widget).__name__)
    return out


def check_window(window, width: int, height: int, shoot=None) -> list[Misfit]:
    """The main window at ``width``×``height`` (less the title bar), and every page in it."""
    app = QApplication.instance()
    misfits = []
    inner_h = height - TITLE_BAR
    minimum = window.minimumSizeHint()
    if minimum.width() > width or minimum.height() > inner_h:
        misfits.append(Misfit("主窗口", f"最小 {minimum.width()}×{minimum.height()}，屏幕可用 {width}×{inner_h}"))
    window.resize(width, inner_h)
    for key in window.page_keys:
        window.go(key)
        app.processEvents()
        page = window.pages[key]
        need = page.minimumSizeHint()
        title = window.factories[key][0]
        if need.height() > page.height() or need.width() > page.width():
            misfits.append(Misfit(f"页面“{title}”", f"需要 {need.width()}×{need.height()}，只有 {page.width()}×{page.height()}"))
        lost = unreachable(page)
        if lost:
            misfits.append(Misfit(f"页面“{title}”", "看不到：" + "、".join(lost[:5])))
        if shoot:
            shoot(f"page-{key}", window)
    return misfits


def check_dialogs(window, width: int, height: int, shoot=None) -> list[Misfit]:
    """Every dialog of the app (with realistic content) at the size it opens with on a ``width``×``height``
    screen (nothing shrunk here: a window that opens taller than the screen is listed)."""
    from .soak import dialog_factories

    app = QApplication.instance()
    misfits = []
    inner_h = height - TITLE_BAR
    with screen_checked(width, height):
        for name, factory in dialog_factories(window).items():
            misfits += _check_dialog(app, name, factory, width, inner_h, shoot)
    return misfits


def _check_dialog(app, name: str, factory, width: int, inner_h: int, shoot) -> list[Misfit]:
    misfits = []
    dialog = factory()
    dialog.show()
    app.processEvents()
    # A lock or operator-switch screen covers every screen, taskbar included, on purpose: its card must fit.
    if not getattr(dialog, "covering", False) and (dialog.width() > width or dialog.height() > inner_h):
        misfits.append(Misfit(f"窗口“{name}”", f"打开时 {dialog.width()}×{dialog.height()}，屏幕可用 {width}×{inner_h}"))
    need = dialog.minimumSizeHint()
    if need.height() > inner_h or need.width() > width:
        misfits.append(Misfit(f"窗口“{name}”", f"最小 {need.width()}×{need.height()}，屏幕可用 {width}×{inner_h}"))
    lost = unreachable(dialog)
    if lost:
        misfits.append(Misfit(f"窗口“{name}”", "看不到：" + "、".join(lost[:5])))
    if shoot:
        shoot(f"dialog-{name}", dialog)
    dialog.done(0)
    dialog.deleteLater()
    return misfits
