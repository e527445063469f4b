"""The 街道 evaluation as an official form (六.4–六.5): the ranking with each part of every street's score, the rolled-up
figures, the entered scores with who gave them, each street's 所 and stations, and the weights it was scored by —
the same reportlab binder look as the stations' own PDFs (app/reports)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph, Spacer

from app.models.enums import station_level
from app.reports.common import build, data_table, form_table, markup, styles
from app.reports.ledger import signature_line
from app.services.common import format_date

from .streets import FIGURE, METRICS, PARTS, Ranking, StreetResult, figure_text


def _when(moment) -> str:
    local = moment + timedelta(hours=8)  # 北京时间
    return f"{local.year}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def ranking_pdf(ranking: Ranking, rows: list[StreetResult], out: Path, *, by: str = "", scope: str = "") -> Path:
    s = styles()
    span, weights = ranking.span, ranking.weights
    title = "街道（功能区）新时代文明实践工作评估表"
    judged = f"{ranking.judged_month[0]}年{ranking.judged_month[1]}月" if ranking.judged_month else "本期尚未开始"
    story: list = [
        Paragraph(markup(title), s["title"]),
        form_table([
            ["评估期间", span.label, "评估范围", scope or "全区各街道（功能区）"],
            ["计分办法", f"第 {weights.version} 版（满分 {weights.full_marks:g} 分）", "五有评估月份", judged],
            ["依据", "钢城文明委〔2022〕2号 六.4、六.5", "制表日期", format_date(date.today())],
        ], [24, 58, 30, 58]),
        Spacer(1, 4 * mm),
        Paragraph(markup("一、排名"), s["h2"]),
    ]
    story.append(data_table(["名次", "街道（功能区）", "所站数"] + list(PARTS) + ["总分"],
                            [[r.rank, r.street, len(r.units)] + [f"{r.parts[p]:.2f}" for p in PARTS]
                             + [f"{r.total:.2f}"] for r in rows],
                            [10, 34, 12, 17, 17, 17, 17, 16],
                            aligns=["cell_center", "cell", "cell_right"] + ["cell_right"] * (len(PARTS) + 1)))
    figures = [i for i in weights.items if i.source == FIGURE]
    story.append(Paragraph(markup("二、月度评估各项（由所、站同步的数据汇总；下行为得分）"), s["h2"]))
    story.append(data_table(["街道（功能区）"] + [METRICS[i.metric][0] for i in figures],
                            [[r.street] + [f"{figure_text(i.metric, r.figures[i.metric], r)}\n{r.points[i.id]:.2f} 分"
                                           for i in figures] for r in rows],
                            [26] + [24] * len(figures), aligns=["cell"] + ["cell_right"] * len(figures)))
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(markup("三、区里打分（观摩打分、媒体报道、特色项目）"), s["h2"]))
    names = {i.id: f"{i.part}·{i.title}" for i in weights.items}
    # A corrected score says so in its note's column: "5（已更正）" in the narrow score column broke over two lines.
    scored = [[r.street, f"{e.year}年{e.month}月", names.get(e.item, e.item), f"{e.score:g}",
               ("【已更正】" if e.superseded else "") + (e.note or "—"), e.entered_by, _when(e.entered_at)]
              for r in rows for e in r.entries]
    story.append(data_table(["街道", "月份", "项目", "分数", "说明", "打分人", "打分时间"],
                            scored or [["—", "", f"{span.label}还没有打分", "", "", "", ""]],
                            [24, 22, 30, 12, 32, 22, 24],
                            aligns=["cell", "cell_center", "cell", "cell_right", "cell", "cell", "cell_center"]))
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(markup("四、各街道所、站明细"), s["h2"]))
    detail = [[r.street, u.name, station_level(u.level).unit,
               "未评估" if not u.judged else (f"未达标 {u.missed} 项" if u.missed else "达标"),
               u.activities, f"{u.hours:g}", u.volunteers, u.population or "未填", u.brand, u.overdue]
              for r in rows for u in r.units]
    story.append(data_table(["街道", "名称", "级别", "“五有”", "活动", "时长", "志愿者", "常住人口", "品牌项目", "超期点单"],
                            detail or [["—", "还没有同步过的实践所或实践站", "", "", "", "", "", "", "", ""]],
                            [22, 28, 13, 22, 11, 12, 11, 14, 12, 12],
                            aligns=["cell", "cell", "cell_center", "cell_center"] + ["cell_right"] * 6))
    story.append(CondPageBreak(50 * mm))  # a heading never alone at the foot of a page
    story.append(Paragraph(markup(f"五、计分办法（第 {weights.version} 版）"), s["h2"]))
    story.append(data_table(["部分", "项目", "依据", "计分"], [[i.part, i.title, i.section, i.how] for i in weights.items],
                            [18, 48, 34, 70]))
    story.append(Spacer(1, 10 * mm))
    story.append(signature_line("制表人：", "审核人："))
    return build(out, story, title=f"街道评估（{span.label}）", station_name="区新时代文明实践中心", author=by or "区新时代文明实践中心")
