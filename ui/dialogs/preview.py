"""Print preview inside the app (QtPdf): page through the PDF, 打印 at the printer's resolution, 另存为."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout

from app.known_errors import describe

from ..fit import window_room
from ..lifetime import ClosedByQt
from ..saving import ask_save_path, show_saved


class PdfPreview(ClosedByQt, QDialog):
    def __init__(self, path: Path, title: str, parent=None):
        super().__init__(parent)
        self.path, self.title = Path(path), title
        self.used = False  # printed or saved: the paper left the program (a numbered certificate counts then)
        self.setWindowTitle(self.tr("打印预览 — {0}").format(title))
        # The view first, the document after it: children are destroyed in the order they were made, so the
        # view (whose renderer runs in a thread of its own) is gone before the document it was rendering —
        # destroyed the other way round, a page still being drawn wrote into freed memory and the process
        # crashed later, somewhere else. The document belongs to the dialog, not to the view (parenting it
        # to the view crashed Qt 6.12 when a second preview opened).
        self.view = QPdfView(self)
        self.document = QPdfDocument(self)
        self.document.load(str(self.path))
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.print_button = QPushButton(self.tr("打印…"))
        self.print_button.setObjectName("primary")
        self.save_button = QPushButton(self.tr("另存为…"))
        zoom_in, zoom_out, fit = QPushButton(self.tr("放大")), QPushButton(self.tr("缩小")), QPushButton(self.tr("适合宽度"))
        close = QPushButton(self.tr("关闭"))
        self.pages = QLabel(self.tr("共 {0} 页").format(self.document.pageCount()))
        bar = QHBoxLayout()
        for widget in (self.print_button, self.save_button, zoom_in, zoom_out, fit):
            bar.addWidget(widget)
        bar.addStretch()
        bar.addWidget(self.pages)
        bar.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button.clicked.connect(self.save_as)
        zoom_in.clicked.connect(lambda: self.zoom(1.25))
        zoom_out.clicked.connect(lambda: self.zoom(0.8))
        fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        close.clicked.connect(self.accept)
        width, height = window_room()  # a page is tall: as tall as the screen allows (900×1000 was past a 1366×768 one)
        self.resize(min(900, width), min(1000, height))

    def zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.2, min(5.0, self.view.zoomFactor() * factor)))

    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.title)
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, self.document.pageCount())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Render every page (or the chosen range) at the printer's resolution; returns pages printed."""
        first, last = printer.fromPage() or 1, printer.toPage() or self.document.pageCount()
        painter = QPainter()
        if not painter.begin(printer):
            QMessageBox.warning(self, self.tr("无法打印"), self.tr("打印机没有响应，请检查打印机是否已连接并开机。"))
            return 0
        dpi = printer.resolution()
        printed = 0
        try:
            for index in range(first - 1, last):
                if printed:
                    printer.newPage()
                points = self.document.pagePointSize(index)
                pixels = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
                image = self.document.render(index, pixels)
                target = QRectF(painter.viewport())
                scale = min(target.width() / image.width(), target.height() / image.height())
                painter.drawImage(QRectF(QPointF(0, 0), image.size().toSizeF() * scale), image)
                printed += 1
        finally:
            painter.end()
        self.used = self.used or printed > 0
        return printed

    def save_as(self) -> Path | None:
        target = ask_save_path(self, "pdf", self.tr("另存为"), f"{self.title}.pdf", self.tr("PDF 文件 (*.pdf)"))
        if target is None:
            return None
        if target.suffix.lower() != ".pdf":
            target = target.with_name(target.name + ".pdf")
        try:
            shutil.copyfile(self.path, target)
        except OSError as exc:
            QMessageBox.warning(self, self.tr("无法保存"), describe(exc) or str(exc))
            return None
        self.saved_message = show_saved(self, target, self.title)
        self.used = True
        return target

