"""People: volunteers, teams, and the register of 志愿服务记录证明 (verify, revoke, list, reprint)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ..models import Volunteer
from ..models.enums import TEAM_CATEGORIES
from ..privacy import mask_id_number, mask_phone
from ..services import audit, points, stars, teams, volunteers
from ..services.common import format_date
from ..services.context import Context
from ..services.station import get_station, set_deleted
from .common import adder, commands_of, open_context, operator_login
from .util import print_table


def cmd_volunteer_add(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        team_ids = [teams.find_team(ctx, args.team).id] if args.team else []
        volunteer = volunteers.add_volunteer(
            ctx, name=args.name, id_number=args.id_number, phone=args.phone,
            political_status="中共党员" if args.party_member else (args.political_status or "群众"),
            tags=args.tags or "", skills=args.skills or "", team_ids=team_ids, registered_on=args.registered_on,
        )
        print(f"已登记志愿者 {volunteer.name}，志愿者编号：{volunteer.number}（注册日期 {format_date(volunteer.registered_on)}）")
    return 0


def cmd_volunteer_edit(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        v = volunteers.find_by_number(ctx, args.number)
        values = {key: value for key, value in (
            ("name", args.name), ("phone", args.phone), ("id_number", args.id_number), ("political_status", args.political_status),
            ("tags", args.tags), ("skills", args.skills), ("address", args.address), ("note", args.note),
            ("registered_on", args.registered_on)) if value is not None}
        if not values:
            print("没有要修改的内容：请给出 --name、--phone、--registered-on 等至少一项", file=sys.stderr)
            return 2
        v = volunteers.update_volunteer(ctx, v.id, **values)
        print(f"已修改志愿者 {v.name}（{v.number}）：{'、'.join(VOLUNTEER_FIELD_LABELS[k] for k in values)}")
    return 0


def cmd_volunteer_delete(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        v = volunteers.find_by_number(ctx, args.number)
        set_deleted(ctx, Volunteer, v.id, deleted=True, what="志愿者")
        print(f"已将志愿者 {v.name}（{v.number}）移入回收站；可用 station volunteer restore {v.number} 恢复")
    return 0


def cmd_volunteer_restore(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        v = volunteers.find_by_number(ctx, args.number, in_bin=True)
        set_deleted(ctx, Volunteer, v.id, deleted=False, what="志愿者")
        print(f"已从回收站恢复志愿者 {v.name}（{v.number}）")
    return 0


def cmd_volunteer_list(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        rows = volunteers.search_volunteers(ctx, args.search or "", limit=args.limit)
        team_names = volunteers.team_names_of(ctx, [v.id for v in rows])
        print_table(
            ("编号", "姓名", "性别", "年龄", "联系电话", "政治面貌", "服务队"),
            [
                (v.number, v.name, v.gender, volunteers.age_on(v) or "", mask_phone(v.phone), v.political_status, "、".join(team_names[v.id]))
                for v in rows
            ],
        )
        total = volunteers.count_volunteers(ctx, args.search or "")
        shown = f"，显示前 {len(rows)} 名" if len(rows) < total else ""
        print(f"共 {total} 名志愿者{shown}")
    return 0


def _elsewhere_line(ctx, volunteer_id: str) -> list[tuple[str, str]]:
    """其他站点, when the district said at the last sync that this person is registered in other ledgers too (#30)."""
    from ..services import elsewhere

    found = elsewhere.of(ctx, [volunteer_id]).get(volunteer_id)
    return [("其他站点", found.note(volunteers.volunteer_hours(ctx, volunteer_id)))] if found else []


def cmd_volunteer_show(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        v = volunteers.find_by_number(ctx, args.number)
        full = bool(args.full)
        if full:  # PermissionDenied for a role that may not; the look is recorded in the audit trail
            audit.reveal(ctx, "volunteer", v.id)
        year = date.today().year
        lines = [
            ("志愿者编号", v.number),
            ("姓名", v.name),
            ("证件类型", v.id_type),
            ("证件号码", v.id_number if full else mask_id_number(v.id_number)),
            ("性别", v.gender),
            ("出生日期", format_date(v.birth_date)),
            ("联系电话", v.phone if full else mask_phone(v.phone)),
            ("政治面貌", v.political_status),
            ("标签", v.tags.replace(",", "、")),
            ("技能特长", v.skills),
            ("注册日期", format_date(v.registered_on)),
            ("所属服务队", "、".join(volunteers.team_names_of(ctx, [v.id])[v.id])),
            (f"{year}年服务时长", f"{volunteers.volunteer_hours(ctx, v.id, year=year):g} 小时"),
            ("累计服务时长", f"{volunteers.volunteer_hours(ctx, v.id):g} 小时"),
            *_elsewhere_line(ctx, v.id),
            ("星级", stars.hours_summary(ctx, v.id).label or "未达到★1"),
            ("现有积分", f"{points.balance(ctx, points.Holder(volunteer_id=v.id))} 分"),
        ]
        for label, value in lines:
            print(f"{label}：{value}")
    return 0


def cmd_team_add(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        leader_id = volunteers.find_by_number(ctx, args.leader).id if args.leader else None
        team = teams.add_team(ctx, name=args.name, category=args.category, leader_id=leader_id, founded_on=args.founded)
        print(f"已建立服务队：{team.name}（{team.category}）")
    return 0


def cmd_team_list(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        rows = teams.list_teams(ctx)
        print_table(("服务队", "类别", "队长", "队员数", "成立日期"), [
            (s.team.name, s.team.category, s.leader_name, s.members, format_date(s.team.founded_on)) for s in rows
        ])
        print(f"共 {len(rows)} 支服务队")
    return 0


def cmd_certificate_verify(args) -> int:
    from ..reports.certificate import archive_problem, find_certificate

    ctx = open_context(args)
    with ctx.store:
        r = find_certificate(ctx, args.number)
        problem = archive_problem(ctx, r)
        if problem is not None:  # the register alone does not vouch for a paper whose file was replaced or lost
            print(f"核验未通过：{problem}。请勿以存档为准，并查明原因（可从备份恢复 certificates 文件夹）", file=sys.stderr)
            return 2
        lines = [("证明编号", r.number), ("志愿者", f"{r.volunteer_name}（{r.volunteer_number}）"), ("证件号码", r.id_masked),
                 ("证明期间", f"{format_date(r.date_from)} 至 {format_date(r.date_to)}"), ("参加活动", f"{r.activities} 次"),
                 ("累计服务时长", f"{r.hours:g} 小时"), ("出具日期", format_date(r.issued_on)), ("经办人", r.operator)]
        if r.revoked_on is not None:
            print(f"该证明已于 {format_date(r.revoked_on)} 作废：{r.revoke_reason}", file=sys.stderr)
        print(f"该证明由{get_station(ctx).name}出具，登记簿记载如下：")
        for label, value in lines:
            print(f"  {label}：{value}")
    return 3 if r.revoked_on is not None else 0  # a paper that no longer counts is not "ok"


def cmd_certificate_revoke(args) -> int:
    from ..reports.certificate import revoke_certificate

    ctx = open_context(args)
    with ctx.store:
        ctx = Context(store=ctx.store, actor=operator_login(ctx.store, args))
        record = revoke_certificate(ctx, args.number, args.reason)
        print(f"证明 {record.number} 已作废（{args.reason}）；下次同步后，区里的核验页显示“已作废”")
    return 0


def cmd_certificate_list(args) -> int:
    from ..reports.certificate import list_certificates

    ctx = open_context(args)
    with ctx.store:
        volunteer_id = volunteers.find_by_number(ctx, args.volunteer).id if args.volunteer else None
        rows = list_certificates(ctx, volunteer_id=volunteer_id, limit=args.limit)
        print_table(["证明编号", "志愿者", "证明期间", "时长", "出具日期", "经办人"],
                    [[r.number, r.volunteer_name, f"{format_date(r.date_from)}至{format_date(r.date_to)}", f"{r.hours:g}小时",
                      format_date(r.issued_on), r.operator] for r in rows])
        print(f"共 {len(rows)} 份证明")
    return 0


def cmd_certificate_reprint(args) -> int:
    from ..reports.certificate import reprint_certificate

    ctx = open_context(args)
    with ctx.store:
        path = reprint_certificate(ctx, args.number, args.out)
        print(f"已按原样重印证明 {args.number.strip().upper()}：{path}")
    return 0


VOLUNTEER_FIELD_LABELS = {"name": "姓名", "phone": "联系电话", "id_number": "证件号码", "political_status": "政治面貌", "tags": "标签",
                          "skills": "技能特长", "address": "住址", "note": "备注", "registered_on": "注册日期"}


def register(subparsers, common: argparse.ArgumentParser) -> None:
    add = adder(subparsers, common)

    vsub = commands_of(subparsers, common, "volunteer", "志愿者：登记、查询", "volunteer_command")
    p = add("add", cmd_volunteer_add, "登记志愿者，打印新的志愿者编号", vsub)
    p.add_argument("--name", required=True, metavar="姓名")
    p.add_argument("--id-number", required=True, metavar="身份证号")
    p.add_argument("--phone", required=True, metavar="电话")
    p.add_argument("--team", metavar="服务队", help="加入的服务队名称")
    p.add_argument("--party-member", action="store_true", help="中共党员")
    p.add_argument("--political-status", metavar="政治面貌")
    p.add_argument("--tags", metavar="标签", help="如：五老,乡土人才")
    p.add_argument("--skills", metavar="技能")
    p.add_argument("--registered-on", metavar="日期", help="实际加入的日期，如 2023-05-01（默认今天）；在此之前的服务不能记入")
    p = add("edit", cmd_volunteer_edit, "修改一名志愿者的信息（只改给出的项）", vsub)
    p.add_argument("number", metavar="志愿者编号")
    p.add_argument("--name", metavar="姓名")
    p.add_argument("--id-number", metavar="身份证号")
    p.add_argument("--phone", metavar="电话")
    p.add_argument("--political-status", metavar="政治面貌")
    p.add_argument("--tags", metavar="标签")
    p.add_argument("--skills", metavar="技能")
    p.add_argument("--address", metavar="住址")
    p.add_argument("--note", metavar="备注")
    p.add_argument("--registered-on", metavar="日期", help="实际加入的日期，如 2023-05-01")
    p = add("delete", cmd_volunteer_delete, "把一名志愿者移入回收站（可恢复）", vsub)
    p.add_argument("number", metavar="志愿者编号")
    p = add("restore", cmd_volunteer_restore, "从回收站恢复一名志愿者", vsub)
    p.add_argument("number", metavar="志愿者编号")
    p = add("list", cmd_volunteer_list, "列出志愿者（可按姓名、拼音首字母、电话尾号、编号查找）", vsub)
    p.add_argument("--search", metavar="文字")
    p.add_argument("--limit", type=int, default=200, metavar="条数")
    p = add("show", cmd_volunteer_show, "显示一名志愿者的详细信息和服务时长", vsub)
    p.add_argument("number", metavar="志愿者编号")
    p.add_argument("--full", action="store_true", help="显示完整证件号码和电话（仅管理员）")

    tsub = commands_of(subparsers, common, "team", "志愿服务队", "team_command")
    p = add("add", cmd_team_add, "建立服务队", tsub)
    p.add_argument("--name", required=True, metavar="名称")
    p.add_argument("--category", required=True, metavar="类别", help="17类之一：" + "、".join(TEAM_CATEGORIES))
    p.add_argument("--leader", metavar="志愿者编号", help="队长")
    p.add_argument("--founded", metavar="日期", help="成立日期，如 2022-05-01")
    add("list", cmd_team_list, "列出服务队", tsub)

    csub = commands_of(subparsers, common, "certificate", "证明登记簿：核验、列出、重印已出具的志愿服务记录证明", "certificate_command",
                       description="证明登记簿（出具证明用 station print certificate）")
    p = add("verify", cmd_certificate_verify, "按证明编号核验：登记簿记载的志愿者、期间和时长", csub)
    p.add_argument("number", metavar="证明编号")
    p = add("revoke", cmd_certificate_revoke, "作废一份出具有误的证明（保留在登记簿，同步后区里核验显示已作废）", csub)
    p.add_argument("number", metavar="证明编号")
    p.add_argument("--reason", required=True, metavar="原因")
    p.add_argument("--operator", required=True, metavar="登录名", help="经办人：本站操作员的登录名（随后输入密码）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码（脚本用）")
    p = add("list", cmd_certificate_list, "列出已出具的证明", csub)
    p.add_argument("--volunteer", metavar="志愿者编号")
    p.add_argument("--limit", type=int, default=200, metavar="条数")
    p = add("reprint", cmd_certificate_reprint, "按原样重印一份已出具的证明", csub)
    p.add_argument("number", metavar="证明编号")
    p.add_argument("--out", required=True, metavar="文件")
