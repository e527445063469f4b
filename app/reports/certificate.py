"""志愿服务记录证明 in the four blocks of 民发〔2015〕149号 and 民政部《志愿服务记录与证明出具办法（试行）》
(2020, in force 2021-02-01): identity, service, issuer (signed by 负责人 and 经办人, sealed), number and date;
numbered and kept in a 证明登记簿 so it can be verified and reprinted (docs/certificates.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import func
from sqlmodel import select

from ..files import atomic_output
from ..models import Activity, CertificateRecord, Participation
from ..models.sync import SyncState
from ..signing import CertificatePayload, b64, mask_name, sign, station_code
from ..privacy import mask_id_number, revealed
from ..services.errors import NotFound, ValidationError
from ..services import volunteers as volunteer_service
from ..services.activities import month_range
from ..services.common import format_date
from ..services.context import Context
from ..models.enums import station_level
from ..services.station import get_station
from .common import FRAME_W, GRID, build, data_table, form_table, markup, p, styles
from .ledger import qr_code


@dataclass(frozen=True)
class Check:
    """How a reader checks the paper: the QR code's text, and the district's short address (if enrolled)."""

    qr_text: str
    address: str


def verify_link(server_url: str, payload: CertificatePayload, signature: str) -> str:
    """The QR code's text: the district's /verify page with the signed payload (checkable there even before the
    certificate is synced); with no district yet, the signed payload itself (ZM1:<payload>.<signature>, base64url)."""
    encoded = b64(payload.text().encode("utf-8"))  # ASCII only: a phone's scanner shows UTF-8 without a marker as garbage
    if server_url:
        return f"{server_url}/verify/{payload.number}?p={encoded}&s={signature}"
    return f"ZM1:{encoded}.{signature}"


def next_number(session, station_id: str, year: int) -> tuple[str, int]:
    """ZM-<station code>-<year>-<sequence>, allocated under the caller's write lock (BEGIN IMMEDIATE)."""
    last = session.exec(select(func.max(CertificateRecord.seq)).where(CertificateRecord.year == year)).one() or 0
    return f"ZM-{station_code(station_id)}-{year}-{last + 1:04d}", last + 1


def service_records(ctx: Context, volunteer_id: str, date_from: date, date_to: date) -> list[tuple[Activity, Participation]]:
    query = (
        select(Activity, Participation)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(Participation.volunteer_id == volunteer_id, Participation.deleted == False, Activity.deleted == False,
               Activity.status == "done", Activity.date >= date_from, Activity.date <= date_to)
        .order_by(Activity.date, Activity.start_time)
    )
    with ctx.read() as session:
        return list(session.exec(query))


def certificate_period(ctx: Context, volunteer_id: str, *, year: int | None = None, date_from: date | None = None,
                       date_to: date | None = None) -> tuple[date, date, list[tuple[Activity, Participation]]]:
    """The period a certificate covers and the service in it, counted as `volunteer show` counts it."""
    v = volunteer_service.get_volunteer(ctx, volunteer_id)
    today = date.today()
    if year is not None:
        date_from, date_to = month_range(year, None)
        date_to = min(date_to, today)
    date_to = date_to or today
    if date_from is None:  # all of the volunteer's service: from the 注册日期 (nothing can be recorded before it)
        records = service_records(ctx, volunteer_id, date.min, date_to)
        date_from = min([v.registered_on] + [activity.date for activity, _part in records])
    else:
        records = service_records(ctx, volunteer_id, date_from, date_to)
    return date_from, date_to, records


def certificate_pdf(ctx: Context, out: str | Path, *, volunteer_id: str, year: int | None = None,
                    date_from: date | None = None, date_to: date | None = None, full_id: bool = False,
                    allow_empty: bool = False) -> tuple[Path, str]:
    """Issue a 志愿服务记录证明: numbered, entered in the 证明登记簿 with the PDF as printed, in one transaction
    (a failed print takes no number). Returns the file and its 证明编号.

    ``full_id``: the full ID number, for an admin who chooses it (recorded; marked 仅供出具证明使用).
    ``allow_empty``: a certificate of 0 hours is refused unless the person confirmed it."""
    station = get_station(ctx)
    v = volunteer_service.get_volunteer(ctx, volunteer_id)
    show_full = revealed(ctx, full_id)
    date_from, date_to, records = certificate_period(ctx, volunteer_id, year=year, date_from=date_from, date_to=date_to)
    total = round(sum(part.hours for _a, part in records), 2)
    if not records and not allow_empty:
        raise ValidationError({"hours": f"{v.name}在{format_date(date_from)}至{format_date(date_to)}没有志愿服务记录（0 小时），"
                                        "一般不应出具证明；确需出具（如证明未参加）请确认后再出具"})
    today = date.today()
    folder = ctx.store.paths.root / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    with ctx.write(immediate=True, label="出具志愿服务记录证明") as session:
        number, seq = next_number(session, station.id, today.year)
        payload = CertificatePayload(number, mask_name(v.name), date_from, date_to, total)
        signature = sign(session, payload.text())
        server = (session.get(SyncState, 1) or SyncState()).server_url.rstrip("/")
        check = Check(qr_text=verify_link(server, payload, signature), address=f"{server}/verify/{number}" if server else "")
        path = _build(ctx, out, station, v, number, date_from, date_to, records, total, today, show_full, check)
        data = Path(path).read_bytes()
        kept = folder / f"{number}.pdf"
        kept.write_bytes(data)
        session.add(CertificateRecord(
            number=number, year=today.year, seq=seq, volunteer_id=v.id, volunteer_number=v.number, volunteer_name=v.name,
            id_masked=mask_id_number(v.id_number), date_from=date_from, date_to=date_to, hours=total, activities=len(records),
            issued_on=today, operator=ctx.actor.label[:50], full_id=show_full, pdf_sha256=hashlib.sha256(data).hexdigest(),
            signature=signature))
    if show_full:
        from ..services.audit import record_view

        record_view(ctx, "volunteer", v.id, f"志愿者“{v.name}”的完整证件号码（志愿服务记录证明 {number}）")
    return path, number


def find_certificate(ctx: Context, number: str) -> CertificateRecord:
    number = (number or "").strip().upper()
    with ctx.read() as session:
        record = session.get(CertificateRecord, number)
    if record is None:
        own = station_level(get_station(ctx).level).own
        raise NotFound(f"证明登记簿中没有编号为 {number} 的证明：该证明不是{own}出具的，或编号有误")
    return record


def list_certificates(ctx: Context, *, volunteer_id: str | None = None, limit: int = 200) -> list[CertificateRecord]:
    query = select(CertificateRecord).order_by(CertificateRecord.issued_on.desc(), CertificateRecord.seq.desc()).limit(limit)
    if volunteer_id:
        query = query.where(CertificateRecord.volunteer_id == volunteer_id)
    with ctx.read() as session:
        return list(session.exec(query))


def revoke_certificate(ctx: Context, number: str, reason: str) -> CertificateRecord:
    """作废 a certificate issued in error: kept in the register (and its PDF), marked with the day and the reason,
    and reported to the district at the next sync, where /verify then answers 已作废."""
    from ..services.common import FieldErrors, check_length, clean

    reason = clean(reason)
    errors = FieldErrors()
    check_length(errors, "reason", "作废原因", reason, 200, required=True)
    errors.raise_if_any()
    found = find_certificate(ctx, number)
    with ctx.write(label="作废志愿服务记录证明") as session:
        record = session.get(CertificateRecord, found.number)
        if record.revoked_on is not None:
            raise ValidationError({"number": f"证明 {record.number} 已于 {format_date(record.revoked_on)} 作废"})
        record.revoked_on, record.revoke_reason, record.reported_at = date.today(), reason, None
        session.add(record)
    return find_certificate(ctx, number)


def archive_problem(ctx: Context, record: CertificateRecord) -> str | None:
    """What is wrong with the PDF kept for ``record`` (missing, or not the bytes the register recorded), or None."""
    kept = ctx.store.paths.root / "certificates" / f"{record.number}.pdf"
    try:
        data = kept.read_bytes()
    except OSError:
        return f"证明 {record.number} 的存档文件不在了（{kept}）"
    if hashlib.sha256(data).hexdigest() != record.pdf_sha256:
        return f"证明 {record.number} 的存档文件已被改动，与登记簿不符"
    return None


def reprint_certificate(ctx: Context, number: str, out: str | Path) -> Path:
    """The certificate exactly as it was issued (the stored PDF, checked against the register's hash)."""
    record = find_certificate(ctx, number)
    problem = archive_problem(ctx, record)
    if problem is not None:
        if "不在了" in problem:
            raise NotFound(f"{problem}：登记簿仍可核验，但无法原样重印")
        raise ValidationError({"number": f"{problem}，不能重印"})
    data = (ctx.store.paths.root / "certificates" / f"{record.number}.pdf").read_bytes()
    with atomic_output(Path(out)) as partial:
        Path(partial).write_bytes(data)
    return Path(out)


def _build(ctx: Context, out, station, v, number: str, date_from: date, date_to: date, records, total: float, today: date,
           show_full: bool, check: Check) -> Path:
    """The four blocks of 民发〔2015〕149号 and 《志愿服务记录与证明出具办法（试行）》 on the first page — identity,
    service, issuer with the signatures and the seal, number and date — and the itemised service after them."""
    s = styles()
    id_text = v.id_number if show_full else mask_id_number(v.id_number)
    story: list = [
        Paragraph(markup(f"证明编号：{number}"), s["right"]),
        Spacer(1, 4 * mm),
        Paragraph(markup("志愿服务记录证明"), s["title"]),
        Paragraph(markup(
            f"兹证明 {v.name} 同志于 {format_date(date_from)} 至 {format_date(date_to)} 期间在{station.name}参加志愿服务，"
            f"累计志愿服务时长 {total:g} 小时，特此证明。"), s["body"]),
        Paragraph(markup("一、志愿者基本信息"), s["h2"]),
        form_table([
            ["姓名", v.name, "志愿者编号", v.number],
            ["证件类型", v.id_type, "证件号码", id_text + ("（仅供出具证明使用）" if show_full else "")],
        ], [22, 63, 22, 63]),
        Paragraph(markup("二、志愿服务信息"), s["h2"]),
        Paragraph(markup(f"服务期间：{format_date(date_from)} 至 {format_date(date_to)}；参加志愿服务活动 {len(records)} 次；"
                         f"累计服务时长 {total:g} 小时" + ("；各次服务见附表。" if records else "；该期间没有志愿服务记录。")), s["body"]),
        Paragraph(markup("三、出具单位信息"), s["h2"]),
        form_table([
            ["出具单位", station.name, "", ""],
            ["联系电话", station.phone or "", "单位地址", station.address or ""],
        ], [22, 63, 22, 63], spans=[((1, 0), (3, 0))]),
        Spacer(1, 3 * mm),
    ]
    signatures = Table([
        [p("负责人（签字）：", "body"), p(station.manager or "", "body"), p("经办人（签字）：", "body"), p(ctx.actor.label, "body")],
        ["", "", "", ""],
    ], colWidths=[FRAME_W * 0.2, FRAME_W * 0.3, FRAME_W * 0.2, FRAME_W * 0.3], rowHeights=[8 * mm, 10 * mm])
    signatures.setStyle(TableStyle([("LINEBELOW", (1, 1), (1, 1), 0.6, GRID), ("LINEBELOW", (3, 1), (3, 1), 0.6, GRID),
                                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    where = (f"扫码或访问 {check.address} 核验" if check.address else "扫码可读出本证明的签名内容")
    seal = Table([[p(f"证明编号：{number}", "body"), qr_code(check.qr_text, 30), p("（出具单位盖章）", "cell_center")],
                  [p(f"出具日期：{format_date(today)}", "body"), p(where, "small"), ""]],
                 colWidths=[FRAME_W * 0.4, FRAME_W * 0.25, FRAME_W * 0.35], rowHeights=[32 * mm, 14 * mm])
    seal.setStyle(TableStyle([("SPAN", (2, 0), (2, 1)), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")]))
    own = station_level(station.level).own
    note = (f"说明：本证明依据{own}志愿服务记录出具，已登记于{own}证明登记簿，可凭证明编号向{own}核验；二维码含{own}的数字签名，"
            "改动任何内容都将核验不通过。" + ("完整证件号码仅供出具证明使用。" if show_full else "证件号码已作隐私处理。"))
    story += [signatures, Paragraph(markup("四、证明编号及出具日期"), s["h2"]), KeepTogether([seal]), Spacer(1, 3 * mm),
              Paragraph(markup(note), s["small"])]
    if records:
        story += [PageBreak(), Paragraph(markup(f"附表：{v.name}志愿服务记录明细（证明编号 {number}）"), s["h2"]),
                  data_table(
                      ["序号", "日期", "活动名称", "服务内容", "服务时长（小时）"],
                      [(i, format_date(a.date), a.title, (a.content or a.category)[:120], f"{part.hours:g}")
                       for i, (a, part) in enumerate(records, start=1)],
                      [10, 29, 45, 66, 20], aligns=["cell_center", "cell", "cell", "cell", "cell_right"])]  # a date on one line
    return build(out, story, title="志愿服务记录证明", station_name=station.name, ctx=ctx)


def certificate_notice_pdf(ctx: Context, out: str | Path, *, date_from: date, date_to: date) -> Path:
    """证明公示: the certificates issued in a period, for the notice board — 民发〔2015〕149号 asks that an issued
    certificate be made public within the unit for not less than 7 days. Names masked, no ID numbers."""
    station = get_station(ctx)
    s = styles()
    with ctx.read() as session:
        records = list(session.exec(select(CertificateRecord).where(CertificateRecord.issued_on >= date_from, CertificateRecord.issued_on <= date_to)
                                    .order_by(CertificateRecord.issued_on, CertificateRecord.seq)))
    rows = [(i, r.number, mask_name(r.volunteer_name), f"{format_date(r.date_from)}至{format_date(r.date_to)}", f"{r.hours:g}",
             format_date(r.issued_on), f"已作废（{r.revoke_reason}）" if r.revoked_on else "")
            for i, r in enumerate(records, start=1)]
    own = station_level(station.level).own
    story: list = [
        Paragraph(markup(station.name), s["subtitle"]),
        Paragraph(markup("志愿服务记录证明出具情况公示"), s["title"]),
        Paragraph(markup(f"{format_date(date_from)}至{format_date(date_to)}，{own}共出具志愿服务记录证明 {len(records)} 份，现予公示。"), s["body"]),
        Spacer(1, 3 * mm),
        data_table(["序号", "证明编号", "志愿者", "证明期间", "小时数", "出具日期", "备注"],
                   rows or [("", "本期没有出具证明", "", "", "", "", "")], [9, 42, 16, 42, 16, 22, 23],
                   aligns=["cell_center", "cell", "cell_center", "cell", "cell_right", "cell", "cell"]),
        Spacer(1, 5 * mm),
        Paragraph(markup(f"公示期不少于 7 天。对公示内容有异议的，请在公示期内向{own}反映"
                         + (f"（联系电话：{station.phone}）" if station.phone else "") + "。姓名已作隐私处理。"), s["body"]),
        Spacer(1, 8 * mm),
        Paragraph(markup(f"{station.name}　{format_date(date.today())}"), s["right"]),
    ]
    return build(out, story, title="志愿服务记录证明公示", station_name=station.name, ctx=ctx)
