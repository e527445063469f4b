"""Saving a file for a person: the Documents folder by default (the program's folder is not writable on a
village PC), a name that says what it is, and a message afterwards with 打开所在文件夹."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .i18n import tr

_last_folder: Path | None = None  # where the person saved last, for the next 另存为 in this session


def documents_dir() -> Path:
    """文档 (Documents), or the home folder if this account has none."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location) if location and Path(location).is_dir() else Path.home()


def safe_name(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", name).strip() or tr("未命名")


def ask_save_path(parent: QWidget, caption: str, name: str, filters: str) -> Path | None:
    """The save dialog, opening in Documents (or where the person saved last) with ``name`` suggested."""
    folder = _last_folder if _last_folder is not None and _last_folder.is_dir() else documents_dir()
    target, _ = QFileDialog.getSaveFileName(parent, caption, str(folder / safe_name(name)), filters)
    return Path(target) if target else None


def remember(path: Path) -> None:
    global _last_folder
    _last_folder = path.parent


def open_folder(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def show_saved(parent: QWidget, path: Path, what: str = "") -> QMessageBox:
    """已保存到 … with 打开所在文件夹 (non-blocking: the box is returned, already shown)."""
    remember(path)
    box = QMessageBox(QMessageBox.Icon.Information, tr("已保存"), tr("{0}已保存到：\n{1}").format(what, path), parent=parent)
    box.setObjectName("savedMessage")
    opener = box.addButton(tr("打开所在文件夹"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(tr("确定"), QMessageBox.ButtonRole.AcceptRole)
    opener.clicked.connect(lambda: open_folder(path))
    box.open()
    return box
