"""The dialog a person sees when something unexpected breaks: Chinese, with 复制详细信息."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from app.privacy import redact
from ..lifetime import ClosedByQt


class ErrorDialog(ClosedByQt, QDialog):
    def __init__(self, message: str, details: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("出错了"))
        self.details = redact(details)
        text = QLabel(message + "\n\n" + self.tr("您的数据已保存，不会丢失。可以点击“复制详细信息”发给区文明实践中心的技术人员。"))
        text.setWordWrap(True)
        box = QPlainTextEdit(self.details)
        box.setReadOnly(True)
        box.setVisible(False)
        buttons = QDialogButtonBox()
        copy = buttons.addButton(self.tr("复制详细信息"), QDialogButtonBox.ButtonRole.ActionRole)
        show = buttons.addButton(self.tr("显示详细信息"), QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.AcceptRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.details))
        show.clicked.connect(lambda: box.setVisible(not box.isVisible()))
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(box)
        layout.addWidget(buttons)
        self.resize(520, 200)
