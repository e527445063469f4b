"""``make bench``: figures and ratios against a bare baseline measured in the same run.

Each step runs under a time limit (bench/unattended.py): one that waits for a person, or hangs, ends the
run with a message naming it instead of waiting for good."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench import district_pages_bench, import_bench, load_bench, points_bench, report_bench, rules_bench, store_bench, sync_bench, ui_bench
from bench.unattended import step


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the dataset, for a quick look")
    parser.add_argument("--step-minutes", type=float, default=90, metavar="N",
                        help="fail the run when one step takes longer than N minutes (default 90)")
    args = parser.parse_args()
    limit = args.step_minutes * 60

    def section(title: str):
        print(f"== {title} ==", flush=True)
        return step(title, limit)

    with tempfile.TemporaryDirectory(prefix="station-bench-") as tmp:
        data = Path(tmp) / "data"
        with section("store: 5-year dataset"):
            store_bench.run(data, small=args.small)
        with section("first sync of the 5-year store"):
            sync_bench.five_year(data)
        with section("五有 self-check"):
            rules_bench.run(data, small=args.small)
        with section("积分银行"):  # before the desktop app's bench, whose settlement credits every year's activities
            points_bench.run(data)
        with section("desktop app"):
            ui_bench.run(data)
        with section("a year's ledger of the 5-year store"):
            report_bench.year_ledger(data, date.today().year - 1)  # last year: whole, whatever the date
    with section("Excel roster import"):
        import_bench.run(1_000 if args.small else 10_000)
    with section("printed binders"):
        report_bench.run(small=args.small)
    with section("sync"):
        sync_bench.run(small=args.small)
    with section("Monday morning: stations syncing at once into PostgreSQL, 2 server workers"):
        load_bench.main(["--stations", "5"] if args.small else ["--stations", "20", "50"])
    with section("the district's pages with 3,000 stations (PostgreSQL)"):
        district_pages_bench.main(["--stations", "300" if args.small else "3000"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
