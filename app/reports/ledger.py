"""活动台账: a cover, a summary table, then one 活动记录表 per activity with participants, photos and signatures."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Image, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from ..models.enums import ActivityStatus
from ..services import activities as activity_service
from ..services.common import format_date
from ..services.context import Context
from ..models.enums import StationLevel, station_level
from ..services.station import get_station
from .common import (
    FRAME_W, GRID, LazyStory, build, check, data_table, fitted_widths, form_table, markup, one_line_mm, p, period_label,
    styles,
)

PHOTO_W, PHOTO_H = 80 * mm, 58 * mm
PHOTO_PIXELS = 1200  # enough for 300 dpi at the printed size; keeps a 1,000-activity ledger small


def qr_code(text: str, size_mm: float = 32) -> Drawing:
    widget = QrCodeWidget(text)
    x0, y0, x1, y1 = widget.getBounds()
    size = size_mm * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def photo_flowable(path: Path, work_dir: Path) -> Image | None:
    """The photo turned upright by its EXIF orientation and scaled to fit the cell.

    The scaled copy is written as a .jpg file: reportlab then embeds the JPEG
    bytes as they are and, with ``lazy=2``, opens the file only while drawing,
    so a ledger of a thousand photos never holds them decoded in memory.
    """
    from PIL import Image as PILImage
    from PIL import ImageOps

    scaled = work_dir / f"{path.name}.jpg"
    try:
        if not scaled.exists():
            with PILImage.open(path) as raw:
                img = ImageOps.exif_transpose(raw).convert("RGB")
            img.thumbnail((PHOTO_PIXELS, PHOTO_PIXELS))
            img.save(scaled, "JPEG", quality=82)
        with PILImage.open(scaled) as done:
            width, height = done.size
    except (OSError, ValueError):
        return None
    ratio = min(PHOTO_W / width, PHOTO_H / height)
    return Image(str(scaled), width=width * ratio, height=height * ratio, lazy=2)


def signature_line(first: str = "负责人（签字）：", second: str = "记录人（签字）：") -> Table:
    """Two signatures on lines and the date. Each label's cell is as wide as its text: at 33 mm the "：" of
    负责人（签字）： went onto a line of its own (a trial's printed 活动记录表)."""
    when = "日期：　　年　　月　　日"
    body = styles()["body"]

    def width(text: str) -> float:
        return stringWidth(text, body.fontName, body.fontSize) + 12 + 2  # the cell's padding, 6 pt a side, and slack

    line = max(20 * mm, (FRAME_W - width(first) - width(second) - width(when)) / 2)
    cells = [[p(first, "body"), "", p(second, "body"), "", p(when, "body")]]
    table = Table(cells, colWidths=[width(first), line, width(second), line, FRAME_W - width(first) - width(second) - 2 * line])
    table.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.6, GRID), ("LINEBELOW", (3, 0), (3, 0), 0.6, GRID),
                               ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("TOPPADDING", (0, 0), (-1, -1), 10)]))
    return table


def cover(station, title: str, period: str, extra: list[tuple[str, str]]) -> list:
    s = styles()
    tier = station_level(station.level)
    story: list = [Spacer(1, 40 * mm), Paragraph(markup(station.name), s["subtitle"]), Spacer(1, 12 * mm),
                   Paragraph(markup(title), s["cover"]), Spacer(1, 10 * mm), Paragraph(markup(period), s["subtitle"]),
                   Spacer(1, 25 * mm)]
    rows = [[label, value] for label, value in extra]
    story.append(form_table(rows, [35, 95]))
    contact = station.contact or station.phone
    if contact:
        qr = Table([[qr_code(contact)], [p(f"扫码联系{tier.own}志愿服务", "cell_center")]], colWidths=[FRAME_W])
        qr.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        story += [Spacer(1, 14 * mm), qr]
    story.append(PageBreak())
    return story


def ledger_pdf(ctx: Context, out: str | Path, *, date_from: date, date_to: date, team_id: str | None = None,
               category: str | None = None, text: str = "",
               progress: Callable[[int, int, str], bool | None] | None = None) -> Path:
    """The 活动台账 of a period: cover, 一览 and each activity's record — of the activities the list shows (its team,
    category and search ``text``: a trial searched one activity and got the whole month)."""
    station = get_station(ctx)
    # The ledger records what was done: a planned activity (its 内容 still the plan's) is not in it, and the cover's
    # 活动次数 is the 工作台's (a trial: the month's print said 11 while the 工作台 said 10).
    summaries = activity_service.list_activities(ctx, date_from=date_from, date_to=date_to, team_id=team_id,
                                                 category=category, text=text, status=ActivityStatus.done.value,
                                                 descending=False)
    period = period_label(date_from, date_to)
    scopes = []
    if team_id:
        scopes.append(next((s.team_name for s in summaries), "") or "（所选服务队）")
    elif category:
        scopes.append(category)
    if text.strip():  # a search printed as such, not as the whole period (a trial took it for the year's)
        scopes.append(f"查找“{text.strip()}”")
    scope = " · ".join(scopes)
    planned = activity_service.count_activities(ctx, date_from=date_from, date_to=date_to, team_id=team_id,
                                                category=category, text=text, status=ActivityStatus.planned.value)
    story = cover(station, "活 动 台 账", period + (f" · {scope}" if scope else ""), [
        (station_level(station.level).unit, station.name), ("所属街道", station.street or "—"), ("统计期间", period),
        *([("范围", scope)] if scope else []),
        ("活动次数", f"{len(summaries)} 次" + (f"（只列已开展的；计划中的 {planned} 次未列入）" if planned else "")),
        ("服务时长合计", f"{sum(s.hours for s in summaries):g} 小时"),
        ("志愿服务电话", station.phone or "—"), ("制表日期", format_date(date.today())),
    ])
    s = styles()
    story.append(Paragraph(markup(f"活动一览（{period}{f' · {scope}' if scope else ''}）"), s["title"]))
    rows: list[tuple] = [(n, format_date(a.activity.date), a.activity.title, a.activity.category, a.team_name,
                          a.activity.place, a.participants, f"{a.hours:g}", a.activity.served_count)
                         for n, a in enumerate(summaries, start=1)]
    # the register ends with its totals (a trial: none), the 工作台's and the cover's figures
    rows.append(("", "合计", f"共 {len(summaries)} 次", "", "", "", sum(a.participants for a in summaries),
                 f"{sum(a.hours for a in summaries):g}", sum(a.activity.served_count for a in summaries)))
    # A date, a number and a count never break (a trial read “2026年1月2 / 日”); the text columns share the rest.
    # (1.5 mm to spare: a date measured to the point touched the cell's right border; a category keeps its
    # six characters on one line, “理论政策宣/讲” broke)
    fixed = {0: max(8.0, one_line_mm([len(summaries)])), 1: one_line_mm([r[1] for r in rows]) + 1.5,
             3: one_line_mm([r[3] for r in rows] + ["类别"]) + 1.5}
    fixed |= {i: max(12.0, one_line_mm([r[i] for r in rows])) for i in (6, 7, 8)}
    story.append(data_table(
        ["序号", "日期", "活动名称", "类别", "服务队", "地点", "参与志愿者人数", "服务时长合计", "服务对象人数"], rows,
        fitted_widths(fixed, [0, 0, 34, 0, 24, 22, 0, 0, 0]),
        aligns=["cell_center", "cell", "cell", "cell", "cell", "cell", "cell_right", "cell_right", "cell_right"],
    ))
    total = len(summaries)
    with tempfile.TemporaryDirectory(prefix="ledger-photos-") as work_dir:
        def records():
            # made as the layout reaches them (LazyStory): one record in memory at a time, not 20,000
            for n, summary in enumerate(summaries, start=1):
                check(progress, n - 1, total, f"正在排版第 {n}/{total} 个活动")
                yield [PageBreak()] + activity_record(ctx, summary, n, Path(work_dir), station_level(station.level))
            check(progress, total, total, "正在生成PDF文件")

        return build(out, LazyStory(story, records()), title="活动台账", station_name=station.name, ctx=ctx)


def records_pdf(ctx: Context, out: str | Path, activity_ids: list[str],
                progress: Callable[[int, int, str], bool | None] | None = None) -> Path:
    """The 活动记录表 of chosen activities alone, one after another in date order (a trial: one activity's record
    could not be printed without its month's whole ledger). Planned ones print too: chosen, not counted."""
    station = get_station(ctx)
    wanted = set(activity_ids)
    summaries = [s for s in activity_service.list_activities(ctx, descending=False, ids=activity_ids)
                 if s.activity.id in wanted]
    total = len(summaries)
    with tempfile.TemporaryDirectory(prefix="record-photos-") as work_dir:
        story: list = []
        for n, summary in enumerate(summaries, start=1):
            check(progress, n - 1, total, f"正在排版第 {n}/{total} 个活动")
            story += ([PageBreak()] if n > 1 else []) + activity_record(ctx, summary, n, Path(work_dir),
                                                                       station_level(station.level))
        check(progress, total, total, "正在生成PDF文件")
        return build(out, story, title="活动记录表", station_name=station.name, ctx=ctx)


def activity_record(ctx: Context, summary, n: int, work_dir: Path, tier: StationLevel = StationLevel.station) -> list:
    a = summary.activity
    s = styles()
    times = "—"
    if a.start_time and a.end_time:
        times = f"{a.start_time:%H:%M}—{a.end_time:%H:%M}"
    participants = activity_service.participants_of(ctx, a.id)
    story: list = [Paragraph(markup(f"活动记录表（{n}）"), s["title"])]
    story.append(form_table([
        ["活动名称", a.title, "", ""],
        ["活动日期", format_date(a.date), "活动时间", times],
        ["活动类别", a.category, "服务队", summary.team_name or "—"],
        ["活动地点", a.place or "—", "组织者", a.organiser or "—"],
        ["服务对象", a.service_target or "—", "服务对象人数", f"{a.served_count} 人"],
        [f"以{tier.own}名义", "是" if a.own_name else "否", "活动状态", ActivityStatus(a.status).label],
        ["参与志愿者", f"{len(participants)} 人，服务时长合计 {summary.hours:g} 小时", "", ""],
        ["活动内容", a.content or "—", "", ""],
    ], [24, 61, 24, 61], spans=[((1, 0), (3, 0)), ((1, 6), (3, 6)), ((1, 7), (3, 7))]))
    if participants:
        story.append(Paragraph(markup("参与志愿者及服务时长"), s["h2"]))
        rows = []
        half = (len(participants) + 1) // 2
        for i in range(half):
            row: list = []
            for j in (i, i + half):
                if j < len(participants):
                    pp = participants[j]
                    row += [j + 1, pp.volunteer.name, pp.volunteer.number, f"{pp.participation.hours:g}"]
                else:
                    row += ["", "", "", ""]
            rows.append(row)
        story.append(data_table(["序号", "姓名", "志愿者编号", "时长（小时）"] * 2, rows, [9, 18, 22, 16] * 2,
                                aligns=["cell_center", "cell", "cell", "cell_right"] * 2))
    photos = activity_service.photos_of(ctx, a.id)
    if photos:
        story.append(CondPageBreak(PHOTO_H + 30 * mm))
        story.append(Paragraph(markup("活动照片"), s["h2"]))
        cells = []
        for n, photo in enumerate(photos, 1):
            image = photo_flowable(activity_service.photo_path(ctx, photo.sha256), work_dir)
            # 图1　说明 (a camera's file name, IMG_20261204_093012.jpg, is no caption on a form)
            caption = p(f"图{n}　{photo.caption}" if photo.caption else f"图{n}", "cell_center")
            cells.append([image, caption] if image is not None else [p("（照片文件缺失）", "cell_center"), caption])
        rows = [cells[i : i + 2] + ([] if i + 1 < len(cells) else [""]) for i in range(0, len(cells), 2)]
        table = Table(rows, colWidths=[FRAME_W / 2] * 2)
        table.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story.append(table)
    story.append(KeepTogether([Spacer(1, 8 * mm), signature_line()]))
    return story
