"""The ledger's work: activities, 积分银行 and the 五单 (demands, and passing, reporting, recalling one)."""

from __future__ import annotations

import argparse
from datetime import date

from ..models.enums import DemandState
from ..services import activities, points, teams, volunteers
from ..services.common import format_date
from ..services.context import Context
from ..services.errors import ValidationError
from .common import adder, commands_of, open_context
from .util import print_table


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

    from ..models import Activity
    from ..services.errors import NotFound

    text = text.strip()
    if len(text) < 6:
        raise NotFound("活动编号至少要写前6位（见 station activity list 的“编号”列）")
    with ctx.read() as session:
        found = session.exec(select(Activity).where(Activity.station_id == ctx.station_id, Activity.id.startswith(text),
                                                    Activity.deleted == False).limit(2)).all()
    if len(found) != 1:
        raise NotFound(f"找不到编号为 {text} 的活动" if not found else f"编号 {text} 对应多次活动，请多写几位")
    return found[0]


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
    from ..services import demands

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
    from ..services import demands

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


def register(subparsers, common: argparse.ArgumentParser) -> None:
    add = adder(subparsers, common)

    asub = commands_of(subparsers, common, "activity", "活动台账", "activity_command")
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

    ptsub = commands_of(subparsers, common, "points", "积分银行：账户、明细、结算", "points_command", description="积分银行")
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

    dsub = commands_of(subparsers, common, "demand", "群众点单：转派、上报、收回（层层派单）", "demand_command")
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
