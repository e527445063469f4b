"""``make bench``: figures and ratios against a bare baseline measured in the same run."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench import district_pages_bench, import_bench, load_bench, points_bench, report_bench, rules_bench, store_bench, sync_bench, ui_bench


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the dataset, for a quick look")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="station-bench-") as tmp:
        data = Path(tmp) / "data"
        print("== store: 5-year dataset ==")
        store_bench.run(data, small=args.small)
        print("== 五有 self-check ==")
        rules_bench.run(data, small=args.small)
        print("== desktop app ==")
        ui_bench.run(data)
        print("== 积分银行 ==")
        points_bench.run(data)
        print("== a year's ledger of the 5-year store ==")
        report_bench.year_ledger(data, date.today().year - 1)  # last year: whole, whatever the date
    print("== Excel roster import ==")
    import_bench.run(1_000 if args.small else 10_000)
    print("== printed binders ==")
    report_bench.run(small=args.small)
    print("== sync ==")
    sync_bench.run(small=args.small)
    print("== Monday morning: stations syncing at once into PostgreSQL, 2 server workers ==")
    load_bench.main(["--stations", "5"] if args.small else ["--stations", "20", "50"])
    print("== the district's pages with 3,000 stations (PostgreSQL) ==")
    district_pages_bench.main(["--stations", "300" if args.small else "3000"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
