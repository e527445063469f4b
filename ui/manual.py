"""``station manual``: the 使用手册 made from the running program (#27). A demo station in a temporary folder, the
main window at 1366×728 (the village PC's screen less its taskbar), each page and form the manual shows grabbed as
the person sees it, then ``app/reports/manual.py`` lays the words and pictures out. ``make manual`` writes the copy
the program ships (``resources/manual/manual.pdf``), which 帮助 → 使用手册 opens."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from resources import resource_path

SHIPPED = "manual/manual.pdf"  # under resources/
SIZE = (1366, 728)


def shipped_manual() -> Path:
    return resource_path() / SHIPPED


def take_screenshots(folder: Path) -> dict[str, Path]:
    """key → PNG of each picture ``app/reports/manual.SECTIONS`` names, from a demo station's real window."""
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QApplication

    from app import reports
    from app.db import Store
    from app.demo import build_demo
    from app.services import activities, operators
    from app.services.context import Context
    from app.settings import Settings

    from . import style
    from .dialogs.activity import ActivityDialog
    from .dialogs.login import LoginDialog
    from .dialogs.preview import PdfPreview
    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    style.apply(app)
    shots: dict[str, Path] = {}

    def settle(seconds: float = 0.3) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    def grab(widget, key: str) -> None:
        settle()
        path = folder / f"{key}.png"
        widget.grab().save(str(path))
        shots[key] = path

    store = Store.open(folder / "data")
    try:
        build_demo(store, years=1)
        operators.create_first_admin(store, username="admin", display_name="杨红霞", password="manual1")  # noqa: S106 - a throwaway demo
        ctx = Context(store=store, actor=operators.authenticate(store, "admin", "manual1"))
        window = MainWindow(ctx, Settings(store.paths.settings))
        window.resize(*SIZE)
        window.show()
        deadline = time.perf_counter() + 60
        while not window.pages["dashboard"].loaded and time.perf_counter() < deadline:
            settle(0.05)
        grab(window, "dashboard")

        login = LoginDialog(store, window.station_name, parent=window)
        login.show()
        grab(login, "login")
        login.close()
        login.deleteLater()

        for key in ("volunteers", "demands", "sync"):
            window.go(key)
            deadline = time.perf_counter() + 30
            page = window.page(key)
            while getattr(page, "model", None) is not None and page.model.rowCount() == 0 and time.perf_counter() < deadline:
                settle(0.05)
            grab(window, key)

        activity = activities.list_activities(ctx, limit=1)[0].activity
        window.go("activities")
        form = ActivityDialog(ctx, activity, window)
        form.show()
        grab(form, "activity_form")
        form.close()
        form.deleteLater()

        today = date.today()
        ledger = reports.ledger_pdf(ctx, folder / "ledger.pdf", date_from=date(today.year, today.month, 1), date_to=today)
        preview = PdfPreview(ledger, "活动台账", window)
        preview.resize(1100, 700)
        preview.show()
        grab(preview, "preview")
        preview.close()
        preview.deleteLater()

        QThreadPool.globalInstance().waitForDone(30_000)
        window.idle.stop()
        window.close()
        window.deleteLater()
        settle(0.2)
    finally:
        store.close()
    return shots


def make_manual(out: Path) -> Path:
    import app
    from app.reports.manual import manual_pdf

    with tempfile.TemporaryDirectory(prefix="station-manual-") as tmp:
        shots = take_screenshots(Path(tmp))
        out.parent.mkdir(parents=True, exist_ok=True)
        return manual_pdf(out, shots, version=app.__version__)


def command(args) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args.out) if args.out else shipped_manual()
    started = time.perf_counter()
    make_manual(out)
    print(f"已生成使用手册：{out}（{out.stat().st_size // 1024} KB，用时 {time.perf_counter() - started:.0f} 秒）")
    return 0
