"""The app's rules applied to one synced row as it arrives at the district.

The district accepts nothing the app itself would refuse: same ID-number,
phone, category, hours and time rules, on the JSON payload of a row.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from ..models.enums import (
    ACTIVITY_STATUSES, DOCUMENT_KINDS, GENDERS, PROJECT_CATEGORIES, PROJECT_STATUSES, ID_TYPES, MEMBER_ROLES, PARTICIPANT_ROLES, POLITICAL_STATUSES, RESIDENT_ID, ROOM_FUNCTIONS,
    POINT_BASES, SERVICE_POINT_KINDS, TEAM_CATEGORIES, DemandState,
)
from .idcard import IdNumberError, parse_resident_id
from .phone import PhoneError, normalize_phone

HOP_KINDS = ("pass", "report")  # 转派 | 上报 (app/models/rewards.py DemandHop)
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _date(value, label: str, errors: list[str]) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{label}“{value}”不是有效日期")
        return None


def _time(value, label: str, errors: list[str]) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        errors.append(f"{label}“{value}”不是有效时间")
        return None


def _required(payload: dict, key: str, label: str, errors: list[str]) -> None:
    if not str(payload.get(key) or "").strip():
        errors.append(f"缺少{label}")


def _choice(payload: dict, key: str, label: str, choices, errors: list[str], *, required: bool = True) -> None:
    value = payload.get(key)
    if value in (None, "") and not required:
        return
    if value not in choices:
        errors.append(f"{label}“{value}”无效")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_row(entity: str, payload: dict, *, today: date | None = None) -> list[str]:
    """Chinese reasons this row would be refused by the app; empty when it is acceptable."""
    today = today or date.today()
    errors: list[str] = []
    if entity == "station":
        _required(payload, "name", "站点名称", errors)
        _choice(payload, "level", "级别", ("station", "institute", "center"), errors, required=False)  # old rows: a station
        if payload.get("level") == "center":
            _choice(payload, "kind", "站点类型", ("village", "community"), errors, required=False)  # the center is neither
        else:
            _choice(payload, "kind", "站点类型", ("village", "community"), errors)
    elif entity == "volunteer":
        _required(payload, "name", "姓名", errors)
        _required(payload, "number", "志愿者编号", errors)
        _choice(payload, "id_type", "证件类型", ID_TYPES, errors)
        if payload.get("id_type") == RESIDENT_ID:
            try:
                if parse_resident_id(str(payload.get("id_number") or "")).number != payload.get("id_number"):
                    errors.append("身份证号格式不规范")
            except IdNumberError as exc:
                errors.append(str(exc))
        else:
            _required(payload, "id_number", "证件号码", errors)
        if payload.get("phone"):
            try:
                if normalize_phone(str(payload["phone"])) != payload["phone"]:
                    errors.append("联系电话格式不规范")
            except PhoneError as exc:
                errors.append(str(exc))
        _choice(payload, "gender", "性别", GENDERS, errors, required=False)
        _choice(payload, "political_status", "政治面貌", POLITICAL_STATUSES, errors)
        _date(payload.get("birth_date"), "出生日期", errors)
        _date(payload.get("registered_on"), "注册日期", errors)
    elif entity == "team":
        _required(payload, "name", "服务队名称", errors)
        _choice(payload, "category", "服务队类别", TEAM_CATEGORIES, errors)
        _date(payload.get("founded_on"), "成立日期", errors)
    elif entity == "membership":
        _choice(payload, "role", "队内职务", MEMBER_ROLES, errors)
        _date(payload.get("joined_on"), "入队日期", errors)
    elif entity == "activity":
        _required(payload, "title", "活动名称", errors)
        _choice(payload, "category", "活动类别", TEAM_CATEGORIES, errors)
        _choice(payload, "status", "活动状态", ACTIVITY_STATUSES, errors)
        day = _date(payload.get("date"), "活动日期", errors)
        if day is None and not errors:
            errors.append("缺少活动日期")
        start, end = _time(payload.get("start_time"), "开始时间", errors), _time(payload.get("end_time"), "结束时间", errors)
        if start and end and end <= start:
            errors.append("结束时间应晚于开始时间")
        # One day of slack: the station's clock and time zone are not the district's.
        if payload.get("status") == "done" and day and day > today + timedelta(days=1):
            errors.append("已开展的活动日期不能晚于今天")
        served = payload.get("served_count")
        if not isinstance(served, int) or isinstance(served, bool) or served < 0:
            errors.append("服务对象人数应为不小于0的整数")
    elif entity == "participation":
        hours = payload.get("hours")
        if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 24:
            errors.append("服务时长应大于0且不超过24小时")
        _choice(payload, "role", "角色", PARTICIPANT_ROLES, errors)
    elif entity == "photo":
        if not SHA256.match(str(payload.get("sha256") or "")):
            errors.append("照片的SHA-256无效")
    elif entity == "function_room":
        _required(payload, "name", "功能室名称", errors)
        _choice(payload, "function", "功能", ROOM_FUNCTIONS, errors)
    elif entity == "service_point":
        _required(payload, "name", "服务站点名称", errors)
        _choice(payload, "kind", "站点类型", SERVICE_POINT_KINDS, errors)
    elif entity == "project":
        _required(payload, "name", "项目名称", errors)
        _choice(payload, "category", "项目类别", PROJECT_CATEGORIES, errors)
        _choice(payload, "status", "项目状态", tuple(PROJECT_STATUSES), errors)
    elif entity == "project_team":
        pass  # its two references are checked by the server
    elif entity == "training":
        _required(payload, "title", "培训名称", errors)
        if _date(payload.get("date"), "培训日期", errors) is None and not errors:
            errors.append("缺少培训日期")
    elif entity == "document":
        _required(payload, "title", "文件名称", errors)
        _choice(payload, "kind", "文件类别", DOCUMENT_KINDS, errors)
    elif entity == "activity_plan":
        _required(payload, "title", "计划名称", errors)
        year, month = payload.get("year"), payload.get("month")
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            errors.append("计划年份无效")
        if month is not None and (not isinstance(month, int) or not 1 <= month <= 12):
            errors.append("计划月份无效")
    elif entity == "household":
        _required(payload, "head", "户主姓名", errors)
    elif entity == "point_rule":
        _required(payload, "name", "规则名称", errors)
        _choice(payload, "basis", "计分方式", tuple(POINT_BASES), errors)
        if not _whole(payload.get("points")) or payload["points"] == 0:
            errors.append("规则分值应为不为0的整数")
    elif entity == "point_entry":
        if bool(payload.get("volunteer_id")) == bool(payload.get("household_id")):
            errors.append("积分记录应属于一名志愿者或一个家庭户")
        if not _whole(payload.get("points")) or payload["points"] == 0:
            errors.append("积分分值应为不为0的整数")
        _required(payload, "reason", "加减分原因", errors)
        _date(payload.get("occurred_on"), "积分日期", errors)
    elif entity == "goods":
        _required(payload, "name", "商品名称", errors)
        if not _whole(payload.get("price")) or payload["price"] <= 0:
            errors.append("兑换积分应为正整数")
    elif entity == "stock_move":
        if not _whole(payload.get("quantity")) or payload["quantity"] == 0:
            errors.append("出入库数量应为不为0的整数")
    elif entity == "demand":
        _required(payload, "requester", "点单群众姓名", errors)
        _required(payload, "content", "需求内容", errors)
        _choice(payload, "category", "服务类别", TEAM_CATEGORIES, errors)
        _choice(payload, "state", "办理状态", tuple(s.value for s in DemandState), errors)
        _choice(payload, "source", "需求来源", ("resident", "district"), errors)
        _date(payload.get("received_on"), "点单日期", errors)
        _date(payload.get("due_on"), "办结期限", errors)
        rating = payload.get("rating")
        if rating is not None and (not _whole(rating) or not 1 <= rating <= 5):
            errors.append("评分应为1到5的整数")
    elif entity == "demand_event":
        _choice(payload, "to_state", "办理状态", tuple(s.value for s in DemandState), errors)
        _required(payload, "operator", "经办人", errors)
    elif entity == "demand_hop":
        # 五.2: 转派 down or 上报 up; a 上报 says why this tier cannot serve the need.
        _choice(payload, "kind", "转出方式", HOP_KINDS, errors)
        _required(payload, "operator", "经办人", errors)
        if payload.get("kind") == "report":
            _required(payload, "reason", "上报原因", errors)
        if payload.get("kind") == "pass":
            _required(payload, "to_station_id", "转派给哪个实践所（站）", errors)
    else:
        errors.append(f"未知的数据类型“{entity}”")
    return errors
