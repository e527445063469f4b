"""The station itself: init, demo, info, operators, audit, backup, restore, check and the 五有 selfcheck."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from ..config import resolve_data_dir
from ..db import Store
from ..models.enums import Role, StationLevel, kind_label, station_level
from ..services import activities, audit, operators, teams, volunteers
from ..services.common import format_date
from ..services.context import Context
from ..services.errors import ValidationError
from ..services.station import get_station, init_station
from .common import adder, cli_actor, commands_of, open_context, open_store
from .passwords import password_options, read_password
from .util import print_table


def cmd_init(args) -> int:
    tier = StationLevel(args.level)
    if tier.has_kind and not args.kind:
        print(f"错误：请用 --kind 指定{tier.unit}的类型：village（村）或 community（社区）", file=sys.stderr)
        return 2
    if not tier.has_kind and (args.kind or args.street):
        print("错误：区新时代文明实践中心不分村和社区，也不属于哪个街道，请不要指定 --kind 或 --street", file=sys.stderr)
        return 2
    with open_store(args, create=True) as store:
        station = init_station(
            store, name=args.name, level=tier.value, kind=args.kind or "", population=args.population, street=args.street or "",
            operator=cli_actor().display_name,
        )
        kind = kind_label(station.level, station.kind)
        print(f"已建立{tier.unit}台账：{station.name}" + (f"（{kind}）" if tier.has_kind else ""))
        print(f"数据目录：{store.paths.root}")
    return 0


def cmd_demo(args) -> int:
    from ..demo import DEMO_ADMIN, DEMO_PASSWORD, build_demo, build_demo_district, make_demo_login

    say = lambda msg: print(msg, flush=True)
    if args.district:
        ledgers = build_demo_district(Path(args.district), years=args.years, seed=args.seed, progress=say)
        print(f"示范区已生成：{len(ledgers)} 份台账（1 个实践中心、2 个实践所、6 个实践站），各在一个数据目录中：")
        print_table(("级别", "名称", "所属街道", "服务队", "品牌项目", "数据目录"), [
            (led.profile.tier.unit, led.profile.name, led.profile.street or "—", led.result.teams, led.result.brand_projects, str(led.path))
            for led in ledgers])
        print(f"打开某一份台账：station --data-dir 数据目录；登录名：{DEMO_ADMIN}　密码：{DEMO_PASSWORD}（示范数据是虚构的）")
        print("要把九份台账登记并同步到区级服务器，请用：station district demo（见 station district demo --help）")
        return 0
    with open_store(args, create=True) as store:
        result = build_demo(store, years=args.years, seed=args.seed, progress=say)
        print(f"示范站已生成：{result.station_name}；服务队 {result.teams} 支，志愿者 {result.volunteers} 名，活动 {result.activities} 次，参与记录 {result.participations} 条")
        make_demo_login(store)
        print(f"打开程序后登录示范站：登录名：{DEMO_ADMIN}　密码：{DEMO_PASSWORD}（示范站的数据是虚构的）")
    return 0


def _operators_context(args) -> Context:
    """This data folder's station, or a Chinese error that also points at the demo's folder when only a demo is
    there (the wizard's 示范站 lives in ``demo/`` beside it)."""
    from ..db import StoreError
    from ..services.errors import NotFound

    try:
        return open_context(args)
    except (NotFound, StoreError) as exc:
        demo = resolve_data_dir(getattr(args, "data_dir", None)) / "demo"
        if (demo / "station.db").exists():
            raise NotFound(f"{exc}示范站的数据在 {demo}，操作示范站请加 --data-dir \"{demo}\"。") from None
        raise


def cmd_operator_list(args) -> int:
    ctx = _operators_context(args)
    with ctx.store as store:
        rows = operators.list_operators(store)
    print_table(("登录名", "姓名", "角色", "状态"), [
        (op.username, op.display_name, Role(op.role).label,
         "已停用" if not op.active else "已锁定" if operators.locked_until(op) else "正常") for op in rows])
    return 0


def cmd_operator_reset_password(args) -> int:
    """The way back in when the only administrator forgot the password: run at this PC, by whoever may open its
    data folder (who can read the ledger file anyway). Never from the arguments; said in the log."""
    ctx = _operators_context(args)
    with ctx.store:
        known = {op.username: op for op in operators.list_operators(ctx.store)}
        op = known.get(args.username.strip())
        if op is None:
            print(f"错误：没有登录名为“{args.username}”的操作员（现有：{'、'.join(known) or '无'}）", file=sys.stderr)
            return 1
        password = read_password(args)
        if password is None:
            return 1
        try:
            operators.update_operator(ctx, op.username, password=password, active=True if not op.active else None)
        except ValidationError as exc:
            for message in exc.errors.values():
                print(f"错误：{message}", file=sys.stderr)
            return 1
    logging.getLogger(__name__).warning("operator %s: password reset from the command line by %s",
                                        op.username, ctx.actor.display_name)
    print(f"已为操作员 {op.username}（{op.display_name}）设置新密码并解除锁定{'、重新启用' if not op.active else ''}；"
          "请用新密码登录，登录后可在“文件 → 修改我的密码”再改")
    return 0


def cmd_info(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        station = get_station(ctx)
        tier = station_level(station.level)
        print(f"{tier.unit}：{station.name}")
        print(f"级别：{tier.long_name}    类型：{kind_label(station.level, station.kind)}    "
              f"所属街道：{station.street or ('—' if not tier.has_street else '（未填）')}    常住人口：{station.population or '（未填）'}")
        print(f"志愿者：{volunteers.count_volunteers(ctx)} 名")
        print(f"服务队：{len(teams.list_teams(ctx))} 支")
        year = date.today().year
        this_year = activities.list_activities(ctx, year=year)
        print(f"{year}年活动：{len(this_year)} 次，服务时长 {sum(a.hours for a in this_year):g} 小时")
        print(f"数据库结构版本：{ctx.store.current_revision()}")
        print(f"数据目录：{ctx.store.paths.root}")
    return 0


def cmd_audit(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        rows = audit.list_changes(ctx, limit=args.limit, entity=args.entity)
        print_table(("序号", "时间", "操作员", "操作", "对象", "名称", "版本"), [
            (r.seq, r.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), r.operator, r.action, r.entity, r.title, r.version) for r in rows
        ])
    return 0


def cmd_backup(args) -> int:
    with open_store(args) as store:
        if args.list:
            print_table(("文件", "类型", "时间", "大小"), [
                (b.path.name, b.kind_label, b.created.strftime("%Y-%m-%d %H:%M"), f"{b.size / 1024:.0f} KB") for b in store.list_backups()
            ])
            return 0
        path = store.backup(to=args.to)
        print(f"已备份到：{path}")
    return 0


def cmd_restore(args) -> int:
    # Works on a missing or broken store too: that is when a restore is needed most.
    store, previous = Store.restore_into(resolve_data_dir(getattr(args, "data_dir", None)), args.file,
                                         keep_operators=not args.with_operators)
    with store:
        print(f"已从 {args.file} 恢复。" + (f"恢复前的数据已另存为：{previous}" if previous else ""))
    return 0


def cmd_check(args) -> int:
    with open_store(args) as store:
        problems = store.check()
        if problems:
            for p in problems:
                print(p)
            print(f"发现 {len(problems)} 处问题，请从备份恢复。", file=sys.stderr)
            return 1
        print("数据库检查通过：完整性正常，外键正常。")
    return 0


def cmd_selfcheck(args) -> int:
    import json

    from ..rules import STATUS_LABELS, Period, selfcheck

    ctx = open_context(args)
    with ctx.store:
        year = args.year or date.today().year
        period = Period.of(year=year, month=args.month, quarter=args.quarter)
        verdicts = selfcheck(ctx, period)
        if args.json:
            print(json.dumps({"station": get_station(ctx).name, "period": period.label, "as_of": period.as_of.isoformat(),
                              "rules": [v.as_json() for v in verdicts]}, ensure_ascii=False, indent=2))
            return 0
        print(f"{get_station(ctx).name} “五有”自查（{period.label}，截至 {format_date(period.as_of)}）")
        print_table(("有", "章节", "要求", "状态", "进度", "差距"), [
            (v.you, v.section, v.title, STATUS_LABELS[v.status], v.progress, v.gap) for v in verdicts])
        misses = [(v, detail) for v in verdicts if v.status in ("missed", "at_risk") for detail in (v.details or [v.gap]) if detail]
        if misses:
            print("\n需要处理：")
            for v, detail in misses:
                print(f"  · [{v.title}] {detail}")
        print(f"共 {len(verdicts)} 项：达标或进度正常 {sum(v.status in ('met', 'on_track') for v in verdicts)} 项，"
              f"有风险 {sum(v.status == 'at_risk' for v in verdicts)} 项，未达标 {sum(v.status == 'missed' for v in verdicts)} 项")
        return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    add = adder(subparsers, common)

    p = add("init", cmd_init, "建立实践站、实践所或实践中心的台账（新数据目录的第一步）")
    p.add_argument("--name", required=True, metavar="名称", help="实践站（所、中心）名称")
    p.add_argument("--level", default="station", choices=[level.value for level in StationLevel],
                   help="station＝村（社区）实践站（默认），institute＝街道（功能区）实践所，center＝区实践中心")
    p.add_argument("--kind", choices=["village", "community"],
                   help="village＝村，community＝社区（实践站和实践所必填；所按街道是农村还是社区，四.8）")
    p.add_argument("--population", type=int, metavar="人数", help="常住人口")
    p.add_argument("--street", metavar="名称", help="所属街道（功能区）（实践所必填）")

    p = add("demo", cmd_demo, "生成一个示范站（志愿者、服务队、活动），用于试用和演示")
    p.add_argument("--years", type=int, default=1, metavar="年数", help="生成最近几年的活动（默认 1）")
    p.add_argument("--seed", type=int, default=2022, metavar="种子", help="随机种子：相同的种子生成相同的示范站")
    p.add_argument("--district", metavar="目录", help="生成示范区：在此空目录中生成区实践中心、两个街道的实践所和六个实践站共九份台账")

    add("info", cmd_info, "显示实践站概况、数量统计、数据库版本和数据目录")

    ops_sub = commands_of(subparsers, common, "operator", "操作员：列出、重设密码（忘记密码时在本机使用）", "action", metavar="操作")
    add("list", cmd_operator_list, "列出本站的操作员", parent=ops_sub)
    p = add("reset-password", cmd_operator_reset_password,
            "为操作员设置新密码并解除锁定（唯一的管理员忘记密码时，在这台电脑上运行）", parent=ops_sub)
    p.add_argument("username", metavar="登录名")
    password_options(p, "新密码")

    p = add("audit", cmd_audit, "操作记录：谁在什么时候改了什么")
    p.add_argument("--limit", type=int, default=50, metavar="条数")
    p.add_argument("--entity", metavar="表名", help="只看某类记录，如 volunteer、activity")

    p = add("backup", cmd_backup, "立即备份数据库（在线备份，程序打开时也可以）")
    p.add_argument("--to", metavar="文件", help="备份到指定文件（默认：数据目录下 backups/）")
    p.add_argument("--list", action="store_true", help="列出已有备份")

    p = add("restore", cmd_restore, "从备份文件恢复（先检查文件，并自动备份当前数据）")
    p.add_argument("file", metavar="文件")
    p.add_argument("--with-operators", action="store_true",
                   help="同时恢复备份中的操作员账号和密码（默认保留当前的操作员、角色和密码）")

    add("check", cmd_check, "检查数据库完整性和外键")

    p = add("selfcheck", cmd_selfcheck, "“五有”自查：每项要求的达标情况、进度和差距")
    p.add_argument("--year", type=int, metavar="年", help="默认今年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--quarter", type=int, choices=range(1, 5), metavar="季度")
    p.add_argument("--json", action="store_true", help="输出JSON（每项一个对象：编号、章节、状态、数值、目标）")
