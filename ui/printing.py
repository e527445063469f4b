"""Make a PDF in the background with progress and 取消, then open it in the preview."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from app.reports import Cancelled

from .dialogs.preview import PdfPreview
from .workers import run_in_background


def print_folder(store) -> Path:
    folder = store.paths.root / "print"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def print_document(parent: QWidget, store, title: str, build: Callable[[Path, Callable], object],
                   *, preview: bool = True, on_ready: Callable[[Path], None] | None = None,
                   on_unused: Callable[[], None] | None = None):
    """``build(path, progress)`` writes the PDF; ``progress(done, total, text)`` returns False to cancel.
    ``on_unused``: called when the preview is closed without printing or saving (a numbered paper is voided)."""
    safe = re.sub(r"[\\\\/:*?\"<>|]", "_", title)
    path = print_folder(store) / f"{safe}-{datetime.now():%Y%m%d-%H%M%S}.pdf"

    def work(task):
        build(path, lambda done, total, text="": (task.report(done, total, text), not task.cancelled)[1])
        return path

    def done(result: Path) -> None:
        if on_ready is not None:
            on_ready(result)
        if preview:
            shown = PdfPreview(result, title, parent)
            shown.exec()
            if not shown.used and on_unused is not None:
                on_unused()

    def failed(exc: BaseException, _details: str) -> None:
        if not isinstance(exc, Cancelled):
            QMessageBox.warning(parent, parent.tr("无法生成"), str(exc))

    return run_in_background(parent, work, done, failed, title=parent.tr("正在生成{0}").format(title))
