"""工作统计 for a month or a year: figures, a chart of activities, a teams × months table, hours per team."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from ..services.activities import month_range
from ..services.common import format_date
from ..services.context import Context
from ..services.stats import period_figures
from ..models.enums import station_level
from ..services.station import get_station
from .common import FONT, FRAME_W, build, data_table, form_table, markup, period_label, register_fonts, styles

BAR = colors.HexColor("#b71c1c")


def bar_chart(labels: list[str], values: list[int], title: str) -> Drawing:
    register_fonts()
    width, height = FRAME_W, 70 * mm
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 14 * mm
    chart.width, chart.height = width - 20 * mm, height - 26 * mm
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5 if len(labels) > 8 else 8.5
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 and max(map(len, labels or [""])) > 3 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if chart.categoryAxis.labels.angle else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.valueMin = 0
    top = max(values or [0])
    chart.valueAxis.valueMax = max(4, top + 1)
    chart.valueAxis.valueStep = max(1, (chart.valueAxis.valueMax + 4) // 5)
    chart.bars[0].fillColor = BAR
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7.5
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(width / 2, height - 6 * mm, title, fontName=FONT, fontSize=11, textAnchor="middle"))
    return drawing


def summary_pdf(ctx: Context, out: str | Path, *, year: int, month: int | None = None) -> Path:
    station = get_station(ctx)
    date_from, date_to = month_range(year, month)
    f = period_figures(ctx, date_from, date_to)
    period = period_label(date_from, date_to)
    s = styles()
    story: list = [Paragraph(markup(f"{period}工作统计"), s["title"])]
    story.append(form_table([
        [station_level(station.level).unit, station.name, "统计期间", period],
        ["开展活动", f"{f.activities} 次", "服务时长", f"{f.hours:g} 小时"],
        ["参与志愿者", f"{f.participations} 人次", "有服务记录的志愿者", f"{f.active_volunteers} 人"],
        ["服务群众", f"{f.served} 人次", "制表日期", format_date(date.today())],
    ], [24, 61, 30, 55]))
    story.append(Spacer(1, 5 * mm))
    if month is None:
        months = [(year, m) for m in range(1, 13)]
        story.append(bar_chart([f"{m}月" for _y, m in months], [f.by_month.get(k, 0) for k in months], "各月开展活动次数"))
    categories = sorted(f.by_category, key=lambda c: -f.by_category[c][0])
    story.append(bar_chart(categories, [f.by_category[c][0] for c in categories], "各类别活动次数"))
    story.append(Paragraph(markup("各类别活动"), s["h2"]))
    story.append(data_table(["类别", "活动次数", "服务时长（小时）"],
                            [(c, f.by_category[c][0], f"{f.by_category[c][1]:g}") for c in categories] or [("—", 0, 0)],
                            [60, 40, 40], aligns=["cell", "cell_right", "cell_right"]))
    if month is None:
        story.append(Paragraph(markup("各服务队每月活动次数（每支队伍每月至少1次、每年不少于12次）"), s["h2"]))
        months = [(year, m) for m in range(1, 13)]
        rows = []
        for team, counts in f.team_months.items():
            row = [team] + [counts.get(k, 0) or "" for k in months] + [sum(counts.values())]
            rows.append(row)
        story.append(data_table(["服务队"] + [f"{m}月" for m in range(1, 13)] + ["合计"], rows or [["—"] + [""] * 13],
                                [34] + [9] * 12 + [12], aligns=["cell"] + ["cell_center"] * 13))
    story.append(Paragraph(markup("各服务队服务时长"), s["h2"]))
    story.append(data_table(["服务队", "活动次数", "服务时长（小时）"],
                            [(t, sum(f.team_months[t].values()), f"{f.team_hours[t]:g}") for t in f.team_months] or [("—", 0, 0)],
                            [60, 40, 40], aligns=["cell", "cell_right", "cell_right"]))
    return build(out, story, title=f"{period}工作统计", station_name=station.name, ctx=ctx)
