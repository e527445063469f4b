"""Each piece of the window's interpreter tuning, taken out on its own (#25: "whatever tuning stays is
justified by a bench figure").

    python -m bench.ui_bench DATA_DIR --tuning

On the 5-year store, in the desktop app's own window and process, the longest GUI stall (10 ms heartbeat) of
printing a week's ledger and of settling a quarter's activity points is measured in alternated pairs: the
program as it ships, then the same operation with one piece of tuning undone, again and again (PAIRS times).
The pieces are put back between runs, so the alternation sees the same machine. Every run is printed, then
the medians, their ratio and what the figure says about the piece.

A GUI-thread collector is not a tuning that can be taken out here: automatic collection in a worker thread
destroys Qt objects from that thread and crashes the program (tests/test_form_lifecycle.py and
tests/test_clerk_soak.py). What is measured is how it collects: the short tick during a job. (Holding full
collections back until a job ended was measured too, on 2026-12-07, changed nothing beyond the runs' spread, and
was taken out.)
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.ui_bench import STALL_GOAL_MS, BenchTimeout, Figure, _heartbeat, _load, _sql, _wait

PAIRS = 3


@dataclass
class Piece:
    name: str  # what the program does, as docs/architecture.md names it
    undo: Callable[[], Callable[[], None]]  # takes the piece out; returns what puts it back


def _pieces(collector) -> list[Piece]:
    from app import giveway
    from ui.workers import GUI_SWITCH_INTERVAL_S

    def switch_interval():
        sys.setswitchinterval(0.005)  # CPython's default
        return lambda: sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)

    def give_way():
        giveway.set_watch(None)  # as on the command line: a job never sleeps for the window
        return lambda: giveway.set_watch(lambda: time.monotonic() - collector.last_tick)

    def freeze():
        gc.unfreeze()  # the window, its pages and every module walked by each full collection again
        return gc.freeze

    def busy_tick():
        collector.BUSY_INTERVAL_MS = collector.INTERVAL_MS  # young collections every 100 ms during a job too
        return lambda: vars(collector).pop("BUSY_INTERVAL_MS", None)

    def every_piece():
        put_backs = [undo() for undo in (switch_interval, give_way, freeze, busy_tick)]
        return lambda: [put_back() for put_back in reversed(put_backs)]

    return [
        Piece("切换间隔 0.2 ms（share_the_gil_with_the_gui；去掉后为 CPython 默认的 5 ms）", switch_interval),
        Piece("后台作业让路（app/giveway.py：界面 25 ms 未运行时作业睡 1 ms）", give_way),
        Piece("启动后 gc.freeze（settle）", freeze),
        Piece("作业进行时每 10 ms 回收年轻代（BUSY_INTERVAL_MS；去掉后为 100 ms）", busy_tick),
        Piece("以上四项一起去掉（回收仍在界面线程）", every_piece),
    ]


def _operations(app, watch, window, idle) -> list[tuple]:
    """(name, action, finished, time limit[, what readies a run, unmeasured]) for each measured operation."""
    from datetime import date

    from app import reports
    from app.services import points
    from ui.printing import print_document
    from ui.workers import run_in_background

    ctx = window.ctx
    printed: list = []

    def print_month() -> None:
        printed.clear()
        print_document(window, ctx.store, "活动台账-基准", lambda path, progress: reports.ledger_pdf(
            ctx, path, date_from=date(2025, 11, 1), date_to=date(2025, 11, 7), progress=progress),
            preview=False, on_ready=printed.append)

    points_page = window.page("points")
    window.go("points")
    _wait(app, idle, 60, "积分页")
    started = time.perf_counter()
    ready: list[bool] = []
    run_in_background(window, lambda _task: points.settle_activities(ctx), lambda _r: ready.append(True),
                      lambda _exc, _d: ready.append(False))
    _wait(app, lambda: bool(ready) and idle(), 1800, "先结算全部活动积分")
    print(f"  （准备，不计时：先结算全部活动积分 {time.perf_counter() - started:.1f} s）", flush=True)
    year = date.today().year - 1  # the same quarter each run: its points removed, then settled again (a year
    # takes about 27 s a run on this store; thirty runs of it would keep the bench half an hour)

    def unsettle() -> None:
        entries = ("SELECT id FROM point_entry WHERE source LIKE 'activity:%' AND occurred_on BETWEEN ? AND ? "
                   "AND id NOT IN (SELECT reverses_id FROM point_entry WHERE reverses_id IS NOT NULL)")
        span = (f"{year}-10-01", f"{year}-12-31")
        _sql(ctx, (f"DELETE FROM outbox WHERE entity = 'point_entry' AND row_id IN ({entries})", span),
             (f"DELETE FROM point_entry WHERE id IN ({entries})", span))

    # The clerk goes on working while a job runs: the volunteer list scrolled a screen every 100 ms during the
    # same quarter's settlement. Each row painted asks the model in Python, so the window waits for the job's
    # thread to hand over the GIL once a cell, not once a heartbeat.
    from PySide6.QtCore import QTimer

    volunteers = window.page("volunteers")
    scrolling = QTimer(window)
    scrolling.setInterval(100)
    bar = volunteers.table.verticalScrollBar()
    scrolling.timeout.connect(lambda: bar.setValue(bar.value() + 30 if bar.value() < bar.maximum() else 0))
    settled: list[bool] = []

    def scroll_while_settling() -> None:
        settled.clear()
        window.go("volunteers")
        scrolling.start()

        def done(ok: bool) -> None:
            scrolling.stop()
            settled.append(ok)

        run_in_background(window, lambda _task: points.settle_activities(ctx), lambda _r: done(True),
                          lambda _exc, _d: done(False))

    def back_to_points() -> None:
        unsettle()
        window.go("points")

    return [
        ("打印 2025 年 11 月 1–7 日的活动台账", print_month, lambda: bool(printed) and idle(), 180),
        (f"结算 {year} 年第四季度积分时每 100 ms 向下翻动志愿者列表", scroll_while_settling,
         lambda: bool(settled) and idle(), 600, back_to_points),
        (f"结算 {year} 年第四季度的活动积分（5 年的台账）", points_page.settle, idle, 600, unsettle),
    ]


def run(app, watch, window, collector) -> None:
    from PySide6.QtCore import QThreadPool

    pool = QThreadPool.globalInstance()
    idle = lambda: pool.activeThreadCount() == 0
    print(f"逐项去掉界面的解释器调优（每项 {PAIRS} 对，原样与去掉交替；10 ms 心跳的最长间隔；负载 {_load()}）：", flush=True)
    operations = _operations(app, watch, window, idle)
    lines = []
    for piece in _pieces(collector):
        print(f"  {piece.name}", flush=True)
        for name, action, finished, limit, *ready in operations:
            kept = Figure(f"{name}：原样", STALL_GOAL_MS, short="原样 ")
            taken = Figure(f"{name}：去掉这一项", STALL_GOAL_MS, short="去掉 ")
            for _ in range(PAIRS):
                for figure, undo in ((kept, None), (taken, piece.undo)):
                    for prepare in ready:
                        prepare()
                    _wait(app, idle, 120, "准备")
                    put_back = undo() if undo else None
                    try:
                        stall, seconds = _heartbeat(app, watch, action, finished, limit, name)
                    except BenchTimeout as exc:
                        figure.fail(str(exc))
                        continue
                    finally:
                        if put_back:
                            put_back()
                    figure.add(stall, None, f"，用时 {seconds:.2f} s")
            if kept.values and taken.values:
                with_it, without = statistics.median(kept.values), statistics.median(taken.values)
                # A side only when the runs say so beyond their spread: every run without the piece above the
                # shipped median (or every one below it), and the medians 1.3× apart.
                if without > 1.3 * with_it and min(taken.values) > with_it:
                    says = "去掉后停顿更长：这一项有用，保留"
                elif with_it > 1.3 * without and max(taken.values) < with_it:
                    says = "去掉后停顿更短：这一项有害"
                else:
                    says = "差别在波动之内：本次看不出作用"
                line = (f"{piece.name} · {name}：原样中位数 {with_it:.0f} ms（{min(kept.values):.0f}–{max(kept.values):.0f}），"
                        f"去掉后 {without:.0f} ms（{min(taken.values):.0f}–{max(taken.values):.0f}），"
                        f"{without / with_it:.1f}×：{says}")
            else:
                line = f"{piece.name} · {name}：未完成（{kept.failed or taken.failed}）"
            print(f"    → {line}", flush=True)
            lines.append(line)
    print(f"调优逐项小结（负载 {_load()}）：", flush=True)
    for line in lines:
        print(f"  {line}", flush=True)
