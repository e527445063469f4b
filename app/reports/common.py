"""What every printed binder shares: embedded CJK fonts with per-character fallback, A4 with a
binding margin, the station's name in the header, 第 N 页 共 M 页 in the footer, CJK line breaking."""

from __future__ import annotations

import html
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFName, PDFStream
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, LongTable, PageTemplate, Paragraph, TableStyle

from resources import resource_path

from ..files import atomic_output

FONT_DIR = resource_path("fonts")
FONT = "WQYMicroHei"  # WenQuanYi Micro Hei, Apache-2.0: embedded as a subset
FALLBACK = "DroidSansFallback"  # for rare characters (CJK Ext-A such as 㑇) the main font lacks

PAGE_W, PAGE_H = A4
MARGIN_LEFT = 25 * mm  # binding side
MARGIN_RIGHT = 15 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
FRAME_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT
GRID = colors.HexColor("#444444")
HEAD_BG = colors.HexColor("#EFEFEF")


class Cancelled(Exception):
    """Raised from a report's progress callback when the person cancels."""


@cache
def register_fonts() -> tuple[frozenset[int], frozenset[int]]:
    """Register both fonts once; return the code points each can draw."""
    main = TTFont(FONT, str(FONT_DIR / "wqy-microhei.ttc"), subfontIndex=0)
    fallback = TTFont(FALLBACK, str(FONT_DIR / "DroidSansFallbackFull.ttf"))
    pdfmetrics.registerFont(main)
    pdfmetrics.registerFont(fallback)
    return frozenset(main.face.charToGlyph), frozenset(fallback.face.charToGlyph)


@cache
def _fallback_only() -> frozenset[int]:
    main, fallback = register_fonts()
    return fallback - main


def markup(text: object) -> str:
    """Escape for Paragraph markup and switch to the fallback font for characters the main font lacks."""
    text = str(text if text is not None else "")
    if _fallback_only().isdisjoint(map(ord, text)):  # nearly every cell: no character needs the fallback
        return html.escape(text, quote=False).replace("\n", "<br/>")
    main, fallback = register_fonts()
    out: list[str] = []
    for ch in text:
        piece = html.escape(ch, quote=False)
        if ch == "\n":
            out.append("<br/>")
        elif ord(ch) not in main and ord(ch) in fallback:
            out.append(f'<font name="{FALLBACK}">{piece}</font>')
        else:
            out.append(piece)
    return "".join(out)


@cache
def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = dict(fontName=FONT, wordWrap="CJK", leading=15, fontSize=10.5)
    return {
        "title": ParagraphStyle("title", **{**base, "fontSize": 20, "leading": 28, "alignment": TA_CENTER, "spaceAfter": 6 * mm}),
        "cover": ParagraphStyle("cover", **{**base, "fontSize": 30, "leading": 40, "alignment": TA_CENTER}),
        "subtitle": ParagraphStyle("subtitle", **{**base, "fontSize": 14, "leading": 22, "alignment": TA_CENTER}),
        "h2": ParagraphStyle("h2", **{**base, "fontSize": 13, "leading": 20, "spaceBefore": 4 * mm, "spaceAfter": 2 * mm}),
        "body": ParagraphStyle("body", **base),
        "cell": ParagraphStyle("cell", **{**base, "fontSize": 9, "leading": 12}),
        "cell_center": ParagraphStyle("cell_center", **{**base, "fontSize": 9, "leading": 12, "alignment": TA_CENTER}),
        "cell_right": ParagraphStyle("cell_right", **{**base, "fontSize": 9, "leading": 12, "alignment": TA_RIGHT}),
        "head": ParagraphStyle("head", **{**base, "fontSize": 9, "leading": 12, "alignment": TA_CENTER}),
        "label": ParagraphStyle("label", **{**base, "fontSize": 9.5, "leading": 13, "alignment": TA_CENTER}),
        "right": ParagraphStyle("right", **{**base, "alignment": TA_RIGHT}),
        "left": ParagraphStyle("left", **{**base, "alignment": TA_LEFT}),
        "small": ParagraphStyle("small", **{**base, "fontSize": 8.5, "leading": 11}),
        # 志愿者证 (cards.py)
        "card_title": ParagraphStyle("card_title", **{**base, "fontSize": 13, "leading": 16, "textColor": colors.white}),
        "card_name": ParagraphStyle("card_name", **{**base, "fontSize": 16, "leading": 20}),
        "card_line": ParagraphStyle("card_line", **{**base, "fontSize": 8.5, "leading": 11}),
        "card_small": ParagraphStyle("card_small", **{**base, "fontSize": 7, "leading": 9, "textColor": colors.HexColor("#555555")}),
    }


def p(text: object, style: str = "cell") -> Paragraph:
    return Paragraph(markup(text), styles()[style])


class Cell(Paragraph):
    """A table cell's text, laid out once for its column's width.

    A LongTable asks each cell its size when it measures the rows, again when it splits them at a page's
    end, again for the part on the page, and again when it draws: each time a plain Paragraph breaks its
    lines anew (#29: about 19 times a cell in a long table). The lines of the last width asked are kept
    and answer every later question for that width; drawing uses them as they are."""

    _laid_out_for: float | None = None

    def wrap(self, availWidth, availHeight):  # reportlab's names
        if self._laid_out_for != availWidth:  # a Paragraph's lines depend on the width alone
            self._size = super().wrap(availWidth, availHeight)
            self._laid_out_for = availWidth
        return self._size


def cell(text: object, style: str = "cell") -> Cell:
    return Cell(markup(text), styles()[style])


CELL_PADDING = 6  # points, left and right: reportlab's table default
CELL_V_PADDING = 2.5  # points, above and below, in a data table


def one_line_mm(texts, style: str = "cell") -> float:
    """The width (mm) of a column that holds the longest of ``texts`` on one line, padding included: for a
    column of numbers, phones or short labels, which must not break (“2026-000” / “1”)."""
    st = styles()[style]
    widest = max((pdfmetrics.stringWidth(str(t), st.fontName, st.fontSize) for t in texts), default=0)
    return (widest + 2 * CELL_PADDING + 1) / mm


def fitted_widths(fixed: dict[int, float], shares: Sequence[float]) -> list[float]:
    """Column widths (mm) filling the frame: the columns in ``fixed`` (index → mm, e.g. from ``one_line_mm``)
    as they are, the others sharing what is left in proportion to ``shares`` (one per column, ignored for
    the fixed ones)."""
    left = FRAME_W / mm - sum(fixed.values())
    flexible = sum(w for i, w in enumerate(shares) if i not in fixed)
    return [fixed[i] if i in fixed else left * w / flexible for i, w in enumerate(shares)]


STREAM_ROWS = 100  # a table longer than this is laid out a page at a time (StreamedTable)


def data_table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths_mm: Sequence[float], *,
               aligns: Sequence[str] | None = None) -> Flowable:
    """A ruled table whose header repeats on every page; every cell wraps (CJK).

    A long table (the 活动一览 of a busy year has 20,000 rows) is a ``StreamedTable``: its cells become
    Paragraphs a page at a time instead of all at once (#13: 2 GB for the 5-year store's ledger)."""
    if len(rows) > STREAM_ROWS:
        return StreamedTable(_MeasuredRows(headers, rows, widths_mm, aligns))
    return _ruled_table(headers, rows, widths_mm, aligns)


class _MeasuredRows:
    """A long table's rows, each made into cells and measured when the layout first reaches it, once.

    Only the rows measured but not yet put on a page are kept (a page's worth and the row that did not
    fit); the rest wait as plain values."""

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[object]], widths_mm: Sequence[float],
                 aligns: Sequence[str] | None):
        self.values = rows
        self.aligns = aligns or ["cell"] * len(headers)
        self.col_widths = _column_widths(widths_mm)
        self.header = self._measured(_header_cells(headers))
        self._ready: dict[int, tuple[list[Flowable], float]] = {}

    def height(self, i: int) -> float:
        if i not in self._ready:
            self._ready[i] = self._measured(_row_cells(self.values[i], self.aligns))
        return self._ready[i][1]

    def take(self, start: int, end: int) -> list[list[Flowable]]:
        """The cells of rows ``start``–``end - 1``, no longer kept here once they are on a page."""
        for i in range(start, end):
            self.height(i)
        return [self._ready.pop(i)[0] for i in range(start, end)]

    def _measured(self, cells: list[Flowable]) -> tuple[list[Flowable], float]:
        # The row's height as LongTable._calc_height finds it: the tallest cell, padding added; each cell
        # asked for the width the table will ask (the same sum, so a Cell's kept lines answer it).
        height = 0
        for flowable, width in zip(cells, self.col_widths, strict=False):
            _, h = flowable.wrapOn(None, width - CELL_PADDING - CELL_PADDING, 72000 - CELL_V_PADDING - CELL_V_PADDING)
            height = max(height, h + (CELL_V_PADDING + CELL_V_PADDING))
        return cells, height


class StreamedTable(Flowable):
    """The rows of one long table from ``start`` on, made into a real table a page at a time.

    Each time the frame asks, rows are measured until the page is full (as LongTable.split counts: the
    header, then every row that fits whole); those rows become the page's table, header first, and the
    rest wait for the next page. What reaches the PDF is the same as one long table with a repeated
    header, and each cell's text is laid out once (#29)."""

    def __init__(self, rows: _MeasuredRows, start: int = 0):
        super().__init__()
        self.rows, self.start = rows, start
        self._table: LongTable | None = None  # the last rows, when they all fit

    def _fit(self, avail_height: float) -> int:
        """The end of the rows from ``start`` that fit under the header in ``avail_height``."""
        used = self.rows.header[1]
        end, total = self.start, len(self.rows.values)
        while end < total:
            height = self.rows.height(end)
            if used + height > avail_height:
                break
            used += height
            end += 1
        return end

    def _page(self, end: int) -> LongTable:
        return _ruled([self.rows.header[0]] + self.rows.take(self.start, end), self.rows.col_widths)

    def wrap(self, availWidth, availHeight):  # reportlab's names
        total = len(self.rows.values)
        if self._table is None and self._fit(availHeight) == total:
            self._table = self._page(total)
        if self._table is not None:  # the last rows: from now on a table of them answers, and is drawn
            width, height = self._table.wrap(availWidth, availHeight)
        else:  # more rows follow than fit: never drawn whole, always split
            width, height = sum(self.rows.col_widths), availHeight + 1
        self.width, self.height = width, height
        return width, height

    def split(self, availWidth, availHeight):
        if self._table is not None:
            return self._table.split(availWidth, availHeight)
        end = self._fit(availHeight)
        if end == self.start:  # not one row below the header
            return []
        first = self._page(end)
        return [first] + ([StreamedTable(self.rows, end)] if end < len(self.rows.values) else [])

    def drawOn(self, canvas, x, y, _sW=0):  # only when the last rows fit whole
        self._table.drawOn(canvas, x, y, _sW)


class LazyStory(list):
    """A story whose later flowables are made as the layout reaches them.

    ``BaseDocTemplate.build`` takes flowables from the front of its list while ``len(list)`` is not 0;
    this list refills itself from ``more`` (an iterable of lists of flowables) whenever it runs empty,
    so a 20,000-activity ledger never holds more than the record being laid out."""

    def __init__(self, first: Sequence[Flowable], more):
        super().__init__(first)
        self._more = iter(more)

    def __len__(self) -> int:
        while not super().__len__() and self._more is not None:
            try:
                self.extend(next(self._more))
            except StopIteration:
                self._more = None
        return super().__len__()

    def __bool__(self) -> bool:
        return len(self) > 0


def _column_widths(widths_mm: Sequence[float]) -> list[float]:
    scale = FRAME_W / (sum(widths_mm) * mm)
    return [w * mm * scale for w in widths_mm]


def _header_cells(headers: Sequence[str]) -> list[Flowable]:
    return [cell(h, "head") for h in headers]


def _row_cells(row: Sequence[object], aligns: Sequence[str]) -> list[Flowable]:
    return [c if isinstance(c, Flowable) else cell(c, aligns[i]) for i, c in enumerate(row)]


def _ruled(body: list[list[Flowable]], col_widths: list[float]) -> LongTable:
    table = LongTable(body, colWidths=col_widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_V_PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_V_PADDING),
    ]))
    return table


def _ruled_table(headers: Sequence[str], rows: Sequence[Sequence[object]], widths_mm: Sequence[float],
                 aligns: Sequence[str] | None) -> LongTable:
    aligns = aligns or ["cell"] * len(headers)
    return _ruled([_header_cells(headers)] + [_row_cells(row, aligns) for row in rows], _column_widths(widths_mm))


def form_table(rows: Sequence[Sequence[object]], widths_mm: Sequence[float], spans: Sequence[tuple] = ()) -> LongTable:
    """An official-form grid: label cells shaded, values beside them."""
    body = []
    for row in rows:
        cells = []
        for i, c in enumerate(row):
            if isinstance(c, Flowable):
                cells.append(c)
            else:
                cells.append(p(c, "label" if i % 2 == 0 else "cell"))
        body.append(cells)
    scale = FRAME_W / (sum(widths_mm) * mm)
    widths = [w * mm * scale for w in widths_mm]
    covered = {(c, r) for (c0, r0), (c1, r1) in spans for c in range(c0, c1 + 1) for r in range(r0, r1 + 1) if (c, r) != (c0, r0)}
    label = styles()["label"]
    for c in range(0, len(widths) - 1, 2):
        # A label is never broken: its column takes what its longest label needs from the value beside it (at 24 mm
        # “服务对象人数” left “数” alone on a second line of the 活动记录表, a trial)
        texts = [str(row[c]) for r, row in enumerate(rows) if c < len(row) and not isinstance(row[c], Flowable) and (c, r) not in covered]
        need = max((stringWidth(t, label.fontName, label.fontSize) + 12 + 2 for t in texts), default=0)
        if need > widths[c]:
            widths[c + 1] -= need - widths[c]
            widths[c] = need
    table = LongTable(body, colWidths=widths)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.6, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    for r, row in enumerate(rows):
        for c in range(0, len(row), 2):
            if (c, r) not in covered:
                commands.append(("BACKGROUND", (c, r), (c, r), HEAD_BG))
    commands += [("SPAN", a, b) for a, b in spans]
    table.setStyle(TableStyle(commands))
    return table


TOTAL_FORM = "totalPages"


DEMO_MARK = "示范站 · 虚构数据 · 仅供试用"


def make_numbered_canvas(header_left: str, header_right: str, watermark: str = ""):
    """A canvas that writes each page's header and 第 N 页 共 M 页 footer as the page is finished: M is a
    form drawn once at the end and referenced by every page, so the canvas keeps no copy of each page's
    state waiting for the count. reportlab holds every finished page until ``save``, so each is kept
    compressed (bench/report_bench.py measures the 5-year store's 21,000-page ledger)."""

    class NumberedCanvas(canvas.Canvas):
        def showPage(self):
            self._decorate()
            super().showPage()
            self._pack_last_page()

        def _pack_last_page(self) -> None:
            """Compress the finished page's drawing commands now, not at ``save``: reportlab keeps every
            page until then, and a page's commands shrink about tenfold (a 21,000-page ledger)."""
            page = self._doc.Pages.pages[-1]
            if not page.stream or page.Contents:
                return
            contents = PDFStream(content=zlib.compress(page.stream.encode("utf-8")))
            contents.dictionary["Filter"] = PDFName("FlateDecode")
            contents.__Comment__ = "page stream"
            page.Contents, page.stream = contents, None

        def save(self):
            total = self.getPageNumber() - 1  # showPage has moved on to an unused next page
            register_fonts()
            self.beginForm(TOTAL_FORM)
            self.setFont(FONT, 9)
            self.setFillColor(colors.HexColor("#333333"))
            self.drawString(0, 0, f"{total} 页")
            self.endForm()
            super().save()

        def _decorate(self) -> None:
            register_fonts()
            self.saveState()
            self.setFont(FONT, 9)
            self.setFillColor(colors.HexColor("#333333"))
            top = PAGE_H - MARGIN_TOP + 6 * mm
            self.drawString(MARGIN_LEFT, top, header_left)
            self.drawRightString(PAGE_W - MARGIN_RIGHT, top, header_right)
            self.setStrokeColor(colors.HexColor("#888888"))
            self.setLineWidth(0.6)
            self.line(MARGIN_LEFT, top - 2 * mm, PAGE_W - MARGIN_RIGHT, top - 2 * mm)
            if watermark:  # across every page, light enough to read through, impossible to miss or cut off
                self.saveState()
                self.setFont(FONT, 30)
                self.setFillColor(colors.HexColor("#c62828"))
                self.setFillAlpha(0.18)
                self.translate(PAGE_W / 2, PAGE_H / 2)
                self.rotate(35)
                for dy in (-85 * mm, 0, 85 * mm):
                    self.drawCentredString(0, dy, watermark)
                self.restoreState()
            number = self.getPageNumber()
            head = f"第 {number} 页 共 "
            # Centred as if the total had as many digits as this page's number (the total is not known yet).
            width = self.stringWidth(head + f"{number} 页", FONT, 9)
            x = PAGE_W / 2 - width / 2
            y = MARGIN_BOTTOM - 10 * mm
            self.drawString(x, y, head)
            self.translate(x + self.stringWidth(head, FONT, 9), y)
            self.doForm(TOTAL_FORM)
            self.restoreState()

    return NumberedCanvas


def build(out: str | Path, story: list, *, title: str, station_name: str, author: str = "", ctx=None) -> Path:
    """Write the story to ``out`` atomically (a half-written PDF never replaces a good one). ``ctx``: whose document
    it is (its author); a demo station's says so across every page — its 证明 and 台账 looked real (a trial)."""
    from ..settings import Settings

    demo = ctx is not None and bool(Settings(ctx.store.paths.settings).get("is_demo"))
    author = author or (ctx.actor.label if ctx is not None else "")
    register_fonts()
    out = Path(out)
    with atomic_output(out) as partial:
        doc = BaseDocTemplate(
            str(partial), pagesize=A4, title=title, author=author or station_name, subject=title, creator="实践站台账",
            leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        )
        frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, FRAME_W, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM, id="body", leftPadding=0, rightPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        doc.build(story, canvasmaker=make_numbered_canvas(station_name, title, DEMO_MARK if demo else ""))
    return out


def period_label(date_from: date, date_to: date) -> str:
    if date_from.month == 1 and date_from.day == 1 and date_to.month == 12 and date_to.day == 31 and date_from.year == date_to.year:
        return f"{date_from.year}年"
    if date_from.day == 1 and date_from.year == date_to.year and date_from.month == date_to.month:
        return f"{date_from.year}年{date_from.month}月"
    return f"{date_from.year}年{date_from.month}月{date_from.day}日至{date_to.year}年{date_to.month}月{date_to.day}日"


def check(progress: Callable[[int, int, str], bool | None] | None, done: int, total: int, text: str = "") -> None:
    """Report progress; a callback returning False cancels the report."""
    if progress is not None and progress(done, total, text) is False:
        raise Cancelled()
