"""帮助 → 关于: the version a person reads out on the phone to the district's technician, where this PC keeps
the ledger, and the licences of everything the program ships (resources/THIRD-PARTY-NOTICES.txt, made by
installer/notices.py from the locks, #27)."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout

import app
from resources import resource_path

from ..lifetime import ClosedByQt

NOTICES = "THIRD-PARTY-NOTICES.txt"


def version_lines(data_folder: str, station: str) -> list[str]:
    """What 复制版本信息 copies: enough for a technician to know which build and which folder."""
    return [
        f"实践站台账 {app.__version__}",
        f"台账：{station}" if station else "台账：（尚未建立）",
        f"数据文件夹：{data_folder}",
        f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {PySide6.__version__}",
        f"操作系统：{platform.system()} {platform.release()}（{platform.machine()}）",
    ]


def notices_text() -> str:
    path = resource_path() / NOTICES
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ("找不到第三方软件许可文件（{0}）。程序安装不完整，请重新安装。".format(path))


class AboutDialog(ClosedByQt, QDialog):
    def __init__(self, data_folder: str, station: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("关于实践站台账"))
        self.info = "\n".join(version_lines(data_folder, station))
        icon = QLabel()
        icon.setPixmap(QIcon(str(resource_path() / "icons" / "station.png")).pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(self.tr("<b>实践站台账</b>　版本 {0}").format(app.__version__))
        title.setObjectName("aboutTitle")
        blurb = QLabel(self.tr(
            "新时代文明实践站、所和中心的台账：志愿者、服务队、活动、项目、积分和“五单”，没有网络也能用，"
            "联网时一键同步到区里，按“五有”标准每月自查。"))
        blurb.setWordWrap(True)
        details = QLabel(self.info.split("\n", 1)[1])
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # a path has no spaces to wrap at
        licence = QLabel(self.tr("本程序按 Apache License 2.0 发布。随附的 Qt（LGPL 3.0）、字体和其他第三方软件"
                                 "各按其许可使用，详见“第三方软件许可”。"))
        licence.setWordWrap(True)
        buttons = QDialogButtonBox()
        notices = buttons.addButton(self.tr("第三方软件许可…"), QDialogButtonBox.ButtonRole.ActionRole)
        copy = buttons.addButton(self.tr("复制版本信息"), QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        self.notices_button, self.copy_button = notices, copy
        info = self.info
        copied = self.tr("已复制")  # (the lambda holds no reference to the dialog: ui/lifetime.py's second rule)
        copy.clicked.connect(lambda: (QGuiApplication.clipboard().setText(info), copy.setText(copied)))
        notices.clicked.connect(self.show_notices)
        close.clicked.connect(self.reject)
        text = QVBoxLayout()
        for widget in (title, blurb, details, licence):
            text.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.resize(560, 0)

    def show_notices(self) -> None:
        NoticesDialog(self).exec()


class NoticesDialog(ClosedByQt, QDialog):
    """The whole THIRD-PARTY-NOTICES, read-only, large enough to read on 1366×768."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("第三方软件许可"))
        self.text = QPlainTextEdit(notices_text())
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        fixed.setFamilies([fixed.family(), *self.font().families()])  # CJK from the program's own font
        self.text.setFont(fixed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(760, 560)
