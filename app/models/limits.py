"""What a synced row may hold: one definition, read from the tables themselves plus one table of ranges.

Lengths come from each column's ``max_length``; integers from the column type (PostgreSQL's INTEGER is
32-bit) narrowed by ``RANGES``; dates, times, booleans and floats by type. The same check runs

- in the app, at every flush of a synced row (``app/changes.py``), so no form, command, Excel import or
  demo can store what the district's columns cannot hold — the person gets a Chinese message naming
  the field, and nothing is written;
- at the district, on every row of a batch before its transaction (``sync/server/apply.py``), so a row
  from an older app that slipped past is answered ``rejected`` with the reason, and never fails the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String, Table, Time
from sqlalchemy.types import TypeDecorator

INT32 = (-(2**31), 2**31 - 1)

# Domain ranges (table, column) -> (lowest, highest). Everything else integer: INT32.
RANGES: dict[tuple[str, str], tuple[int | float, int | float]] = {
    ("activity", "served_count"): (0, 100_000),  # people served by one activity
    ("station", "population"): (1, 2_000_000),  # 常住人口 of a village or community (六.4 shares need it)
    ("training", "trainees"): (0, 100_000),
    ("photo", "size"): (0, 20 * 1024 * 1024),
    ("activity_plan", "year"): (2000, 2100),
    ("activity_plan", "month"): (1, 12),
    ("point_rule", "points"): (-100_000, 100_000),
    ("point_rule", "min_rating"): (0, 5),  # 0: any rating
    ("point_entry", "points"): (-1_000_000, 1_000_000),
    ("goods", "price"): (1, 1_000_000),
    ("stock_move", "quantity"): (-1_000_000, 1_000_000),
    ("demand", "rating"): (1, 5),
    ("participation", "hours"): (0, 24),
    ("function_room", "area_m2"): (0, 1_000_000),
}

# The Chinese name of a column, for messages; per table first, then shared names.
LABELS: dict[str, str] = {
    "name": "名称", "note": "备注", "address": "地址", "phone": "联系电话", "title": "名称", "content": "内容",
    "description": "简介", "category": "类别", "kind": "类别", "status": "状态", "reason": "原因", "operator": "经办人",
    "date": "日期", "place": "地点", "role": "角色", "street": "所属街道", "level": "级别", "population": "常住人口",
    "contact": "联系方式", "opening_hours": "开放时间", "activity_day": "固定活动日", "manager": "专管员",
    "founded_on": "成立日期", "function": "功能", "area_m2": "面积", "location": "位置", "active": "启用",
    "number": "编号", "name_pinyin": "姓名拼音", "name_initials": "姓名拼音首字母", "id_type": "证件类型",
    "id_number": "证件号码", "gender": "性别", "birth_date": "出生日期", "phone_tail": "电话尾号",
    "political_status": "政治面貌", "tags": "标签", "skills": "技能特长", "registered_on": "注册日期",
    "joined_on": "入队日期", "left_on": "离队日期", "brand": "品牌项目", "started_on": "开始日期",
    "start_time": "开始时间", "end_time": "结束时间", "organiser": "组织者", "own_name": "以本站名义",
    "served_count": "服务对象人数", "service_target": "服务对象", "family": "文明家庭活动", "hours": "服务时长",
    "sha256": "照片哈希", "caption": "照片说明", "filename": "文件名", "size": "文件大小", "trainees": "培训人数",
    "centralized": "集中培训", "issued_on": "印发日期", "year": "年份", "month": "月份", "head": "户主姓名",
    "basis": "计分方式", "points": "分值", "min_rating": "最低评分", "occurred_on": "日期", "source": "来源",
    "unit": "单位", "price": "兑换积分", "quantity": "数量", "requester": "点单群众姓名", "wanted_on": "希望服务日期",
    "received_on": "点单日期", "due_on": "办结期限", "state": "办理状态", "rating": "评分", "feedback": "群众评价",
    "feedback_method": "评价方式", "reward_note": "奖单说明", "at": "时间", "action": "办理事项",
    "from_state": "原状态", "to_state": "新状态", "dispatch_id": "派单编号",
}
TABLE_LABELS: dict[tuple[str, str], str] = {
    ("station", "name"): "站点名称", ("volunteer", "name"): "姓名", ("volunteer", "number"): "志愿者编号",
    ("team", "name"): "服务队名称", ("activity", "title"): "活动名称", ("activity", "content"): "活动内容",
    ("project", "name"): "项目名称", ("training", "title"): "培训名称", ("document", "title"): "文件名称",
    ("activity_plan", "title"): "计划名称", ("household", "phone"): "联系电话", ("goods", "name"): "商品名称",
    ("point_rule", "name"): "规则名称", ("demand", "content"): "需求内容", ("demand", "number"): "点单编号",
    ("point_entry", "reason"): "加减分原因", ("stock_move", "reason"): "出入库原因", ("demand", "reason"): "原因",
    ("function_room", "name"): "功能室名称", ("service_point", "name"): "服务站点名称", ("training", "content"): "培训内容",
    ("activity_plan", "content"): "计划内容",
}
# Columns every synced row has, checked by the sync envelope rather than here.
BOOKKEEPING = ("id", "station_id", "version", "updated_at", "deleted")


def label(table: str, column: str) -> str:
    return TABLE_LABELS.get((table, column)) or LABELS.get(column) or column


def int_range(table: str, column: str) -> tuple[int | float, int | float]:
    return RANGES.get((table, column), INT32)


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class ColumnSpec:
    """One column, read once from the table: what kind of value it takes and its bounds."""

    name: str
    label: str
    kind: str  # bool | int | float | datetime | date | time | str | other
    nullable: bool
    length: int | None
    low: float
    high: float


KINDS = ((Boolean, "bool"), (Integer, "int"), (Float, "float"), (DateTime, "datetime"), (Date, "date"), (Time, "time"), (String, "str"))


@cache
def table_spec(table: Table) -> dict[str, ColumnSpec]:
    specs = {}
    for column in table.columns:
        kind = column.type
        length = getattr(kind, "length", None)
        while isinstance(kind, TypeDecorator):  # sqlmodel's AutoString, our UTCDateTime
            kind = kind.impl_instance
        code = next((code for base, code in KINDS if isinstance(kind, base)), "other")
        low, high = RANGES.get((table.name, column.name), INT32 if code == "int" else (-1e12, 1e12))
        specs[column.name] = ColumnSpec(column.name, label(table.name, column.name), code,
                                        bool(column.nullable or column.primary_key), length, low, high)
    return specs


def _problem(spec: ColumnSpec, value: Any, wire: bool) -> str | None:
    name, kind = spec.label, spec.kind
    if value is None:
        return None if spec.nullable else f"缺少{name}"
    if kind == "str":
        if not isinstance(value, str):  # (a StrEnum member is text too)
            return f"{name}应为文字"
        if spec.length is not None and len(value) > spec.length:
            return f"{name}不能超过{spec.length}个字（现在{len(value)}个字）"
        if "\x00" in value or not _encodable(value):
            return f"{name}含有无法保存的字符"
        return None
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name}应为整数"
        if not spec.low <= value <= spec.high:
            return f"{name}应在{_number(spec.low)}到{_number(spec.high)}之间（现在是{_number(value)}）"
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else f"{name}应为是或否"
    if kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            return f"{name}应为数字"
        if not spec.low <= value <= spec.high:
            return f"{name}应在{_number(spec.low)}到{_number(spec.high)}之间（现在是{_number(value)}）"
        return None
    if kind in ("datetime", "date", "time"):
        python_type = {"datetime": datetime, "date": date, "time": time}[kind]
        if wire and isinstance(value, str):
            try:
                if kind == "datetime":
                    moment = datetime.fromisoformat(value)
                    if moment.tzinfo is not None:
                        moment.astimezone(UTC)  # 9999-12-31T23:59-23:59 overflows
                else:
                    (date if kind == "date" else time).fromisoformat(value)
            except (ValueError, OverflowError):
                return f"{name}“{value[:40]}”不是有效{'日期' if kind == 'date' else '时间'}"
            return None
        if kind == "date":
            return None if isinstance(value, date) and not isinstance(value, datetime) else f"{name}应为日期"
        return None if isinstance(value, python_type) else f"{name}应为时间"
    return None


@cache
def checker(spec: ColumnSpec, wire: bool = False):
    """A function telling why a value (as the app holds it: dates as dates; ``wire``: as JSON brings it) cannot be
    stored in the column ``spec`` describes, in Chinese naming the field, or None if it can. The values a column
    usually gets (plain ``str`` within its length, a number in range, a date, a bool, an allowed None) pass in a line
    or two; anything else gets ``_problem``'s whole reading, which alone decides, so the answer is always
    ``_problem``'s (tests/test_limits_fast.py holds the two together). Every row the district receives and each the
    app writes in bulk passes here: a fifth of a first sync's time on the server, 0.8 s of a year's settlement (#29)."""
    kind, nullable, length, low, high = spec.kind, spec.nullable, spec.length, spec.low, spec.high

    def slow(value: Any) -> str | None:
        return _problem(spec, value, wire)

    if kind == "str":
        def check(value: Any) -> str | None:
            if value is None and nullable:
                return None
            if (type(value) is str and (length is None or len(value) <= length) and "\x00" not in value
                    and (value.isascii() or _encodable(value))):
                return None
            return slow(value)
    elif kind in ("int", "float"):
        number_types = (int,) if kind == "int" else (int, float)

        def check(value: Any) -> str | None:
            if value is None and nullable:
                return None
            if type(value) in number_types and low <= value <= high:  # (inf and nan are never within the range)
                return None
            return slow(value)
    elif kind in ("date", "datetime", "bool"):
        exact = {"date": date, "datetime": datetime, "bool": bool}[kind]

        def check(value: Any) -> str | None:
            if (value is None and nullable) or type(value) is exact:
                return None
            return slow(value)
    else:
        check = slow
    return check


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")  # a lone surrogate ("\ud800" in JSON) is text no database can store
    except UnicodeEncodeError:
        return False
    return True


@cache
def _checked_columns(table: Table) -> tuple[ColumnSpec, ...]:
    return tuple(spec for name, spec in table_spec(table).items() if name not in BOOKKEEPING)


def row_problems(table: Table, values: dict, *, wire: bool = False) -> dict[str, str]:
    """Every column of ``values`` this table cannot hold: column -> Chinese message (``checker``, column by column)."""
    return {name: message for name, check in _table_checkers(table, wire)
            if name in values and (message := check(values[name]))}


@cache
def _table_checkers(table: Table, wire: bool) -> tuple[tuple[str, Any], ...]:
    return tuple((spec.name, checker(spec, wire)) for spec in _checked_columns(table))
