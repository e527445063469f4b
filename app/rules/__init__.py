"""The 五有 self-check: the seed's quotas as data (resources/rules/wuyou.toml) and one evaluator.

The evaluator works on SQLAlchemy Core tables looked up by name, so the station
(its SQLite store) and the district (its copies of the same tables, on SQLite
or PostgreSQL) give the same verdicts for the same rows.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Table, and_, func, select

from resources import resource_path

from ..models.enums import PARTY_STATUSES, TEAM_CATEGORIES, StationLevel, station_level

RULES_FILE = resource_path("rules", "wuyou.toml")
MET, ON_TRACK, AT_RISK, MISSED, NOT_APPLICABLE = "met", "on_track", "at_risk", "missed", "not_applicable"
STATUS_LABELS = {MET: "达标", ON_TRACK: "进度正常", AT_RISK: "有风险", MISSED: "未达标", NOT_APPLICABLE: "不适用"}
YOU = ("有场所", "有队伍", "有活动", "有项目", "有机制")
LECTURE = "理论政策宣讲"


@dataclass(frozen=True)
class Rule:
    id: str
    you: str
    section: str
    title: str
    metric: str
    targets: dict[str, int]
    period: str = "year"
    unit: str = ""
    strictly_above: bool = False
    levels: tuple[str, ...] = ()  # the tiers the rule applies to; empty: every tier with a target
    titles: dict[str, str] = field(default_factory=dict)  # the title as one tier (or kind) reads it, e.g. 所: 5支以上

    def title_for(self, level: str, kind: str) -> str:
        """The title a unit reads (a trial: a 所's 五有 card said “站3支以上、所5支以上、中心17类”): its kind's, else its
        tier's, else the rule's own (which names every tier, for the district's columns)."""
        return self.titles.get(kind) or self.titles.get(level) or self.title

    def target_for(self, level: str, kind: str) -> int | None:
        if self.levels and level not in self.levels:
            return None  # e.g. 四.8's lectures by kind: a 所 and a 站 only, not the center
        if kind in self.targets:
            return self.targets[kind]
        return self.targets.get(level)


# The closed set of metrics a rules file may name (each an Evaluator method of that name, documented in
# docs/architecture.md). Anything else — a typo, a private helper such as "_teams" — is refused when the
# district publishes, and a station that somehow receives it keeps its last good rules.
METRICS = (
    "function_rooms", "active_service_points", "contact_set", "opening_and_day_set", "teams", "team_months",
    "team_year_minimum", "own_name_activities", "own_name_lectures", "registered_percent", "active_percent",
    "party_participation_percent", "party_members_with_20_hours_percent", "brand_projects", "family_activities",
    "centralized_trainings", "document_kinds", "annual_plan", "monthly_plans", "managers",
)

MANAGER_SEPARATORS = re.compile(r"[、,，;；/\s]+")
OVERRIDE_NAME = "rules.toml"  # in the data dir: the district's latest published rules, pulled by sync


class RulesError(ValueError):
    pass


TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)")
# What tomllib says, as a person editing the file in Notepad would need it.
TOML_PROBLEMS = (
    ("Invalid value", "值无效（文字要用英文双引号括起来，如 title = \"功能室不少于3处\"）"),
    ("Expected '=' after a key", "缺少“=”"),
    ("Unclosed", "括号没有闭合"),
    ("Unterminated string", "引号没有闭合"),
    ("Illegal character", "有不允许的字符（引号、括号须为英文半角）"),
    ("Cannot overwrite", "同一项写了两次"),
    ("Cannot declare", "同一项写了两次"),
    ("Invalid statement", "这一行不是“名称 = 值”的格式"),
)
RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")


def _toml_error(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """规则文件第 5 行第 10 列格式错误：…… with the line as written (tomllib's own words are English)."""
    found = TOML_WHERE.search(str(exc))
    reason = next((said for english, said in TOML_PROBLEMS if str(exc).startswith(english)), "格式不正确")
    if found is None:
        return f"规则文件格式错误：{reason}"
    line_no = int(found.group(1))
    lines = text.splitlines()
    shown = lines[line_no - 1].strip()[:80] if 0 < line_no <= len(lines) else ""
    return f"规则文件第 {line_no} 行第 {found.group(2)} 列格式错误：{reason}" + (f"。该行为：{shown}" if shown else "")


def _rule_lines(text: str) -> list[int]:
    """The line of each ``[[rule]]`` header, in order: the n-th rule parsed starts on the n-th of them."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if RULE_HEADER.match(line)]


def parse_rules(text: str) -> list[Rule]:
    """Rules from TOML text; RulesError (Chinese, naming the line) when the text is not a valid rules file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(_toml_error(text, exc)) from exc
    starts = _rule_lines(text)

    def where(n: int) -> str:
        return f"第 {n + 1} 条规则（第 {starts[n]} 行起）" if n < len(starts) else f"第 {n + 1} 条规则"

    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise RulesError("规则文件的版本号 version 应为整数，如 version = 2")
    entries = data.get("rule")
    if not isinstance(entries, list) or not entries:
        raise RulesError("规则文件中没有规则（每条规则以一行 [[rule]] 开始）")
    rules = []
    for n, r in enumerate(entries):
        try:
            rules.append(Rule(id=r["id"], you=r["you"], section=r["section"], title=r["title"], metric=r["metric"], targets=dict(r["target"]),
                              period=r.get("period", "year"), unit=r.get("unit", ""), strictly_above=r.get("strictly_above", False),
                              levels=tuple(r.get("levels", ())), titles=dict(r.get("titles", {}))))
        except KeyError as exc:
            raise RulesError(f"规则文件{where(n)}缺少“{exc.args[0]}”") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise RulesError(f"规则文件{where(n)}格式不正确（target 应写成 {{ station = 3 }} 这样）") from exc
    lines = {r.id: where(n) for n, r in enumerate(rules)}
    strange = [f"{lines[r.id]}“{r.id}”的级别“{level}”" for r in rules for level in r.levels if level not in StationLevel.__members__]
    if strange:
        raise RulesError(f"规则文件中有无效的级别：{'、'.join(strange)}。可用的级别：station、institute、center")
    unknown = [f"{lines[r.id]}“{r.id}”的指标“{r.metric}”" for r in rules if r.metric not in METRICS]
    if unknown:
        raise RulesError(f"规则文件中有本程序不认识的指标：{'、'.join(unknown)}。可用的指标：{'、'.join(METRICS)}")
    bad = [f"{lines[r.id]}“{r.id}”" for r in rules if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in r.targets.values())]
    if bad:
        raise RulesError(f"规则文件中的目标值应为不小于0的整数：{'、'.join(bad)}")
    readers = (*StationLevel.__members__, "village", "community")
    odd = [f"{lines[r.id]}“{r.id}”的标题“{key}”" for r in rules for key, title in r.titles.items()
           if key not in readers or not isinstance(title, str) or not title.strip()]
    if odd:
        raise RulesError(f"规则文件中 titles 写法不正确：{'、'.join(odd)}。应写成 titles = {{ institute = \"志愿服务队5支以上\" }}，"
                         "可用的名称：station、institute、center、village、community")
    return rules


def rules_version(text: str) -> int:
    """The ``version = N`` a rules file declares (0 when it declares none); RulesError if the file does not parse."""
    parse_rules(text)
    return tomllib.loads(text).get("version", 0)


def version_in_force(data_dir: Path | None = None) -> int:
    """The version of the rules a station uses now: the district's published file if valid, else the built-in one."""
    if data_dir is not None and (Path(data_dir) / OVERRIDE_NAME).exists():
        try:
            return rules_version((Path(data_dir) / OVERRIDE_NAME).read_text(encoding="utf-8"))
        except (OSError, RulesError):
            pass
    return rules_version(Path(RULES_FILE).read_text(encoding="utf-8"))


def load_rules(path: Path | None = None, *, data_dir: Path | None = None) -> list[Rule]:
    """The district's published rules when sync has brought them (and they are valid), else the built-in ones."""
    if path is None and data_dir is not None and (Path(data_dir) / OVERRIDE_NAME).exists():
        try:
            return parse_rules((Path(data_dir) / OVERRIDE_NAME).read_text(encoding="utf-8"))
        except (OSError, RulesError):
            pass  # a damaged download never stops the self-check: fall back to the built-in rules
    return parse_rules(Path(path or RULES_FILE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | half | year | ytd
    start: date
    end: date
    today: date

    @classmethod
    def of(cls, *, year: int, month: int | None = None, quarter: int | None = None, half: int | None = None,
           today: date | None = None) -> "Period":
        today = today or date.today()
        if month is not None:
            return cls("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), today)
        if half is not None:  # 六.4 半年观摩: January–June or July–December
            return cls("half", date(year, 1 if half == 1 else 7, 1), date(year, 6, 30) if half == 1 else date(year, 12, 31), today)
        if quarter is not None:
            first = 3 * (quarter - 1) + 1
            return cls("quarter", date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1]), today)
        return cls("year", date(year, 1, 1), date(year, 12, 31), today)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "half":
            return f"{self.start.year}年{'上' if self.start.month == 1 else '下'}半年"
        return f"{self.start.year}年"

    @property
    def as_of(self) -> date:
        return min(self.today, self.end)

    @property
    def over(self) -> bool:
        return self.today > self.end

    @property
    def year_start(self) -> date:
        return date(self.end.year, 1, 1)

    @property
    def year_fraction(self) -> float:
        """How much of the calendar year has passed by ``as_of`` (annual quotas are paced on it)."""
        year_end = date(self.end.year, 12, 31)
        if self.as_of >= year_end:
            return 1.0
        days = (year_end - self.year_start).days + 1
        return max(0.0, ((self.as_of - self.year_start).days + 1) / days)

    def months(self) -> list[tuple[int, int]]:
        out, y, m = [], self.start.year, self.start.month
        while date(y, m, 1) <= self.as_of:
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


@dataclass
class Verdict:
    rule_id: str
    section: str
    you: str
    title: str
    status: str
    figure: float | int | None
    target: int | None
    unit: str = ""
    gap: str = ""
    details: list[str] = field(default_factory=list)
    above: bool = False  # the rule asks for more than the target (超过60%), not the target itself

    @property
    def progress(self) -> str:
        """The figure against what is asked: 45/60, or 60%/超过60% (a trial read “60%/60%” marked 有风险 as a contradiction)."""
        if self.figure is None or self.target is None:
            return "—"
        figure = f"{self.figure:g}" if isinstance(self.figure, float) else str(self.figure)
        return f"{figure}{self.unit}/{'超过' if self.above else ''}{self.target}{self.unit}"

    def as_json(self) -> dict:
        return {"id": self.rule_id, "section": self.section, "you": self.you, "title": self.title, "status": self.status,
                "figure": self.figure, "target": self.target, "unit": self.unit, "gap": self.gap, "details": self.details,
                "above": self.above}


def _some(names: list[str], shown: int = 3) -> str:
    """Team names for a one-line gap: all of up to ``shown``, else the first ones and how many in all."""
    if len(names) <= shown:
        return "、".join(names)
    return f"{'、'.join(names[:shown])}等 {len(names)} 支队伍"


class Evaluator:
    """One station, one period; ``tables`` maps table names to the Core tables to read."""

    def __init__(self, conn: Connection, tables: dict[str, Table], station_id: str, period: Period):
        self.conn, self.t, self.station_id, self.period = conn, tables, station_id, period
        station = tables["station"]
        self.station = conn.execute(select(station).where(station.c.id == station_id)).one()
        self.level, self.kind = self.station.level, self.station.kind
        self._hours: dict[str, float] | None = None  # _volunteer_hours, once read
        self.tier = station_level(self.level)  # the words of its gaps: 本所, “实践所信息”

    # -- shared queries -------------------------------------------------------------
    def _live(self, name: str):
        table = self.t[name]
        return table, and_(table.c.station_id == self.station_id, table.c.deleted == False)

    def _done(self, start: date, end: date):
        activity, live = self._live("activity")
        return activity, and_(live, activity.c.status == "done", activity.c.date >= start, activity.c.date <= end)

    def _count(self, name: str, *extra) -> int:
        table, live = self._live(name)
        return self.conn.execute(select(func.count()).select_from(table).where(live, *extra)).scalar_one()

    def _teams(self) -> list:
        team, live = self._live("team")
        return list(self.conn.execute(select(team.c.id, team.c.name, team.c.category, team.c.founded_on).where(live)
                                      .order_by(team.c.name)))

    def _volunteer_hours(self) -> dict[str, float]:
        """Hours this year to date per volunteer who served, read once per evaluation (three rules ask).

        Every caller looks up live volunteers only (one in the 回收站 counts nowhere: not as registered,
        so not as active either — or three binned volunteers over one live one read "300 %"), so the
        volunteer table is not joined: the sum is read from the participations' covering index alone
        (0.24 s → 0.11 s a call on the 5-year bench store)."""
        if self._hours is None:
            activity, done = self._done(self.period.year_start, self.period.as_of)
            part = self.t["participation"]
            rows = self.conn.execute(
                select(part.c.volunteer_id, func.sum(part.c.hours)).join(activity, activity.c.id == part.c.activity_id)
                .where(done, part.c.deleted == False).group_by(part.c.volunteer_id)
            ).all()
            self._hours = {vid: float(h or 0) for vid, h in rows}
        return self._hours

    # -- verdict helpers -----------------------------------------------------------------
    def _stock(self, rule: Rule, target: int, figure, gap: str) -> Verdict:
        met = figure > target if rule.strictly_above else figure >= target
        return Verdict(rule.id, rule.section, rule.you, rule.title, MET if met else MISSED, figure, target, rule.unit, "" if met else gap)

    def _paced(self, rule: Rule, target: int, figure: int, noun: str) -> Verdict:
        """An annual count: met, or on track / at risk by the part of the year still to come, or missed once the year
        is over. A month (or half) judges it as of its own end: November's 月度评估 does not fail a unit on a year
        that still has December (a new user's trial, #30: "全年只有 2 次" in November, 进度正常 for the year)."""
        if figure >= target:
            return Verdict(rule.id, rule.section, rule.you, rule.title, MET, figure, target, rule.unit)
        short = target - figure
        if self.period.year_fraction >= 1.0:
            return Verdict(rule.id, rule.section, rule.you, rule.title, MISSED, figure, target, rule.unit, f"{noun}全年只有 {figure} 次，差 {short} 次")
        expected = int(target * self.period.year_fraction)
        status = ON_TRACK if figure >= expected else AT_RISK
        days_left = (date(self.period.end.year, 12, 31) - self.period.as_of).days
        gap = f"{noun}还差 {short} 次，距年底还有 {days_left} 天"
        return Verdict(rule.id, rule.section, rule.you, rule.title, status, figure, target, rule.unit, gap)

    # -- the metrics -------------------------------------------------------------------
    def function_rooms(self, rule: Rule, target: int) -> Verdict:
        return self._stock(rule, target, self._count("function_room"), f"请在“{self.tier.info_page}”中补充功能室（理论宣讲、教育服务、文化活动等）")

    def active_service_points(self, rule: Rule, target: int) -> Verdict:
        point = self.t["service_point"]
        return self._stock(rule, target, self._count("service_point", point.c.active == True), f"请在“{self.tier.info_page}”中登记正常运行的志愿服务站")

    def _fields_set(self, rule: Rule, target: int, fields: tuple[tuple[str, str], ...]) -> Verdict:
        """Met when every named field of the unit is filled in; the gap names only those still empty (a new station
        whose wizard took the phone was asked for the phone again)."""
        empty = [label for name, label in fields if not getattr(self.station, name)]
        return self._stock(rule, target, int(not empty), f"请在“{self.tier.info_page}”中填写{'和'.join(empty)}")

    def contact_set(self, rule: Rule, target: int) -> Verdict:
        return self._fields_set(rule, target, (("phone", "志愿服务电话"), ("contact", "二维码内容")))

    def opening_and_day_set(self, rule: Rule, target: int) -> Verdict:
        return self._fields_set(rule, target, (("opening_hours", "开放时间"), ("activity_day", "固定活动日")))

    def teams(self, rule: Rule, target: int) -> Verdict:
        teams = self._teams()
        if self.level != "center":
            return self._stock(rule, target, len(teams), f"还需建立 {max(0, target - len(teams))} 支志愿服务队")
        # 三.2: the center's 17 teams are the 17 named categories, each counted once.
        have = {t.category for t in teams} & set(TEAM_CATEGORIES)
        verdict = self._stock(rule, target, len(have), f"还需建立 {max(0, target - len(have))} 类志愿服务队")
        missing = [c for c in TEAM_CATEGORIES if c not in have]
        if missing and verdict.status != MET:
            verdict.gap = f"还没有这些类别的服务队：{'、'.join(missing)}"
            verdict.details = [f"尚未建立{c}志愿服务队" for c in missing]
        return verdict

    def team_months(self, rule: Rule, target: int) -> Verdict:
        teams = self._teams()
        months = self.period.months()
        if not teams or not months:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, gap="还没有服务队")
        activity, done = self._done(self.period.start, self.period.as_of)
        month = func.extract("month", activity.c.date)
        year = func.extract("year", activity.c.date)
        counts = {(tid, int(y), int(m)): n for tid, y, m, n in self.conn.execute(
            select(activity.c.team_id, year, month, func.count()).where(done).group_by(activity.c.team_id, year, month))}
        current = (self.period.today.year, self.period.today.month)
        days_left = calendar.monthrange(*current)[1] - self.period.today.day
        missed, waiting, good, total = [], [], 0, 0
        missed_teams: dict[str, list[int]] = {}  # team → the months it missed, for the one-line gap
        waiting_teams: list[str] = []
        for t in teams:
            for y, m in months:
                if t.founded_on is not None and (y, m) < (t.founded_on.year, t.founded_on.month):
                    continue  # before the team was founded: not a month it could have missed (a new ledger's trial)
                total += 1
                n = counts.get((t.id, y, m), 0)
                if n >= target:
                    good += 1
                elif (y, m) == current:
                    waiting.append(f"{t.name} 本月尚无活动，距月底还有 {days_left} 天")
                    waiting_teams.append(t.name)
                else:
                    missed.append(f"{t.name} {y}年{m}月没有活动")
                    missed_teams.setdefault(t.name, []).append(m)
        if not total:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, gap="服务队在此期间之后才成立")
        status = MISSED if missed else AT_RISK if waiting else MET
        # The gap names every team short of the quota, not the first one (#30: "党员理论宣讲队 本月尚无活动" was shown
        # when all five teams had none); the details keep one line per team and month.
        parts = []
        if missed_teams:
            if len(months) == 1:
                y, m = months[0]
                parts.append(f"{_some(list(missed_teams))} {y}年{m}月没有活动")
            else:
                parts.append("没有活动：" + "、".join(f"{name}（{len(ms)}个月）" for name, ms in missed_teams.items()))
        if waiting_teams:
            parts.append(f"{_some(waiting_teams)} 本月尚无活动，距月底还有 {days_left} 天")
        return Verdict(rule.id, rule.section, rule.you, rule.title, status, good, total, gap="；".join(parts),
                       details=missed + waiting)

    def team_year_minimum(self, rule: Rule, target: int) -> Verdict:
        teams = self._teams()
        if not teams:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, gap="还没有服务队")
        activity, done = self._done(self.period.year_start, self.period.as_of)
        counts: dict[str, int] = {team_id: n for team_id, n in self.conn.execute(
            select(activity.c.team_id, func.count()).where(done).group_by(activity.c.team_id))}
        year = self.period.year_start.year
        per_team = []  # (name, done, its target): a team founded in the year is asked for its months' share (as team_months)
        for t in teams:
            founded = t.founded_on if t.founded_on is not None and t.founded_on.year == year else None
            if t.founded_on is not None and t.founded_on.year > year:
                continue  # founded after the year: nothing to ask of it
            share = target if founded is None else -(-target * (13 - founded.month) // 12)
            # founded in the year: says why it is asked for its months' share, not the rule's whole target
            name = t.name if founded is None else f"{t.name}（{founded.month}月成立，本年应开展 {share} 次）"
            per_team.append((name, counts.get(t.id, 0), share))
        if not per_team:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, gap="服务队在此期间之后才成立")
        weakest_name, weakest, its_target = min(per_team, key=lambda x: (x[1] - x[2], x[1]))
        verdict = self._paced(rule, its_target, weakest, f"{weakest_name}")
        verdict.details = [f"{name} 本年 {n} 次，还差 {share - n} 次" for name, n, share in per_team if n < share]
        if len(verdict.details) > 1:  # the figure is the weakest team's: the row says it is one of several
            verdict.gap = f"{len(verdict.details)} 支队伍未达到，其中{verdict.gap}"
        return verdict

    def own_name_activities(self, rule: Rule, target: int) -> Verdict:
        activity, done = self._done(self.period.year_start, self.period.as_of)
        figure = self.conn.execute(select(func.count()).select_from(activity).where(
            done, activity.c.own_name == True)).scalar_one()
        return self._paced(rule, target, figure, f"以{self.tier.own}名义开展的活动")

    def own_name_lectures(self, rule: Rule, target: int) -> Verdict:
        activity, done = self._done(self.period.year_start, self.period.as_of)
        figure = self.conn.execute(select(func.count()).select_from(activity).where(
            done, activity.c.own_name == True, activity.c.category == LECTURE)).scalar_one()
        return self._paced(rule, target, figure, "理论政策宣讲活动")

    def _percent_verdict(self, rule: Rule, target: int, part: int, whole: int, gap: str) -> Verdict:
        figure = round(part * 100 / whole, 1)
        # Compared in integers: 15 % of 1,000 people is met by exactly 150 volunteers.
        met = part * 100 > target * whole if rule.strictly_above else part * 100 >= target * whole
        status = MET if met else (MISSED if self.period.over else AT_RISK)
        return Verdict(rule.id, rule.section, rule.you, rule.title, status, figure, target, rule.unit, "" if met else gap)

    def _registered(self) -> list[str]:
        """Live volunteers registered by the end of the period: the one "registered" of every rule."""
        volunteer, live = self._live("volunteer")
        return list(self.conn.execute(select(volunteer.c.id).where(live, volunteer.c.registered_on <= self.period.as_of)).scalars())

    def registered_percent(self, rule: Rule, target: int) -> Verdict:
        population = self.station.population
        if not population:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, rule.unit, "未填写常住人口")
        registered = len(self._registered())
        need = -(-target * population // 100) - registered
        return self._percent_verdict(rule, target, registered, population, f"还需发展约 {max(need, 1)} 名注册志愿者")

    def active_percent(self, rule: Rule, target: int) -> Verdict:
        registered = self._registered()
        if not registered:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, rule.unit, "还没有注册志愿者")
        hours = self._volunteer_hours()
        active = sum(1 for vid in registered if hours.get(vid, 0) > 0)
        return self._percent_verdict(rule, target, active, len(registered), "请组织尚无服务记录的志愿者参加活动")

    def _party(self) -> list[str]:
        volunteer, live = self._live("volunteer")
        return list(self.conn.execute(select(volunteer.c.id).where(live, volunteer.c.political_status.in_(PARTY_STATUSES))).scalars())

    def party_participation_percent(self, rule: Rule, target: int) -> Verdict:
        party = self._party()
        if not party:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, rule.unit, "未登记党员志愿者")
        hours = self._volunteer_hours()
        taking_part = sum(1 for vid in party if hours.get(vid, 0) > 0)
        return self._percent_verdict(rule, target, taking_part, len(party), f"还有 {len(party) - taking_part} 名党员本年尚未参加志愿服务")

    def party_members_with_20_hours_percent(self, rule: Rule, target: int) -> Verdict:
        party = self._party()
        if not party:
            return Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, target, rule.unit, "未登记党员志愿者")
        hours = self._volunteer_hours()
        enough = sum(1 for vid in party if hours.get(vid, 0) >= 20)
        return self._percent_verdict(rule, target, enough, len(party), f"{len(party) - enough} 名党员本年服务时间不足20小时")

    def brand_projects(self, rule: Rule, target: int) -> Verdict:
        project = self.t["project"]
        figure = self._count("project", project.c.brand == True, project.c.status != "planned")
        return self._stock(rule, target, figure, f"还需培育 {max(0, target - figure)} 个品牌项目（在“项目库”页标记品牌项目）")

    def family_activities(self, rule: Rule, target: int) -> Verdict:
        activity, done = self._done(self.period.year_start, self.period.as_of)
        figure = self.conn.execute(select(func.count()).select_from(activity).where(
            done, activity.c.family == True)).scalar_one()
        return self._paced(rule, target, figure, "文明家庭志愿服务活动")

    def centralized_trainings(self, rule: Rule, target: int) -> Verdict:
        training = self.t["training"]
        figure = self._count("training", training.c.centralized == True, training.c.date >= self.period.year_start,
                             training.c.date <= self.period.as_of)
        return self._paced(rule, target, figure, "集中专业培训")

    def document_kinds(self, rule: Rule, target: int) -> Verdict:
        document, live = self._live("document")
        kinds = set(self.conn.execute(select(document.c.kind).where(live)).scalars())
        needed = ("组织架构", "管理制度", "项目计划")
        missing = [k for k in needed if k not in kinds]
        return self._stock(rule, target, len(needed) - len(missing), "缺少：" + "、".join(missing) + "（在“制度与计划”页登记）")

    def annual_plan(self, rule: Rule, target: int) -> Verdict:
        plan = self.t["activity_plan"]
        figure = min(1, self._count("activity_plan", plan.c.year == self.period.end.year, plan.c.month == None))
        return self._stock(rule, target, figure, f"请制定{self.period.end.year}年度活动计划")

    def monthly_plans(self, rule: Rule, target: int) -> Verdict:
        plan, live = self._live("activity_plan")
        have = {(y, m) for y, m in self.conn.execute(select(plan.c.year, plan.c.month).where(live, plan.c.month != None))}
        months = self.period.months()
        current = (self.period.today.year, self.period.today.month)
        missing = [(y, m) for y, m in months if (y, m) not in have]
        past = [f"{y}年{m}月" for y, m in missing if (y, m) != current]
        status = MISSED if past else AT_RISK if missing else MET
        details = [f"{label}没有月度活动计划" for label in past] + (["本月尚未制定月度活动计划"] if current in missing else [])
        return Verdict(rule.id, rule.section, rule.you, rule.title, status, len(months) - len(missing), len(months),
                       gap=details[0] if details else "", details=details)

    def managers(self, rule: Rule, target: int) -> Verdict:
        """三.1: a station's 专管员, a 所's two or more, the center's five or more full-time staff: the names in
        the profile's 专管员 field (a synced row, so the district counts the same)."""
        names = {n for n in MANAGER_SEPARATORS.split(self.station.manager or "") if n}
        who = "专职工作人员" if self.level == "center" else "专管员"
        return self._stock(rule, target, len(names),
                           f"请在“{self.tier.info_page}”中填写{who}姓名（不少于 {target} 名，多名用“、”分隔）")

    def run(self, rules: list[Rule]) -> list[Verdict]:
        verdicts = []
        for rule in rules:
            target = rule.target_for(self.level, self.kind)
            if target is None:
                verdicts.append(Verdict(rule.id, rule.section, rule.you, rule.title, NOT_APPLICABLE, None, None, rule.unit,
                                        "本级别不考核此项"))
                continue
            verdict = getattr(self, rule.metric)(rule, target)
            verdicts.append(dataclasses.replace(verdict, title=rule.title_for(self.level, self.kind), above=rule.strictly_above))
        return verdicts


def evaluate(conn: Connection, tables: dict[str, Table], station_id: str, period: Period, rules: list[Rule] | None = None) -> list[Verdict]:
    return Evaluator(conn, tables, station_id, period).run(rules if rules is not None else load_rules())


def station_tables() -> dict[str, Table]:
    from sqlmodel import SQLModel

    from .. import models  # noqa: F401  (registers the tables)

    return dict(SQLModel.metadata.tables)


def selfcheck(ctx, period: Period, rules: list[Rule] | None = None) -> list[Verdict]:
    """The station's own verdicts, from its local store, under the district's latest rules."""
    rules = rules if rules is not None else load_rules(data_dir=ctx.store.paths.root)
    with ctx.store.engine.connect() as conn:
        return evaluate(conn, station_tables(), ctx.station_id, period, rules)
