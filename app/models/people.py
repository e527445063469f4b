"""Volunteers, teams and who belongs to which team."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from .base import SyncedBase, reference


class Volunteer(SyncedBase, table=True):
    __table_args__ = (
        UniqueConstraint("station_id", "number", name="uq_volunteer_number"),
        Index("ix_volunteer_id_number", "station_id", "id_number"),
    )

    # 志愿者编号: what people see and quote. Never the ID number.
    number: str = Field(max_length=20)
    name: str = Field(max_length=50, index=True)
    name_pinyin: str = Field(default="", max_length=200, index=True)  # "zhangsan"
    name_initials: str = Field(default="", max_length=50, index=True)  # "zs"
    id_type: str = Field(default="居民身份证", max_length=20)
    id_number: str = Field(max_length=40)
    gender: str = Field(default="", max_length=2)
    birth_date: date | None = Field(default=None)
    phone: str = Field(default="", max_length=30)
    phone_tail: str = Field(default="", max_length=4, index=True)
    political_status: str = Field(default="群众", max_length=16)
    tags: str = Field(default="", max_length=200)  # comma-separated VOLUNTEER_TAGS
    skills: str = Field(default="", max_length=300)
    registered_on: date = Field(default_factory=date.today)
    address: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)


class Team(SyncedBase, table=True):
    name: str = Field(max_length=100)
    category: str = Field(max_length=16)  # TEAM_CATEGORIES (三.2)
    leader_id: str | None = reference("volunteer.id", optional=True)
    founded_on: date | None = Field(default=None)
    description: str = Field(default="", max_length=1000)


class Membership(SyncedBase, table=True):
    volunteer_id: str = reference("volunteer.id", index=True)
    team_id: str = reference("team.id", index=True)
    role: str = Field(default="队员", max_length=16)
    joined_on: date = Field(default_factory=date.today)
    left_on: date | None = Field(default=None)
