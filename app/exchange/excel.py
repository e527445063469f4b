"""Excel import and export (openpyxl).

Real rosters are messy: a title row above the header, merged cells, blank rows,
a totals row at the bottom, full-width digits. ``read_sheet`` finds the header
row by the names it recognises, fills merged cells down, and skips blank and
totals rows, keeping each row's number as Excel shows it. ``plan_*`` validates
every row with the same services the forms use, without writing; ``import_*``
writes the whole sheet in one transaction — all or nothing, or only the valid
rows — and a cancelled import writes nothing.
"""

from __future__ import annotations

import re

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from sqlmodel import select

from ..files import atomic_output
from .sheets import append_row
from ..models import Activity
from ..privacy import mask_id_number, mask_phone, revealed
from ..services import activities as activity_service
from ..services import teams as team_service
from ..services import volunteers as volunteer_service
from ..services.activities import ParticipantInput
from ..services.common import clean, format_date, normal, parse_date
from ..services.context import Context
from ..services.errors import FieldErrors, ServiceError, ValidationError

HEADER_SCAN_ROWS = 15
TOTAL_WORDS = ("合计", "总计", "小计", "共计")

VOLUNTEER_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "志愿者姓名", "名字"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号", "身份证"),
    "phone": ("手机号码", "手机号", "手机", "移动电话", "联系电话", "电话", "联系方式"),
    "gender": ("性别",),
    "political_status": ("政治面貌",),
    "team": ("所属队伍", "所属服务队", "服务队", "队伍", "所在队伍"),
    "skills": ("技能", "特长", "技能特长", "专长"),
    "tags": ("标签", "身份", "人员类别"),
    "registered_on": ("注册日期", "登记日期", "加入日期", "注册时间"),
    "address": ("住址", "家庭住址", "地址", "居住地址"),
    "note": ("备注",),
}
ACTIVITY_FIELDS: dict[str, tuple[str, ...]] = {
    "date": ("日期", "活动日期", "开展日期", "时间"),
    "title": ("活动名称", "活动主题", "名称", "主题"),
    "category": ("类别", "活动类别", "活动类型"),
    "team": ("服务队", "所属服务队", "队伍", "开展队伍"),
    "place": ("地点", "活动地点"),
    "start_time": ("开始时间",),
    "end_time": ("结束时间",),
    "served_count": ("服务对象人数", "服务人数", "受益人数", "参与群众"),
    "content": ("活动内容", "内容", "活动简介"),
    "participants": ("参与志愿者", "志愿者", "参加人员", "参与人员"),
    "hours": ("服务时长", "时长", "每人时长"),
}
FIELD_LABELS = {
    "name": "姓名", "id_number": "身份证号", "phone": "联系电话", "gender": "性别", "political_status": "政治面貌",
    "team": "所属队伍", "skills": "技能特长", "tags": "标签", "registered_on": "注册日期", "address": "住址", "note": "备注",
    "date": "活动日期", "title": "活动名称", "category": "类别", "place": "地点", "start_time": "开始时间",
    "end_time": "结束时间", "served_count": "服务对象人数", "content": "活动内容", "participants": "参与志愿者", "hours": "服务时长",
}
REQUIRED = {"volunteers": ("name", "id_number"), "activities": ("date", "title", "category")}


IMPORT_SLICE = 200  # rows written per transaction: a save made meanwhile waits for one slice (#25)


class RowRefused(ValidationError):
    """A row refused only when written (two rows of the sheet together over 24 hours a day): the whole slices
    before it stay saved, and ``written`` says how many rows they held (the import dialog tells the clerk)."""

    def __init__(self, errors: dict[str, str], written: int) -> None:
        super().__init__(errors)
        self.written = written


def _kept(written: int) -> str:
    """What stays of an import stopped part way, and how to finish it."""
    return (f"此前的 {written} 行已导入并保存。改正后可再次导入同一文件：已导入的行会被识别为重复，"
            "选“只导入无误的”即可导入其余各行。")


class ImportCancelled(ServiceError):
    def __init__(self, written: int = 0) -> None:
        self.written = written  # rows already saved, in whole slices
        super().__init__("已取消导入，没有写入任何数据" if not written else f"已取消导入，其余各行没有导入。{_kept(written)}")


@dataclass
class Sheet:
    path: Path
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list]]  # (row number as Excel shows it, cell values)
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # (row number, column) of formulas with no saved result


@dataclass
class RowPlan:
    row: int
    values: dict
    errors: list[str] = field(default_factory=list)
    # What the import will do besides the row itself, for the person to see first (e.g. 将新建服务队“…”).
    warnings: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)  # named in the row, not set up yet: created by the import
    # Updating a volunteer already registered (matched by ID number): who, and what changes (field: (old, new),
    # masked as the preview shows them). An update that changes nothing is skipped.
    target_id: str | None = None
    target_label: str = ""
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.target_id is None:
            return "新增"
        return "更新" if self.changes else "无变化"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    imported: int
    skipped: list[RowPlan]
    updated: int = 0


def _norm_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).replace("*", "").replace("：", "").replace(":", "")


SUPPORTED = "支持 .xlsx、.xls（WPS 和全国志愿服务信息系统导出的格式）和 .csv"


def _file_kind(path: Path) -> str:
    """By content, not name: an .xls renamed .xlsx (or the reverse) still opens."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    return ""


_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _grid_xlsx(path: Path) -> tuple[list[list], set[tuple[int, int]]]:
    """The first sheet's values in one read-only pass (#14: a 10,000-row roster is checked in about twice
    the time openpyxl takes to read it); merged ranges and formulas are looked up in the sheet's XML,
    and the formulas read again only when the sheet has any."""
    from openpyxl.utils.cell import coordinate_to_tuple

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book.worksheets[0]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        with book._archive.open(ws._worksheet_path) as raw:
            xml = raw.read()
    finally:
        book.close()
    width = max((len(r) for r in grid), default=0)
    for row in grid:  # read-only rows stop at their last cell: make them as wide as the sheet
        row.extend([None] * (width - len(row)))
    for first, last in _MERGED.findall(xml):  # fill every cell of a merged range with its top-left value
        (r0, c0), (r1, c1) = coordinate_to_tuple(first.decode()), coordinate_to_tuple(last.decode())
        top = grid[r0 - 1][c0 - 1] if r0 - 1 < len(grid) and c0 - 1 < len(grid[r0 - 1]) else None
        for r in range(r0 - 1, min(r1, len(grid))):
            for c in range(c0 - 1, min(c1, len(grid[r]))):
                grid[r][c] = top
    # Formulas whose result was never saved (a file written by a program, not opened in Excel or WPS):
    # data_only gives None for them, which must not read as "empty".
    uncalculated: set[tuple[int, int]] = set()
    if _FORMULA.search(xml):
        formulas = load_workbook(path, read_only=True, data_only=False)
        try:
            for r, row in enumerate(formulas.worksheets[0].iter_rows(values_only=True)):
                for c, value in enumerate(row):
                    if isinstance(value, str) and value.startswith("=") and r < len(grid) and c < len(grid[r]) and grid[r][c] is None:
                        uncalculated.add((r, c))
        finally:
            formulas.close()
    return grid, uncalculated


def _grid_xls(path: Path) -> list[list]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True)
    ws = book.sheet_by_index(0)

    def value(cell):
        if cell.ctype == xlrd.XL_CELL_DATE:
            moment = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            return moment.date() if moment.time() == time(0) else moment
        if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        return cell.value

    grid = [[value(ws.cell(r, c)) for c in range(ws.ncols)] for r in range(ws.nrows)]
    for r0, r1, c0, c1 in ws.merged_cells:
        for r in range(r0, r1):
            for c in range(c0, c1):
                grid[r][c] = grid[r0][c0]
    return grid


def _grid_csv(path: Path) -> list[list]:
    import csv

    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 (with or without BOM), else what Chinese Excel and WPS save
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ServiceError(f"无法识别 {path.name} 的文字编码")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [[cell if cell.strip() else None for cell in row] for row in csv.reader(text.splitlines(), dialect)]


def read_sheet(path: str | Path, kind: str = "volunteers", *, known: set[str] | None = None) -> Sheet:
    """The first sheet's rows under its header row (found among the first rows by the most known
    headers: ``kind``'s, or ``known`` as normalised header texts)."""
    path = Path(path)
    fields = VOLUNTEER_FIELDS if kind == "volunteers" else ACTIVITY_FIELDS
    known = known if known is not None else {alias for aliases in fields.values() for alias in aliases}
    if not path.is_file():
        raise ServiceError(f"找不到文件 {path}")
    file_kind = _file_kind(path)
    uncalculated: set[tuple[int, int]] = set()
    try:
        if file_kind == "xlsx":
            grid, uncalculated = _grid_xlsx(path)
        elif file_kind == "xls":
            grid = _grid_xls(path)
        elif file_kind == "csv":
            grid = _grid_csv(path)
        else:
            raise ServiceError(f"{path.name} 不是表格文件（{SUPPORTED}）")
    except ServiceError:
        raise
    except Exception as exc:  # openpyxl and xlrd raise many kinds for a damaged file
        raise ServiceError(f"无法读取 {path.name}：文件可能已损坏，或正被其他程序占用（{SUPPORTED}）") from exc
    best, header_index = 0, None
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in row if _norm_header(cell) in known)
        if hits > best:
            best, header_index = hits, i
    if header_index is None or best < 2:
        raise ServiceError(f"{path.name} 的前{HEADER_SCAN_ROWS}行中找不到表头（如 姓名、身份证号、联系电话）")
    headers = [_norm_header(c) for c in grid[header_index]]
    rows = []
    formula_cells: set[tuple[int, int]] = set()
    for i, row in enumerate(grid[header_index + 1 :], start=header_index + 2):
        cells = list(row) + [None] * (len(headers) - len(row))
        texts = [clean(str(c)) if c is not None else "" for c in cells]
        blank_formulas = [c for c in range(len(cells)) if (i - 1, c) in uncalculated]
        if not any(texts) and not blank_formulas:
            continue  # blank row
        if any(t.replace(" ", "").startswith(TOTAL_WORDS) for t in texts[:3]):
            continue  # totals row at the bottom
        formula_cells.update((i, c) for c in blank_formulas)
        rows.append((i, cells))
    return Sheet(path=path, headers=headers, header_row=header_index + 1, rows=rows, uncalculated=formula_cells)


def guess_mapping(sheet: Sheet, kind: str = "volunteers") -> dict[str, int]:
    """Each field takes the column of its most specific name first (aliases are listed in that order),
    wherever it stands: 手机号码 is the phone even when a 联系电话 (a landline) comes before it."""
    fields = VOLUNTEER_FIELDS if kind == "volunteers" else ACTIVITY_FIELDS
    mapping: dict[str, int] = {}
    for name, aliases in fields.items():
        for alias in aliases:
            index = next((i for i, header in enumerate(sheet.headers) if header == alias and i not in mapping.values()), None)
            if index is not None:
                mapping[name] = index
                break
    return mapping


def _cell(cells: list, mapping: dict[str, int], name: str):
    index = mapping.get(name)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone or ID typed as a number
    if isinstance(value, datetime):
        return value.date().isoformat()
    return clean(str(value))


def _missing_required(mapping: dict[str, int], kind: str) -> None:
    missing = [FIELD_LABELS[f] for f in REQUIRED[kind] if f not in mapping]
    if missing:
        raise ValidationError({"mapping": f"请为以下内容指定Excel列：{'、'.join(missing)}"})


def as_excel_shows(number: float) -> int:
    """Excel keeps 15 significant digits: 370117199001011234 typed as a number becomes 370117199001011000."""
    from decimal import Decimal

    return int(Decimal(format(number, ".15g")))


def _cell_problems(sheet: Sheet, row: int, cells: list, mapping: dict[str, int]) -> dict[str, str]:
    """What the file did to a cell before we saw it, said as such (not as a wrong check digit)."""
    problems: dict[str, str] = {}
    for name, index in mapping.items():
        if (row, index) in sheet.uncalculated:
            problems[name] = (f"{FIELD_LABELS.get(name, name)}是公式，但文件里没有保存计算结果（文件可能由其他程序生成）："
                              "请用 Excel 或 WPS 打开后保存一次，再导入")
    raw = _cell(cells, mapping, "id_number")
    if "id_number" not in problems and isinstance(raw, (int, float)) and not isinstance(raw, bool) and abs(raw) >= 1e14:
        problems["id_number"] = (f"身份证号被 Excel 存成了数字，后三位已丢失（现在是 {as_excel_shows(raw)}）：请把这一列设为“文本”格式，"
                                 "重新输入完整号码后再导入")
    elif "id_number" not in problems and isinstance(raw, str) and re.fullmatch(r"\s*\d(\.\d+)?[eE]\+?\d+\s*", raw):
        # a CSV saved by Excel or WPS from a sheet where the column was a number: 3.70117E+17
        problems["id_number"] = (f"身份证号被存成了科学计数法（现在是 {raw.strip()}），完整号码已丢失：请在 Excel 或 WPS 里把这一列设为"
                                 "“文本”格式，重新输入完整号码，另存为 .xlsx 后再导入")
    return problems


def _note_gender(plan: RowPlan, values: dict) -> None:
    """A 性别 column that contradicts the ID number: the ID's gender is stored (it is the record), but the row
    says so — it often means the ID number belongs to someone else (a family member's card)."""
    from ..services.idcard import IdNumberError, parse_resident_id

    typed = normal(values.get("gender", ""))
    if typed not in ("男", "女") or values.get("id_type") not in (None, "", volunteer_service.RESIDENT_ID):
        return
    try:
        by_id = parse_resident_id(values.get("id_number", "")).gender
    except IdNumberError:
        return
    if by_id != typed:
        plan.warnings.append(f"性别一栏填的是“{typed}”，但身份证号显示为{by_id}性：请核对身份证号是否是本人的（将按身份证号记为{by_id}）")


def _row_message(plan: RowPlan) -> str:
    return f"第{plan.row}行：" + "；".join(plan.errors)


# -- teams named in a sheet ----------------------------------------------------

# A roster is how a new station's teams usually arrive: the teams it names that are not set up yet are created
# by the import (the preview says which, before anything is written), in this category until someone edits them.
NEW_TEAM_CATEGORY = "便民服务"


def _note_new_teams(plan: RowPlan, names: list[str]) -> None:
    if names:
        plan.new_teams = names
        plan.warnings.append(f"将新建服务队“{'、'.join(names)}”")


def new_teams(plans: list[RowPlan]) -> list[str]:
    """The teams an import of these plans would create, in the order the sheet names them."""
    return list(dict.fromkeys(name for plan in plans for name in plan.new_teams))


def _create_teams(session, ctx: Context, plans: list[RowPlan]) -> dict[str, str]:
    """Set up the teams the rows name that do not exist yet, in the import's transaction; their names → ids."""
    from ..models import Team

    made = {}
    for name in new_teams(plans):
        team = Team(station_id=ctx.station_id,
                    **team_service._validated(ctx, session, {"name": name, "category": NEW_TEAM_CATEGORY}, current=None))
        session.add(team)
        session.flush()
        made[name] = team.id
    return made


# -- volunteers ----------------------------------------------------------------

def _registered_by_id(known: dict) -> dict[str, str]:
    """Live volunteers' ID numbers → their ids (from ``registered_ids``: no row objects for 20,000 people)."""
    return {number.upper(): vid for (_kind, number), (vid, _name, _number, deleted) in known.items() if not deleted}


def _normal_id(text: str) -> str:
    from ..services.idcard import IdNumberError, parse_resident_id

    try:
        return parse_resident_id(text).number
    except IdNumberError:
        return normal(text).upper()


UPDATABLE = ("name", "phone", "gender", "political_status", "skills", "tags", "registered_on", "address", "note")


def _plan_update(ctx: Context, session, plan: RowPlan, existing, values: dict) -> None:
    """A row for a volunteer already registered: only what the file fills in is applied (an empty cell keeps
    what is there); teams in the file are joined in addition to the current ones."""
    from ..privacy import mask_phone

    given = {k: v for k, v in values.items() if k in UPDATABLE and v not in ("", None)}
    new_teams = [t for t in values.get("team_ids", []) if t]
    current_teams = volunteer_service.current_team_ids(ctx, existing.id)
    check = dict(given, id_number=existing.id_number, id_type=existing.id_type)
    normalised = volunteer_service._validated(ctx, session, check, current=existing, keys=False)
    plan.target_id, plan.target_label = existing.id, f"{existing.name}（{existing.number}）"
    for key in given:
        old, new = getattr(existing, key), normalised[key]
        if (old or "") != (new or ""):
            shown = (lambda x: mask_phone(x or "")) if key == "phone" else (lambda x: format_date(x) if isinstance(x, date) else str(x or ""))
            plan.changes[key] = (shown(old), shown(new))
    if set(new_teams) - set(current_teams) or plan.new_teams:
        names = {s.team.id: s.team.name for s in team_service.list_teams(ctx)}
        plan.changes["team"] = ("、".join(names.get(t, "") for t in current_teams),
                                "、".join([names.get(t, "") for t in dict.fromkeys(current_teams + new_teams)] + plan.new_teams))
    plan.values = dict(given, team_ids=list(dict.fromkeys(current_teams + new_teams)) if "team" in plan.changes else None)


def plan_volunteers(ctx: Context, sheet: Sheet, mapping: dict[str, int], *, update_existing: bool = False) -> list[RowPlan]:
    """Every row checked as the form checks it. ``update_existing``: a row whose ID number is already registered
    updates that volunteer (shown as 更新 with what changes) instead of being refused as a duplicate."""
    _missing_required(mapping, "volunteers")
    teams = {s.team.name: s.team.id for s in team_service.list_teams(ctx)}
    plans: list[RowPlan] = []
    seen_ids: dict[str, int] = {}
    from ..models import Volunteer

    with ctx.read() as session:
        known = volunteer_service.registered_ids(session, ctx.station_id)
        registered = _registered_by_id(known)
        for row, cells in sheet.rows:
            values: dict[str, Any] = {name: cell_text(_cell(cells, mapping, name)) for name in mapping}
            plan = RowPlan(row=row, values=values)
            own = _cell_problems(sheet, row, cells, mapping)
            plan.errors += own.values()
            team_names = [t for t in volunteer_service.split_tags(values.pop("team", "")) if t]
            _note_new_teams(plan, list(dict.fromkeys(t for t in team_names if t not in teams)))
            values["team_ids"] = [teams[t] for t in team_names if t in teams]
            _note_gender(plan, values)
            existing_id = registered.get(_normal_id(values.get("id_number", ""))) if "id_number" not in own else None
            existing = session.get(Volunteer, existing_id) if existing_id is not None else None
            if existing is not None:
                first = seen_ids.setdefault(existing.id_number, row)
                if first != row:
                    plan.errors.append(f"身份证号与本表第{first}行重复")
                elif not update_existing:
                    plan.errors.append(f"身份证号与已登记的志愿者 {existing.name}（编号 {existing.number}）重复；"
                                       "如要用这张表更新已登记的志愿者，请勾选“按身份证号更新已登记的志愿者”")
                else:
                    try:
                        _plan_update(ctx, session, plan, existing, values)
                    except ValidationError as exc:
                        plan.errors += list(exc.errors.values())
                plans.append(plan)
                continue
            try:
                check = {k: v for k, v in values.items() if k != "team_ids"}
                normalised = volunteer_service._validated(ctx, session, check, current=None, known=known, keys=False)
            except ValidationError as exc:
                plan.errors += [message for key, message in exc.errors.items() if key not in own]
            else:
                first = seen_ids.setdefault(normalised["id_number"], row)
                if first != row:
                    plan.errors.append(f"身份证号与本表第{first}行重复")
            plans.append(plan)
    return plans


def _import(ctx: Context, plans: list[RowPlan], add, *, only_valid: bool,
            progress: Callable[[int, int], None] | None, cancelled: Callable[[], bool]) -> ImportResult:
    """Write the planned rows: all of them, or only the valid ones — every row was checked before (the
    preview), so a bad row stops the import before anything is written.

    The rows go in slices of ``IMPORT_SLICE``, each its own transaction with the store's gate offered
    between them, so a save (or a phone's sign-in) made meanwhile waits for one slice, not the whole
    sheet. 取消, or a row refused only when written (two rows of the sheet together over 24 hours a day),
    rolls back the slice in hand; the slices before it stay and the error says how many rows they hold
    (``written``). Importing the same file again is safe: rows already in the ledger are recognised
    (the ID number, or the same activity on the same day) and shown as duplicates."""
    bad = [p for p in plans if not p.ok]
    if bad and not only_valid:
        raise ValidationError({"rows": "\n".join(_row_message(p) for p in bad)})
    good = [p for p in plans if p.ok and p.action != "无变化"]
    updated = written = 0
    made: dict[str, str] = {}
    for start in range(0, max(len(good), 1), IMPORT_SLICE):
        with ctx.write(immediate=True, label="导入Excel") as session:  # numbers are allocated under the write lock
            if start == 0:
                made = _create_teams(session, ctx, good)
            for n, plan in enumerate(good[start:start + IMPORT_SLICE], start=start + 1):
                if cancelled():
                    raise ImportCancelled(written)
                try:
                    values = _with_new_teams(plan, made)
                    if plan.target_id is not None:
                        values = {k: v for k, v in values.items() if not (k == "team_ids" and v is None)}
                        volunteer_service.update_volunteer_in(session, ctx, plan.target_id, **values)
                        updated += 1
                    else:
                        add(session, ctx, **values)
                    session.flush()  # the row's limits (app/models/limits.py) are checked here, under its row number
                except ValidationError as exc:  # e.g. two rows of this sheet together over 24 hours a day
                    raise RowRefused({"rows": f"第{plan.row}行：{exc}" + (f"\n{_kept(written)}" if written else "")},
                                     written) from None
                if progress:
                    progress(n, len(good))
        written = min(start + IMPORT_SLICE, len(good))
        ctx.store.gate.give_way()  # a save queued meanwhile goes first
    return ImportResult(imported=len(good) - updated, skipped=bad, updated=updated)


def _with_new_teams(plan: RowPlan, made: dict[str, str]) -> dict:
    """The row's values with the ids of the teams the import has just set up for it."""
    if not plan.new_teams:
        return plan.values
    ids = [made[name] for name in plan.new_teams]
    if "team_id" in plan.values:  # an activity: one team
        return dict(plan.values, team_id=ids[0])
    return dict(plan.values, team_ids=list(plan.values.get("team_ids") or []) + ids)


def import_volunteers(ctx: Context, sheet: Sheet, mapping: dict[str, int], *, only_valid: bool = False,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] = lambda: False, update_existing: bool = False) -> ImportResult:
    return _import(ctx, plan_volunteers(ctx, sheet, mapping, update_existing=update_existing), _volunteer_adder(),
                   only_valid=only_valid, progress=progress, cancelled=cancelled)


def _volunteer_adder():
    """``add_volunteer_in`` for a slice of a sheet in one transaction: the station's ID numbers are read once a
    slice and kept up to date as rows are added, and the 志愿者编号 are counted on from the last one (the slice
    holds the write lock). Between two slices a clerk's save may register someone (and take the next number),
    so each new slice — a new session — reads both again."""
    state: dict = {}

    def add(session, ctx: Context, **values):
        if state.get("session") is not session:
            state["session"] = session
            state["known"] = volunteer_service.registered_ids(session, ctx.station_id)
            last = volunteer_service.next_number(session, ctx.station_id)
            prefix = volunteer_service.NUMBER_PREFIX
            state["prefix"], state["next"] = prefix, int(last[len(prefix):])
        number = f"{state['prefix']}{state['next']:06d}"
        volunteer = volunteer_service.add_volunteer_in(session, ctx, known=state["known"], number=number, **values)
        state["next"] += 1
        state["known"][(volunteer.id_type, volunteer.id_number)] = (volunteer.id, volunteer.name, volunteer.number, False)
        return volunteer

    return add


# -- activities ----------------------------------------------------------------

def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return cell_text(value)


def _as_time(value):
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    return cell_text(value)


def plan_activities(ctx: Context, sheet: Sheet, mapping: dict[str, int]) -> list[RowPlan]:
    _missing_required(mapping, "activities")
    teams = {s.team.name: s.team.id for s in team_service.list_teams(ctx)}
    by_name: dict[str, list] = {}
    for v in volunteer_service.search_volunteers(ctx):
        by_name.setdefault(v.name, []).append(v)
    plans = []
    for row, cells in sheet.rows:
        raw = {name: _cell(cells, mapping, name) for name in mapping}
        plan = RowPlan(row=row, values={})
        values = {
            "date": _as_date(raw.get("date")), "title": cell_text(raw.get("title")), "category": cell_text(raw.get("category")),
            "place": cell_text(raw.get("place")), "content": cell_text(raw.get("content")),
            "start_time": _as_time(raw.get("start_time")) or None, "end_time": _as_time(raw.get("end_time")) or None,
            "served_count": cell_text(raw.get("served_count")) or 0,
        }
        team = cell_text(raw.get("team"))
        _note_new_teams(plan, [team] if team and team not in teams else [])
        values["team_id"] = teams.get(team)
        hours = cell_text(raw.get("hours"))
        participants = []
        for name in volunteer_service.split_tags(cell_text(raw.get("participants"))):
            matches = by_name.get(name, [])
            if len(matches) != 1:
                plan.errors.append(f"参与志愿者“{name}”" + ("未登记" if not matches else f"有{len(matches)}人同名，请改用表格逐人录入"))
                continue
            try:
                participants.append(ParticipantInput(matches[0].id, float(hours) if hours else None))
            except ValueError:
                plan.errors.append(f"服务时长“{hours}”不是数字")
                break
        values["participants"] = participants
        plan.values = values
        plans.append(plan)
    # The same activity twice (imported before, or twice in this sheet) would double the ledger and the hours.
    seen: dict[tuple, int] = {}
    with ctx.read() as session:
        for plan in plans:
            when, title = parse_date(plan.values.get("date"), FieldErrors(), "date", "活动日期"), plan.values.get("title")
            if when is None or not title:
                continue
            key = (when, title, plan.values.get("team_id") or tuple(plan.new_teams))
            first = seen.setdefault(key, plan.row)
            if first != plan.row:
                plan.errors.append(f"与本表第{first}行是同一次活动（同一天、同名、同一服务队）")
                continue
            existing = None if plan.new_teams else session.exec(select(Activity.id).where(
                Activity.station_id == ctx.station_id, Activity.deleted == False, Activity.date == when,
                Activity.title == title, Activity.team_id == plan.values.get("team_id"))).first()
            if existing is not None:
                plan.errors.append(f"台账中已有{format_date(when)}的“{title}”，可能已经导入过；如确是另一次活动，请在名称中注明（如“第二场”）")
    # Validate each row by adding it in a transaction that is always rolled back (a row with problems already
    # too: the person sees all of a row's problems at once).
    for plan in plans:
        try:
            with ctx.store.session(operator=ctx.actor.label) as session:
                activity_service.add_activity_in(session, ctx, **plan.values)
                session.flush()  # what the columns can hold is checked at the flush
                session.rollback()
        except ValidationError as exc:
            plan.errors += list(exc.errors.values())
    return plans


def import_activities(ctx: Context, sheet: Sheet, mapping: dict[str, int], *, only_valid: bool = False,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] = lambda: False) -> ImportResult:
    return _import(ctx, plan_activities(ctx, sheet, mapping), activity_service.add_activity_in,
                   only_valid=only_valid, progress=progress, cancelled=cancelled)


# -- export --------------------------------------------------------------------

THIN = Side(style="thin", color="999999")


INTERNAL = "（内部资料，含完整个人信息，请妥善保管）"


def _shown(value) -> str:
    return format_date(value) if isinstance(value, date) else str(value)


def _write_book(path: Path, title: str, headers: list[str], rows: list[list], *, internal: bool = False) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = title[:31]
    ws.append([title + (INTERNAL if internal else "")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
    for row in rows:
        append_row(ws, row)  # data, never formulas; no character that fails the save
    for index, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(_shown(r[index - 1])) for r in rows[:500] if r[index - 1] is not None])
        ws.column_dimensions[get_column_letter(index)].width = min(50, 4 + width * 1.6)
    # Dates as date cells (WPS and Excel sort and filter them as dates), shown the Chinese way.
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, (date, datetime)):
                cell.number_format = "yyyy\"年\"m\"月\"d\"日\""
    ws.freeze_panes = "A3"
    # A4 landscape, every column on one page's width, the header row repeated on every printed page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:2"
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    path = Path(path)
    with atomic_output(path) as partial:
        book.save(partial)
    return path


def export_volunteers(ctx: Context, path: str | Path, *, text: str = "", full: bool = False) -> int:
    """ID numbers and phones masked for every role unless ``full`` (an admin's choice, labelled 内部资料)."""
    full = revealed(ctx, full)
    rows = volunteer_service.search_volunteers(ctx, text)
    if full:
        from ..services.audit import record_view

        record_view(ctx, "export", "", f"导出志愿者名册（{len(rows)} 人）的完整证件号码和电话：{Path(path).name}")
    from ..services import elsewhere

    ids = [v.id for v in rows]
    teams = volunteer_service.team_names_of(ctx, ids)
    # 其他站点 (#30) as the 志愿者 page shows it: what the district said at the last sync, never another ledger's name.
    other = elsewhere.of(ctx, ids)
    hours = volunteer_service.hours_of(ctx, [i for i in ids if i in other]) if other else {}
    data = [
        [v.number, v.name, v.gender, v.birth_date, v.id_type,
         v.id_number if full else mask_id_number(v.id_number), v.phone if full else mask_phone(v.phone),
         v.political_status, "、".join(teams[v.id]), v.tags.replace(",", "、"), v.skills, v.registered_on,
         other[v.id].short(hours.get(v.id, 0.0)) if v.id in other else ""]
        for v in rows
    ]
    _write_book(Path(path), "志愿者名单",
                ["志愿者编号", "姓名", "性别", "出生日期", "证件类型", "证件号码", "联系电话", "政治面貌", "所属队伍", "标签", "技能特长", "注册日期",
                 "其他站点"], data, internal=full)
    return len(data)


def export_activities(ctx: Context, path: str | Path, *, year: int | None = None, month: int | None = None, **filters) -> int:
    rows = activity_service.list_activities(ctx, year=year, month=month, descending=False, **filters)
    data = [
        [s.activity.date, s.activity.title, s.activity.category, s.team_name, s.activity.place,
         s.activity.start_time.strftime("%H:%M") if s.activity.start_time else "",
         s.activity.end_time.strftime("%H:%M") if s.activity.end_time else "",
         s.participants, s.hours, s.activity.served_count, "是" if s.activity.own_name else "否", s.activity.content]
        for s in rows
    ]
    _write_book(Path(path), "活动台账", ["日期", "活动名称", "类别", "服务队", "地点", "开始时间", "结束时间",
                                      "参与志愿者人数", "服务时长合计", "服务对象人数", "以本站名义", "活动内容"], data)
    return len(data)



def export_demands(ctx: Context, path: str | Path, *, state: str | None = None, text: str = "", overdue_only: bool = False,
                   full: bool = False) -> int:
    """The 五单 list as shown (state tab and search), contacts masked for every role unless ``full``."""
    from ..models.enums import DemandState
    from ..services import demands as demand_service

    rows = demand_service.list_demands(ctx, state=state, text=text, overdue_only=overdue_only, reveal=full)
    rows.reverse()  # oldest first, as a register reads
    if full:  # who took the whole numbers out, as for the roster
        from ..services.audit import record_view

        record_view(ctx, "export", "", f"导出群众点单（{len(rows)} 条）的完整联系电话：{Path(path).name}")
    data = [[r.demand.number, r.demand.received_on, "区中心派单" if r.demand.source == "district" else "群众点单",
             r.demand.requester, r.contact, r.demand.address, r.demand.category, r.demand.content, r.assignee,
             r.demand.due_on, DemandState(r.demand.state).label + ("（超期）" if r.overdue else ""),
             r.demand.rating or "", r.demand.feedback, r.demand.reason] for r in rows]
    _write_book(Path(path), "群众点单", ["编号", "点单日期", "来源", "点单群众", "联系电话", "服务地点", "服务类别", "需求内容", "接单",
                                     "办结期限", "状态", "评分", "群众评价", "不予受理/撤销原因"], data, internal=full)
    return len(data)


def export_points(ctx: Context, path: str | Path, *, text: str = "", full: bool = False) -> int:
    """积分账户: everyone's earned, spent and current points, phones masked for every role unless ``full``."""
    from ..services import points as point_service

    accounts = point_service.accounts(ctx, text=text, limit=1_000_000, reveal=full)
    if full:  # who took the whole numbers out, as for the roster
        from ..services.audit import record_view

        record_view(ctx, "export", "", f"导出积分账户（{len(accounts)} 个）的完整联系电话：{Path(path).name}")
    data = [[a.name, a.kind, a.phone, a.earned, a.spent, a.balance] for a in accounts]
    _write_book(Path(path), "积分账户", ["姓名（户）", "类别", "联系电话", "累计获得", "累计使用", "现有积分"], data, internal=full)
    return len(data)
