"""The monthly and annual “五有” self-check report, in the style of the other binders."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, TableStyle

from ..rules import AT_RISK, MISSED, STATUS_LABELS, Period, selfcheck
from ..services.common import format_date
from ..services.context import Context
from ..models.enums import kind_label, station_level
from ..services.station import get_station
from .common import build, data_table, form_table, markup, styles
from .ledger import signature_line

STATUS_FILL = {MISSED: colors.HexColor("#FDECEA"), AT_RISK: colors.HexColor("#FFF4E5")}


def selfcheck_pdf(ctx: Context, out: str | Path, *, year: int, month: int | None = None) -> Path:
    station = get_station(ctx)
    period = Period.of(year=year, month=month)
    verdicts = selfcheck(ctx, period)
    s = styles()
    tier = station_level(station.level)
    story: list = [
        Paragraph(markup(f"“五有”标准自查报告（{period.label}）"), s["title"]),
        form_table([
            [tier.unit, station.name, "级别", tier.long_name],
            ["类型", kind_label(station.level, station.kind), "所属街道", station.street or "—"],
            ["常住人口", f"{station.population} 人" if station.population else "未填写", "专管员" if tier.has_street else "专职工作人员",
             station.manager or "未填写"],
            ["统计截至", format_date(period.as_of), "制表日期", format_date(date.today())],
        ], [24, 61, 24, 61]),
        Spacer(1, 4 * mm),
    ]
    met = sum(v.status in ("met", "on_track") for v in verdicts)
    story.append(Paragraph(markup(
        f"共 {len(verdicts)} 项要求：达标或进度正常 {met} 项，有风险 {sum(v.status == AT_RISK for v in verdicts)} 项，"
        f"未达标 {sum(v.status == MISSED for v in verdicts)} 项，不适用 {sum(v.status == 'not_applicable' for v in verdicts)} 项。"), s["body"]))
    story.append(Spacer(1, 3 * mm))
    rows = [(v.you, v.section, v.title, f"{v.target}{v.unit}" if v.target is not None else "—",
             (f"{v.figure:g}" if isinstance(v.figure, float) else str(v.figure)) + v.unit if v.figure is not None else "—",
             STATUS_LABELS[v.status], v.gap or "") for v in verdicts]
    table = data_table(["五有", "依据", "要求", "目标", "实际", "状态", "差距与建议"], rows, [14, 11, 45, 14, 15, 14, 57],
                       aligns=["cell_center", "cell_center", "cell", "cell_right", "cell_right", "cell_center", "cell"])
    table.setStyle(TableStyle([("BACKGROUND", (0, r + 1), (-1, r + 1), STATUS_FILL[v.status])
                               for r, v in enumerate(verdicts) if v.status in STATUS_FILL]))
    story.append(table)
    # Every requirement missed or at risk, each with its particulars (the teams, the months) or else what it lacks:
    # only those with particulars were listed, 3 of the 7 page 1 counted (a trial).
    details = [(v.title, line) for v in verdicts if v.status in (MISSED, AT_RISK)
               for line in (v.details or [v.gap or STATUS_LABELS[v.status]])]
    if details:
        story.append(Paragraph(markup("需要跟进的事项"), s["h2"]))
        story.append(data_table(["要求", "事项"], details, [50, 120]))
    story.append(Spacer(1, 10 * mm))
    story.append(signature_line("专管员（签字）：", "负责人（签字）："))
    return build(out, story, title=f"五有自查报告（{period.label}）", station_name=station.name, ctx=ctx)
