"""The domain's own subcommands: init, demo, info, volunteer, team, activity, demands, demand, audit, backup, restore, check."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path
from datetime import date

from .cli_passwords import password_options, read_password
from .cliutil import print_table, run_reporting_errors
from .config import resolve_data_dir
from .db import Store
from .models import Volunteer
from .models.enums import DemandState, Role, StationLevel, TEAM_CATEGORIES, kind_label, station_level
from .privacy import mask_id_number, mask_phone
from .services import activities, audit, operators, points, stars, teams, volunteers
from .services.common import format_date
from .services.context import Actor, Context
from .services.errors import ValidationError
from .services.station import get_station, init_station, set_deleted


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except Exception:  # no login name on some service accounts
        user = "?"
    return Actor(username=f"cli:{user}", display_name=f"命令行（{user}）", role=Role.admin)


def parse_cli_date(text: str) -> date:
    from .services.common import FieldErrors, parse_date

    errors = FieldErrors()
    value = parse_date(text, errors, "date", "日期")
    errors.raise_if_any()
    return value


def _operator_login(store: Store, args: argparse.Namespace) -> Actor:
    """An operator of this station, by name and password (asked, or one line on standard input with
    ``--password-stdin``): what is signed as 经办人 names a person, never the shell's login (#26)."""
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass(f"{args.operator} 的密码：")
    return operators.authenticate(store, args.operator, password)


def open_store(args: argparse.Namespace, *, create: bool = False) -> Store:
    """The store in the chosen data dir; only commands that make a station (init, demo, restore) create one."""
    return Store.open(resolve_data_dir(getattr(args, "data_dir", None)), create=create)


def open_context(args: argparse.Namespace) -> Context:
    store = open_store(args)
    ctx = Context(store=store, actor=cli_actor())
    ctx.station_id  # noqa: B018 - raises a Chinese NotFound when there is no station yet
    return ctx


# -- handlers ----------------------------------------------------------------

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
    from .demo import DEMO_ADMIN, DEMO_PASSWORD, build_demo, build_demo_district, make_demo_login

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
    from .db import StoreError
    from .services.errors import NotFound

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


def cmd_certificate_verify(args) -> int:
    from .reports.certificate import archive_problem, find_certificate

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
    from .reports.certificate import revoke_certificate

    ctx = open_context(args)
    with ctx.store:
        ctx = Context(store=ctx.store, actor=_operator_login(ctx.store, args))
        record = revoke_certificate(ctx, args.number, args.reason)
        print(f"证明 {record.number} 已作废（{args.reason}）；下次同步后，区里的核验页显示“已作废”")
    return 0


def cmd_certificate_list(args) -> int:
    from .reports.certificate import list_certificates

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
    from .reports.certificate import reprint_certificate

    ctx = open_context(args)
    with ctx.store:
        path = reprint_certificate(ctx, args.number, args.out)
        print(f"已按原样重印证明 {args.number.strip().upper()}：{path}")
    return 0


VOLUNTEER_FIELD_LABELS = {"name": "姓名", "phone": "联系电话", "id_number": "证件号码", "political_status": "政治面貌", "tags": "标签",
                          "skills": "技能特长", "address": "住址", "note": "备注", "registered_on": "注册日期"}


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
    from .services import elsewhere

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


def _parse_participant(ctx: Context, spec: str) -> activities.ParticipantInput:
    number, _, hours = spec.partition(":")
    volunteer = volunteers.find_by_number(ctx, number)
    if not hours:
        return activities.ParticipantInput(volunteer.id)
    try:
        return activities.ParticipantInput(volunteer.id, float(hours))
    except ValueError:
        raise ValidationError({"participants": f"参与志愿者“{spec}”的服务时长不是数字，应写成 编号:小时，如 ZY000001:2.5"}) from None


def cmd_activity_add(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        team_id = teams.find_team(ctx, args.team).id if args.team else None
        participants = [_parse_participant(ctx, spec) for spec in args.participant or ()]
        activity = activities.add_activity(
            ctx, title=args.title, date=args.date, category=args.category, team_id=team_id,
            start_time=args.start, end_time=args.end, place=args.place or "", served_count=args.served or 0,
            own_name=not args.not_own_name, content=args.content or "",
            status="planned" if args.planned else "done", participants=participants,
        )
        print(f"已记录活动：{format_date(activity.date)} {activity.title}（参与志愿者 {len(participants)} 名）")
    return 0


def cmd_activity_list(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        year = args.year or (date.today().year if args.month else None)
        rows = activities.list_activities(ctx, year=year, month=args.month, descending=False)
        print_table(("编号", "日期", "活动名称", "类别", "服务队", "地点", "志愿者", "时长", "服务人数"), [
            (s.activity.id[:8], format_date(s.activity.date), s.activity.title, s.activity.category, s.team_name, s.activity.place,
             s.participants, f"{s.hours:g}", s.activity.served_count)
            for s in rows
        ])
        print(f"共 {len(rows)} 次活动，服务时长合计 {sum(s.hours for s in rows):g} 小时")
    return 0


def activity_by_prefix(ctx, text: str):
    """An activity by its id or the first characters of it (``activity list`` shows eight)."""
    from sqlmodel import select

    from .models import Activity
    from .services.errors import NotFound

    text = text.strip()
    if len(text) < 6:
        raise NotFound("活动编号至少要写前6位（见 station activity list 的“编号”列）")
    with ctx.read() as session:
        found = session.exec(select(Activity).where(Activity.station_id == ctx.station_id, Activity.id.startswith(text),
                                                    Activity.deleted == False).limit(2)).all()
    if len(found) != 1:
        raise NotFound(f"找不到编号为 {text} 的活动" if not found else f"编号 {text} 对应多次活动，请多写几位")
    return found[0]


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


def cmd_import(args) -> int:
    from . import excel

    ctx = open_context(args)
    if args.kind == "national":
        return _import_national(ctx, args)
    with ctx.store:
        sheet = excel.read_sheet(args.file, args.kind)
        mapping = excel.guess_mapping(sheet, args.kind)
        print(f"表头在第{sheet.header_row}行；识别的列：" + "、".join(f"{excel.FIELD_LABELS[f]}＝{sheet.headers[i]}" for f, i in mapping.items()))
        update = bool(getattr(args, "update", False)) and args.kind == "volunteers"
        plans = (excel.plan_volunteers(ctx, sheet, mapping, update_existing=update) if args.kind == "volunteers"
                 else excel.plan_activities(ctx, sheet, mapping))
        bad = [p for p in plans if not p.ok]
        for p in bad:
            print(f"第{p.row}行：" + "；".join(p.errors), file=sys.stderr)
        for p in plans:
            if p.ok and p.target_id is not None:
                what = "；".join(f"{excel.FIELD_LABELS.get(k, k)} {old or '（空）'} → {new}" for k, (old, new) in p.changes.items())
                print(f"第{p.row}行：更新 {p.target_label}：{what or '无变化，跳过'}")
        print(f"共 {len(plans)} 行，其中 {len(plans) - len(bad)} 行无误，{len(bad)} 行有错误")
        if teams := excel.new_teams([p for p in plans if p.ok]):
            print("将新建服务队（类别暂定“" + excel.NEW_TEAM_CATEGORY + "”，导入后可修改）：" + "、".join(teams))
        if args.dry_run:
            print("试运行：没有写入任何数据")
            return 1 if bad else 0
        if bad and not args.only_valid:
            print("有错误的行，未导入任何数据。改正后重新导入，或加 --only-valid 只导入无误的行。", file=sys.stderr)
            return 1
        run = excel.import_volunteers if args.kind == "volunteers" else excel.import_activities
        result = (run(ctx, sheet, mapping, only_valid=args.only_valid, update_existing=update) if args.kind == "volunteers"
                  else run(ctx, sheet, mapping, only_valid=args.only_valid))
        noun = "名志愿者" if args.kind == "volunteers" else "次活动"
        print(f"已导入 {result.imported} {noun}" + (f"，更新 {result.updated} 名已登记的志愿者" if result.updated else "")
              + (f"，跳过 {len(result.skipped)} 行" if result.skipped else ""))
    return 0


def _import_national(ctx, args) -> int:
    from . import national

    with ctx.store:
        mapping = national.load_mapping(Path(args.mapping) if args.mapping else None, data_dir=ctx.store.paths.root)
        result = national.import_national(ctx, args.file, mapping=mapping, dry_run=args.dry_run)
        print(("试运行（没有写入任何数据）：" if args.dry_run else "已导入：")
              + f"新登记志愿者 {result.volunteers_added} 名（已登记的 {result.volunteers_known} 名按身份证号对上），"
              f"新增活动 {result.activities_added} 次，服务记录 {result.records_added} 条"
              + (f"，台账中已有、跳过 {result.records_known} 条" if result.records_known else ""))
    return 0


def _export_national(ctx, args, target: str) -> int:
    from . import national

    if not args.year:
        print("错误：导出到全国志愿服务信息系统需要 --year（可加 --month）", file=sys.stderr)
        return 1
    with ctx.store:
        mapping = national.load_mapping(Path(args.mapping) if args.mapping else None, data_dir=ctx.store.paths.root)
        n = national.export_national(ctx, target, year=args.year, month=args.month, mapping=mapping)
        period = f"{args.year}年{args.month}月" if args.month else f"{args.year}年"
        print(f"已导出{period}志愿服务记录 {n} 条到 {target}（{mapping.name}；含完整证件号码和电话，内部资料，请妥善保管，录入后删除）")
    return 0


def cmd_export(args) -> int:
    from . import excel

    ctx = open_context(args)
    full = bool(getattr(args, "full", False))
    args.file = args.file or args.out
    if not args.file:
        print("错误：请给出导出的文件名（如 --out 名单.xlsx）", file=sys.stderr)
        return 1
    if args.kind == "national":
        return _export_national(ctx, args, args.file)
    with ctx.store:
        if args.kind == "volunteers":
            n = excel.export_volunteers(ctx, args.file, full=full)
        elif args.kind == "demands":
            n = excel.export_demands(ctx, args.file, full=full)
        elif args.kind == "points":
            n = excel.export_points(ctx, args.file, full=full)
        else:
            n = excel.export_activities(ctx, args.file, year=args.year, month=args.month)
        personal = args.kind in ("volunteers", "demands", "points")
        note = ("（含完整证件号码和电话，内部资料，请妥善保管）" if full else "（证件号码和电话已打码）") if personal else ""
        print(f"已导出 {n} 条记录到 {args.file}{note}")
    return 0


def cmd_print(args) -> int:
    from . import reports
    from .services.activities import month_range

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
            ctx = Context(store=ctx.store, actor=_operator_login(ctx.store, args))  # the 经办人 who signs it, not the shell user
            volunteer = volunteers.find_by_number(ctx, args.volunteer)
            path, number = reports.certificate_pdf(ctx, args.out, volunteer_id=volunteer.id, year=args.year, full_id=args.full_id,
                                                   allow_empty=args.allow_empty)
            print(f"已生成志愿服务记录证明：{path}，证明编号 {number}（已登记于证明登记簿，可用 station certificate verify {number} 核验）")
        elif kind == "certificate-notice":
            from .reports.certificate import certificate_notice_pdf

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
                from .services.points import find_holder

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


def cmd_points(args) -> int:
    ctx = open_context(args)
    with ctx.store:
        if args.points_command == "settle":
            written, credited = points.settle_activities(ctx)
            print(f"已为 {written} 人次计入 {credited} 分" if written else "没有需要结算的活动")
        elif args.points_command == "show":
            holder = points.find_holder(ctx, args.who)
            lines = points.ledger(ctx, holder)
            print_table(("日期", "事由", "积分", "结余", "经办人"),
                        [(format_date(l.entry.occurred_on), l.entry.reason, f"{l.entry.points:+d}", l.balance, l.entry.operator) for l in lines])
            print(f"现有积分 {points.balance(ctx, holder)} 分")
        else:
            print_table(("姓名（户）", "类别", "联系电话", "累计获得", "累计使用", "现有积分"),
                        [(a.name, a.kind, a.phone, a.earned, a.spent, a.balance) for a in points.accounts(ctx, text=args.search or "")])
    return 0


def cmd_demands(args) -> int:
    from .services import demands

    ctx = open_context(args)
    with ctx.store:
        rows = demands.list_demands(ctx, state=args.state, overdue_only=args.overdue)
        print_table(("编号", "点单日期", "点单群众", "需求内容", "接单", "办结期限", "状态"),
                    [(r.demand.number, format_date(r.demand.received_on), r.demand.requester, r.demand.content[:30], r.assignee or "—",
                      format_date(r.demand.due_on), r.state_label + ("（超期）" if r.overdue else "")) for r in rows])
        counts = demands.state_counts(ctx)
        print(f"共 {len(rows)} 件；全站超期未办 {counts.get('overdue', 0)} 件")
    return 0


# The fields a hop's messages name, as the person typed them on the command line.
HOP_FIELDS = {"to_station_id": "转派对象（--to）", "reason": "上报原因（--reason）", "note": "说明（--note）"}


def cmd_demand(args) -> int:
    """转派, 上报 and 收回 (五.2) by the demand's number; what is wrong is named with its option."""
    from .services import demands

    ctx = open_context(args)
    with ctx.store:
        demand = demands.find_by_number(ctx, args.number)
        try:
            if args.demand_command == "pass":
                target = demands.find_lower(ctx, args.to or "")
                demand = demands.pass_down(ctx, demand.id, to_station_id=target.station_id, note=args.note or "")
                done = "已转派"
            elif args.demand_command == "report":
                demand = demands.report_up(ctx, demand.id, reason=args.reason or "")
                done = "已上报"
            else:
                demand = demands.recall(ctx, demand.id, note=args.note or "")
                done = "已收回"
        except ValidationError as exc:
            raise ValidationError({field: (f"{HOP_FIELDS[field]}：" if field in HOP_FIELDS else "") + message
                                   for field, message in exc.errors.items()}) from None
        note = demands.events_of(ctx, demand.id)[-1].note
        if args.demand_command == "recall":
            print(f"{done}：{demand.number}，现为“{DemandState(demand.state).label}”（{note}）")
            print("可以在本台账办理、再次转派或上报，也可以撤销")
        else:
            print(f"{done}：{demand.number} {note}")
            print("同步后送达对方台账；对方的办理进展会随同步传回")
    return 0


def cmd_selfcheck(args) -> int:
    import json

    from .rules import STATUS_LABELS, Period, selfcheck

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


# -- registration -------------------------------------------------------------

def register(subparsers, common: argparse.ArgumentParser) -> None:
    def add(name: str, handler, help_text: str, parent=subparsers) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=run_reporting_errors(handler))
        return p

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

    ops = subparsers.add_parser("operator", help="操作员：列出、重设密码（忘记密码时在本机使用）",
                                description="操作员：列出、重设密码（忘记密码时在本机使用）", parents=[common])
    ops_sub = ops.add_subparsers(dest="action", required=True, metavar="操作")
    add("list", cmd_operator_list, "列出本站的操作员", parent=ops_sub)
    p = add("reset-password", cmd_operator_reset_password,
            "为操作员设置新密码并解除锁定（唯一的管理员忘记密码时，在这台电脑上运行）", parent=ops_sub)
    p.add_argument("username", metavar="登录名")
    password_options(p, "新密码")

    vol = subparsers.add_parser("volunteer", help="志愿者：登记、查询", description="志愿者：登记、查询", parents=[common])
    vsub = vol.add_subparsers(dest="volunteer_command", title="子命令", metavar="命令", required=True)
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

    team = subparsers.add_parser("team", help="志愿服务队", description="志愿服务队", parents=[common])
    tsub = team.add_subparsers(dest="team_command", title="子命令", metavar="命令", required=True)
    p = add("add", cmd_team_add, "建立服务队", tsub)
    p.add_argument("--name", required=True, metavar="名称")
    p.add_argument("--category", required=True, metavar="类别", help="17类之一：" + "、".join(TEAM_CATEGORIES))
    p.add_argument("--leader", metavar="志愿者编号", help="队长")
    p.add_argument("--founded", metavar="日期", help="成立日期，如 2022-05-01")
    add("list", cmd_team_list, "列出服务队", tsub)

    act = subparsers.add_parser("activity", help="活动台账", description="活动台账", parents=[common])
    asub = act.add_subparsers(dest="activity_command", title="子命令", metavar="命令", required=True)
    p = add("add", cmd_activity_add, "记录一次活动", asub)
    p.add_argument("--title", required=True, metavar="名称")
    p.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--category", required=True, metavar="类别")
    p.add_argument("--team", metavar="服务队")
    p.add_argument("--start", metavar="HH:MM")
    p.add_argument("--end", metavar="HH:MM")
    p.add_argument("--place", metavar="地点")
    p.add_argument("--served", type=int, metavar="人数", help="服务对象人数")
    p.add_argument("--content", metavar="内容")
    p.add_argument("--not-own-name", action="store_true", help="不是以本站名义开展")
    p.add_argument("--planned", action="store_true", help="记为计划中的活动")
    p.add_argument("--participant", action="append", metavar="编号:小时", help="参与志愿者，可多次；省略小时则按活动时长")
    p = add("list", cmd_activity_list, "列出活动", asub)
    p.add_argument("--year", type=int, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")

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

    cert = subparsers.add_parser("certificate", help="证明登记簿：核验、列出、重印已出具的志愿服务记录证明",
                                 description="证明登记簿（出具证明用 station print certificate）", parents=[common])
    csub = cert.add_subparsers(dest="certificate_command", title="子命令", metavar="命令", required=True)
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

    printing = subparsers.add_parser("print", help="打印台账：生成PDF", description="生成可打印的PDF（A4，带装订边）", parents=[common])
    psub = printing.add_subparsers(dest="print_kind", title="文档", metavar="文档", required=True)
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

    pts = subparsers.add_parser("points", help="积分银行：账户、明细、结算", description="积分银行", parents=[common])
    ptsub = pts.add_subparsers(dest="points_command", title="子命令", metavar="命令", required=True)
    p = add("list", cmd_points, "列出积分账户", ptsub)
    p.add_argument("--search", metavar="查找")
    p = add("show", cmd_points, "一人（户）的积分明细", ptsub)
    p.add_argument("who", metavar="姓名")
    add("settle", cmd_points, "结算已开展活动的积分（已结算的不会重复）", ptsub)
    p = add("demands", cmd_demands, "列出群众点单（“五单”）")
    p.add_argument("--state", choices=["open", "closed", "handed", "ordered", "approved", "dispatched", "taken", "done", "rated", "rewarded",
                                       "rejected", "cancelled", "passed", "reported"],
                   help="open＝在办，closed＝已结束，handed＝已转派或已上报，或某一状态")
    p.add_argument("--overdue", action="store_true", help="只列超期未办的")

    dem = subparsers.add_parser("demand", help="群众点单：转派、上报、收回（层层派单）", description="群众点单：转派、上报、收回（层层派单）",
                                parents=[common])
    dsub = dem.add_subparsers(dest="demand_command", title="子命令", metavar="命令", required=True)
    p = add("pass", cmd_demand, "转派：实践所把需求转给本街道的实践站，实践中心转给实践所或实践站（从区里发来的名单中选）", dsub)
    p.add_argument("number", metavar="需求编号", help="station demands 的“编号”列")
    p.add_argument("--to", metavar="名称", help="转派给谁：区里发来的名单中的实践所（站）名称")
    p.add_argument("--note", metavar="说明", help="转派说明（可不填）")
    p = add("report", cmd_demand, "上报：实践站把办不了的需求报给所属街道的实践所，实践所报给实践中心", dsub)
    p.add_argument("number", metavar="需求编号", help="station demands 的“编号”列")
    p.add_argument("--reason", metavar="原因", help="上报原因（必填）")
    p = add("recall", cmd_demand, "收回：区里未接收的转派（上报），或对方已撤销的需求，收回本台账办理", dsub)
    p.add_argument("number", metavar="需求编号", help="station demands 的“编号”列")
    p.add_argument("--note", metavar="说明", help="收回说明（可不填）")

    p = add("import", cmd_import, "从表格（.xlsx、.xls、.csv）导入志愿者或活动，逐行报告错误")
    p.add_argument("kind", choices=["volunteers", "activities", "national"],
                   help="volunteers＝志愿者，activities＝活动，national＝全国志愿服务信息系统或志愿山东导出的服务记录")
    p.add_argument("--mapping", metavar="对应表", help="national：用这个列对应表（.toml）代替内置的或区里发布的")
    p.add_argument("file", metavar="文件")
    p.add_argument("--only-valid", action="store_true", help="只导入没有错误的行（默认：有任何错误就全部不导入）")
    p.add_argument("--update", action="store_true", help="按身份证号更新已登记的志愿者（只改表里填了的项；默认：视为重复并报错）")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    p = add("export", cmd_export, "把志愿者、活动、群众点单或积分账户导出为 Excel（.xlsx），或导出志愿服务记录供录入全国志愿服务信息系统")
    p.add_argument("kind", choices=["volunteers", "activities", "demands", "points", "national"],
                   help="volunteers＝志愿者，activities＝活动，demands＝群众点单，points＝积分账户，"
                        "national＝全国志愿服务信息系统批量补录格式（仅管理员，含完整证件号码）")
    p.add_argument("file", metavar="文件", nargs="?")
    p.add_argument("--out", metavar="文件", help="同“文件”")
    p.add_argument("--mapping", metavar="对应表", help="national：用这个列对应表（.toml）代替内置的或区里发布的")
    p.add_argument("--year", type=int, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p.add_argument("--full", action="store_true", help="导出完整证件号码和电话（仅管理员；表格注明内部资料）。默认打码")
