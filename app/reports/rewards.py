"""积分台账 (per person or per month), the 积分公示 for the notice board, the 五单 登记簿 and the 项目清单 (三.4, 五.1–五.4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from ..models.enums import PROJECT_STATUSES, DemandState
from ..services import demands as demand_service
from ..services import points as point_service
from ..services import teams as team_service
from ..services import work
from ..services.common import format_date
from ..services.context import Context
from ..models.enums import station_level
from ..services.station import get_station
from .common import build, data_table, fitted_widths, form_table, markup, one_line_mm, period_label, styles


def _signatures(s) -> list:
    return [Spacer(1, 8 * mm),
            Paragraph(markup(f"专管员（签字）：＿＿＿＿＿＿　　审核人（签字）：＿＿＿＿＿＿　　制表日期：{format_date(date.today())}"), s["right"])]


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else str(points)


def person_ledger_pdf(ctx: Context, out: str | Path, holder: point_service.Holder, *, date_from: date | None = None,
                      date_to: date | None = None) -> Path:
    """积分台账 of one volunteer or household: every entry with the balance after it."""
    station = get_station(ctx)
    s = styles()
    with ctx.read() as session:
        name = point_service.holder_name(session, holder, ctx.station_id)
    lines = point_service.ledger(ctx, holder, date_from=date_from, date_to=date_to)
    earned, spent = point_service.earned_and_spent(line.entry for line in lines)
    opening = (lines[0].balance - lines[0].entry.points) if lines else point_service.balance(ctx, holder) if date_from is None else 0
    period = period_label(date_from, date_to) if date_from and date_to else "全部记录"
    story: list = [Paragraph(markup(f"{name} 积分台账"), s["title"]), form_table([
        ["姓名（户）", name, f"所属{station_level(station.level).unit}", station.name],
        ["期间", period, "期初积分", str(opening)],
        ["本期获得", f"{earned} 分", "本期使用（含扣减）", f"{spent} 分"],
        ["期末积分", f"{lines[-1].balance if lines else opening} 分", "打印人", ctx.actor.label],
    ], [25, 60, 30, 55]), Spacer(1, 5 * mm)]
    rows = [(i, format_date(line.entry.occurred_on), line.entry.reason, _signed(line.entry.points), line.balance, line.entry.operator)
            for i, line in enumerate(lines, start=1)]
    story.append(data_table(["序号", "日期", "事由", "积分", "结余", "经办人"], rows or [("", "", "本期没有积分记录", "", "", "")],
                            [10, 28, 80, 16, 16, 20], aligns=["cell_center", "cell", "cell", "cell_right", "cell_right", "cell"]))
    story += _signatures(s)
    return build(out, story, title=f"{name}积分台账", station_name=station.name, ctx=ctx)


def month_ledger_pdf(ctx: Context, out: str | Path, year: int, month: int) -> Path:
    """积分台账 of a month: every entry of every person and household, in date order."""
    station = get_station(ctx)
    s = styles()
    entries = point_service.month_entries(ctx, year, month)
    rows = [(i, format_date(e.occurred_on), name, e.reason, _signed(e.points), e.operator) for i, (e, name) in enumerate(entries, start=1)]
    earned, spent = point_service.earned_and_spent(e for e, _n in entries)
    story: list = [Paragraph(markup(f"{year}年{month}月 积分台账"), s["title"]),
                   Paragraph(markup(f"{station.name}　本月共 {len(entries)} 笔，发放 {earned} 分，兑换及扣减 {spent} 分"), s["body"]),
                   Spacer(1, 4 * mm),
                   data_table(["序号", "日期", "姓名（户）", "事由", "积分", "经办人"], rows or [("", "", "", "本月没有积分记录", "", "")],
                              [10, 30, 22, 72, 14, 20], aligns=["cell_center", "cell", "cell", "cell", "cell_right", "cell"])]
    story += _signatures(s)
    return build(out, story, title=f"{year}年{month}月积分台账", station_name=station.name, ctx=ctx)


def points_list_pdf(ctx: Context, out: str | Path, year: int, month: int) -> Path:
    """积分公示 for the notice board: names, masked phones, the month's points and each balance."""
    station = get_station(ctx)
    s = styles()
    lines = point_service.monthly_list(ctx, year, month)
    rows = [(i, line.name, line.kind, line.phone, line.earned, line.redeemed, line.deducted, line.balance)
            for i, line in enumerate(lines, start=1)]
    story: list = [
        Paragraph(markup(f"{station.name}"), s["subtitle"]),
        Paragraph(markup(f"{year}年{month}月 文明实践积分公示"), s["title"]),
        data_table(["序号", "姓名（户）", "类别", "联系电话", "本月获得", "本月兑换", "本月扣分", "累计结余"],
                   rows or [("", "本月没有积分变动", "", "", "", "", "", "")],
                   [10, 26, 15, 28, 18, 18, 18, 19],
                   aligns=["cell_center", "cell", "cell_center", "cell", "cell_right", "cell_right", "cell_right", "cell_right"]),
        Spacer(1, 5 * mm),
        Paragraph(markup(f"公示期 7 天。对积分有异议的，请在公示期内向{station_level(station.level).unit}专管员反映。联系电话已做隐私处理。"), s["body"]),
        Spacer(1, 8 * mm),
        Paragraph(markup(f"{station.name}　{format_date(date.today())}"), s["right"]),
    ]
    return build(out, story, title=f"{year}年{month}月积分公示", station_name=station.name, ctx=ctx)


def demand_register_pdf(ctx: Context, out: str | Path, date_from: date, date_to: date) -> Path:
    """“五单”登记簿: each demand received in the period, its handling step by step, and the totals."""
    station = get_station(ctx)
    s = styles()
    entries = demand_service.register(ctx, date_from, date_to)
    with ctx.read() as session:  # the other tier's events named 上级/下级 by which way each need went (五.2)
        words = demand_service.other_tier_words(session, [row.demand.id for row, _events in entries])
    counts: dict[str, int] = {}
    for row, _events in entries:
        counts[row.demand.state] = counts.get(row.demand.state, 0) + 1
    rated = [row.demand.rating for row, _e in entries if row.demand.rating]
    summary = "　".join(f"{DemandState(k).label} {v} 件" for k, v in sorted(counts.items(), key=lambda kv: list(DemandState).index(DemandState(kv[0]))))
    story: list = [
        Paragraph(markup("“五单”服务登记簿"), s["title"]),
        Paragraph(markup(f"{station.name}　{period_label(date_from, date_to)}　共 {len(entries)} 件" + (f"：{summary}" if summary else "")
                         + (f"　平均评分 {sum(rated) / len(rated):.1f}" if rated else "")), s["body"]),
        Spacer(1, 4 * mm),
    ]
    rows = []
    headers = ["编号", "点单日期", "点单群众", "需求内容", "接单", "办理经过", "结果"]
    results = [state.label for state in DemandState] + ["（超期）", headers[-1]]
    for row, events in entries:
        d = row.demand
        steps = "<br/>".join(markup(f"{demand_service.as_of(e.at)[5:]} {demand_service.shown_action(e.action, words.get(d.id))}（{e.operator}）"
                                    f"{('：' + e.note) if e.note else ''}") for e in events)
        asked = markup(f"{d.content}") + "<br/>" + markup(f"{d.category}｜{d.address or '—'}｜{'区中心派单' if d.source == 'district' else '群众点单'}")
        result = [DemandState(d.state).label] + ([f"评分 {d.rating}"] if d.rating else []) + (["（超期）"] if row.overdue else [])
        results += result
        who = markup(d.requester) + (f"<br/>{markup(row.contact)}" if row.contact else "")
        rows.append((d.number, format_date(d.received_on), Paragraph(who, s["cell"]),
                     Paragraph(asked, s["cell"]), row.assignee or "—", Paragraph(steps, s["small"]),
                     Paragraph("<br/>".join(markup(r) for r in result), s["cell_center"])))
    # 编号, the phone and 结果 are never broken over two lines: their columns are as wide as their content
    # (and a date breaks after its month, 2026年12月 / 15日); the others share what is left.
    widths = fitted_widths({0: one_line_mm([row.demand.number for row, _e in entries] + [headers[0], "2026-0000"]),
                            1: one_line_mm(["2026年12月"]),
                            2: one_line_mm([row.contact for row, _e in entries] + [headers[2], "139****0000"]),
                            6: one_line_mm(results)},
                           [0, 0, 0, 36, 18, 60, 0])
    story.append(data_table(headers, rows or [("", "", "", "本期没有群众点单", "", "", "")], widths))
    story += _signatures(s)
    return build(out, story, title="“五单”服务登记簿", station_name=station.name, ctx=ctx)


def project_list_pdf(ctx: Context, out: str | Path) -> Path:
    """项目清单 of the project library (五.3), brand projects first, with their teams."""
    station = get_station(ctx)
    s = styles()
    team_names = {t.team.id: t.team.name for t in team_service.list_teams(ctx)}
    projects = work.list_projects(ctx)
    rows = []
    for i, project in enumerate(projects, start=1):
        teams = "、".join(team_names.get(t, "") for t in work.project_team_ids(ctx, project.id)) or "—"
        rows.append((i, project.name + ("（品牌项目）" if project.brand else ""), project.category, PROJECT_STATUSES.get(project.status, project.status),
                     format_date(project.started_on) or "—", teams, project.description or "—"))
    brand = sum(1 for p in projects if p.brand)
    story: list = [Paragraph(markup("志愿服务项目清单"), s["title"]),
                   Paragraph(markup(f"{station.name}　入库项目 {len(projects)} 个，其中品牌项目 {brand} 个"), s["body"]), Spacer(1, 4 * mm),
                   data_table(["序号", "项目名称", "类别", "状态", "开始日期", "实施服务队", "项目简介"],
                              rows or [("", "项目库中还没有项目", "", "", "", "", "")], [10, 32, 24, 17, 30, 28, 49],
                              aligns=["cell_center", "cell", "cell", "cell_center", "cell", "cell", "cell"])]
    story += _signatures(s)
    return build(out, story, title="志愿服务项目清单", station_name=station.name, ctx=ctx)


