"""``tr()`` for module-level code; QObject subclasses use ``self.tr``. The source language is Chinese."""

from PySide6.QtCore import QCoreApplication


def tr(text: str) -> str:
    return QCoreApplication.translate("StationLedger", text)
