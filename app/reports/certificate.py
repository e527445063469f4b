"""志愿服务记录证明 in the four blocks of 民发〔2015〕149号: identity, service, issuer, number and date."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from sqlmodel import select

from ..models import Activity, Participation
from ..privacy import mask_id_number
from ..services import volunteers as volunteer_service
from ..services.activities import month_range
from ..services.common import format_date
from ..services.context import Context
from ..services.station import get_station
from .common import FRAME_W, build, data_table, form_table, markup, p, styles


def certificate_number(volunteer_number: str, issued: date) -> str:
    """ZM + issue date + 志愿者编号 + a random tail: unique per issuance, readable over the phone."""
    return f"ZM{issued:%Y%m%d}-{volunteer_number}-{secrets.token_hex(2).upper()}"


def service_records(ctx: Context, volunteer_id: str, date_from: date, date_to: date) -> list[tuple[Activity, Participation]]:
    query = (
        select(Activity, Participation)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(Participation.volunteer_id == volunteer_id, Participation.deleted == False, Activity.deleted == False,  # noqa: E712
               Activity.status == "done", Activity.date >= date_from, Activity.date <= date_to)
        .order_by(Activity.date, Activity.start_time)
    )
    with ctx.read() as session:
        return list(session.exec(query))


def certificate_pdf(ctx: Context, out: str | Path, *, volunteer_id: str, year: int | None = None,
                    date_from: date | None = None, date_to: date | None = None) -> tuple[Path, str]:
    """Returns the file and its 证明编号."""
    station = get_station(ctx)
    v = volunteer_service.get_volunteer(ctx, volunteer_id)
    today = date.today()
    if year is not None:
        date_from, date_to = month_range(year, None)
        date_to = min(date_to, today)
    date_to = date_to or today
    if date_from is None:
        # All of the volunteer's service, as `volunteer show` counts it: from the first activity or the
        # 注册日期, whichever is earlier (service recorded before registration was left out: 0 hours).
        records = service_records(ctx, volunteer_id, date.min, date_to)
        date_from = min([v.registered_on] + [activity.date for activity, _part in records])
    else:
        records = service_records(ctx, volunteer_id, date_from, date_to)
    total = round(sum(part.hours for _a, part in records), 2)
    number = certificate_number(v.number, today)
    s = styles()
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
            ["证件类型", v.id_type, "证件号码", mask_id_number(v.id_number)],
        ], [22, 63, 22, 63]),
        Paragraph(markup("二、志愿服务信息"), s["h2"]),
        Paragraph(markup(f"服务期间：{format_date(date_from)} 至 {format_date(date_to)}；参加活动 {len(records)} 次；"
                         f"累计服务时长 {total:g} 小时。"), s["body"]),
        Spacer(1, 2 * mm),
    ]
    if records:
        story.append(data_table(
            ["序号", "日期", "活动名称", "服务内容", "服务时长（小时）"],
            [(i, format_date(a.date), a.title, (a.content or a.category)[:120], f"{part.hours:g}") for i, (a, part) in enumerate(records, start=1)],
            [10, 25, 45, 70, 20], aligns=["cell_center", "cell", "cell", "cell", "cell_right"],
        ))
    else:
        story.append(Paragraph(markup("（该期间没有志愿服务记录）"), s["body"]))
    story += [
        Paragraph(markup("三、出具单位信息"), s["h2"]),
        form_table([
            ["出具单位", station.name, "", ""],
            ["负责人", station.manager or "", "经办人", ctx.actor.label],
            ["联系电话", station.phone or "", "单位地址", station.address or ""],
        ], [22, 63, 22, 63], spans=[((1, 0), (3, 0))]),
        Paragraph(markup("四、证明编号及出具日期"), s["h2"]),
    ]
    seal = Table([[p(f"证明编号：{number}", "body"), p("（出具单位盖章）", "cell_center")],
                  [p(f"出具日期：{format_date(today)}", "body"), ""]],
                 colWidths=[FRAME_W * 0.55, FRAME_W * 0.45], rowHeights=[14 * mm, 30 * mm])
    seal.setStyle(TableStyle([("SPAN", (1, 0), (1, 1)), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [seal, Spacer(1, 4 * mm),
              Paragraph(markup("说明：本证明依据本站志愿服务记录出具，证件号码已作隐私处理。"), s["small"])]
    path = build(out, story, title="志愿服务记录证明", station_name=station.name, author=ctx.actor.label)
    return path, number
