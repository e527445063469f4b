"""志愿者证: a credit-card-sized card for volunteers without a smartphone (#26), ten to an A4 sheet with cut marks.

Each card shows the name, the 志愿者编号, the teams and the station, and a QR code a USB barcode scanner reads
at the PC (it types the code like a keyboard, into 扫码签到 of the sign-in window): ``ZYK1|<station code>|
<number>|<signature>``, signed with the station's key (app/signing.py), so a card made by anyone else, or of
another station, signs no one in.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph
from reportlab.graphics import renderPDF
from sqlmodel import col, select

from ..files import atomic_output
from ..models import Volunteer
from ..signing import sign, station_code
from ..services import volunteers as volunteer_service
from ..services.context import Context
from ..services.errors import ValidationError
from ..services.station import get_station
from .common import markup, register_fonts, styles
from .ledger import qr_code

CARD_W, CARD_H = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1, a bank card
COLUMNS, ROWS = 2, 5
PER_SHEET = COLUMNS * ROWS
LEFT = (A4[0] - COLUMNS * CARD_W) / 2
BOTTOM = (A4[1] - ROWS * CARD_H) / 2
CARD_PREFIX = "ZYK1"


def card_message(code: str, number: str) -> str:
    return f"{CARD_PREFIX}|{code}|{number}"


def card_text(session, station_id: str, number: str) -> str:
    """What the card's QR code says (and a scanner types): the number with the station's signature."""
    message = card_message(station_code(station_id), number)
    return f"{message}|{sign(session, message)}"


def cards_pdf(ctx: Context, out: str | Path, volunteer_ids: list[str]) -> Path:
    """The cards of ``volunteer_ids`` (in 编号 order), ten to a sheet."""
    if not volunteer_ids:
        raise ValidationError({"volunteers": "请选择要打印志愿者证的志愿者"})
    station = get_station(ctx)
    with ctx.read() as session:
        people = list(session.exec(select(Volunteer).where(col(Volunteer.id).in_(volunteer_ids), Volunteer.station_id == ctx.station_id,
                                                           Volunteer.deleted == False).order_by(Volunteer.number)))
    teams = volunteer_service.team_names_of(ctx, [v.id for v in people])
    # The station's key, made on first use, is the station's own bookkeeping, not a change of its records: a
    # 查看员 may print cards too.
    with ctx.store.gate.hold("打印志愿者证"), ctx.store.session() as session:
        texts = {v.id: card_text(session, station.id, v.number) for v in people}
        session.commit()
    register_fonts()
    s = styles()
    out = Path(out)
    with atomic_output(out) as partial:
        c = canvas.Canvas(str(partial), pagesize=A4)
        c.setTitle("志愿者证")
        c.setAuthor(station.name)
        c.setCreator("实践站台账")
        for n, v in enumerate(people):
            slot = n % PER_SHEET
            if n and slot == 0:
                c.showPage()
            x = LEFT + (slot % COLUMNS) * CARD_W
            y = BOTTOM + (ROWS - 1 - slot // COLUMNS) * CARD_H
            _card(c, s, x, y, station.name, v, "、".join(teams.get(v.id, [])), texts[v.id])
            if slot == PER_SHEET - 1 or n == len(people) - 1:
                _cut_marks(c)
        c.save()
    return out


def _card(c, s, x: float, y: float, station_name: str, v: Volunteer, teams: str, qr_text: str) -> None:
    c.setStrokeGray(0.75)
    c.setLineWidth(0.3)
    c.roundRect(x + 1.5 * mm, y + 1.5 * mm, CARD_W - 3 * mm, CARD_H - 3 * mm, 3 * mm)
    c.setFillColorRGB(0.72, 0.11, 0.11)
    c.rect(x + 1.5 * mm, y + CARD_H - 12 * mm, CARD_W - 3 * mm, 10.5 * mm, stroke=0, fill=1)
    c.setFillGray(0)
    title = Paragraph(markup("志愿者证"), s["card_title"])
    title.wrapOn(c, CARD_W - 8 * mm, 8 * mm)
    title.drawOn(c, x + 4 * mm, y + CARD_H - 8.5 * mm)
    lines = [(f"{v.name}", "card_name"), (f"编号：{v.number}", "card_line"), (f"服务队：{teams or '—'}", "card_line"),
             (station_name, "card_small")]
    top = y + CARD_H - 14 * mm
    for text, style in lines:
        para = Paragraph(markup(text), s[style])
        _w, h = para.wrapOn(c, CARD_W - 36 * mm, 20 * mm)
        top -= h
        para.drawOn(c, x + 4 * mm, top)
        top -= 1 * mm
    code = qr_code(qr_text, 27)
    renderPDF.draw(code, c, x + CARD_W - 31 * mm, y + 4 * mm)


def _cut_marks(c) -> None:
    """Short lines outside the sheet's grid of cards, at every cut, so scissors or a trimmer follow them."""
    c.setStrokeGray(0)
    c.setLineWidth(0.4)
    length = 5 * mm
    xs = [LEFT + i * CARD_W for i in range(COLUMNS + 1)]
    ys = [BOTTOM + j * CARD_H for j in range(ROWS + 1)]
    for x in xs:
        c.line(x, BOTTOM - length - 1 * mm, x, BOTTOM - 1 * mm)
        c.line(x, ys[-1] + 1 * mm, x, ys[-1] + length + 1 * mm)
    for y in ys:
        c.line(LEFT - length - 1 * mm, y, LEFT - 1 * mm, y)
        c.line(xs[-1] + 1 * mm, y, xs[-1] + length + 1 * mm, y)
