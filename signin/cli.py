"""``station signin …``: the phone sign-in from the command line (serve, list, confirm), registered as this
package's own subcommands (the ``station.commands`` entry point ``signin``), as sync registers its own."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import open_context
from app.cli.ledger import activity_by_prefix
from app.cli.util import print_table, run_reporting_errors
from app.services.common import format_date


def cmd_signin_serve(args) -> int:
    import time as _time

    import segno

    from . import server as signin

    ctx = open_context(args)
    with ctx.store:
        activity = activity_by_prefix(ctx, args.activity)
        host = args.host or signin.lan_addresses()[0]
        server = signin.SigninServer(ctx.store, activity.id, host, args.port)
        url = server.start()
        print(f"“{activity.title}”（{format_date(activity.date)}）签到已开始。请志愿者用手机扫码，或在浏览器中打开：")
        print()
        print(f"    {url}")
        print()
        segno.make(url, error="m").terminal(compact=True)
        print("手机要与本机连在同一个网络（同一个 Wi-Fi）。按 Ctrl+C 结束签到。")
        seen = 0
        try:
            while args.seconds is None or args.seconds > 0:
                _time.sleep(1)
                if args.seconds is not None:
                    args.seconds -= 1
                entries = server.book.entries(server.session_id)
                for e in entries[seen:]:
                    print(f"  {e.signed_in_at:%H:%M} {signin.mask_name(e.name)}" + ("（新来的，待确认登记）" if e.kind == "arrival" else ""))
                seen = len(entries)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        print(f"签到已结束。核对后确认结果：station signin confirm --activity {activity.id[:8]}")
    return 0


def _signin_session(ctx, args):
    from . import server as signin

    activity = activity_by_prefix(ctx, args.activity)
    book = signin.SigninBook(ctx.store.paths.root)
    session = book.latest_session(activity.id)
    if session is None:
        raise signin.SigninError("这次活动没有待确认的签到")
    return activity, book, session


def cmd_signin_list(args) -> int:
    from . import server as signin

    ctx = open_context(args)
    with ctx.store:
        activity, book, session = _signin_session(ctx, args)
        entries = book.entries(session["id"])
        print_table(("序号", "姓名", "类型", "签到", "签退", "时长"), [(e.id, *signin.describe(e, activity)) for e in entries])
        print(f"共 {len(entries)} 人；确认：station signin confirm --activity {activity.id[:8]}（可加 --reject 序号 拒绝某人）")
    return 0


def cmd_signin_confirm(args) -> int:
    from . import server as signin

    ctx = open_context(args)
    with ctx.store:
        activity, book, session = _signin_session(ctx, args)
        for entry_id in args.reject or ():
            book.set_status(entry_id, "rejected")
        held = {e.id for e in book.entries(session["id"]) if e.status == "held"}
        for entry_id in args.approve or ():
            if entry_id in held:
                book.set_status(entry_id, "pending")
        result = signin.confirm(ctx, session["id"])
        print(f"已记入“{activity.title}”：参与志愿者 {result.participants} 人，照片 {result.photos} 张；新登记志愿者 {result.registered} 人")
        for note in result.skipped:
            print(f"  未记入：{note}", file=sys.stderr)
        for note in result.waiting or ():
            print(f"  服务时间未满，暂不记入（签退或活动结束后再确认）：{note}", file=sys.stderr)
        if result.held:
            print(f"  另有 {result.held} 位新来者待批准（confirm 加 --approve 序号）", file=sys.stderr)
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    def add(name: str, handler, help_text: str, parent) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        p.set_defaults(handler=run_reporting_errors(handler))
        return p

    sign = subparsers.add_parser("signin", help="手机签到（本站局域网内，不需要互联网）", description="手机签到", parents=[common])
    ssub = sign.add_subparsers(dest="signin_command", title="子命令", metavar="命令", required=True)
    p = add("serve", cmd_signin_serve, "开始一次活动的手机签到：显示二维码和网址，按 Ctrl+C 结束", ssub)
    p.add_argument("--activity", required=True, metavar="活动编号", help="station activity list 的“编号”列（前8位即可）")
    p.add_argument("--host", metavar="本机地址", help="手机能访问到的本机地址（默认：本机局域网地址）；不会对所有网络开放")
    p.add_argument("--port", type=int, default=0, metavar="端口", help="默认自动选择")
    p.add_argument("--seconds", type=int, metavar="秒", help=argparse.SUPPRESS)  # tests: stop after this long
    p = add("list", cmd_signin_list, "查看一次活动的签到情况（待确认）", ssub)
    p.add_argument("--activity", required=True, metavar="活动编号")
    p = add("confirm", cmd_signin_confirm, "确认签到结果：记入活动台账（新来的志愿者同时登记）", ssub)
    p.add_argument("--activity", required=True, metavar="活动编号")
    p.add_argument("--reject", type=int, action="append", metavar="序号", help="不记入某人（见 signin list 的序号），可多次")
    p.add_argument("--approve", type=int, action="append", metavar="序号", help="批准一位待批准的新来者（见 signin list 的序号），可多次")
