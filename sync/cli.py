"""Subcommands of sync: ``station enroll``, ``station sync`` and ``station district …`` (the server side)."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from app.cli.passwords import password_options as _password_options, read_password
from app.cli.util import print_table, run_reporting_errors

ENV_DISTRICT_DIR = "STATION_DISTRICT_DIR"


def _store(args):
    from app.cli.common import open_store

    return open_store(args)


def cmd_enroll(args) -> int:
    from .client import SyncClient, SyncError, load_state

    from app.settings import Settings

    with _store(args) as store:
        if Settings(store.paths.settings).get("is_demo") and not args.demo:
            print("错误：这是示范站，数据是虚构的，登记后会上传到区里。要登记本站，请在正式的数据目录中运行；"
                  "确实要登记示范站（例如用于培训的服务器）请加 --demo", file=sys.stderr)
            return 1
        try:
            if not args.code.strip() and not load_state(store).token:
                print("错误：请用 --code 填写区里给的登记码", file=sys.stderr)
                return 1
            name = SyncClient(store).enroll(args.server, args.code, ca_file=args.ca_file or "")
        except SyncError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
        print(f"登记成功：本站在区里的名称为“{name}”。现在可以运行 station sync 同步。")
    return 0


def cmd_sync(args) -> int:
    from .client import SyncClient, SyncError

    def show(p) -> None:
        print(f"{p.text}（{p.bytes_sent / 1024:.0f} KB）", flush=True)

    with _store(args) as store:
        try:
            result = SyncClient(store, max_retry_seconds=args.retry_seconds).sync(progress=show)
        except SyncError as exc:
            print(f"同步未完成：{exc}", file=sys.stderr)
            return 1
        print(f"同步完成：上传 {result.pushed} 条，被拒 {result.rejected} 条，收到区里的通知 {result.notices} 条，"
              f"发送 {result.bytes_sent / 1024:.0f} KB")
        if result.dispatched:
            print(f"收到区中心派单 {result.dispatched} 件，请在“群众点单”中派单（station demands --state approved）")
        if result.handed_in:  # 五.2: 转派 or 上报 from another tier's ledger
            print(f"收到转派或上报来的需求 {result.handed_in} 件，请在“群众点单”中办理（station demands --state approved）")
        if result.progress:
            print(f"转出需求的办理进展 {result.progress} 条，已记入各需求的办理经过")
        if result.elsewhere:  # #30: one person across ledgers
            print(f"本站有 {result.elsewhere} 名志愿者已在其他站点登记，区里合并计算其服务时长（station volunteer show 编号 可查看）")
        if result.rejected:
            from app.outbox import rejected_rows

            for r in rejected_rows(store, limit=20):
                print(f"  被拒：{r.entity}“{r.title}”——{r.reason}", file=sys.stderr)
    return 0


def cmd_sync_export(args) -> int:
    from .package import PACKAGE_SUFFIX, PackageError, default_package_name, export_package

    with _store(args) as store:
        target = Path(args.to)
        if target.is_dir():
            target = target / default_package_name(store)
        elif target.suffix != PACKAGE_SUFFIX:
            target = target.with_name(target.name + PACKAGE_SUFFIX)
        try:
            done = export_package(store, target, code=args.code or "", allow_demo=args.demo)
        except PackageError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
    print(f"已导出同步包：{done.path}")
    print(f"  {done.rows} 条变更（第 {done.seq_from}–{done.seq_to} 条），{done.photos} 张照片，{done.size / 1024:.0f} KB"
          + ("；随包登记本站" if done.enrolling else ""))
    print("把它交给区文明实践中心导入，再把区里给的回执文件用 station sync import-reply 导入本站。")
    return 0


def cmd_sync_import_reply(args) -> int:
    from .package import PackageError, import_reply

    with _store(args) as store:
        try:
            done = import_reply(store, Path(args.file))
        except PackageError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
    print(f"已导入回执：区里接收 {done.acked} 条，被拒 {done.rejected} 条，需以新版本重传 {done.stale} 条，收到区里的通知 {done.notices} 条")
    if done.dispatched:
        print(f"收到区中心派单 {done.dispatched} 件，请在“群众点单”中派单；办理情况随下一个同步包上传")
    if done.handed_in:
        print(f"收到转派或上报来的需求 {done.handed_in} 件，请在“群众点单”中办理；办理情况随下一个同步包上传")
    if done.progress:
        print(f"转出需求的办理进展 {done.progress} 条，已记入各需求的办理经过")
    if done.elsewhere:
        print(f"本站有 {done.elsewhere} 名志愿者已在其他站点登记，区里合并计算其服务时长（station volunteer show 编号 可查看）")
    if done.refused_batches:
        print(f"有 {done.refused_batches} 批未被区里处理，会随下一个同步包再次上传", file=sys.stderr)
    return 0


# -- the district ------------------------------------------------------------------

def district_dir(args) -> Path:
    folder = Path(args.dir or os.environ.get(ENV_DISTRICT_DIR) or platformdirs.user_data_dir("StationLedgerDistrict", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


ENV_DISTRICT_DB = "STATION_DISTRICT_DB"  # the database URL, password included: from a 0600 file, never the command line


def district_logs(args) -> Path:
    """The district's own log folder (never the desktop app's data folder, #27)."""
    return district_dir(args) / "logs"


def connection_failure(exc: BaseException) -> str:
    """Why the database would not let the district in, in Chinese (the driver's own words kept after it)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else exc.__class__.__name__
    causes = (
        ("password authentication failed", "用户名或密码不对（检查 /etc/station/district.env 里的数据库地址，"
                                           "以及建用户时设的密码：ALTER ROLE … PASSWORD …）"),
        ("no password supplied", "数据库要求密码，但地址里没有（postgresql+psycopg://用户:密码@主机/库名）"),
        ("connection refused", "连接被拒绝：数据库没有运行，或主机、端口不对"),
        ("could not translate host name", "找不到数据库主机：主机名不对"),
        ("timeout expired", "连接超时：数据库主机不可达，或被防火墙挡住"),
        ("does not exist", "数据库或用户不存在（先用 createdb / createuser 建好）"),
        ("permission denied", "没有权限：该用户不能连接或修改这个数据库（GRANT … / ALTER DATABASE … OWNER TO …）"),
        ("unable to open database file", "打不开 SQLite 数据库文件：目录不存在或没有写权限"),
    )
    lowered = text.lower()
    cause = next((said for needle, said in causes if needle in lowered), "无法连接")
    return f"{cause}。（数据库的原话：{first}）"


def person_key_file(args) -> Path:
    """The district's secret for linking one person across ledgers (#30): ``STATION_DISTRICT_PERSON_KEY_FILE``, else
    person-link.key in the district folder (made there on first use)."""
    from .server.people import key_path

    return key_path(district_dir(args))


def district_engine(args, *, links: bool = False):
    """The district database, migrated. ``links``: for a command that applies stations' rows (serve, migrate,
    import-package, demo), with the district's person link key (#30), every volunteer row without a link linked now
    (rows from before d0015), before any server process starts."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.engine import make_url

    from app.services.errors import ServiceError

    from .server import people
    from .server.db import make_engine, migrate

    url = args.db or os.environ.get(ENV_DISTRICT_DB) or f"sqlite:///{district_dir(args) / 'district.db'}"
    engine = make_engine(url)
    try:
        migrate(engine)
    except sa_exc.OperationalError as exc:
        engine.dispose()
        shown = make_url(url).render_as_string(hide_password=True)
        raise ServiceError(f"无法连接区级数据库 {shown}：{connection_failure(exc)}") from None
    if links:
        people.attach(engine, person_key_file(args))
    return engine


@contextmanager
def closing_engine(args, *, links: bool = False):
    """The district engine for one command, its connections closed after (the command may run inside a longer process)."""
    engine = district_engine(args, links=links)
    try:
        yield engine
    finally:
        engine.dispose()


def cmd_migrate(args) -> int:
    """Upgrade the district database to this release's schema (before starting the new server processes)."""
    from .server.db import HEAD_REVISION

    engine = district_engine(args, links=True)  # migrates, and links the volunteers a new release links
    engine.dispose()
    print(f"区级数据库已是最新结构（{HEAD_REVISION}）")
    return 0


def cmd_relink_people(args) -> int:
    """One person across ledgers (#30): link every volunteer row again under the key file at hand — a new one made
    when it is missing — after the district's key was lost. Old addresses of person pages stop working; nothing else."""
    from .server import people

    path = person_key_file(args)
    made = not path.exists()
    with closing_engine(args) as engine:
        linked = people.attach(engine, path, relink=True)
    print(f"已{'生成新的人员关联密钥 ' + str(path) + ' 并' if made else '用 ' + str(path) + ' 中的密钥'}重新关联 {linked} 条志愿者记录。"
          "请备份该密钥文件，各服务进程须读同一个文件；重启区级服务后生效")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from app.logs import setup_server_logging

    from .server.db import ENV_DB, ENV_FILES, ENV_HTTPS, ENV_JUDGE
    from .server.people import ENV_KEY_FILE

    engine = district_engine(args, links=True)  # migrated and linked once, here, before any worker starts
    os.environ[ENV_KEY_FILE] = str(person_key_file(args).resolve())  # every worker links with the same key
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    files = str(Path(args.files_dir).resolve()) if args.files_dir else ""  # "": photos in the database
    os.environ[ENV_DB], os.environ[ENV_FILES] = url, files
    os.environ[ENV_HTTPS] = "1" if args.behind_https else "0"
    os.environ[ENV_JUDGE] = str(max(0, args.judge_every) * 60)
    workers = max(1, args.workers)
    if workers > 1 and not url.startswith("postgresql"):
        print("提示：多个进程共用一个 SQLite 文件时写入只能排队进行；生产环境请用 PostgreSQL（--db postgresql+psycopg://…）",
              file=sys.stderr)
    setup_server_logging()
    print(f"区级同步服务已启动：http://{args.host}:{args.port}/district（{workers} 个进程，按 Ctrl+C 停止）", flush=True)
    # log_config=None: uvicorn's loggers (errors and the access log, which never carries the token: it
    # travels in a header) go through our masking handler instead of uvicorn's own. With several workers
    # uvicorn starts N processes that each import sync.server.asgi (their own engine and pool).
    uvicorn.run("sync.server.asgi:app", host=args.host, port=args.port, workers=workers, log_level="info", log_config=None,
                access_log=True)
    return 0


def cmd_import_package(args) -> int:
    from .package import PackageError
    from .server.packages import import_package
    from .server.photos import PhotoStore

    from app.files import write_atomically

    engine = district_engine(args, links=True)  # its volunteers are linked as they are applied (#30)
    try:
        done = import_package(engine, PhotoStore(engine, Path(args.files_dir) if args.files_dir else None), Path(args.file))
    except PackageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    reply = Path(args.reply) if args.reply else Path(args.file).with_name(done.reply_name)
    write_atomically(reply, done.reply)
    print(f"已导入“{done.station_name}”的同步包{'（并完成登记）' if done.enrolled else ''}："
          f"新接收 {done.applied} 条，已有 {done.duplicate} 条，被拒 {done.rejected} 条，需重传 {done.stale} 条，照片 {done.photos} 张"
          + (f"；{done.replayed} 批此前已导入过，按当时的结果回复" if done.replayed else ""))
    if done.refused_batches:
        print(f"有 {len(done.refused_batches)} 批未处理：{done.refused_batches[0]}", file=sys.stderr)
    print(f"回执文件：{reply}")
    print("请把回执文件带回实践站，用“同步 → 导入回执”（或 station sync import-reply）导入。")
    return 0


def cmd_add_station(args) -> int:
    from app.models.enums import StationLevel
    from app.services.errors import ValidationError

    from .server import admin

    tier = StationLevel(args.level)
    if not tier.has_street and args.street:
        print("错误：区新时代文明实践中心不属于哪个街道，请不要指定 --street", file=sys.stderr)
        return 2
    try:
        code = admin.add_station(district_engine(args), args.name, args.street or "", level=tier.value)
    except ValidationError as exc:
        for message in exc.errors.values():
            print(f"错误：{message}", file=sys.stderr)
        return 1
    print(f"已添加{tier.unit}“{args.name}”（{tier.long_name}）。登记码（只显示这一次，请告诉该{tier.label}专管员）：")
    print(code)
    return 0


def cmd_add_stations(args) -> int:
    from app.services.errors import ValidationError

    from .server.stations import add_stations, code_slips_pdf, read_stations, tier_counts

    try:
        stations = read_stations(args.file)
        issued = add_stations(district_engine(args), stations)
    except ValidationError as exc:
        for message in exc.errors.values():
            print(f"错误：{message}", file=sys.stderr)
        print("没有添加任何实践站（所、中心）。改正后重新运行。", file=sys.stderr)
        return 1
    out = Path(args.out or Path(args.file).with_name(Path(args.file).stem + "-登记码.pdf"))
    code_slips_pdf(out, issued, server_url=args.server or "")
    if all(s.level == "station" for s, _code in issued):
        print(f"已添加 {len(issued)} 个实践站。各站的一次性登记码印在：{out}")
    else:
        print(f"已添加 {len(issued)} 个：{tier_counts(issued)}。各站（所、中心）的一次性登记码印在：{out}")
    print("登记码只在这份文件里，请打印后裁开分发，妥善保管。")
    return 0


def cmd_evaluate(args) -> int:
    """Judge now every station whose kept 五有 verdicts no longer hold (for cron: the page then only reads)."""
    import time as _time
    from datetime import date as _date

    from .server.admin import current_rules
    from .server.evaluations import verdicts_for_all

    today = _date.today()
    year, month = args.year or today.year, args.month or today.month
    start = _time.perf_counter()
    with district_engine(args).connect() as conn:
        stations = verdicts_for_all(conn, year, month, current_rules(conn), full=False)
    print(f"{year}年{month}月“五有”评估：{len(stations)} 个站已就绪，用时 {_time.perf_counter() - start:.1f} 秒")
    return 0


def cmd_revoke(args) -> int:
    from .server import admin

    if not admin.revoke(district_engine(args), args.station):
        print(f"错误：找不到实践站“{args.station}”", file=sys.stderr)
        return 1
    print(f"已停用“{args.station}”的同步权限")
    return 0


def cmd_reenable(args) -> int:
    from .server import admin

    code = admin.reenable(district_engine(args), args.station)
    if code is None:
        print(f"错误：找不到实践站“{args.station}”", file=sys.stderr)
        return 1
    print(f"已重新启用“{args.station}”的同步。新的一次性登记码：{code}")
    print("请把登记码交给该站专管员，在程序“同步”页重新登记；该站原来的数据都保留。")
    return 0


def cmd_demo(args) -> int:
    """A demo district in this district's database: the nine demo ledgers built in an empty folder, each given an
    account and enrolled, then synced — over the network to a running server, or by sync package."""
    import time

    from app.demo import DISTRICT_PROFILES, build_demo_district
    from app.services.errors import ServiceError

    from .client import SyncError
    from .demo import check_names_free, enroll_and_sync
    from .package import PackageError
    from .server import admin

    say = lambda msg: print(msg, flush=True)
    started = time.monotonic()
    with closing_engine(args, links=True) as engine:
        try:
            root = Path(args.ledgers)
            if root.exists() and any(root.iterdir()):
                raise ServiceError(f"目录“{root}”不是空的，示范区只能在新的空目录中生成")
            check_names_free(engine, [p.name for p in DISTRICT_PROFILES])
            ledgers = build_demo_district(root, years=args.years, seed=args.seed, progress=say)
            synced = enroll_and_sync(engine, ledgers, server=args.server or "", ca_file=args.ca_file or "", progress=say)
            scopes = {r.street for r in admin.staff_accounts(engine)}
        except (ServiceError, SyncError, PackageError) as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 1
    how = f"经网络同步到 {args.server}" if args.server else "以同步包导入区级数据库"
    print(f"示范区已生成并{how}（用时 {time.monotonic() - started:.0f} 秒）：")
    print_table(("级别", "区里的账号", "所属街道", "上传记录", "被拒记录", "数据目录"), [
        (s.ledger.profile.tier.unit, s.account_name, s.ledger.profile.street or "—", s.pushed, s.rejected, str(s.ledger.path))
        for s in synced])
    _demo_next_steps(args, scopes, sorted({s.ledger.profile.street for s in synced if s.ledger.profile.street}))
    return 0


def _demo_next_steps(args, scopes: set[str], streets: list[str]) -> None:
    """What to do to see the demo district on the web: the staff accounts it still lacks, by scope (none are made
    with a known password: this may be the district's real database)."""
    wanted = ([("", "wmb", "区文明办")] if "" not in scopes else []) + [
        (street, f"street{n}", f"{street}办") for n, street in enumerate(streets, start=1) if street not in scopes]
    if not wanted:
        print("下一步：用已有的管理员账号登录区级网页查看示范区。")
        return
    import shlex

    where = f" --dir {shlex.quote(args.dir)}" if getattr(args, "dir", None) else ""
    print("下一步：添加管理员账号后登录区级网页查看（每条命令都会要求输入两次密码）：")
    for street, username, name in wanted:
        scope = f" --scope street:{street}" if street else ""
        print(f"  station district{where} add-staff --username {username} --name {name}{scope}")


def cmd_stations(args) -> int:
    from .server import admin
    from .server.web import beijing_time

    from app.models.enums import station_level

    rows = admin.accounts(district_engine(args))
    print_table(("名称", "级别", "所属街道", "状态", "最近同步（北京时间）", "收到记录", "被拒记录"), [
        (r.name, station_level(r.level).unit, r.street, "已停用" if r.revoked else ("已登记" if r.station_id else "待登记"),
         beijing_time(r.last_sync_at) if r.last_sync_at else "从未", r.rows_received, r.rows_rejected) for r in rows])
    return 0


def _print_errors(exc) -> int:
    for message in exc.errors.values():
        print(f"错误：{message}", file=sys.stderr)
    return 1


def cmd_add_staff(args) -> int:
    from app.services.errors import ValidationError

    from .server import admin

    with closing_engine(args) as engine:
        try:
            street = admin.parse_scope(args.scope)
            admin.check_new_staff(engine, args.username, street)  # before the password is asked for
        except ValidationError as exc:
            return _print_errors(exc)
        password = read_password(args)
        if password is None:
            return 1
        try:
            admin.add_staff(engine, args.username, password, args.name or "", street=street)
        except ValidationError as exc:
            return _print_errors(exc)
    if street:
        print(f"已添加{street}的管理员 {args.username.strip()}：登录网页后只看到、只能办理{street}的实践所和实践站")
    else:
        print(f"已添加区级管理员 {args.username.strip()}（全区）")
    return 0


def cmd_list_staff(args) -> int:
    from .server import admin

    with closing_engine(args) as engine:
        rows = admin.staff_accounts(engine)
    print_table(("用户名", "姓名", "范围", "状态", "已登录会话"), [
        (r.username, r.display_name, admin.scope_label(r.street), "已停用" if r.disabled else "正常", r.sessions) for r in rows])
    return 0


def _set_disabled(args, disabled: bool, done: str) -> int:
    from .server import admin

    with closing_engine(args) as engine:
        known = admin.set_staff_disabled(engine, args.username, disabled)
    if not known:
        print(f"错误：没有用户名为“{args.username}”的管理员", file=sys.stderr)
        return 1
    print(done)
    return 0


def cmd_disable_staff(args) -> int:
    return _set_disabled(args, True, f"已停用管理员 {args.username}：不能再登录，已登录的网页也已退出")


def cmd_enable_staff(args) -> int:
    return _set_disabled(args, False, f"已重新启用管理员 {args.username}")


def cmd_reset_staff_password(args) -> int:
    from app.services.errors import ValidationError

    from .server import admin

    with closing_engine(args) as engine:
        if args.username.strip() not in {r.username for r in admin.staff_accounts(engine)}:
            print(f"错误：没有用户名为“{args.username}”的管理员", file=sys.stderr)
            return 1
        password = read_password(args)
        if password is None:
            return 1
        try:
            admin.reset_staff_password(engine, args.username, password)
        except ValidationError as exc:
            return _print_errors(exc)
    print(f"已为 {args.username.strip()} 设置新密码；该账号已登录的网页都已退出，请用新密码重新登录")
    return 0


def cmd_announce(args) -> int:
    from .server import admin

    admin.announce(district_engine(args), args.title, args.body or "")
    print("已发布通知，各站下次同步时收到")
    return 0


def _publish(args, publish, done: str) -> int:
    from app.rules import RulesError
    from app.services.errors import ServiceError

    try:
        publish(district_engine(args), Path(args.file).read_text(encoding="utf-8"))
    except (OSError, RulesError, ServiceError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(done)
    return 0


def cmd_publish_rules(args) -> int:
    from .server import admin

    return _publish(args, admin.publish_rules, "已发布新的“五有”考核规则，各站下次同步时生效")


def cmd_publish_weights(args) -> int:
    from .server import streets

    done = "已发布新的街道评估计分办法，街道评估即按新办法计分"
    return _publish(args, streets.publish_weights, done)


def cmd_publish_national_mapping(args) -> int:
    from .server import admin

    return _publish(args, admin.publish_national_mapping, "已发布新的全国志愿服务信息系统导出格式，各站下次同步后导出时使用")


def cmd_dispatch(args) -> int:
    from .server import admin

    dispatch_id = admin.dispatch_demand(district_engine(args), args.station, requester=args.requester, content=args.content,
                                        category=args.category, contact=args.contact or "", address=args.address or "",
                                        due_on=args.due, note=args.note or "")
    print(f"已向“{args.station}”派单（派单编号 {dispatch_id[:8]}，撤回时用 station district withdraw {dispatch_id[:8]}），该站下次同步时收到")
    return 0


def cmd_withdraw(args) -> int:
    from .server import admin

    admin.withdraw_dispatch(district_engine(args), args.dispatch_id, args.reason)
    print("已撤回派单；该站下次同步时撤销（若该站已完成服务则保留服务结果）")
    return 0


DISTRICT_NOT_INSTALLED = ("本程序是村（社区）实践站版，不含区级服务器。区级服务器安装在区文明实践中心的服务器上："
                          "Debian 12 上装发布的 station-district 安装包（.deb），其他系统用发布的 wheel 安装带 [district] 的版本，"
                          "都不需要 Qt，步骤见 docs/deploy.md（区级服务器部署）。")


def district_installed() -> bool:
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("fastapi", "uvicorn", "multipart"))


def needs_district_server(handler):
    """A village bundle leaves the district server out: its commands say where to get it, and exit 1."""
    def guarded(args) -> int:
        if not district_installed():
            print(DISTRICT_NOT_INSTALLED, file=sys.stderr)
            return 1
        return handler(args)
    return guarded


def register(subparsers, common: argparse.ArgumentParser) -> None:
    def add(name, handler, help_text, parent=subparsers):
        p = parent.add_parser(name, help=help_text, description=help_text, parents=[common])
        if parent is not subparsers:  # the district's own commands
            handler = needs_district_server(handler)
        p.set_defaults(handler=run_reporting_errors(handler))
        return p

    p = add("enroll", cmd_enroll, "在区级服务器登记本站（只需一次）")
    p.add_argument("--server", required=True, metavar="地址", help="区里提供的服务器地址，如 https://wmsj.example.gov.cn")
    p.add_argument("--code", default="", metavar="登记码", help="区里给的一次性登记码（已用U盘同步包登记过的站不需要）")
    p.add_argument("--ca-file", metavar="文件", help="信任区里提供的根证书文件")
    p.add_argument("--demo", action="store_true", help="确认要登记的是示范站（默认拒绝）")
    p = add("sync", cmd_sync, "与区里同步：上传本站的变更，下载区里的通知")
    p.add_argument("--retry-seconds", type=float, default=120, metavar="秒", help="网络不通时最多重试多久（默认120秒）")
    ssub = p.add_subparsers(dest="sync_command", title="没有网络时（用U盘同步）", metavar="命令")
    e = ssub.add_parser("export", help="导出同步包：本站尚未上传的全部变更和照片", description="导出同步包", parents=[common])
    e.set_defaults(handler=run_reporting_errors(cmd_sync_export))
    e.add_argument("--to", required=True, metavar="文件或目录", help="如 E:\\ 或 E:\\杨家庄村-同步包.slpkg")
    e.add_argument("--code", metavar="登记码", help="本站从未联网登记时，填写区里给的登记码，随包登记")
    e.add_argument("--demo", action="store_true", help="确认要随包登记的是示范站（默认拒绝）")
    r = ssub.add_parser("import-reply", help="导入区里给的回执文件", description="导入区里给的回执文件", parents=[common])
    r.set_defaults(handler=run_reporting_errors(cmd_sync_import_reply))
    r.add_argument("file", metavar="回执文件")

    district = subparsers.add_parser("district", help="区级服务器（区文明实践中心使用）", description="区级服务器", parents=[common])
    district.add_argument("--dir", metavar="目录", help=f"区级数据目录（也可用环境变量 {ENV_DISTRICT_DIR}）")
    district.add_argument("--db", metavar="URL", help=f"数据库，默认为数据目录中的 SQLite；生产环境用 postgresql+psycopg://…"
                          f"（带密码的地址请放在环境变量 {ENV_DISTRICT_DB} 里，不要写在命令行上）")
    district.set_defaults(log_folder=district_logs)
    dsub = district.add_subparsers(dest="district_command", title="子命令", metavar="命令", required=True)
    p = add("serve", cmd_serve, "启动区级同步服务", dsub)
    p.add_argument("--host", default="127.0.0.1", metavar="地址")
    p.add_argument("--port", type=int, default=8700, metavar="端口")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="服务进程数（PostgreSQL 时可设为 CPU 核数，默认 1）")
    p.add_argument("--files-dir", metavar="目录", help="照片存放在此共享目录（各服务进程都能访问）；默认存放在数据库中")
    p.add_argument("--behind-https", action="store_true", help="经由 HTTPS 反向代理对外提供服务：登录 Cookie 仅在 HTTPS 下发送")
    p.add_argument("--judge-every", type=int, default=15, metavar="分钟",
                   help="每隔多少分钟预先评估本月各站“五有”情况，网页打开即可查看（默认 15；0 为不预先评估）")
    add("migrate", cmd_migrate, "升级区级数据库结构（升级程序后、启动服务前运行一次）", dsub)
    add("relink-people", cmd_relink_people, "人员关联密钥遗失后：用新密钥重新关联各台账登记的同一志愿者", dsub)
    p = add("import-package", cmd_import_package, "导入实践站用U盘带来的同步包，并写出回执文件", dsub)
    p.add_argument("file", metavar="同步包")
    p.add_argument("--reply", metavar="文件", help="回执文件写到这里（默认与同步包同一目录）")
    p.add_argument("--files-dir", metavar="目录", help="照片存放的共享目录（与 serve 的 --files-dir 相同；默认存放在数据库中）")
    p = add("add-station", cmd_add_station, "添加实践站（或实践所、实践中心）账号并生成一次性登记码", dsub)
    p.add_argument("--name", required=True, metavar="名称")
    p.add_argument("--street", metavar="街道", help="所属街道（功能区）（实践所必填）")
    p.add_argument("--level", default="station", choices=["station", "institute", "center"],
                   help="station＝村（社区）实践站（默认），institute＝街道（功能区）实践所，center＝区实践中心")
    p = add("add-stations", cmd_add_stations, "从表格批量添加实践站（街道、站名、村/社区、常住人口，可选“级别”列：实践站/实践所/实践中心，不填为实践站），登记码印成PDF分发", dsub)
    p.add_argument("file", metavar="表格", help=".xlsx、.xls 或 .csv")
    p.add_argument("--out", metavar="PDF", help="登记码印在这里（默认与表格同目录）")
    p.add_argument("--server", metavar="地址", help="印在每张登记码上的服务器地址")
    p = add("evaluate", cmd_evaluate, "预先评估各站本月“五有”情况（同步后数据有变的站），供定时任务运行，网页打开更快", dsub)
    p.add_argument("--year", type=int, metavar="年")
    p.add_argument("--month", type=int, choices=range(1, 13), metavar="月")
    p = add("revoke", cmd_revoke, "停用一个实践站的同步权限", dsub)
    p.add_argument("station", metavar="实践站", help="实践站名称或编号")
    p = add("reenable", cmd_reenable, "重新启用一个实践站的同步并给出新的登记码（也用于恢复备份后重新登记）", dsub)
    p.add_argument("station", metavar="实践站名称或编号")
    add("stations", cmd_stations, "列出各实践站及同步情况", dsub)
    p = add("demo", cmd_demo, "生成示范区：区实践中心、两个街道的实践所和六个实践站共九份示范台账，在本区级数据库中建立账号、登记并同步", dsub)
    p.add_argument("ledgers", metavar="目录", help="九份示范台账的数据目录放在这个新的空目录中")
    p.add_argument("--server", metavar="地址",
                   help="经网络同步到正在运行的区级服务器（须使用本区级数据库，如 http://127.0.0.1:8700）；不指定时以同步包直接导入区级数据库")
    p.add_argument("--ca-file", metavar="文件", help="信任区里提供的根证书文件")
    p.add_argument("--years", type=int, default=1, metavar="年数", help="生成最近几年的活动（默认 1）")
    p.add_argument("--seed", type=int, default=2022, metavar="种子", help="随机种子：相同的种子生成相同的示范区")
    p = add("add-staff", cmd_add_staff, "添加管理员（登录网页查看各站情况）：全区，或只管一个街道的实践所和实践站；密码在终端中输入", dsub)
    p.add_argument("--username", required=True, metavar="用户名")
    p.add_argument("--name", metavar="姓名")
    p.add_argument("--scope", default="district", metavar="范围",
                   help="district＝全区（默认）；street:街道名称＝只看、只办理该街道的实践所和实践站，如 street:艾山街道")
    _password_options(p, "密码")
    add("list-staff", cmd_list_staff, "列出管理员账号（范围、是否停用）", dsub)
    p = add("disable-staff", cmd_disable_staff, "停用一个管理员账号：不能再登录，已登录的网页立即退出", dsub)
    p.add_argument("username", metavar="用户名")
    p = add("enable-staff", cmd_enable_staff, "重新启用已停用的管理员账号", dsub)
    p.add_argument("username", metavar="用户名")
    p = add("reset-staff-password", cmd_reset_staff_password, "为管理员设置新密码（该账号已登录的网页都会退出）", dsub)
    p.add_argument("username", metavar="用户名")
    _password_options(p, "新密码")
    p = add("publish-rules", cmd_publish_rules, "发布新的“五有”考核规则（TOML 文件），各站同步后生效", dsub)
    p.add_argument("file", metavar="文件")
    p = add("publish-weights", cmd_publish_weights,
            "发布新的街道评估计分办法（TOML 文件，格式见 resources/rules/street.toml），"
            "版本须比正在使用的新（六.4、六.5）", dsub)
    p.add_argument("file", metavar="文件")
    p = add("publish-national-mapping", cmd_publish_national_mapping,
            "发布新的全国志愿服务信息系统导出/导入列对应表（TOML 文件），各站同步后使用，无需升级程序", dsub)
    p.add_argument("file", metavar="文件")
    p = add("dispatch", cmd_dispatch, "区中心派单：把群众需求派给一个实践站办理（该站同步时收到）", dsub)
    p.add_argument("--station", required=True, metavar="实践站名称")
    p.add_argument("--requester", required=True, metavar="点单群众")
    p.add_argument("--content", required=True, metavar="需求内容")
    p.add_argument("--category", required=True, metavar="服务类别")
    p.add_argument("--contact", metavar="联系电话")
    p.add_argument("--address", metavar="服务地点")
    p.add_argument("--due", metavar="办结期限", help="如 2026-12-10；默认7天")
    p.add_argument("--note", metavar="说明")
    p = add("withdraw", cmd_withdraw, "撤回一次派单（该站同步时撤销，已完成服务的除外）", dsub)
    p.add_argument("dispatch_id", metavar="派单编号", help="完整编号，或网页“五单”办理情况上显示的前8位")
    p.add_argument("--reason", required=True, metavar="原因")
    p = add("announce", cmd_announce, "发布一条通知（各站同步时收到）", dsub)
    p.add_argument("--title", required=True, metavar="标题")
    p.add_argument("--body", metavar="内容")
