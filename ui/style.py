"""The look: bundled CJK fonts (the same on every PC), Chinese locale and Qt translations, a style sheet."""

from __future__ import annotations

import logging

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from resources import resource_path

log = logging.getLogger(__name__)
RESOURCES = resource_path()
FONT_FILES = ("wqy-microhei.ttc", "DroidSansFallbackFull.ttf")
ACCENT = "#b71c1c"
ICONS = (RESOURCES / "icons").as_posix()  # a style sheet's url() wants forward slashes, on Windows too

# A list's sort arrow points as in Windows Explorer: ▼ newest (or largest) first. Fusion draws a descending sort ▲
# (a trial read the activities' 日期 ▲ as oldest first); the sheet's down-arrow, the one a descending sort takes,
# is our ▼ (a style in Python instead would be called for every cell painted).
# A selected table row is light blue: unlike every tint a row has for a reason (overdue pink, import error
# amber, the dashboard's red and green), so the row chosen is always seen.
STYLE_SHEET = f"""
QWidget {{ font-size: 10pt; }}
QListWidget#navigation {{ background: #2b2f3a; color: #e8e8e8; border: none; font-size: 11pt; outline: 0; }}
QListWidget#navigation::item {{ padding: 10px 16px; }}
QListWidget#navigation::item:selected {{ background: {ACCENT}; color: white; }}
QLabel#pageTitle {{ font-size: 15pt; font-weight: bold; color: #222; padding: 4px 0; }}
QLabel#fieldError {{ color: #c62828; }}
QFrame#card {{ background: white; border: 1px solid #ddd; border-radius: 6px; }}
QLabel#cardValue {{ font-size: 20pt; font-weight: bold; color: {ACCENT}; }}
QLabel#cardValue[loading="true"] {{ color: #9e9e9e; font-weight: normal; }}
QLabel#cardTitle {{ color: #555; }}
QLabel#warning {{ color: #c62828; }}
QTableView {{ gridline-color: #e0e0e0; selection-background-color: #cfe2f6; selection-color: black; alternate-background-color: #fafafa; }}
QHeaderView::section {{ background: #f2f2f2; padding: 4px; border: none; border-bottom: 1px solid #ccc; }}
QHeaderView::down-arrow {{ image: url({ICONS}/sort-descending.png); width: 9px; height: 5px; }}
QHeaderView::up-arrow {{ image: url({ICONS}/sort-ascending.png); width: 9px; height: 5px; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border-radius: 4px; padding: 5px 14px; }}
QPushButton#primary:disabled {{ background: #d6d6d6; color: #777; }}
"""


def install_fonts(app: QApplication) -> list[str]:
    families: list[str] = []
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(RESOURCES / "fonts" / name))
        if font_id < 0:
            log.warning("could not load bundled font %s", name)
            continue
        families += QFontDatabase.applicationFontFamilies(font_id)[:1]
    if families:
        font = QFont()
        font.setFamilies(families)
        font.setPointSize(10)
        app.setFont(font)
    return families


def install_translations(app: QApplication) -> None:
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name in ("qtbase_zh_CN", "qt_zh_CN"):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
        else:
            log.info("Qt translation %s not found in %s", name, folder)


def apply(app: QApplication) -> None:
    """Fonts, translations, style and style sheet, once per application: setting the sheet again (a second
    start in one process, after leaving the demo) re-polishes every widget alive, old windows included,
    and crashed there."""
    from PySide6.QtGui import QIcon

    if app.property("station_styled"):
        return
    app.setProperty("station_styled", True)

    app.setWindowIcon(QIcon(str(RESOURCES / "icons" / "station.png")))
    install_fonts(app)
    install_translations(app)
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE_SHEET)
