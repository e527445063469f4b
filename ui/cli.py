"""The desktop's own subcommand: ``station selftest``. Qt is imported only when it runs."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def selftest(args) -> int:
    """Open a store and migrate it, build the main window, print a ledger with the bundled font, read it back;
    with ``--soak N``, then show every page and open every dialog N times in this one process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    soak_rounds = getattr(args, "soak", 0) or 0
    forms = getattr(args, "forms", False)
    verbose = bool(os.environ.get("STATION_SELFTEST_VERBOSE"))
    screen = _screen(getattr(args, "screen", None))
    soak_lines: list[str] = []
    steps: list[tuple[str, float]] = []
    step = "导入程序模块"
    started = time.perf_counter()
    try:
        from datetime import date

        from PySide6.QtCore import QThreadPool
        from PySide6.QtPdf import QPdfDocument
        from PySide6.QtWidgets import QApplication

        from app import reports
        from app.db import Store
        from app.demo import build_demo
        from app.migrations import HEAD_REVISION
        from app.services import activities, operators
        from app.services.context import Context
        from app.settings import Settings

        from . import style
        from .main_window import MainWindow
        from .workers import install_garbage_collector

        steps.append((step, time.perf_counter() - started))
        with tempfile.TemporaryDirectory(prefix="station-selftest-") as tmp:
            t = time.perf_counter()
            step = "打开数据库并执行迁移"
            store = Store.open(Path(tmp) / "data")
            assert store.current_revision() == HEAD_REVISION, f"数据库版本 {store.current_revision()}，应为 {HEAD_REVISION}"
            assert store.check() == [], "数据库检查未通过"
            build_demo(store, years=1)
            operators.create_first_admin(store, username="admin", display_name="自检", password="selftest")  # noqa: S106 - a throwaway store
            steps.append((step, time.perf_counter() - t))

            t = time.perf_counter()
            step = "创建主窗口"
            app = QApplication.instance() or QApplication(sys.argv[:1])
            install_garbage_collector(app)
            families = style.install_fonts(app)
            assert families, "找不到程序自带的中文字体"
            from .dialogs.about import notices_text

            assert "PySide6_Essentials" in notices_text(), "找不到第三方软件许可文件（帮助 → 关于）"
            ctx = Context(store=store, actor=operators.authenticate(store, "admin", "selftest"))
            window = MainWindow(ctx, Settings(store.paths.settings))
            window.show()
            app.processEvents()
            window.go("volunteers")
            app.processEvents()
            assert window.page("volunteers").model.rowCount() > 0, "志愿者列表为空"
            deadline = time.perf_counter() + 30
            while not window.pages["dashboard"].loaded and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.01)
            assert window.pages["dashboard"].loaded, "工作台统计超时"
            steps.append((step, time.perf_counter() - t))

            t = time.perf_counter()
            step = "生成并读回活动台账PDF"
            out = reports.ledger_pdf(ctx, Path(tmp) / "ledger.pdf", date_from=date(date.today().year, 1, 1), date_to=date.today())
            assert b"WenQuanYiMicroHei" in out.read_bytes(), "PDF中没有嵌入中文字体"
            document = QPdfDocument()
            document.load(str(out))
            assert document.pageCount() > 1, "PDF无法打开"
            text = "".join(document.getAllText(i).text() for i in range(min(3, document.pageCount())))
            title = activities.list_activities(ctx, year=date.today().year, descending=False)[0].activity.title
            assert title in text.replace("\n", ""), "PDF中读不出活动名称"
            document.close()
            steps.append((step, time.perf_counter() - t))

            t = time.perf_counter()
            step = "手机签到（本机网页与二维码）"
            import html
            from urllib.request import urlopen

            from signin.server import SigninServer

            from .dialogs.signin import qr_pixmap

            activity = activities.list_activities(ctx, limit=1)[0].activity
            server = SigninServer(store, activity.id, "127.0.0.1")
            try:
                url = server.start()
                with urlopen(url, timeout=10) as answer:  # noqa: S310 - the http:// URL it just started on 127.0.0.1
                    assert html.escape(activity.title) in answer.read().decode("utf-8"), "签到页面中没有活动名称"
                assert not qr_pixmap(url).isNull(), "无法生成二维码"
            finally:
                server.stop()
            steps.append((step, time.perf_counter() - t))
            if screen:
                t = time.perf_counter()
                step = f"屏幕适配（{screen[0]}×{screen[1]}）"
                from .fit import check_dialogs, check_window

                misfits = check_window(window, *screen) + check_dialogs(window, *screen)
                steps.append((step, time.perf_counter() - t))
                if misfits:
                    for misfit in misfits:
                        print(f"  放不下：{misfit}", file=sys.stderr)
                    raise AssertionError(f"{len(misfits)} 个页面或窗口在 {screen[0]}×{screen[1]} 的屏幕上放不下")
            window.idle.stop()  # no person here: the idle lock must not come up over a checked form
            if forms:
                t = time.perf_counter()
                step = "每个窗口的打开、保存、取消与回收"
                from .lifecycle import check_forms, report_lines

                outcomes = check_forms(window, progress=lambda text: print(f"  {text}", flush=True) if verbose else None)
                steps.append((step, time.perf_counter() - t))
                soak_lines += report_lines(outcomes)
                bad = [o for o in outcomes if not o.ok]
                if bad:
                    for line in report_lines(outcomes)[1:]:
                        print(line, file=sys.stderr)
                    raise AssertionError(f"{len(bad)} 次窗口打开关闭有问题")
            if soak_rounds:
                t = time.perf_counter()
                step = f"长时间运行（每个页面和窗口各 {soak_rounds} 次）"
                from .soak import soak

                from contextlib import nullcontext

                from .soak import BusyPC, clerk_day

                with BusyPC() if getattr(args, "busy", False) else nullcontext():
                    report = soak(window, page_rounds=soak_rounds, dialog_rounds=soak_rounds,
                                  calls=max(100_000, 300 * soak_rounds), progress=lambda text: print(text, flush=True))
                    soak_lines += report.lines()
                    step = f"录入员的一天（{soak_rounds} 轮）"
                    clerk = clerk_day(window, soak_rounds, progress=lambda text: print(text, flush=True))
                steps.append((step, time.perf_counter() - t))
                soak_lines += clerk.lines()
                if clerk.problems:
                    for problem in clerk.problems:
                        print("  " + problem, file=sys.stderr)
                    raise AssertionError(f"录入员的一天有 {len(clerk.problems)} 个问题")
            window.idle.stop()
            window.close()
            QThreadPool.globalInstance().waitForDone(10_000)
            store.close()
    except Exception as exc:  # every failure becomes a Chinese line and exit code 1
        print(f"自检失败：{step}：{exc}", file=sys.stderr)
        return 1
    for name, seconds in steps:
        print(f"  {name}：{seconds:.2f} 秒")
    for line in soak_lines:
        print(line)
    print(f"自检通过，用时 {time.perf_counter() - started:.1f} 秒")
    return 0


def _screen(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def _screen_arg(text: str) -> str:
    try:
        width, height = _screen(text)
    except ValueError:
        raise argparse.ArgumentTypeError("屏幕大小应写成 宽x高，例如 1366x728") from None
    if not (640 <= width <= 10000 and 480 <= height <= 10000):
        raise argparse.ArgumentTypeError("屏幕大小应写成 宽x高，例如 1366x728")
    return text


def _manual(args) -> int:
    from .manual import command

    return command(args)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    from app.cli.util import run_reporting_errors

    p = subparsers.add_parser("selftest", help="程序自检：数据库、主窗口、PDF与字体", description="程序自检", parents=[common])
    p.add_argument("--soak", type=int, default=0, metavar="N",
                   help="再把每个页面和窗口各打开 N 次，并把录入员的日常操作（复制活动、保存、切换页面、保存志愿者、打印预览）"
                        "重复 N 轮（在同一进程中），报告内存增长；例如 --soak 200")
    p.add_argument("--busy", action="store_true", help="长时间运行时另开两个占满CPU的进程，模拟正忙的旧电脑")
    p.add_argument("--forms", action="store_true",
                   help="把每个表单和对话框以“保存”和“取消”各关闭一次，检查关闭后能否被干净地回收")
    p.add_argument("--screen", type=_screen_arg, metavar="宽x高",
                   help="检查每个页面和窗口能否放进这么大的屏幕（任务栏除外），例如 1366x728；放不下的逐一列出")
    p.set_defaults(handler=run_reporting_errors(selftest))

    p = subparsers.add_parser("manual", help="生成使用手册（PDF，图片取自程序本身）", description="生成使用手册", parents=[common])
    p.add_argument("--out", metavar="文件", help="写到这个文件（默认：程序自带的 resources/manual/manual.pdf）")
    p.set_defaults(handler=run_reporting_errors(_manual))
