"""An Excel roster of 10,000 volunteers: checking it (the preview's dry run) and importing it, beside a bare
read of the same file with openpyxl, in alternated pairs in the same run (bench/pairs.py).

The preview must name every bad row of a big sheet without making the clerk wait minutes."""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from app.exchange import excel
from app.db import Store
from app.services.context import Context
from app.services.idcard import check_char
from app.services.station import init_station
from bench.pairs import report


def _id(n: int) -> str:
    first17 = f"370117{date(1950, 1, 1).toordinal() + n:0>8}"[:6] + f"{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + check_char(first17)


def roster(path: Path, rows: int) -> Path:
    book = Workbook()
    ws = book.active
    ws.append(["姓名", "性别", "身份证号", "联系电话", "政治面貌", "技能特长"])
    for n in range(rows):
        bad = n % 500 == 7  # one row in 500 with a mistake a clerk makes
        ws.append([f"志愿者{n}", "", _id(n)[:-1] + ("0" if bad else _id(n)[-1]), f"13{n:09d}", "群众", "理发"])
    book.save(path)
    return path


def run(rows: int = 10_000, *, pairs: int = 5) -> None:
    with tempfile.TemporaryDirectory(prefix="station-import-bench-") as tmp:
        path = roster(Path(tmp) / "名单.xlsx", rows)
        read = sum(1 for _ in load_workbook(path, read_only=True).active.iter_rows(values_only=True)) - 1

        def bare() -> None:
            for _ in load_workbook(path, read_only=True).active.iter_rows(values_only=True):
                pass

        stores: list[Store] = []

        def fresh() -> Context:
            """A new station's store for each import, made untimed (the import writes volunteers)."""
            if stores:
                stores.pop().close()
            store = Store.open(Path(tmp) / f"data-{uuid.uuid4().hex[:8]}")
            stores.append(store)
            init_station(store, name="测试村新时代文明实践站", kind="village", population=3000)
            return Context(store=store)

        ctx = fresh()
        named: list[int] = []

        def check() -> None:
            sheet = excel.read_sheet(path)
            plans = excel.plan_volunteers(ctx, sheet, excel.guess_mapping(sheet))
            named.append(sum(1 for p in plans if not p.ok))

        report(f"{rows:,} rows ({read:,} read): 试运行 check (beside a bare openpyxl read of the file)", check, bare, unit="s")
        imported: list[int] = []

        def write() -> None:
            sheet = excel.read_sheet(path)
            imported.append(excel.import_volunteers(ctx, sheet, excel.guess_mapping(sheet), only_valid=True).imported)

        def reset() -> None:
            nonlocal ctx
            ctx = fresh()

        report(f"{rows:,} rows: import of the good rows (beside a bare openpyxl read of the file)", write, bare, unit="s", reset=reset)
        stores.pop().close()
        print(f"  ({named[-1]} bad rows named; {imported[-1]:,} volunteers imported each time)", flush=True)
        if len(set(named)) != 1 or len(set(imported)) != 1:
            raise RuntimeError(f"导入基准：各轮结果不同 / the runs disagree: named {named}, imported {imported}")


if __name__ == "__main__":
    run()
