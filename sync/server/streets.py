"""The district evaluates each 街道 (六.4 月度评估、半年观摩、全年评估; 六.5 以奖代补).

A street's figures are rolled up from its 所 and stations (what they synced: 五有 verdicts, activities, hours,
volunteers, brand projects, overdue demands); the scores no station can send — 观摩打分, 媒体报道, 特色项目 — are
entered at the district by its evaluators, each entry kept with who, when and a note (a correction is a new entry,
the old one stays in the history). Both are combined by the weights in ``resources/rules/street.toml``, published
like the 五有 rules: a newer version only, refused with the line of a broken file.

Plain data in, plain dataclasses out: the page, its Excel and PDF, the command line and the tests read the same."""

from __future__ import annotations

import calendar
import math
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, Engine, func, select

from app.models.base import utcnow
from app.rules import TOML_PROBLEMS, TOML_WHERE, RulesError
from resources import resource_path

from . import admin
from .attention import WAITING
from .db import TABLES, account, station_month, street_score, street_weights

WEIGHTS_FILE = resource_path("rules", "street.toml")
PARTS = ("月度评估", "观摩打分", "媒体报道", "特色项目")  # 六.5's four sources, in its order
FIGURE, ENTERED = "figure", "entered"
METHODS = {"share": "按比例得分", "target": "按目标折算", "relative": "以最好的街道为满分折算", "penalty": "扣分"}
COMBINES = {"average": "期内各次平均", "sum": "期内累计"}
NOTE_MAX = 200
NAMED = ("媒体报道", "特色项目")  # parts whose every score must name its report or project in the note


def half_up(value: float, places: int = 2) -> float:
    """``value`` rounded as people round by hand (0.25 → 0.3, 35.25 → 35.3), never half-to-even as ``round`` does:
    whoever rechecks a shown figure gets the same score. Decimal of the float's shortest text, so 0.125 is 0.125."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) + 0.0


class WeightsError(RulesError):
    """A weights file that cannot be published (Chinese, naming the line)."""


@dataclass(frozen=True)
class Item:
    id: str
    part: str
    section: str
    title: str
    source: str
    points: float
    metric: str = ""
    method: str = ""
    target: float = 0
    each: float = 0
    combine: str = ""

    @property
    def how(self) -> str:
        """The scoring rule in words, for the page and the PDF."""
        if self.source == ENTERED:
            return f"区评估人员打分，满分 {self.points:g} 分，{COMBINES[self.combine]}"
        if self.method == "penalty":
            return f"每件扣 {self.each:g} 分，最多扣 {self.points:g} 分"
        if self.method == "target":
            return f"达到 {self.target:g}% 得满分 {self.points:g} 分，不足按比例"
        return f"满分 {self.points:g} 分，{METHODS[self.method]}"


@dataclass(frozen=True)
class Weights:
    version: int
    title: str
    items: tuple[Item, ...]

    def of(self, part: str) -> list[Item]:
        return [i for i in self.items if i.part == part]

    @property
    def entered(self) -> list[Item]:
        return [i for i in self.items if i.source == ENTERED]

    @property
    def full_marks(self) -> float:
        return sum(i.points for i in self.items if i.method != "penalty")


# What each figure is, as a person reads it (the unit its value is in).
METRICS = {
    "wuyou_share": ("“五有”达标率", ""),
    "activities_per_unit": ("所站平均活动", "次"),
    "hours_per_unit": ("所站平均时长", "小时"),
    "volunteer_percent": ("注册志愿者占常住人口", "%"),
    "brand_per_unit": ("所站平均品牌项目", "个"),
    "overdue_demands": ("超期未办点单", "件"),
}
ITEM_HEADER = "[[item]]"


def _where_error(text: str, exc: tomllib.TOMLDecodeError) -> str:
    found = TOML_WHERE.search(str(exc))
    reason = next((said for english, said in TOML_PROBLEMS if str(exc).startswith(english)), "格式不正确")
    if found is None:
        return f"计分办法文件格式错误：{reason}"
    line_no = int(found.group(1))
    lines = text.splitlines()
    shown = lines[line_no - 1].strip()[:80] if 0 < line_no <= len(lines) else ""
    return f"计分办法文件第 {line_no} 行第 {found.group(2)} 列格式错误：{reason}" + (f"。该行为：{shown}" if shown else "")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_weights(text: str) -> Weights:
    """Weights from TOML text; WeightsError (Chinese, naming the item's line) when it is not a valid weights file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WeightsError(_where_error(text, exc)) from exc
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().replace(" ", "") == ITEM_HEADER]
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise WeightsError("计分办法文件须在开头写明版本号，如 version = 2（比正在使用的版本大1）")
    entries = data.get("item")
    if not isinstance(entries, list) or not entries:
        raise WeightsError("计分办法文件中没有计分项（每项以一行 [[item]] 开始）")
    items: list[Item] = []
    seen: set[str] = set()
    for n, raw in enumerate(entries):
        where = f"第 {n + 1} 项（第 {starts[n]} 行起）" if n < len(starts) else f"第 {n + 1} 项"
        problem = _item_problem(raw, seen)
        if problem:
            raise WeightsError(f"计分办法文件{where}{problem}")
        seen.add(raw["id"])
        items.append(Item(id=raw["id"], part=raw["part"], section=raw["section"], title=raw["title"],
                          source=raw["source"],
                          points=raw["points"], metric=raw.get("metric", ""), method=raw.get("method", ""),
                          target=raw.get("target", 0), each=raw.get("each", 0), combine=raw.get("combine", "")))
    return Weights(version=version, title=str(data.get("title") or "街道（功能区）新时代文明实践工作评估计分办法"), items=tuple(items))


def _item_problem(raw, seen: set[str]) -> str:
    if not isinstance(raw, dict):
        return "格式不正确"
    for key in ("id", "part", "section", "title", "source", "points"):
        if key not in raw:
            return f"缺少“{key}”"
    if not isinstance(raw["id"], str) or not raw["id"].isidentifier() or len(raw["id"]) > 40:
        return f"的 id 应为英文字母、数字和下划线（最多40个字符），现为“{raw['id']}”"
    if raw["id"] in seen:
        return f"的 id “{raw['id']}”与前面的项重复"
    if any(not isinstance(raw[k], str) or not raw[k].strip() for k in ("section", "title")):
        return "的 section（依据）和 title（名称）应为文字"
    if raw["part"] not in PARTS:
        return f"的 part “{raw['part']}”不是{ '、'.join(PARTS)}之一"
    if not _number(raw["points"]) or raw["points"] <= 0 or raw["points"] > 100:
        return "的 points（满分）应为大于0、不超过100的数"
    if raw["source"] == FIGURE:
        if raw["part"] != "月度评估":
            return "：由所、站数据计算的项（source = \"figure\"）只能属于“月度评估”"
        if raw.get("metric") not in METRICS:
            return f"的指标 metric “{raw.get('metric', '')}”不认识。可用的指标：{'、'.join(METRICS)}"
        if raw.get("method") not in METHODS:
            return f"的计分方法 method “{raw.get('method', '')}”不认识。可用的方法：{'、'.join(METHODS)}"
        if raw["method"] == "target" and (not _number(raw.get("target")) or raw["target"] <= 0):
            return "按目标折算（method = \"target\"）须写明大于0的 target"
        if raw["method"] == "penalty" and (not _number(raw.get("each")) or raw["each"] <= 0):
            return "扣分（method = \"penalty\"）须写明每件扣几分 each（大于0）"
        return ""
    if raw["source"] == ENTERED:
        if raw["part"] == "月度评估":
            return "：区里打分的项（source = \"entered\"）属于观摩打分、媒体报道或特色项目，不属于“月度评估”"
        if raw.get("combine") not in COMBINES:
            return f"的 combine “{raw.get('combine', '')}”应为 average（期内各次平均）或 sum（期内累计）"
        return ""
    return f"的 source “{raw['source']}”应为 figure（所、站数据）或 entered（区里打分）"


def weights_in_force(conn: Connection, on: date | None = None) -> tuple[int, object, str]:
    """(version, published_at or None for the built-in file, text) of the weights the district scores by: the published
    file with the highest version, else the one the program ships. With ``on`` (a period's last day), the newest one
    published on or before that day (北京时间), so a new version never re-scores a period already past."""
    query = select(street_weights.c.version, street_weights.c.published_at, street_weights.c.body)
    if on is not None:
        # published_at is UTC; a day in Beijing ends at 16:00 UTC.
        day_after = datetime.combine(on + timedelta(days=1), time(), tzinfo=UTC) - timedelta(hours=8)
        query = query.where(street_weights.c.published_at < day_after)
    row = conn.execute(query.order_by(street_weights.c.version.desc()).limit(1)).first()
    builtin = WEIGHTS_FILE.read_text(encoding="utf-8")
    builtin_version = parse_weights(builtin).version
    if row is not None and row.version >= builtin_version:
        return row.version, row.published_at, row.body
    return builtin_version, None, builtin


def current_weights(conn: Connection, on: date | None = None) -> Weights:
    return parse_weights(weights_in_force(conn, on)[2])


def publish_weights(engine: Engine, text: str, *, by: str = "命令行") -> int:
    """Publish a new weights file; the ranking uses it at once. WeightsError (Chinese) when it does not parse (naming
    the line), or is not newer than the weights in force: the same version twice would be two files called one."""
    new = parse_weights(text).version
    with engine.begin() as conn:
        current, at, _text = weights_in_force(conn)
        admin.refuse_not_newer(new, current, at, WeightsError, what="计分办法", file="计分办法", old="办法")
        conn.execute(street_weights.insert().values(version=new, body=text, published_at=utcnow(),
                                                    published_by=by[:100]))
    return new


# -- periods ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A month, a half-year (六.4 半年观摩) or a year (全年评估)."""
    kind: str  # month | half | year
    year: int
    number: int = 0  # the month (1–12) or the half (1–2); 0 for a year

    @classmethod
    def of(cls, kind: str, year: int, month: int = 0, half: int = 0, *, today: date) -> "Span":
        year = year or today.year
        if kind == "month":
            return cls("month", year, month or today.month)
        if kind == "half":
            return cls("half", year, half or (1 if today.month <= 6 else 2))
        return cls("year", year)

    @property
    def first_month(self) -> int:
        return {"month": self.number, "half": 6 * self.number - 5, "year": 1}[self.kind]

    @property
    def last_month(self) -> int:
        return {"month": self.number, "half": 6 * self.number, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        return date(self.year, self.last_month, calendar.monthrange(self.year, self.last_month)[1])

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.year}年{self.number}月"
        if self.kind == "half":
            return f"{self.year}年{'上' if self.number == 1 else '下'}半年"
        return f"{self.year}年"

    @property
    def query(self) -> str:
        extra = {"month": f"&month={self.number}", "half": f"&half={self.number}", "year": ""}[self.kind]
        return f"period={self.kind}&year={self.year}{extra}"

    def months(self) -> list[tuple[int, int]]:
        return [(self.year, m) for m in range(self.first_month, self.last_month + 1)]

    def judged_month(self, today: date) -> tuple[int, int] | None:
        """The month whose 五有 verdicts stand for the period: its last month, or this month while it runs (annual
        quotas are judged year to date). None for a period not yet begun."""
        if self.start > today:
            return None
        if self.end >= today:
            return today.year, today.month
        return self.year, self.last_month


def picker_defaults(span: Span, today: date) -> dict[str, int]:
    """The month and half a period picker shows selected: the span's own, else the one holding today (a month
    page in December offers 下半年, not the list's first option) or, for a past year, its last."""
    running = span.start <= today <= span.end
    month = span.number if span.kind == "month" else (today.month if running else span.last_month)
    half = span.number if span.kind == "half" else (1 if month <= 6 else 2)
    return {"month": month, "half": half}


# -- the figures -----------------------------------------------------------------------------------------------------
@dataclass
class Unit:
    """A 所 or station of a street, with its figures for the period."""
    account_id: int
    name: str
    level: str
    station_id: str
    population: int
    activities: int = 0
    hours: float = 0.0
    volunteers: int = 0
    brand: int = 0
    overdue: int = 0
    judged: bool = False
    missed: int = 0
    at_risk: int = 0


@dataclass
class Entry:
    """One entered score, as kept (who, when, a note); ``superseded`` when a later entry for the same month
    replaced it."""
    id: int
    item: str
    year: int
    month: int
    score: float
    note: str
    entered_by: str
    entered_at: object
    superseded: bool = False


@dataclass
class StreetResult:
    street: str
    units: list[Unit]
    figures: dict[str, float | None] = field(default_factory=dict)  # metric → value (None: nothing to measure)
    points: dict[str, float] = field(default_factory=dict)  # item id → points
    entries: list[Entry] = field(default_factory=list)
    rank: int = 0
    part_of: dict[str, str] = field(default_factory=dict, repr=False)  # item id → its part (六.5's four)

    @property
    def parts(self) -> dict[str, float]:
        return {p: half_up(sum(v for k, v in self.points.items() if self.part_of.get(k) == p)) for p in PARTS}

    @property
    def total(self) -> float:
        return half_up(sum(self.points.values()))

    @property
    def judged(self) -> int:
        return sum(u.judged for u in self.units)

    @property
    def meeting(self) -> int:
        return sum(u.judged and u.missed == 0 for u in self.units)

    @property
    def left_out(self) -> list[Unit]:
        """The units the volunteer share leaves out: their 常住人口 is not filled in."""
        return counted_for_volunteers(self.units)[1]

    def kept(self, item_id: str) -> list[Entry]:
        return [e for e in self.entries if e.item == item_id and not e.superseded]


@dataclass
class Ranking:
    span: Span
    weights: Weights
    weights_at: object
    judged_month: tuple[int, int] | None
    streets: list[StreetResult]
    today: date

    def of(self, street: str) -> StreetResult | None:
        return next((s for s in self.streets if s.street == street), None)

    @property
    def judged_label(self) -> str:
        """What the 五有 figures stand for: a month's verdicts, or for 全年评估 the year's (a running year to date)."""
        if self.judged_month is None:
            return ""
        if self.span.kind in ("year", "half"):
            whole = f"{self.span.year}年全年" if self.span.kind == "year" else self.span.label
            return whole + ("（到今天）" if self.span.end >= self.today else "")
        return f"{self.judged_month[0]}年{self.judged_month[1]}月"


def units_of(conn: Connection) -> dict[str, list[Unit]]:
    """Every street the district's accounts name → its 所 and stations that have synced their own row (the 所 first)."""
    station = TABLES["station"]
    out: dict[str, list[Unit]] = {street: [] for street in admin.streets(conn)}
    rows = conn.execute(select(account.c.id, account.c.name, account.c.street, account.c.level, account.c.station_id,
                               station.c.population)
                        .join(station, station.c.id == account.c.station_id)
                        .where(account.c.street != "", account.c.level != "center")).all()
    for r in sorted(rows, key=lambda r: (r.level != "institute", r.name)):
        out.setdefault(r.street, []).append(Unit(r.id, r.name, r.level, r.station_id, r.population or 0))
    return out


def _per_station(conn: Connection, units: list[Unit], span: Span, today: date) -> None:
    """Fill each unit's figures for ``span`` from its rows (kept monthly figures for activities and hours)."""
    if not units:
        return
    by_id = {u.station_id: u for u in units}
    ids = list(by_id)
    volunteer, project, demand = TABLES["volunteer"], TABLES["project"], TABLES["demand"]
    as_of = min(today, span.end)
    first, last = f"{span.year:04d}-{span.first_month:02d}", f"{span.year:04d}-{span.last_month:02d}"
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for sid, n, hours in conn.execute(
                select(station_month.c.station_id, func.sum(station_month.c.activities),
                       func.sum(station_month.c.hours))
                .where(station_month.c.station_id.in_(part), station_month.c.period >= first,
                       station_month.c.period <= last)
                .group_by(station_month.c.station_id)):
            by_id[sid].activities, by_id[sid].hours = int(n or 0), half_up(float(hours or 0), 1)
        for sid, n in conn.execute(select(volunteer.c.station_id, func.count()).where(
                volunteer.c.station_id.in_(part), volunteer.c.deleted == False,
                volunteer.c.registered_on <= as_of).group_by(volunteer.c.station_id)):
            by_id[sid].volunteers = n
        for sid, n in conn.execute(select(project.c.station_id, func.count()).where(
                project.c.station_id.in_(part), project.c.deleted == False, project.c.brand == True,
                project.c.status != "planned").group_by(project.c.station_id)):
            by_id[sid].brand = n
        # Still waiting for service now and past its deadline by the period's end (五.2: every demand closes the loop).
        cutoff = today if span.end >= today else span.end + timedelta(days=1)
        for sid, n in conn.execute(select(demand.c.station_id, func.count()).where(
                demand.c.station_id.in_(part), demand.c.deleted == False, demand.c.state.in_(WAITING),
                demand.c.due_on < cutoff).group_by(demand.c.station_id)):
            by_id[sid].overdue = n


def counted_for_volunteers(units: list[Unit]) -> tuple[list[Unit], list[Unit]]:
    """(units whose volunteers the share counts, units left out for want of their 常住人口). Only a unit whose population
    is known counts: its volunteers over a population that holds them."""
    return [u for u in units if u.population > 0], [u for u in units if u.population <= 0]


def _figures(units: list[Unit]) -> dict[str, float | None]:
    n = len(units)
    judged = [u for u in units if u.judged]
    # 三.2's 15 % of the resident population: the villages' and communities' populations make up the street's (a 所
    # that gives one gives the whole street's, counted twice if added, so its volunteers count but not its figure);
    # a unit without its population is left out of the share altogether, numerator and denominator alike.
    counted, _left_out = counted_for_volunteers(units)
    population = sum(u.population for u in counted if u.level == "station")
    return {
        "wuyou_share": (sum(u.missed == 0 for u in judged) / len(judged)) if judged else None,
        "activities_per_unit": sum(u.activities for u in units) / n if n else None,
        "hours_per_unit": sum(u.hours for u in units) / n if n else None,
        "volunteer_percent": (sum(u.volunteers for u in counted) * 100 / population) if population else None,
        "brand_per_unit": sum(u.brand for u in units) / n if n else None,
        "overdue_demands": float(sum(u.overdue for u in units)),
    }


def _figure_points(item: Item, value: float | None, best: float) -> float:
    if value is None:
        return 0.0
    if item.method == "share":
        return item.points * max(0.0, min(1.0, value))
    if item.method == "target":
        return item.points * max(0.0, min(1.0, value / item.target))
    if item.method == "relative":
        return item.points * value / best if best > 0 else 0.0
    return -min(item.points, item.each * value)  # penalty


def entries_for(conn: Connection, span: Span, streets: list[str] | None = None) -> dict[str, list[Entry]]:
    """street → every entry for the period's months, oldest first; an entry the same evaluator replaced later (a
    correction) is marked superseded."""
    query = select(street_score).where(street_score.c.year == span.year, street_score.c.month >= span.first_month,
                                       street_score.c.month <= span.last_month).order_by(street_score.c.id)
    if streets is not None:
        query = query.where(street_score.c.street.in_(streets))
    out: dict[str, list[Entry]] = {}
    latest: dict[tuple, Entry] = {}
    for r in conn.execute(query):
        entry = Entry(r.id, r.item, r.year, r.month, r.score, r.note, r.entered_by, r.entered_at)
        key = (r.street, r.item, r.year, r.month, r.entered_by)
        if key in latest:
            latest[key].superseded = True
        latest[key] = entry
        out.setdefault(r.street, []).append(entry)
    return out


def _entered_points(item: Item, kept: list[Entry]) -> float:
    """A month's score is the mean of its evaluators' (a 观摩 panel); the months are then averaged (average: each
    visit counts once) or added up (sum: 媒体报道, 特色项目), never above the item's points."""
    months: dict[tuple[int, int], list[Decimal]] = {}
    for e in kept:  # in decimals, as typed: (2.01 + 2.02) / 2 is 2.015, never 2.01499… before rounding
        months.setdefault((e.year, e.month), []).append(Decimal(repr(float(e.score))))
    if not months:
        return 0.0
    each = [sum(scores) / len(scores) for scores in months.values()]
    return min(item.points, float(sum(each) / len(each) if item.combine == "average" else sum(each)))


def rank_streets(conn: Connection, span: Span, *, today: date | None = None) -> Ranking:
    """Every street's figures, entered scores and points for ``span`` under the weights in force, ranked (equal totals
    share a rank). The 五有 verdicts come from the kept ones (evaluations.py), judged afresh where they no longer hold."""
    from .evaluations import verdicts_for_all

    today = today or date.today()
    _version, at, text = weights_in_force(conn, span.end)
    weights = parse_weights(text)
    streets = units_of(conn)
    every = [u for units in streets.values() for u in units]
    judged_month = span.judged_month(today)
    if judged_month is not None and every:
        # 全年评估 judges the year and 半年观摩 its half (every month of the monthly quotas, not the last month alone;
        # a running one to date); 月度评估 its month.
        year, month = (span.year, None) if span.kind in ("year", "half") else judged_month
        half = span.number if span.kind == "half" else None
        summaries = {acct.station_id: summary for acct, summary, _v in
                     verdicts_for_all(conn, year, month, admin.current_rules(conn), today=today, full=False, half=half)}
        for u in every:
            if u.station_id in summaries:
                summary = summaries[u.station_id]
                u.judged, u.missed, u.at_risk = True, summary["missed"], summary["at_risk"]
    _per_station(conn, every, span, today)
    entered = entries_for(conn, span)
    results = [StreetResult(street, units, figures=_figures(units), entries=entered.get(street, []),
                            part_of={i.id: i.part for i in weights.items}) for street, units in streets.items()]
    for item in weights.items:
        if item.source == FIGURE:
            best = max((r.figures[item.metric] or 0 for r in results), default=0)
            for r in results:
                r.points[item.id] = half_up(_figure_points(item, r.figures[item.metric], best))
        else:
            for r in results:
                r.points[item.id] = half_up(_entered_points(item, r.kept(item.id)))
    results.sort(key=lambda r: (-r.total, r.street))
    for n, r in enumerate(results):
        r.rank = results[n - 1].rank if n and results[n - 1].total == r.total else n + 1
    return Ranking(span, weights, at, judged_month, results, today)


def figure_text(metric: str, value: float | None, result: StreetResult | None = None) -> str:
    """A figure as a person reads it: 3/4（75%）, 12.5次, 8.2%, 2件; — when there is nothing to measure."""
    if metric == "wuyou_share":
        if value is None or result is None:
            return "—"
        return f"{result.meeting}/{result.judged}（{half_up(value * 100, 0):g}%）"
    if value is None:
        return "—"
    unit = METRICS[metric][1]
    return f"{value:.0f}{unit}" if metric == "overdue_demands" else f"{half_up(value, 1):g}{unit}"


# -- entering scores -------------------------------------------------------------------------------------------------
def parse_score(text: str) -> float | None:
    """A score as typed (半角 or 全角 digits, one or two decimals); None when it is not a number."""
    cleaned = (text or "").strip().translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value) or round(value, 2) != value:
        return None
    return value + 0.0  # "-0" is 0


def enter_scores(engine: Engine, *, street: str, year: int, month: int, scores: dict[str, str], notes: dict[str, str],
                 by: str, today: date | None = None) -> int:
    """Enter an evaluator's scores for one street and month (观摩打分 per item, 媒体报道, 特色项目), each with its note.
    All or nothing: ValidationError (Chinese, keyed by field: ``score_<item>``, ``note_<item>``, ``street``, ``month``)
    when a field is wrong, and nothing is written. A score for an item already scored that month is a correction: it
    needs a note saying why, and the earlier entry stays in the history; another evaluator's score for the same month
    stands beside it (a panel's scores are averaged). ``by`` names the evaluator. Returns how many were entered."""
    from app.services.errors import ValidationError

    today = today or date.today()
    problems: dict[str, str] = {}
    street = (street or "").strip()
    with engine.begin() as conn:
        valid = 2000 <= year <= 2100 and 1 <= month <= 12
        weights = current_weights(conn, Span("month", year, month).end if valid else None)
        if street not in admin.streets(conn):
            problems["street"] = "街道：请从列表中选择要打分的街道（功能区）"
        if not valid:
            problems["month"] = "打分月份：请选择年份和月份"
        elif (year, month) > (today.year, today.month):
            problems["month"] = f"打分月份：{year}年{month}月还没到，不能为以后的月份打分"
        known = {i.id: i for i in weights.entered}
        strange = [k for k in list(scores) + list(notes) if k not in known]
        if strange:
            problems["form"] = "表单中有本计分办法没有的打分项，请刷新页面后重新填写"
        rows = []
        earlier = set()
        if "street" not in problems and "month" not in problems:
            earlier = set(conn.execute(select(street_score.c.item).where(
                street_score.c.street == street, street_score.c.year == year, street_score.c.month == month,
                street_score.c.entered_by == by[:100])).scalars())
        for item in weights.entered:
            typed, note = (scores.get(item.id) or "").strip(), " ".join((notes.get(item.id) or "").split())
            name = f"{item.part}·{item.title}" if item.part == "观摩打分" else item.title
            if len(note) > NOTE_MAX:
                problems[f"note_{item.id}"] = f"{name}的说明：最多{NOTE_MAX}个字"
            if not typed:
                if note:
                    problems[f"score_{item.id}"] = f"{name}：写了说明但没有填分数"
                continue
            value = parse_score(typed)
            if value is None or not 0 <= value <= item.points:
                problems[f"score_{item.id}"] = f"{name}：分数应为 0 到 {item.points:g} 之间的数（最多两位小数），现为“{typed[:20]}”"
                continue
            if item.id in earlier and not note:
                problems[f"note_{item.id}"] = f"{name}：您已为{year}年{month}月打过分，更正分数请在说明中写明原因"
                continue
            if item.part in NAMED and not note:
                what = "哪篇报道（媒体、标题）" if item.part == "媒体报道" else "哪个项目（项目名称）"
                problems[f"note_{item.id}"] = f"{name}的说明：请写明是{what}"
                continue
            rows.append({"street": street, "item": item.id, "year": year, "month": month, "score": value, "note": note,
                         "entered_by": by[:100], "entered_at": utcnow(), "weights_version": weights.version})
        if not rows and not problems:
            problems["form"] = "没有填写任何分数"
        if problems:
            raise ValidationError(problems)
        conn.execute(street_score.insert(), rows)
    return len(rows)
