"""What the 工作台 shows, as plain data, and the last of it kept on disk (#25: login → populated 工作台 ≤ 1 s).

The figures take a year of reads (about 0.6 s of SQL on a five-year store, more on a busy PC), so the 工作台
computes them in the background after every login and every change. The last figures computed are kept in
``<data dir>/kept/dashboard.json``, as the district keeps each station's verdicts: the next login shows them
at once, marked as being brought up to date, and the fresh figures replace them when they arrive. Kept figures
of another month are never shown (this month's cards would show last month's numbers); nor are those of
another ledger, or of an older format.

No Qt here: ``ui/pages/dashboard.py`` draws a ``DashboardView`` whether it came fresh or kept.
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from .. import outbox
from ..files import write_atomically
from ..rules import Period, Verdict, selfcheck
from . import demands, points, stats
from .context import Context

log = logging.getLogger(__name__)

KEPT_FORMAT = 1  # bumped when DashboardView changes what it holds: older kept figures are not shown
FOLDER = "kept"
FILENAME = "dashboard.json"


@dataclass
class DashboardView:
    """Every figure the 工作台 draws (announcements aside: they are read fresh, never kept)."""

    today: date
    overview: stats.Overview
    team_months: dict[str, dict[tuple[int, int], int]]  # team name -> (year, month) -> activities
    category_months: dict[str, dict[tuple[int, int], int]]  # category -> (year, month) -> activities
    verdicts: list[Verdict]
    demand_counts: dict[str, int]
    unsettled: int
    waiting: int  # changes not yet at the district
    computed_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    kept: bool = False  # read back from the kept file, not computed in this session


def compute(ctx: Context, today: date | None = None) -> DashboardView:
    """Everything the 工作台 shows, read in a worker thread (the reads of a whole year). The 五有 self-check and the
    unsettled points are read beside the year's figures, each on a connection of its own: SQLite lets go of the
    interpreter while it reads, so on two cores the three overlap (the 5-year bench store's fresh figures took
    1.30 s one after another, #29)."""
    today = today or date.today()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="dashboard") as beside:
        verdicts = beside.submit(selfcheck, ctx, Period.of(year=today.year, month=today.month))
        unsettled = beside.submit(points.unsettled_count, ctx)
        figures = stats.period_figures(ctx, date(today.year, 1, 1), today)
        return DashboardView(
            today=today,
            overview=stats.overview(ctx, today=today, figures=figures),
            team_months=figures.team_months,
            category_months=figures.category_months,
            verdicts=verdicts.result(),
            demand_counts=demands.state_counts(ctx, today),
            unsettled=unsettled.result(),
            waiting=outbox.pending_count(ctx.store),
        )


def kept_path(root: str | os.PathLike[str]) -> Path:
    return Path(root) / FOLDER / FILENAME


def _months_out(per: dict[str, dict[tuple[int, int], int]]) -> dict[str, dict[str, int]]:
    return {name: {f"{y:04d}-{m:02d}": n for (y, m), n in months.items()} for name, months in per.items()}


def _months_in(per: dict[str, dict[str, int]]) -> dict[str, dict[tuple[int, int], int]]:
    return {name: {(int(k[:4]), int(k[5:7])): int(n) for k, n in months.items()} for name, months in per.items()}


def to_json(view: DashboardView, station_id: str) -> dict:
    o = view.overview
    return {
        "format": KEPT_FORMAT,
        "station_id": station_id,
        "today": view.today.isoformat(),
        "computed_at": view.computed_at.isoformat(),
        "overview": {
            "volunteers": o.volunteers, "activities_month": o.activities_month, "activities_year": o.activities_year,
            "hours_month": o.hours_month, "hours_year": o.hours_year, "teams": [asdict(t) for t in o.teams],
        },
        "team_months": _months_out(view.team_months),
        "category_months": _months_out(view.category_months),
        "verdicts": [v.as_json() for v in view.verdicts],
        "demand_counts": view.demand_counts,
        "unsettled": view.unsettled,
        "waiting": view.waiting,
    }


def from_json(data: dict) -> DashboardView:
    today = date.fromisoformat(data["today"])
    o = data["overview"]
    overview = stats.Overview(
        today=today, volunteers=int(o["volunteers"]), activities_month=int(o["activities_month"]),
        activities_year=int(o["activities_year"]), hours_month=float(o["hours_month"]), hours_year=float(o["hours_year"]),
        teams=[stats.TeamMonth(**t) for t in o["teams"]],
    )
    verdicts = [Verdict(rule_id=v["id"], section=v["section"], you=v["you"], title=v["title"], status=v["status"],
                        figure=v["figure"], target=v["target"], unit=v["unit"], gap=v["gap"], details=list(v["details"]),
                        above=bool(v.get("above", False)))  # (kept before the figure said 超过)
                for v in data["verdicts"]]
    return DashboardView(
        today=today, overview=overview, team_months=_months_in(data["team_months"]),
        category_months=_months_in(data["category_months"]), verdicts=verdicts,
        demand_counts={str(k): int(n) for k, n in data["demand_counts"].items()}, unsettled=int(data["unsettled"]),
        waiting=int(data["waiting"]), computed_at=datetime.fromisoformat(data["computed_at"]), kept=True,
    )


def keep(root: str | os.PathLike[str], station_id: str, view: DashboardView) -> None:
    """Write ``view`` as the kept figures: whole or not at all (a temporary file renamed over the last). It is a
    copy of what the store says, so it is not flushed to the disk: a power cut loses at most a faster login."""
    target = kept_path(root)
    try:
        write_atomically(target, json.dumps(to_json(view, station_id), ensure_ascii=False), durable=False)
    except OSError as exc:  # a full or read-only disk: the next login computes its figures, as before
        log.warning("kept 工作台 figures not written: %s", exc)


def kept(root: str | os.PathLike[str], station_id: str, today: date | None = None) -> DashboardView | None:
    """The last figures computed for this ledger in this month, or None (none, another month, another ledger,
    an older format, a damaged file — then the 工作台 waits for its figures as it did before there were any)."""
    today = today or date.today()
    path = kept_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEPT_FORMAT or data.get("station_id") != station_id:
            return None
        view = from_json(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("kept 工作台 figures not read (%s): %s", path.name, exc)
        return None
    if (view.today.year, view.today.month) != (today.year, today.month) or view.today > today:
        return None
    return view
