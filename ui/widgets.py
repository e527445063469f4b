"""Small drawing widgets: a stacked bar chart of activities per month by category (QPainter)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64", "#9e9d24",
           "#283593", "#00695c", "#bf360c", "#4e342e", "#37474f", "#827717", "#880e4f"]


class StackedBars(QWidget):
    """``set_data(labels, series)``: one bar per label, stacked by series (category → counts per label)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[str] = []
        self.series: dict[str, list[int]] = {}
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, labels: list[str], series: dict[str, list[int]]) -> None:
        self.labels, self.series = labels, {k: v for k, v in series.items() if any(v)}
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.width(), self.height()
        legend_w = 150
        left, top, bottom = 8, 22, 24
        plot = QRectF(left, top, max(50, width - left - legend_w - 10), max(40, height - top - bottom))
        totals = [sum(values[i] for values in self.series.values()) for i in range(len(self.labels))]
        peak = max(totals + [1])
        painter.setPen(QPen(QColor("#999999")))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        # No scale at the side: each bar carries its own total (a lone peak figure there read as a stray "8").
        if self.labels:
            slot = plot.width() / len(self.labels)
            for i, label in enumerate(self.labels):
                x = plot.left() + i * slot + slot * 0.2
                y = plot.bottom()
                for n, (_name, values) in enumerate(self.series.items()):
                    h = values[i] / peak * plot.height()
                    if h:
                        painter.fillRect(QRectF(x, y - h, slot * 0.6, h), QColor(PALETTE[n % len(PALETTE)]))
                        y -= h
                painter.setPen(QPen(QColor("#333333")))
                painter.drawText(QRectF(plot.left() + i * slot, plot.bottom() + 2, slot, bottom - 2), Qt.AlignmentFlag.AlignHCenter, label)
                if totals[i]:
                    painter.drawText(QRectF(plot.left() + i * slot, y - 16, slot, 14), Qt.AlignmentFlag.AlignHCenter, str(totals[i]))
        for n, name in enumerate(self.series):
            y = top + n * 18
            painter.fillRect(QRectF(width - legend_w, y + 3, 10, 10), QColor(PALETTE[n % len(PALETTE)]))
            painter.setPen(QPen(QColor("#333333")))
            painter.drawText(QRectF(width - legend_w + 14, y, legend_w - 14, 16), Qt.AlignmentFlag.AlignLeft, name)
        painter.end()
