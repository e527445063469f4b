"""``station print``: the binders as PDF (ledger, roster, certificate, notice, cards, summary, selfcheck, points, demands, projects)."""

from __future__ import annotations

import argparse
from datetime import date

from ..services import teams, volunteers
from ..services.context import Context
from .common import adder, commands_of, open_context, operator_login, parse_cli_date


def cmd_print(args) -> int:
    from .. import reports
    from ..services.activities import month_range

    ctx = open_context(args)
    with ctx.store:
        kind = args.print_kind
        if kind == "ledger":
            date_from, date_to = month_range(args.year, args.month)
            team_id = teams.find_team(ctx, args.team).id if args.team else None
            path = reports.ledger_pdf(ctx, args.out, date_from=date_from, date_to=date_to, team_id=team_id, category=args.category)
            print(f"已生成活动台账：{path}")
        elif kind == "roster":
            team_id = teams.find_team(ctx, args.team).id if args.team else None
            path = reports.roster_pdf(ctx, args.out, team_id=team_id, full=args.full)
            print(f"已生成队伍名册：{path}" + ("" if args.full else "（身份证号和电话已打码）"))
        elif kind == "certificate":
            ctx = Context(store=ctx.store, actor=operator_login(ctx.store, args))  # the 经办人 who signs it, not the shell user
            volunteer = volunteers.find_by_number(ctx, args.volunteer)
            path, number = reports.certificate_pdf(ctx, args.out, volunteer_id=volunteer.id, year=args.year, full_id=args.full_id,
                                                   allow_empty=args.allow_empty)
            print(f"已生成志愿服务记录证明：{path}，证明编号 {number}（已登记于证明登记簿，可用 station certificate verify {number} 核验）")
        elif kind == "certificate-notice":
            from ..reports.certificate import certificate_notice_pdf

            date_from = parse_cli_date(args.date_from)
            date_to = parse_cli_date(args.date_to) if args.date_to else date.today()
            path = certificate_notice_pdf(ctx, args.out, date_from=date_from, date_to=date_to)
            print(f"已生成证明公示：{path}（张贴不少于 7 天）")
        elif kind == "cards":
            chosen = [volunteers.find_by_number(ctx, n).id for n in args.volunteer or ()]
            if args.team:
                chosen += [m.volunteer.id for m in teams.team_members(ctx, teams.find_team(ctx, args.team).id)]
            if not chosen and not args.volunteer and not args.team:
                chosen = [v.id for v in volunteers.search_volunteers(ctx)]
            path = reports.cards_pdf(ctx, args.out, list(dict.fromkeys(chosen)))
            print(f"已生成志愿者证：{path}（{len(set(chosen))} 张，每页 10 张，沿裁切线剪开）")
        elif kind == "selfcheck":
            path = reports.selfcheck_pdf(ctx, args.out, year=args.year, month=args.month)
            print(f"已生成五有自查报告：{path}")
        elif kind == "points":
            if args.who:
                from ..services.points import find_holder

                path = reports.person_ledger_pdf(ctx, args.out, find_holder(ctx, args.who))
            else:
                path = reports.month_ledger_pdf(ctx, args.out, args.year, args.month)
            print(f"已生成积分台账：{path}")
        elif kind == "points-list":
            path = reports.points_list_pdf(ctx, args.out, args.year, args.month)
            print(f"已生成积分公示：{path}（联系电话已打码）")
        elif kind == "demands":
            date_from, date_to = month_range(args.year, args.month)
            path = reports.demand_register_pdf(ctx, args.out, date_from, date_to)
            print(f"已生成“五单”服务登记簿：{path}")
        elif kind == "projects":
            path = reports.project_list_pdf(ctx, args.out)
            print(f"已生成项目清单：{path}")
        else:
            path = reports.summary_pdf(ctx, args.out, year=args.year, month=args.month)
            print(f"已生成工作统计：{path}")
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    add = adder(subparsers, common)

    psub = commands_of(subparsers, common, "print", "打印台账：生成PDF", "print_kind", description="生成可打印的PDF（A4，带装订边）",
                       title="文档", metavar="文档")
    p = add("ledger", cmd_print, "活动台账：封面、活动一览和每次活动的活动记录表", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--team", metavar="服务队")
    p.add_argument("--category", metavar="类别")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("roster", cmd_print, "队伍名册", psub)
    p.add_argument("--team", metavar="服务队", help="只打印一支服务队（默认全部）")
    p.add_argument("--full", action="store_true", help="显示完整身份证号和电话（默认打码）")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("certificate", cmd_print, "志愿服务记录证明（编号并登记于证明登记簿）", psub)
    p.add_argument("--volunteer", required=True, metavar="志愿者编号")
    p.add_argument("--year", type=int, metavar="年", help="只证明这一年（默认：自注册以来）")
    p.add_argument("--out", required=True, metavar="文件")
    p.add_argument("--full-id", action="store_true", help="印完整证件号码（仅管理员；注明仅供出具证明使用，并记入操作记录）")
    p.add_argument("--allow-empty", action="store_true", help="确认出具 0 小时的证明（默认拒绝）")
    p.add_argument("--operator", required=True, metavar="登录名", help="经办人：本站操作员的登录名（随后输入密码）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码（脚本用）")
    p = add("certificate-notice", cmd_print, "证明公示：某期间出具的志愿服务记录证明（张贴不少于7天）", psub)
    p.add_argument("--from", dest="date_from", required=True, metavar="开始日期", help="如 2026-11-01")
    p.add_argument("--to", dest="date_to", metavar="结束日期", help="默认今天")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("cards", cmd_print, "志愿者证：卡片大小，每页10张，二维码供扫码签到（不用智能手机的志愿者）", psub)
    p.add_argument("--volunteer", action="append", metavar="志愿者编号", help="可多次；不指定则打印全部志愿者")
    p.add_argument("--team", metavar="服务队", help="打印一支服务队全体队员的志愿者证")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("summary", cmd_print, "工作统计（月度或年度）", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--out", required=True, metavar="文件")

    p = add("selfcheck", cmd_print, "“五有”自查报告（月度或年度）", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--out", required=True, metavar="文件")

    p = add("points", cmd_print, "积分台账：某月全部积分记录，或 --who 指定一人（户）的全部记录", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, required=True, choices=range(1, 13), metavar="月")
    p.add_argument("--who", metavar="姓名", help="志愿者姓名或户主姓名")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("points-list", cmd_print, "积分公示（张贴用，联系电话打码）", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, required=True, choices=range(1, 13), metavar="月")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("demands", cmd_print, "“五单”服务登记簿（月度或年度）", psub)
    p.add_argument("--year", type=int, required=True, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--out", required=True, metavar="文件")
    p = add("projects", cmd_print, "志愿服务项目清单", psub)
    p.add_argument("--out", required=True, metavar="文件")
