"""Registering a whole district's stations at once: a sheet (街道, 站名, 村/社区, 常住人口, and optionally 级别:
实践站/实践所/实践中心, 实践站 when empty) in, every new station's one-time enrollment code out on a PDF sheet of
slips to cut and hand out.

All or nothing: a sheet with one bad row (named by its Excel row) adds no station. The codes exist only on
that PDF (the district keeps their hashes), exactly as ``station district add-station`` prints one once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from app.exchange.excel import _norm_header, cell_text, read_sheet
from app.models.enums import StationLevel, station_level
from app.models.limits import RANGES
from app.services.errors import ValidationError

from .admin import add_station_in
from .db import account

COLUMNS = {  # field -> headers accepted (normalised)
    "street": ("街道", "所属街道", "街道（功能区）", "镇街"),
    "name": ("站名", "实践站", "实践站名称", "名称", "站点名称"),
    "kind": ("村/社区", "村社区", "类型", "村或社区"),
    "population": ("常住人口", "人口", "常住人口（人）"),
    "level": ("级别", "层级", "站所级别"),
}
KINDS = {"村": "village", "社区": "community", "village": "village", "community": "community"}
LEVELS = {**{word: level.value for level in StationLevel for word in (level.value, level.unit, level.full_name, level.long_name)},
          "站": "station", "所": "institute", "中心": "center"}


@dataclass
class NewStation:
    row: int
    street: str
    name: str
    kind: str  # village | community; "" for the center
    population: int | None
    level: str = "station"  # station | institute | center


def read_stations(path: str | Path) -> list[NewStation]:
    """The sheet's rows, every problem named by its row; ValidationError if any."""
    known = {_norm_header(h) for hs in COLUMNS.values() for h in hs}
    sheet = read_sheet(path, known=known)
    where: dict[str, int] = {}
    for field, headers in COLUMNS.items():
        names = {_norm_header(h) for h in headers}
        for index, header in enumerate(sheet.headers):
            if header in names and field not in where:
                where[field] = index
    missing = [COLUMNS[f][0] for f in ("street", "name", "kind") if f not in where]
    if missing:
        raise ValidationError({"file": f"{Path(path).name} 缺少列：{'、'.join(missing)}（第{sheet.header_row}行是表头）"})
    out: list = []
    errors: list = []
    seen: dict[str, int] = {}
    institutes: dict[str, int] = {}
    low, high = RANGES[("station", "population")]
    for number, cells in sheet.rows:
        def get(field: str, cells=cells):  # (bound now: called only within this row's iteration)
            index = where.get(field)
            return cells[index] if index is not None and index < len(cells) else None

        name, street, kind_text = cell_text(get("name")), cell_text(get("street")), cell_text(get("kind"))
        problems = []
        if not name:
            problems.append("站名为空")
        elif len(name) > 100:
            problems.append("站名超过100字")
        elif name in seen:
            problems.append(f"站名“{name}”与第{seen[name]}行重复")
        else:
            seen[name] = number
        if len(street) > 100:
            problems.append("街道名称超过100字")
        level_text = cell_text(get("level"))
        level = LEVELS.get(level_text) if level_text else StationLevel.station.value
        if level is None:
            problems.append(f"级别应填“实践站”“实践所”或“实践中心”，现在是“{level_text}”")
        elif level == StationLevel.institute.value:
            if not street:
                problems.append("实践所须填写所属街道（功能区）")
            elif street in institutes:
                problems.append(f"{street}已有第{institutes[street]}行的实践所（每个街道一个实践所）")  # 二.2
            else:
                institutes[street] = number
        kind = KINDS.get(kind_text)
        if level == StationLevel.center.value:
            street, kind = "", ""  # the district's center belongs to no 街道 and is neither 村 nor 社区
        elif kind is None:
            problems.append(f"村/社区应填“村”或“社区”，现在是“{kind_text}”" if kind_text else "村/社区为空（填“村”或“社区”）")
        population = None
        raw = cell_text(get("population")).replace(",", "").replace("人", "")
        if raw:
            try:
                population = int(float(raw))
                if not low <= population <= high:
                    problems.append(f"常住人口应在 {low} 到 {high:,} 之间")
            except ValueError:
                problems.append(f"常住人口“{cell_text(get('population'))}”不是数字")
        if problems:
            errors.append(f"第{number}行：{'；'.join(problems)}")
        out.append(NewStation(number, street, name, kind or "", population, level or StationLevel.station.value))
    if not out and not errors:
        raise ValidationError({"file": f"{Path(path).name} 中没有实践站"})
    if errors:
        raise ValidationError({"rows": "\n".join(errors[:50]) + (f"\n……另有 {len(errors) - 50} 行有问题" if len(errors) > 50 else "")})
    return out


def tier_counts(issued) -> str:
    """“实践站 2 个，实践所 1 个”: what a sheet added, per tier, in the tiers' order."""
    counts = {level: sum(1 for s, _code in issued if s.level == level.value) for level in StationLevel}
    return "，".join(f"{level.unit} {n} 个" for level, n in counts.items() if n)


def add_stations(engine: Engine, stations: list[NewStation]) -> list[tuple[NewStation, str]]:
    """Every station added in one transaction with its one-time code; none if any name is taken already."""
    with engine.begin() as conn:
        taken = {n for (n,) in conn.execute(select(account.c.name).where(func.lower(account.c.name).in_([s.name.lower() for s in stations])))}
        clash = [f"第{s.row}行：“{s.name}”已有账号" for s in stations if s.name in taken]
        if clash:
            raise ValidationError({"rows": "\n".join(clash[:50]) + "\n（已有的站要重新登记，请用 station district reenable 站名）"})
        issued = []
        for s in stations:
            try:
                issued.append((s, add_station_in(conn, s.name, s.street, kind=s.kind, population=s.population, level=s.level)))
            except ValidationError as exc:  # the whole sheet is refused (the transaction rolls back), naming the row
                raise ValidationError({"rows": f"第{s.row}行：" + "；".join(exc.errors.values())}) from None
        return issued


def code_slips_pdf(out: str | Path, issued: list[tuple[NewStation, str]], *, server_url: str = "", district: str = "") -> Path:
    """One slip per station, eight to an A4 page, with cut lines: the station, its code, what to do with it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from app.files import atomic_output
    from app.reports.common import FONT, register_fonts

    register_fonts()
    width, height = A4
    cols, rows = 2, 4
    slip_w, slip_h = (width - 20 * mm) / cols, (height - 20 * mm) / rows
    out = Path(out)
    with atomic_output(out) as partial:
        c = canvas.Canvas(str(partial), pagesize=A4)
        c.setTitle("实践站登记码")
        c.setAuthor(district or "区新时代文明实践中心")
        c.setCreator("实践站台账")
        for n, (station, code) in enumerate(issued):
            slot = n % (cols * rows)
            if n and slot == 0:
                c.showPage()
            x = 10 * mm + (slot % cols) * slip_w
            y = height - 10 * mm - (slot // cols + 1) * slip_h
            c.setDash(3, 3)
            c.setStrokeGray(0.6)
            c.rect(x, y, slip_w, slip_h)
            c.setDash()
            c.setFillGray(0)
            c.setFont(FONT, 10)
            tier = station_level(station.level)
            where = ("村" if station.kind == "village" else "社区") if tier.has_kind else ""
            c.drawString(x + 6 * mm, y + slip_h - 9 * mm, "　".join(w for w in (station.street, where, tier.unit) if w))
            c.setFont(FONT, 13)
            c.drawString(x + 6 * mm, y + slip_h - 16 * mm, station.name[:24])
            c.setFont(FONT, 9)
            c.drawString(x + 6 * mm, y + slip_h - 24 * mm, f"{tier.ledger} · 区级同步一次性登记码")
            c.setFont(FONT, 24)  # embedded like everything else (a viewer without Courier still shows the code)
            c.drawString(x + 6 * mm, y + slip_h - 35 * mm, " ".join((code[:4], code[4:])))
            c.setFont(FONT, 8.5)
            lines = ["在程序“同步”页填写服务器地址和此登记码，", "点“登记”（只需一次）。",
                     "没有网络时：导出同步包时填写此登记码，随包登记。", "登记码只能用一次，请妥善保管，勿外传。"]
            if server_url:
                lines.insert(0, f"服务器地址：{server_url}")
            for i, line in enumerate(lines):
                c.drawString(x + 6 * mm, y + slip_h - 43 * mm - i * 4.5 * mm, line)
        c.save()
    return out
