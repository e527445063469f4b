"""帮助 → 使用手册 (#27): the manual is made from the running program, shipped with it, current, and opened from 帮助."""

from __future__ import annotations

import re
import subprocess

from pypdf import PdfReader

import app
from app.reports.manual import FAQ, SECTIONS
from app.services import operators
from app.services.context import Context
from app.settings import Settings
from ui.dialogs.preview import PdfPreview
from ui.main_window import MainWindow
from ui.manual import make_manual, shipped_manual
from ui_helpers import ARTIFACTS, when_modal


def words(pdf) -> list[str]:
    """The manual's text without the page numbers (the pictures' size may move a page break, never a word)."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)
    return [line for line in (re.sub(r"\s+", "", line) for line in text.splitlines())
            if line and not re.fullmatch(r"第\d+页共\d+页", line)]


def test_the_manual_is_made_from_the_program_and_the_shipped_one_is_current(tmp_path):
    made = make_manual(tmp_path / "manual.pdf")
    reader = PdfReader(str(made))
    pictures = sum(len(page.images) for page in reader.pages)
    assert pictures == sum(1 for s in SECTIONS if s.shot)  # every section's picture was taken and placed
    text = "".join(words(made))
    for section in SECTIONS:
        assert re.sub(r"\s+", "", section.title) in text, section.title
    for n, (question, _answer) in enumerate(FAQ, 1):
        compact = re.sub(r"\s+", "", question)
        assert f"{n}.{compact}" in text, question
    assert len(FAQ) == 10 and f"版本{app.__version__}" in text
    # The copy the program ships says the same (run `make manual` after changing the words or the version).
    assert words(shipped_manual()) == words(made), "resources/manual/manual.pdf is out of date: run make manual"
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "4", "-l", "4", str(made), str(ARTIFACTS / "manual")], check=True)
    assert any(ARTIFACTS.glob("manual*.png"))


def test_help_opens_the_manual_in_the_programs_preview(qtbot, demo_store):
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.pages["dashboard"].loaded)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "帮助(&H)")
    manual = next(a for a in help_menu.actions() if a.text() == "使用手册")
    assert manual.shortcut().toString() == "F1"
    seen = {}

    def read(preview):
        seen["title"] = preview.windowTitle()
        seen["path"] = preview.path
        seen["pages"] = preview.document.pageCount()
        preview.reject()

    when_modal(read, kind=PdfPreview)
    manual.trigger()
    assert seen["title"] == "打印预览 — 使用手册" and seen["path"] == shipped_manual() and seen["pages"] >= 8
    window.idle.stop()


def test_a_missing_manual_is_said_in_chinese(qtbot, demo_store, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr("ui.manual.shipped_manual", lambda: tmp_path / "none.pdf")
    window = MainWindow(Context(store=demo_store, actor=operators.authenticate(demo_store, "admin", "admin123")),
                        Settings(demo_store.paths.settings))
    qtbot.addWidget(window)
    said = {}
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.setdefault("text", text))
    window.show_manual()
    assert "找不到使用手册" in said["text"] and "重新安装" in said["text"]
    window.idle.stop()
