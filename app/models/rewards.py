"""Incentives (三.4) and the 五单 service loop (五.2).

The points ledger and stock moves are append-only: a balance or a stock level
is always the sum of its entries, never a stored number that can drift, and a
mistake is undone by a new, reversing entry (the change hook refuses updates).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from .base import STATION_ONLY, SyncedBase, UTCDateTime, reference


class Household(SyncedBase, table=True):
    """A household keeping points of its own (户积分), for villages that score households."""

    head: str = Field(max_length=50)  # 户主
    address: str = Field(default="", max_length=200)  # 门牌号
    phone: str = Field(default="", max_length=20)
    note: str = Field(default="", max_length=500)


class PointRule(SyncedBase, table=True):
    """How points are earned or lost, kept as data so each village can set its own scheme."""

    __tablename__ = "point_rule"

    name: str = Field(max_length=100)
    basis: str = Field(max_length=16)  # POINT_BASES: hour | activity | rating | manual
    points: int  # per hour / per activity / per rated demand / per hand entry; negative = deduction
    category: str = Field(default="", max_length=16)  # hour/activity rules: only this activity category
    min_rating: int = Field(default=0)  # rating rules: the least 评单 score that earns it
    active: bool = Field(default=True)


class PointEntry(SyncedBase, table=True):
    """One line of the points ledger, for a volunteer or a household."""

    __tablename__ = "point_entry"
    __table_args__ = (Index("ix_point_entry_source", "station_id", "source"),
                      # the last settlement's time, found from the newest entries (points.unsettled_count)
                      Index("ix_point_entry_station_updated", "station_id", "updated_at", info=STATION_ONLY))
    append_only: ClassVar[bool] = True

    volunteer_id: str | None = reference("volunteer.id", optional=True, index=True)
    household_id: str | None = reference("household.id", optional=True, index=True)
    points: int  # earned (+) or spent/deducted (−)
    occurred_on: dt.date
    reason: str = Field(max_length=200)
    rule_id: str | None = reference("point_rule.id", optional=True)
    source: str = Field(default="manual", max_length=80)  # activity:<id> | demand:<id> | redeem:<goods id> | manual | reverse
    reverses_id: str | None = reference("point_entry.id", optional=True)
    operator: str = Field(default="", max_length=50)


class Goods(SyncedBase, table=True):
    """An item of the 信用超市 catalogue: goods or a service, priced in points."""

    name: str = Field(max_length=100)
    unit: str = Field(default="件", max_length=10)
    price: int  # points per unit
    note: str = Field(default="", max_length=500)
    active: bool = Field(default=True)


class StockMove(SyncedBase, table=True):
    """Goods in (+) or out (−); a redemption's move points at its points entry."""

    __tablename__ = "stock_move"
    append_only: ClassVar[bool] = True

    goods_id: str = reference("goods.id", index=True)
    quantity: int
    occurred_on: dt.date
    reason: str = Field(default="", max_length=200)
    point_entry_id: str | None = reference("point_entry.id", optional=True, index=True)
    operator: str = Field(default="", max_length=50)


class Demand(SyncedBase, table=True):
    """A resident's demand travelling the 五单 loop: 点单 → 派单 → 接单 → 评单 → 奖单."""

    __table_args__ = (Index("ix_demand_station_state", "station_id", "state"),)

    number: str = Field(max_length=20)  # 点单-2026-0001, what people quote
    source: str = Field(default="resident", max_length=16)  # resident | district
    dispatch_id: str | None = Field(default=None, max_length=36, index=True)  # the district's dispatch it answers
    requester: str = Field(max_length=50)
    contact: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=200)
    content: str = Field(max_length=1000)
    category: str = Field(max_length=16)  # TEAM_CATEGORIES
    wanted_on: dt.date | None = Field(default=None)
    received_on: dt.date
    due_on: dt.date  # to be done by; past it and still open → overdue
    state: str = Field(default="ordered", max_length=16)  # DemandState
    team_id: str | None = reference("team.id", optional=True, index=True)
    volunteer_id: str | None = reference("volunteer.id", optional=True)
    activity_id: str | None = reference("activity.id", optional=True)
    rating: int | None = Field(default=None)
    feedback: str = Field(default="", max_length=500)
    feedback_method: str = Field(default="", max_length=10)  # 回访 | 问卷 | 电话
    reward_note: str = Field(default="", max_length=500)
    reason: str = Field(default="", max_length=500)  # why rejected or cancelled


class DemandEvent(SyncedBase, table=True):
    """One transition of a demand, with who made it and when."""

    __tablename__ = "demand_event"
    append_only: ClassVar[bool] = True

    demand_id: str = reference("demand.id", index=True)
    at: dt.datetime = Field(sa_type=UTCDateTime)
    operator: str = Field(max_length=50)
    action: str = Field(max_length=16)
    from_state: str = Field(default="", max_length=16)
    to_state: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)


class DemandHop(SyncedBase, table=True):
    """A demand handed to another tier's ledger (五.2): 转派 down (a 所 to one of its street's stations, the 中心
    to a 所 or a station) or 上报 up (a station to its street's 所, a 所 to the 中心), with who, when and why.

    The district opens it at the target as a dispatch (its id is this row's id, so a row sent twice opens
    it once) after checking the target is one this ledger may hand to; a row it refuses is shown here with
    the reason, and the demand can be taken back (收回)."""

    __tablename__ = "demand_hop"
    append_only: ClassVar[bool] = True

    demand_id: str = reference("demand.id", index=True)
    kind: str = Field(max_length=8)  # pass (转派) | report (上报)
    to_station_id: str = Field(default="", max_length=36)  # the target ledger; a 上报 may leave it to the district
    to_name: str = Field(default="", max_length=100)  # as this ledger knew it when handing on
    reason: str = Field(default="", max_length=500)  # required for a 上报
    at: dt.datetime = Field(sa_type=UTCDateTime)
    operator: str = Field(max_length=50)


class DistrictDispatch(SQLModel, table=True):
    """A demand the district center dispatched to this station, as pulled; read-only here."""

    __tablename__ = "district_dispatch"

    id: str = Field(primary_key=True, max_length=36)
    payload: str  # the JSON the district sent
    received_at: dt.datetime = Field(sa_type=UTCDateTime)
