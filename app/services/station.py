"""The station profile (二.7, 四.8), its function rooms and service points."""

from __future__ import annotations

from collections.abc import Callable

from ..db import Store
from ..models import FunctionRoom, ServicePoint, Station
from ..models.enums import ROOM_FUNCTIONS, SERVICE_POINT_KINDS, StationLevel, station_level
from .common import apply_changes, check_choice, check_length, clean, get_row, normal, parse_date, save_row
from .context import Context, live
from .errors import FieldErrors, ServiceError
from .phone import PhoneError, normalize_phone

KIND_WORDS = {"village": "village", "村": "village", "community": "community", "社区": "community"}


def _station_values(values: dict, errors: FieldErrors, *, level: str) -> dict:
    """Checked values of the station row; ``level`` is the tier the row has (or is being created with)."""
    out: dict = {}
    tier = station_level(level)
    if "level" in values:
        level = clean(values["level"]) or "station"
        if level not in StationLevel.__members__:
            errors.add("level", "级别应为实践站、实践所或实践中心")
        out["level"] = level
    if "name" in values:
        out["name"] = clean(values["name"])
        check_length(errors, "name", tier.name_label, out["name"], 100, required=True)
    if "kind" in values:
        if not tier.has_kind:
            out["kind"] = ""  # the district's center is neither 村 nor 社区
        else:
            kind = KIND_WORDS.get(clean(values["kind"]))
            if kind is None:
                errors.add("kind", "类型应为“村”或“社区”")
            out["kind"] = kind
    if "street" in values and not tier.has_street:
        values = {**values, "street": ""}  # the center belongs to no 街道
    if "population" in values:
        population = values["population"]
        if population in (None, ""):
            out["population"] = None
        else:
            try:
                out["population"] = int(normal(str(population)))
                if out["population"] < 0:
                    raise ValueError
            except ValueError:
                errors.add("population", "常住人口应为不小于0的整数")
    if "phone" in values:
        phone = normal(values["phone"])
        if phone:
            try:
                phone = normalize_phone(phone)
            except PhoneError as exc:
                errors.add("phone", str(exc).replace("联系电话", "志愿服务电话"))
        out["phone"] = phone
    for key, label, limit in (
        ("street", "所属街道", 100),
        ("address", "地址", 200),
        ("contact", "联系方式（二维码内容）", 500),
        ("opening_hours", "开放时间", 200),
        ("activity_day", "固定活动日", 100),
        ("manager", "专管员", 50),
    ):
        if key in values:
            out[key] = clean(values[key])
            check_length(errors, key, label, out[key], limit)
    if tier is StationLevel.institute and "street" in out and not out["street"]:
        errors.add("street", "实践所须填写所属街道（功能区）")  # 二.2: one 所 per 街道
    if "founded_on" in values:
        out["founded_on"] = parse_date(values["founded_on"], errors, "founded_on", "成立日期")
    return out


def init_station(store: Store, *, name: str, kind: str = "village", level: str = "station", operator: str = "系统",
                 **profile) -> Station:
    """Create the one station — or 所, or center — of a fresh store (first-run wizard, ``station init``)."""
    if store.station_id is not None:
        raise ServiceError("本数据目录已经建立了台账，不能重复初始化")
    errors = FieldErrors()
    values = _station_values({"level": level, "name": name, "kind": kind, "street": "", **profile}, errors, level=level)
    errors.raise_if_any()
    station = Station(**values)
    station.station_id = station.id
    with store.session(operator=operator) as session:
        session.add(station)
        session.commit()
    store.forget_station()
    return station


def get_station(ctx: Context) -> Station:
    with ctx.read() as session:
        return ctx.station(session)


def update_station(ctx: Context, **changes) -> Station:
    with ctx.read() as session:
        level = ctx.station(session).level
    errors = FieldErrors()
    values = _station_values(changes, errors, level=changes.get("level") or level)
    errors.raise_if_any()
    with ctx.write() as session:
        station = ctx.station(session)
        apply_changes(station, values)
    return station


def tier_of(ctx: Context) -> StationLevel:
    """This ledger's tier, for the words a person reads (本站 / 本所 / 本中心)."""
    return station_level(get_station(ctx).level)


# -- function rooms and service points ------------------------------------

def _room_values(values: dict, errors: FieldErrors) -> dict:
    name, function, note = clean(values.get("name")), clean(values.get("function")), clean(values.get("note"))
    check_length(errors, "name", "功能室名称", name, 100, required=True)
    check_choice(errors, "function", "功能", function, ROOM_FUNCTIONS)
    out: dict[str, object] = {"name": name, "function": function, "note": note}
    area = values.get("area_m2")
    if area in (None, ""):
        out["area_m2"] = None
    else:
        try:
            out["area_m2"] = square_metres = float(normal(str(area)))
            if square_metres <= 0:
                raise ValueError
        except ValueError:
            errors.add("area_m2", "面积应为大于0的数字（平方米）")
    return out


def _point_values(values: dict, errors: FieldErrors) -> dict:
    name, kind = clean(values.get("name")), clean(values.get("kind")) or SERVICE_POINT_KINDS[0]
    check_length(errors, "name", "服务站点名称", name, 100, required=True)
    check_choice(errors, "kind", "站点类型", kind, SERVICE_POINT_KINDS)
    return {"name": name, "kind": kind, "location": clean(values.get("location")), "active": bool(values.get("active", True)),
            "note": clean(values.get("note"))}


def save_room(ctx: Context, room_id: str | None = None, **values) -> FunctionRoom:
    errors = FieldErrors()
    clean_values = _room_values(values, errors)
    errors.raise_if_any()
    return save_row(ctx, FunctionRoom, room_id, clean_values, what="功能室")


def save_service_point(ctx: Context, point_id: str | None = None, **values) -> ServicePoint:
    errors = FieldErrors()
    clean_values = _point_values(values, errors)
    errors.raise_if_any()
    return save_row(ctx, ServicePoint, point_id, clean_values, what="服务站点")


def set_deleted(ctx: Context, model, row_id: str, *, deleted: bool, what: str):
    """Soft delete (to the recycle bin) or restore any synced row of this station."""
    with ctx.write() as session:
        row = get_row(session, model, row_id, what=what, station_id=ctx.station_id, allow_deleted=True)
        row.deleted = deleted
    return row


DELETE_SLICE = 200  # rows moved per transaction: a clerk's save made meanwhile waits for one slice (#25)


def set_deleted_many(ctx: Context, model, row_ids: list[str], *, deleted: bool, what: str,
                     progress: Callable[[int, int], None] | None = None) -> int:
    """``set_deleted`` for many rows, in slices of ``DELETE_SLICE`` rows each committed on its own, the
    store's gate offered between them (a save waits for one slice, not for 20,000 rows). Every row is
    checked first, so a row that is not this station's changes nothing at all. 取消 (``progress``
    raising) rolls back the slice in hand; the slices before it stay moved — to the 回收站 or back,
    which the person sees in the list — and running it again moves the rest (a row already moved is
    left alone). Returns how many rows changed."""
    with ctx.read() as session:
        for row_id in row_ids:
            get_row(session, model, row_id, what=what, station_id=ctx.station_id, allow_deleted=True)
    changed = 0
    for start in range(0, len(row_ids), DELETE_SLICE):
        part = row_ids[start:start + DELETE_SLICE]
        with ctx.write(label=f"{'删除' if deleted else '恢复'}{len(row_ids)}条{what}记录") as session:
            for n, row_id in enumerate(part, start=start + 1):
                row = get_row(session, model, row_id, what=what, station_id=ctx.station_id, allow_deleted=True)
                if row.deleted != deleted:
                    row.deleted = deleted
                    changed += 1
                if progress is not None and (n % 50 == 0 or n == start + len(part)):  # and at each slice's end
                    session.flush()
                    progress(n, len(row_ids))
        ctx.store.gate.give_way()  # a save queued meanwhile goes first
    return changed


def list_rooms(ctx: Context) -> list[FunctionRoom]:
    with ctx.read() as session:
        return list(session.exec(live(FunctionRoom).where(FunctionRoom.station_id == ctx.station_id).order_by(FunctionRoom.name)))


def list_service_points(ctx: Context) -> list[ServicePoint]:
    with ctx.read() as session:
        return list(session.exec(live(ServicePoint).where(ServicePoint.station_id == ctx.station_id).order_by(ServicePoint.name)))

