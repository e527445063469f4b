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

from .streets import FIGURE, METRICS, PARTS, Ranking, StreetResult, figure_text, half_up


def _when(moment) -> str:
    local = moment + timedelta(hours=8)  # 北京时间
    return f"{local.year}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def ranking_pdf(ranking: Ranking, rows: list[StreetResult], out: Path, *, by: str = "", scope: str = "") -> Path:
    s = styles()
    span, weights = ranking.span, ranking.weights
    title = "街道（功能区）新时代文明实践工作评估表"
    judged = ranking.judged_label or "本期尚未开始"
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


def status_pdf(status, out: Path, *, by: str = "") -> Path:
    """One street's 月度评估 (六.4) as its 所 prints it: each 所 and station's 五有 for the month and the year with the
    problems, the teams with no activity in the month, the demands by tier, the ledgers not synced for a week, and
    each ledger's figures (``street_status.StreetStatus``, the same as the page and the Excel)."""
    s = styles()
    meeting, judged = status.meeting
    story: list = [
        Paragraph(markup(f"{status.street}新时代文明实践所、站月度评估表"), s["title"]),
        form_table([
            ["街道（功能区）", status.street, "评估月份", status.label],
            ["所、站数", f"实践所 {len(status.institute)} 个，实践站 {len(status.stations)} 个", "无未达标项",
             f"{meeting}/{judged} 个" + (f"（有风险 {status.risky} 个）" if status.risky else "") if judged else "尚无台账记录"],
            ["依据", "钢城文明委〔2022〕2号 六.4", "制表日期", format_date(status.today)],
        ], [26, 60, 26, 58]),
        Spacer(1, 4 * mm),
        Paragraph(markup("一、“五有”评估"), s["h2"]),
    ]

    def verdict_cell(u, whole_year: bool) -> str:
        j = u.year if whole_year else u.month
        return f"{j.text}\n达标 {j.met}/{j.counted} 项" if j else status.unjudged(u, whole_year=whole_year)

    def problems(u) -> str:
        lines = list(u.month.problems) if u.month else []
        lines += [f"{status.year}年：{p}" for p in u.year_missed + u.year_at_risk]
        return "\n".join(lines) or "—"

    rows = []
    for u in status.units:
        rows.append([u.name, u.tier, verdict_cell(u, False), verdict_cell(u, True), problems(u)])
    story.append(data_table(
        ["名称", "级别", f"{status.month}月", f"{status.year}年", "主要问题（本月；全年另有的）"],
        rows or [["—", "", "", "", f"{status.street}还没有实践所或实践站"]],
        [30, 14, 24, 24, 78], aligns=["cell", "cell_center", "cell_center", "cell_center", "cell"]))
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(markup(f"二、{status.month}月没有活动的服务队"), s["h2"]))
    story.append(Paragraph(markup("实践站每支队伍每月至少开展1次活动（三.2）。"), s["body"]))
    when = f"距月底还有 {status.days_left} 天" if status.running else "该月没有活动"
    story.append(data_table(["名称", "服务队", "情况"],
                            [[u.name, "、".join(u.idle_teams), when] for u in status.idle]
                            or [["—", f"各服务队{status.month}月都开展了活动" if status.any_ledger
                                 else f"{status.month}月时各所、站尚无台账记录", ""]],
                            [36, 100, 34], aligns=["cell", "cell", "cell_center"]))
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(markup(f"三、群众点单（五.2，截至{format_date(status.today)}）"), s["h2"]))
    story.append(data_table(["层级", "单位数", "未办结", "其中超期", "其中区中心派来"],
                            [[t.tier, t.units, t.open, t.overdue, t.from_district] for t in status.by_tier],
                            [34, 34, 34, 34, 34], aligns=["cell"] + ["cell_right"] * 4))
    if not status.reported_up:
        story.append(Paragraph(markup("本街道的所、站还没有向区中心上报过点单。"), s["body"]))
    else:
        story.append(Paragraph(markup("上报区中心的点单："), s["body"]))
        story.append(data_table(["上报时间", "上报单位", "点单", "原因", "现在"],
                                [[_when(r.at), r.unit, f"{r.number} {r.content}", r.reason or "—", r.state]
                                 for r in status.reported_up],
                                [26, 28, 46, 36, 34], aligns=["cell_center", "cell", "cell", "cell", "cell"]))
    story.append(CondPageBreak(40 * mm))
    story.append(Paragraph(markup("四、所、站台账"), s["h2"]))
    units = status.units
    ledgers = [[u.name, u.activities, f"{u.hours:g}", u.volunteers, u.brand, u.teams, u.open_demands, u.overdue_demands,
                ("从未同步" if u.never_synced else _when(u.last_sync))
                + ("" if u.stale_days is None else f"（{u.stale_days} 天未同步）")] for u in units]
    if units:  # the same 合计 as the page's
        ledgers.append(["合计", sum(u.activities for u in units), f"{half_up(sum(u.hours for u in units), 1):g}",
                        sum(u.volunteers for u in units), sum(u.brand for u in units), sum(u.teams for u in units),
                        sum(u.open_demands for u in units), sum(u.overdue_demands for u in units), ""])
    story.append(data_table(
        ["名称", "活动", "时长", "志愿者", "品牌项目", "服务队", "未办结", "超期", "最近同步"],
        ledgers or [["—", "", "", "", "", "", "", "", ""]],
        [34, 12, 14, 14, 16, 14, 15, 12, 39], aligns=["cell"] + ["cell_right"] * 7 + ["cell_center"]))
    story.append(Spacer(1, 10 * mm))
    story.append(signature_line("制表人：", "审核人："))
    return build(out, story, title=f"{status.street}月度评估（{status.label}）",
                 station_name=f"{status.street}新时代文明实践所", author=by or status.street)
