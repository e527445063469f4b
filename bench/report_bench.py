"""Printed binders: a 3,000-row ledger table beside a bare reportlab LongTable of the same rows (the
median of alternated pairs, each build in its own process), and a whole ledger of 1,000 activities with
photos (seconds, pages per second, peak memory).

``python -m bench.report_bench [--rows N] [--pairs N]`` runs the table alone."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FULL_LEDGER = r"""
import sys, time
from datetime import date, timedelta
from app.db import Store
from app.services.context import Context
from app.services import activities
from app import reports
store = Store.open(sys.argv[1])
ctx = Context(store=store)
start = time.perf_counter()
first, last = (date.fromisoformat(sys.argv[3]), date.fromisoformat(sys.argv[4])) if len(sys.argv) > 4 else (date(2000, 1, 1), date.today())
out = reports.ledger_pdf(ctx, sys.argv[2], date_from=first, date_to=last)
seconds = time.perf_counter() - start
import pypdf
pages = len(pypdf.PdfReader(out).pages)
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's size at fork.
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(f"{seconds:.2f} {pages} {peak:.0f}")
"""


# One build of the 3,000-row table, in a fresh interpreter: its seconds, pages and peak memory (VmHWM,
# as FULL_LEDGER) apart from the other kinds'. "bare" is a reportlab LongTable of Paragraphs as reportlab's
# docs make one (no widths given, so equal columns, more lines and pages); "bare-widths" the same with our
# column widths (the same pages as ours); "ours" is data_table, as the reports print it.
TABLE_RUN = r"""
import sys, time
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate
from app.reports.common import FONT, FRAME_W, data_table, register_fonts
kind, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
register_fonts()
data = [(n, "2026年10月5日", f"第{n}次敬老爱老志愿服务活动", "敬老爱老", "孝老爱亲服务队", "村党群服务中心", 8, 16, 40)
        for n in range(1, rows + 1)]
headers = ["序号", "日期", "活动名称", "类别", "服务队", "地点", "参与志愿者人数", "服务时长合计", "服务对象人数"]
widths = [9, 22, 40, 20, 22, 22, 13, 13, 13]
start = time.perf_counter()
if kind.startswith("bare"):
    style = ParagraphStyle("c", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK")
    table = LongTable([[Paragraph(h, style) for h in headers]] + [[Paragraph(str(c), style) for c in r] for r in data], repeatRows=1,
                      colWidths=[FRAME_W * w / sum(widths) for w in widths] if kind == "bare-widths" else None)
else:
    table = data_table(headers, data, widths)
doc = SimpleDocTemplate(out, pagesize=A4)
doc.build([table])
seconds = time.perf_counter() - start
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024
print(f"{seconds:.3f} {doc.page} {peak:.0f}")
"""


def _table_run(kind: str, rows: int, out: Path) -> tuple[float, int, float]:
    """Seconds, pages and peak memory (MB) of one build."""
    result = subprocess.run([sys.executable, "-c", TABLE_RUN, kind, str(rows), str(out)],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    seconds, pages, peak = result.stdout.split()
    return float(seconds), int(pages), float(peak)


def table_ratio(rows: int = 3000, pairs: int = 8) -> None:
    """Our long table beside a bare reportlab LongTable of the same rows: ``pairs`` alternated rounds (bare,
    ours, bare with our widths; bare, ours, …), each build in its own process; the median ratio of each
    round, its spread, peak memory, and the load."""
    load_before = os.getloadavg()
    runs: dict[str, list[tuple[float, int, float]]] = {"bare": [], "ours": [], "bare-widths": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(pairs):
            for kind, results in runs.items():
                results.append(_table_run(kind, rows, Path(tmp) / f"{kind}.pdf"))
    load_after = os.getloadavg()

    def seconds(kind: str) -> list[float]:
        return [s for s, _, _ in runs[kind]]

    def described(kind: str) -> str:
        return (f"{statistics.median(seconds(kind)):.2f} s, {runs[kind][0][1]} pages, "
                f"peak RSS {max(mb for _, _, mb in runs[kind]):.0f} MB")

    print(f"{rows:,}-row ledger table, {pairs} alternated rounds, each build in its own process, "
          f"load {load_before[0]:.2f} before, {load_after[0]:.2f} after:")
    print(f"  ours {described('ours')}; bare LongTable {described('bare')} (equal columns); "
          f"bare with our widths {described('bare-widths')}")
    for kind, label in (("bare", "bare reportlab LongTable"), ("bare-widths", "bare with our widths")):
        ratios = [o / b for o, b in zip(seconds("ours"), seconds(kind), strict=True)]
        print(f"  ratio to {label}: median {statistics.median(ratios):.2f} (spread {min(ratios):.2f}–{max(ratios):.2f}; "
              f"goal ≤ 1.3); each round: " + " ".join(f"{r:.2f}" for r in ratios))


def full_ledger(activities_count: int = 1000) -> None:
    from datetime import date, timedelta

    from PIL import Image

    from app.db import Store
    from app.services import activities, teams, volunteers
    from app.services.activities import ParticipantInput
    from app.services.context import Context
    from app.services.station import init_station

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        with Store.open(data) as store:
            init_station(store, name="基准测试村新时代文明实践站", kind="village", population=1200)
            ctx = Context(store=store)
            team = teams.add_team(ctx, name="敬老爱老服务队", category="敬老爱老")
            from app.services.idcard import check_char

            start_day = date.today() - timedelta(days=activities_count)
            people = []
            for i in range(40):
                first17 = f"370117{date(1960, 1, 1) + timedelta(days=i * 97):%Y%m%d}{i:03d}"
                people.append(volunteers.add_volunteer(ctx, name=f"志愿者{i:02d}", id_number=first17 + check_char(first17), phone="13812345678",
                                                       registered_on=start_day))  # registered before their first activity
            photos = []
            for i in range(4):
                path = Path(tmp) / f"p{i}.jpg"
                Image.new("RGB", (2000, 1500), (40 * i, 120, 80)).save(path, quality=85)
                photos.append(path)
            for n in range(activities_count):
                act = activities.add_activity(ctx, title=f"第{n}次志愿服务活动", date=start_day + timedelta(days=n), category="敬老爱老",
                                              team_id=team.id, place="村党群服务中心", content="志愿者分工协作，群众反响良好。" * 5,
                                              participants=[ParticipantInput(v.id, 2.0) for v in people[n % 30 : n % 30 + 8]])
                activities.add_photo(ctx, act.id, photos[n % 4], caption="活动现场")
                activities.add_photo(ctx, act.id, photos[(n + 1) % 4], caption="合影")
        result = subprocess.run([sys.executable, "-c", FULL_LEDGER, str(data), str(Path(tmp) / "ledger.pdf")],
                                capture_output=True, text=True, cwd=ROOT, check=True)
        seconds, pages, peak = result.stdout.split()
        size = (Path(tmp) / "ledger.pdf").stat().st_size / 2**20
        print(f"ledger of {activities_count:,} activities with 2 photos each: {float(seconds):.1f} s, {pages} pages, "
              f"{int(pages) / float(seconds):.1f} pages/s, peak RSS {peak} MB, file {size:.1f} MB (one run, no floor: the long table's "
              "pairs above are the speed figure)")


def year_ledger(data: Path, year: int) -> None:
    """#13: the whole year's ledger of the 5-year store (about 21,000 pages) within 500 MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ledger.pdf"
        result = subprocess.run([sys.executable, "-c", FULL_LEDGER, str(data), str(out), f"{year}-01-01", f"{year}-12-31"],
                                capture_output=True, text=True, cwd=ROOT, check=True)
        seconds, pages, peak = result.stdout.split()
        print(f"the {year} ledger of the 5-year store: {int(pages):,} pages in {float(seconds):.0f} s "
              f"({int(pages) / float(seconds):.0f} pages/s), peak RSS {peak} MB (goal ≤ 500), file {out.stat().st_size / 2**20:.0f} MB "
              "(one run of 3 minutes: the goal is memory)")


def run(*, small: bool = False) -> None:
    table_ratio(300 if small else 3000)
    full_ledger(100 if small else 1000)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.report_bench", description="the long table beside bare reportlab")
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    table_ratio(args.rows, args.pairs)
