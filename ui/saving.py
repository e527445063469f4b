"""Opening and saving a file for a person: every file dialog of the program is made here — Chinese on every
part, opening in the folder last used for that kind of file (remembered in the data dir's settings), else in
Documents (the program's folder is not writable on a village PC, and where it was started is no place to
look) — and a message after saving with 打开所在文件夹."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from app.files import safe_file_name
from app.settings import FILE_KINDS, Settings

from .i18n import tr


def documents_dir() -> Path:
    """文档 (Documents), or the home folder if this account has none."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location) if location and Path(location).is_dir() else Path.home()


def safe_name(name: str) -> str:
    return safe_file_name(name, tr("未命名"))


def _settings_of(widget: QWidget | None) -> Settings | None:
    """The settings of the data dir ``widget`` works on: those its window keeps, else those of its ``ctx``'s store."""
    chain = []
    while widget is not None:
        chain.append(widget)
        widget = widget.parentWidget()
    for w in chain:
        if isinstance(getattr(w, "settings", None), Settings):
            return w.settings
    for w in chain:
        ctx = getattr(w, "ctx", None)
        if ctx is not None and ctx.store is not None:
            return Settings(ctx.store.paths.settings)
    return None


def start_folder(parent: QWidget | None, kind: str) -> Path:
    """Where a dialog for ``kind`` of file opens: the folder last used for it if it is still there, else Documents."""
    settings = _settings_of(parent)
    last = settings.get(f"folder_{kind}") if settings is not None else ""
    return Path(last) if last and Path(last).is_dir() else documents_dir()


def _remember_folder(parent: QWidget | None, kind: str, path: Path) -> None:
    settings = _settings_of(parent)
    if settings is not None:
        settings.set(f"folder_{kind}", str(path.parent))


def file_dialog(parent: QWidget | None, kind: str, caption: str, filters: str, *, save_as: str | None = None,
                many: bool = False) -> QFileDialog:
    """A file dialog for ``kind`` (app/settings.py FILE_KINDS) in its start folder, every label in Chinese
    (Qt's own dialog, used where the system has none, left 查找范围 and 文件类型 in English)."""
    if kind not in FILE_KINDS:  # a programming error (tests/test_ui_small_things): never silently a wrong folder
        raise ValueError(f"unknown file kind {kind!r}")
    folder = start_folder(parent, kind)
    dialog = QFileDialog(parent, caption, str(folder / safe_name(save_as)) if save_as is not None else str(folder), filters)
    label = QFileDialog.DialogLabel
    if save_as is not None:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles if many else QFileDialog.FileMode.ExistingFile)
    for which, text in ((label.LookIn, tr("查找范围(&I)：")), (label.FileName, tr("文件名(&N)：")),
                        (label.FileType, tr("文件类型(&T)：")), (label.Reject, tr("取消")),
                        (label.Accept, tr("保存(&S)") if save_as is not None else tr("打开(&O)"))):
        dialog.setLabelText(which, text)
    return dialog


def choose_files(dialog: QFileDialog) -> list[str]:
    """Show ``dialog``; the files the person chose, none when cancelled. (Tests stand in for the person here.)"""
    try:
        return dialog.selectedFiles() if dialog.exec() == QDialog.DialogCode.Accepted else []
    finally:
        dialog.deleteLater()  # see ui/lifetime.py: exec() handed the dialog to Python


def _chosen(parent: QWidget | None, kind: str, dialog: QFileDialog) -> list[Path]:
    paths = [Path(p) for p in choose_files(dialog) if p]
    if paths:
        _remember_folder(parent, kind, paths[0])
    return paths


def ask_open_path(parent: QWidget | None, kind: str, caption: str, filters: str) -> Path | None:
    """One existing file of ``kind``, or None when cancelled."""
    paths = _chosen(parent, kind, file_dialog(parent, kind, caption, filters))
    return paths[0] if paths else None


def ask_open_paths(parent: QWidget | None, kind: str, caption: str, filters: str) -> list[Path]:
    return _chosen(parent, kind, file_dialog(parent, kind, caption, filters, many=True))


def ask_save_path(parent: QWidget | None, kind: str, caption: str, name: str, filters: str) -> Path | None:
    """The save dialog with ``name`` suggested, opening where a file of ``kind`` was last chosen (or Documents)."""
    paths = _chosen(parent, kind, file_dialog(parent, kind, caption, filters, save_as=name))
    return paths[0] if paths else None


def open_folder(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def show_saved(parent: QWidget, path: Path, what: str = "") -> QMessageBox:
    """已保存到 … with 打开所在文件夹 (non-blocking: the box is returned, already shown)."""
    box = QMessageBox(QMessageBox.Icon.Information, tr("已保存"), tr("{0}已保存到：\n{1}").format(what, path), parent=parent)
    box.setObjectName("savedMessage")
    opener = box.addButton(tr("打开所在文件夹"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(tr("确定"), QMessageBox.ButtonRole.AcceptRole)
    opener.clicked.connect(lambda: open_folder(path))
    box.open()
    return box
