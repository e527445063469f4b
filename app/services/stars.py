"""Service hours and star eligibility (三.4): ★1–★5 by cumulative hours, thresholds kept with the rules."""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from ..models import VolunteerHours, VolunteerYearHours
from ..rules import OVERRIDE_NAME, RULES_FILE
from .context import Context

DEFAULT_THRESHOLDS = (100, 300, 600, 1000, 1500)


def thresholds(data_dir: Path | None = None) -> tuple[int, ...]:
    """The district's published thresholds when sync has brought them, else the built-in ones."""
    for path in ([Path(data_dir) / OVERRIDE_NAME] if data_dir else []) + [RULES_FILE]:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8")).get("stars", {}).get("thresholds")
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(values, list) and len(values) == 5 and all(isinstance(v, int) and v > 0 for v in values) and values == sorted(values):
            return tuple(values)
    return DEFAULT_THRESHOLDS


def star_for(hours: float, limits: tuple[int, ...] = DEFAULT_THRESHOLDS) -> int:
    """0 to 5: the highest star whose threshold the hours reach."""
    return bisect_right(limits, hours + 1e-9)


def star_label(stars: int) -> str:
    return f"可申请 ★{stars}" if stars else ""


@dataclass(frozen=True)
class HoursSummary:
    total: float
    by_year: dict[int, float]
    stars: int

    @property
    def label(self) -> str:
        return star_label(self.stars)


def hours_summary(ctx: Context, volunteer_id: str) -> HoursSummary:
    query = select(VolunteerYearHours.year, VolunteerYearHours.hours).where(VolunteerYearHours.volunteer_id == volunteer_id)
    with ctx.read() as session:
        by_year = {int(y): round(float(h), 2) for y, h in session.exec(query) if h}
    total = round(sum(by_year.values()), 2)
    return HoursSummary(total, dict(sorted(by_year.items())), star_for(total, thresholds(ctx.store.paths.root)))


def hours_column():
    """One volunteer's cumulative hours as an SQL expression, for sorting and filtering lists in SQL:
    a primary-key lookup of the maintained figure (app/models/hours.py), not a sum per row."""
    from ..models import Volunteer

    return func.coalesce(
        select(VolunteerHours.total).where(VolunteerHours.volunteer_id == Volunteer.id).correlate(Volunteer).scalar_subquery(),
        0.0,
    )

