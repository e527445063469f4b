"""Spreadsheets in and out: import volunteers, activities or national records; export to Excel or the national system."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import adder, open_context


def cmd_import(args) -> int:
    from ..exchange import excel

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
        if args.kind == "volunteers":
            result = excel.import_volunteers(ctx, sheet, mapping, only_valid=args.only_valid, update_existing=update)
        else:
            result = excel.import_activities(ctx, sheet, mapping, only_valid=args.only_valid)
        noun = "名志愿者" if args.kind == "volunteers" else "次活动"
        print(f"已导入 {result.imported} {noun}" + (f"，更新 {result.updated} 名已登记的志愿者" if result.updated else "")
              + (f"，跳过 {len(result.skipped)} 行" if result.skipped else ""))
    return 0


def _import_national(ctx, args) -> int:
    from ..exchange import national

    with ctx.store:
        mapping = national.load_mapping(Path(args.mapping) if args.mapping else None, data_dir=ctx.store.paths.root)
        result = national.import_national(ctx, args.file, mapping=mapping, dry_run=args.dry_run)
        print(("试运行（没有写入任何数据）：" if args.dry_run else "已导入：")
              + f"新登记志愿者 {result.volunteers_added} 名（已登记的 {result.volunteers_known} 名按身份证号对上），"
              f"新增活动 {result.activities_added} 次，服务记录 {result.records_added} 条"
              + (f"，台账中已有、跳过 {result.records_known} 条" if result.records_known else ""))
    return 0


def _export_national(ctx, args, target: str) -> int:
    from ..exchange import national

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
    from ..exchange import excel

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


def register(subparsers, common: argparse.ArgumentParser) -> None:
    add = adder(subparsers, common)

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
